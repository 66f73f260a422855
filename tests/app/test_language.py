"""Human-facing text is Chinese unless the caller's Accept-Language prefers English."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app.core.i18n import Localized, choose_language, tr
from tests.app.import_files import to_csv, valid_row
from tests.factories import Actors, listing_payload

BAD_NUMBER = "201710601862.5"  # the check digit is 3


@pytest.mark.parametrize(
    ("header", "language"),
    [
        (None, "zh"),
        ("", "zh"),
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh"),
        ("en-US,en;q=0.9", "en"),
        ("en", "en"),
        ("EN-gb", "en"),
        ("fr-FR,en;q=0.5", "en"),
        ("zh;q=0.4,en;q=0.6", "en"),
        ("en;q=0.5,zh;q=0.5", "en"),
        ("*", "zh"),
        ("en;q=0", "zh"),
        ("en;q=banana", "zh"),
        ("de,fr", "zh"),
    ],
)
def test_choose_language_follows_the_weights_of_the_header(
    header: str | None, language: str
) -> None:
    assert choose_language(header) == language


def test_a_localized_text_fills_its_parameters_in_each_language() -> None:
    inner = tr("行", "row")
    text = tr("第 {n} {what}有误", "{what} {n} is wrong", n=7, what=inner)

    assert (text.zh, text.en) == ("第 7 行有误", "row 7 is wrong")
    assert str(text) == "row 7 is wrong"
    assert Localized.of("plain") == Localized("plain", "plain")


def test_errors_are_chinese_by_default_and_english_on_request(
    client: TestClient, actors: Actors
) -> None:
    payload = listing_payload(patent_number=BAD_NUMBER)
    chinese = client.post(
        "/v1/listings", json=payload, headers={**actors.tto.headers, "Accept-Language": ""}
    )
    english = client.post(
        "/v1/listings", json=payload, headers={**actors.tto.headers, "Accept-Language": "en-US"}
    )

    assert chinese.status_code == english.status_code == 422
    assert chinese.headers["Content-Language"] == "zh"
    assert english.headers["Content-Language"] == "en"
    [zh_problem] = chinese.json()["detail"]
    [en_problem] = english.json()["detail"]
    assert zh_problem["loc"] == en_problem["loc"] == ["body", "patent_number"]
    assert zh_problem["type"] == en_problem["type"]
    assert zh_problem["msg"] == "校验位是 5，但 201710601862 的校验位应为 3"
    assert en_problem["msg"] == "check digit is 5 but should be 3 for 201710601862"


def test_pydantic_errors_read_in_chinese(client: TestClient, actors: Actors) -> None:
    payload = listing_payload()
    del payload["title"]
    response = client.post(
        "/v1/listings", json=payload, headers={**actors.tto.headers, "Accept-Language": "zh"}
    )

    assert response.status_code == 422
    [problem] = response.json()["detail"]
    assert problem == {"msg": "必填，请填写", "type": "missing", "loc": ["body", "title"]}


def test_an_unknown_route_answers_in_chinese(client: TestClient, actors: Actors) -> None:
    response = client.get("/v1/nothing-here", headers={**actors.tto.headers, "Accept-Language": ""})

    assert response.status_code == 404
    assert response.json()["detail"][0]["msg"] == "未找到：地址或对象不存在"


def test_an_import_report_is_rendered_in_the_callers_language(
    client: TestClient, actors: Actors
) -> None:
    sheet = to_csv([{**valid_row(0), "patent_number": BAD_NUMBER}])
    reports = {}
    for header in ("zh-CN", "en"):
        response = client.post(
            "/v1/listings/import",
            files={"file": ("清单.csv", sheet)},
            params={"dry_run": "true"},
            headers={**actors.tto.headers, "Accept-Language": header},
        )
        assert response.status_code == 200, response.text
        reports[header] = response.json()["rejected"][0]["msg"]

    # The import names the column the user wrote before the reason.
    assert reports["zh-CN"] == "“专利号”列：校验位是 5，但 201710601862 的校验位应为 3"
    assert reports["en"] == "column '专利号': check digit is 5 but should be 3 for 201710601862"
