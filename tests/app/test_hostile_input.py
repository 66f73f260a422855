"""Hostile input beyond whole-file refusals: cut files, control characters, SQL-looking text.

`test_import_refusals.py` covers junk, zip bombs and size limits; these add what a damaged
upload or a probing caller sends. Each case is stored verbatim (or cleaned the same way on
SQLite and PostgreSQL), or refused with a specific message, and a refusal writes nothing.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.app.import_files import (
    error_problem,
    holder_total,
    import_report,
    listing_by_number,
    post_import,
    to_csv,
    to_jsonl,
    to_xlsx,
    valid_row,
)
from tests.factories import Actors, listing_payload


@pytest.mark.parametrize("keep", [0.25, 0.5, 0.9, 0.999])
def test_a_workbook_cut_short_is_refused_and_writes_nothing(
    client: TestClient, actors: Actors, keep: float
) -> None:
    workbook = to_xlsx([valid_row(i) for i in range(30)])
    cut = workbook[: int(len(workbook) * keep)]

    problem = error_problem(post_import(client, actors.tto, cut, "清单.xlsx"), 422)

    assert problem["loc"] == ["file"]
    assert problem["msg"].startswith("the file is not a valid .xlsx workbook"), problem
    assert holder_total(client, actors.tto, actors.tto) == 0


def test_a_csv_cut_inside_a_chinese_character_is_refused_as_cut_off(
    client: TestClient, actors: Actors
) -> None:
    content = to_csv([valid_row(i) for i in range(10)]).rstrip(b"\r\n")
    while True:  # drop bytes until the end falls inside a multi-byte character
        try:
            content.decode("utf-8")
        except UnicodeDecodeError:
            break
        content = content[:-1]

    problem = error_problem(post_import(client, actors.tto, content, "清单.csv"), 422)

    assert problem["msg"].startswith("the file ends in the middle of a UTF-8 character")
    assert holder_total(client, actors.tto, actors.tto) == 0


def test_a_csv_with_a_damaged_byte_is_refused_not_read_as_mojibake(
    client: TestClient, actors: Actors
) -> None:
    content = bytearray(to_csv([valid_row(i) for i in range(10)]))
    content[len(content) // 2] = 0xFF

    problem = error_problem(post_import(client, actors.tto, bytes(content), "清单.csv"), 422)

    assert problem["msg"].startswith("the file is not UTF-8 or GBK text")
    assert holder_total(client, actors.tto, actors.tto) == 0


_VERBATIM = {
    "sql": "一种方法'; DROP TABLE listings; -- \" OR 1=1 /* */",
    "mixed scripts": "基于AI的轴承诊断 метод Ωmega ﾊﾝｶｸ 𠀀𪚥 مرحبا",
    "markup": "<script>alert(1)</script>{{7*7}}${jndi:ldap://x}",
    "percent and underscore": "100% 纯_铜%_\\",
}


@pytest.mark.parametrize("case", list(_VERBATIM))
def test_odd_but_valid_text_is_stored_verbatim_and_found_by_exact_read(
    client: TestClient, actors: Actors, case: str
) -> None:
    title = _VERBATIM[case]
    created = client.post(
        "/v1/listings", json=listing_payload(title=title), headers=actors.tto.headers
    )
    assert created.status_code == 201, created.text

    stored = client.get(f"/v1/listings/{created.json()['id']}", headers=actors.sme.headers)

    assert stored.json()["title"] == title
    assert holder_total(client, actors.sme, actors.tto) == 1


def test_control_characters_and_nul_are_dropped_alike_on_every_database(
    client: TestClient, actors: Actors
) -> None:
    # PostgreSQL refuses NUL in text; SQLite would keep it. Both must store the same thing.
    body = listing_payload(
        title="一种\x00轴承\x07诊断\x1b方法\x7f",
        abstract="第一段。\n第二段\x00。\t缩进",
        contact="\x00王老师\x08",
    )
    created = client.post("/v1/listings", json=body, headers=actors.tto.headers)
    assert created.status_code == 201, created.text
    demand = client.post(
        "/v1/demands",
        json={"title": "需求\x00标题", "description": "描述\x00内容"},
        headers=actors.sme.headers,
    )
    assert demand.status_code == 201, demand.text

    listing = created.json()
    assert (listing["title"], listing["abstract"], listing["contact"]) == (
        "一种轴承诊断方法",
        "第一段。\n第二段。\t缩进",
        "王老师",
    )
    assert (demand.json()["title"], demand.json()["description"]) == ("需求标题", "描述内容")


def test_nul_in_an_imported_file_is_dropped_the_same_way(
    client: TestClient, actors: Actors
) -> None:
    row = valid_row(1) | {"title": "一种\u0000轴承诊断方法"}

    report = import_report(client, actors.tto, to_jsonl([row]), "清单.jsonl")

    assert report["created"] == 1, report
    assert (
        listing_by_number(client, actors.tto, row["patent_number"])["title"] == "一种轴承诊断方法"
    )


_PROBES: list[tuple[str, dict[str, Any]]] = [
    ("/v1/listings", {"province": "\x00"}),
    ("/v1/listings", {"province": "' OR 1=1 --"}),
    ("/v1/listings", {"patent_number": "1' OR '1'='1"}),
    ("/v1/listings", {"ipc": "G06F%' OR 1=1 --"}),
    ("/v1/listings", {"industry_code": "C\x00"}),
    ("/v1/listings", {"holder_id": "1 OR 1=1"}),
    ("/v1/listings", {"holder_id": str(2**63)}),
    ("/v1/listings", {"limit": "100000"}),
    ("/v1/listings", {"province": "浙" * 5_000}),
]


@pytest.mark.parametrize(("path", "params"), _PROBES, ids=[repr(p)[:40] for _, p in _PROBES])
def test_probing_query_parameters_get_a_422_never_a_crash_or_data(
    client: TestClient, actors: Actors, path: str, params: dict[str, Any]
) -> None:
    client.post("/v1/listings", json=listing_payload(), headers=actors.tto.headers)

    response = client.get(path, params=params, headers=actors.sme.headers)

    assert response.status_code == 422, response.text
    assert len(response.content) < 2_000


IF_MATCH_MESSAGE = (
    'If-Match must be the ETag of the current version, such as "3" '
    "(read the record first and send its ETag header back unchanged)"
)


@pytest.mark.parametrize(
    "if_match",
    [
        b'"\xb2"',  # "²" in Latin-1: `str.isdigit` says yes, `int` says no
        b'"' + b"9" * 4301 + b'"',  # past Python's 4,300-digit limit for `int`
        b'"2147483648"',  # does not fit the 32-bit version column
        b'"-1"',
        b'"1.0"',
        b"",
    ],
    ids=["superscript-two", "4301-digits", "past-32-bits", "negative", "decimal", "empty"],
)
@pytest.mark.parametrize("resource", ["listings", "demands"])
def test_a_malformed_if_match_is_a_422_on_the_header_never_a_crash(
    client: TestClient, actors: Actors, resource: str, if_match: bytes
) -> None:
    if resource == "listings":
        owner, body = actors.tto, listing_payload()
    else:
        owner, body = actors.sme, {"title": "轴承监测", "description": "需要轴承振动在线监测技术。"}
    created = client.post(f"/v1/{resource}", json=body, headers=owner.headers)
    assert created.status_code == 201, created.text

    response = client.patch(
        f"/v1/{resource}/{created.json()['id']}",
        json={"title": "新的标题：轴承在线监测"},
        headers=owner.headers | {"If-Match": if_match},  # type: ignore[dict-item]
    )

    assert response.status_code == 422, response.text
    assert response.json() == {
        "detail": [{"msg": IF_MATCH_MESSAGE, "type": "value_error", "loc": ["header", "If-Match"]}]
    }


def test_a_malformed_if_match_is_explained_in_chinese_by_default(
    client: TestClient, actors: Actors
) -> None:
    created = client.post("/v1/listings", json=listing_payload(), headers=actors.tto.headers)

    response = client.patch(
        f"/v1/listings/{created.json()['id']}",
        json={"title": "新的标题：轴承在线监测"},
        headers=actors.tto.headers | {"If-Match": '"v1"', "Accept-Language": "zh"},
    )

    assert response.status_code == 422
    assert response.json()["detail"][0]["msg"].startswith("If-Match 应为当前版本的 ETag")
