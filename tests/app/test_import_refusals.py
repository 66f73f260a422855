"""Uploads the import refuses whole: hostile or malformed files, size limits, wrong keys."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from app.core.config import Settings
from app.main import create_app
from matching.embedder import HashingEmbedder
from tests.app.import_files import (
    IMPORT,
    counts,
    error_problem,
    holder_total,
    import_report,
    junk,
    many_member_zip_bomb,
    post_import,
    spreadsheet_with_seven_bad_rows,
    to_csv,
    to_jsonl,
    to_xlsx,
    valid_row,
    zip_bomb,
)
from tests.factories import Actors, listing_payload

_MB = 1024 * 1024


@pytest.fixture(scope="module")
def csv_file() -> bytes:
    return to_csv(spreadsheet_with_seven_bad_rows().rows)


_HOSTILE: dict[str, tuple[str, Any, int, str]] = {
    # name: (filename, content, status, start of the message)
    "binary junk named .csv": (
        "清单.csv",
        lambda: junk(4096, 1),
        422,
        "the .csv file contains binary data, not text",
    ),
    "random bytes named .xlsx": (
        "清单.xlsx",
        lambda: junk(4096, 2, b"\x00\x01"),
        422,
        "the file is not an Excel .xlsx workbook",
    ),
    "a truncated zip named .xlsx": (
        "清单.xlsx",
        lambda: junk(4096, 3, b"PK\x03\x04"),
        422,
        "the file is not a valid .xlsx workbook",
    ),
    "a zip bomb posing as xlsx": (
        "清单.xlsx",
        zip_bomb,
        422,
        "the workbook member 'xl/worksheets/sheet1.xml' is compressed",
    ),
    "a zip bomb of many small members": (
        "清单.xlsx",
        many_member_zip_bomb,
        413,
        "the workbook unpacks to 110.0 MB; the limit is 100 MB",
    ),
    "a workbook named .csv": (
        "清单.csv",
        lambda: to_xlsx([valid_row(0)]),
        422,
        "the .csv file is a zip archive (an Excel workbook?)",
    ),
    "an unknown extension": (
        "清单.pdf",
        lambda: b"%PDF-1.7\n",
        422,
        "unsupported file type '.pdf'; upload one of .csv, .tsv, .txt, .xlsx, .jsonl, .ndjson",
    ),
    "no patent-number column": (
        "清单.csv",
        lambda: "名称,摘要\r\n一种方法,本发明公开了一种方法。\r\n".encode(),
        422,
        "no patent number column; the header row has '名称', '摘要'",
    ),
    "an empty file": ("清单.csv", lambda: b"", 422, "the file is empty"),
    "a file that is not utf-8 or gbk": (
        "清单.csv",
        lambda: "专利号,名称\r\n".encode() + b"\x81\x20\xfe\xff\r\n",
        422,
        "the file is not UTF-8 or GBK text",
    ),
}


@pytest.mark.parametrize("case", list(_HOSTILE))
def test_hostile_or_malformed_file_is_refused_with_a_clear_error_and_writes_nothing(
    client: TestClient, actors: Actors, case: str
) -> None:
    filename, content, status, message = _HOSTILE[case]

    problem = error_problem(post_import(client, actors.tto, content(), filename), status)

    assert problem["msg"].startswith(message), problem
    assert problem["loc"] == ["file"]
    assert problem["type"] == ("too_large" if status == 413 else "value_error")
    assert holder_total(client, actors.tto, actors.tto) == 0


def test_a_10_mb_cell_is_refused_naming_its_row_and_column(
    client: TestClient, actors: Actors
) -> None:
    rows = [valid_row(0), valid_row(1) | {"abstract": "本发明公开了" * 600_000}]
    content = to_csv(rows)
    assert len(content) > 10 * _MB

    problem = error_problem(post_import(client, actors.tto, content, "清单.csv"), 422)

    assert problem == {
        "msg": "row 3, column '摘要': the cell has 3,600,000 characters; the limit is 100,000",
        "type": "value_error",
        "loc": ["rows", 3, "abstract"],
    }
    assert holder_total(client, actors.tto, actors.tto) == 0


def test_a_field_over_its_length_limit_is_rejected_as_a_row(
    client: TestClient, actors: Actors
) -> None:
    rows = [valid_row(0), valid_row(1) | {"title": "一种" + "方法" * 300}]

    report = import_report(client, actors.tto, to_csv(rows))

    assert counts(report) == (1, 0, 0, 1)
    assert report["rejected"] == [
        {
            "row": 3,
            "field": "title",
            "column": "名称",
            "msg": "column '名称': String should have at most 500 characters",
        }
    ]


def test_import_with_an_sme_key_is_403(client: TestClient, actors: Actors, csv_file: bytes) -> None:
    problem = error_problem(post_import(client, actors.sme, csv_file, "清单.csv"), 403)

    assert problem["msg"] == "this needs a key with role tto; yours is sme"
    assert holder_total(client, actors.tto, actors.tto) == 0


def test_import_without_a_key_is_401(client: TestClient, actors: Actors, csv_file: bytes) -> None:
    problem = error_problem(post_import(client, None, csv_file, "清单.csv"), 401)

    assert problem["loc"] == ["header", "X-API-Key"]
    assert holder_total(client, actors.tto, actors.tto) == 0


def test_import_without_a_file_part_is_422_in_the_error_shape(
    client: TestClient, actors: Actors
) -> None:
    response = client.post(IMPORT, data={"other": "x"}, headers=actors.tto.headers)

    problem = error_problem(response, 422)

    assert (problem["loc"], problem["type"]) == (["body", "file"], "missing")


@pytest.fixture()
def small_client(
    tmp_path: Path, database_url: str, session_factory: sessionmaker[Session]
) -> Iterator[TestClient]:
    """Return a client of an app that takes uploads of at most 1 MB and 50 rows."""
    settings = Settings(
        database_url=database_url,
        index_dir=tmp_path / "index",
        max_upload_mb=1,
        max_import_rows=50,
        catchup_seconds=0,
    )
    app = create_app(settings, session_factory=session_factory, embedder=HashingEmbedder(64))
    with TestClient(
        app, raise_server_exceptions=False, headers={"Accept-Language": "en"}
    ) as test_client:
        yield test_client


def test_upload_far_over_the_size_limit_is_413_before_it_is_read(
    small_client: TestClient, actors: Actors
) -> None:
    content = to_csv([valid_row(0)]) + b"\r\n" * _MB

    problem = error_problem(post_import(small_client, actors.tto, content, "清单.csv"), 413)

    assert problem["loc"] == ["body"]
    assert problem["msg"].startswith("request body is larger than the limit of ")
    assert holder_total(small_client, actors.tto, actors.tto) == 0


def test_upload_just_over_the_size_limit_is_413_naming_the_limit(
    small_client: TestClient, actors: Actors
) -> None:
    # Within the multipart allowance of the body limit, so only the import's own check can stop it.
    content = to_csv([valid_row(0)])
    content += b"\r\n" * ((_MB + 1024 - len(content)) // 2)

    problem = error_problem(post_import(small_client, actors.tto, content, "清单.csv"), 413)

    assert problem == {
        "msg": "the file is larger than the limit of 1 MB",
        "type": "too_large",
        "loc": ["file"],
    }
    assert holder_total(small_client, actors.tto, actors.tto) == 0


def test_file_with_more_rows_than_allowed_is_413_and_writes_nothing(
    small_client: TestClient, actors: Actors
) -> None:
    content = to_csv([valid_row(i) for i in range(51)])

    problem = error_problem(post_import(small_client, actors.tto, content, "清单.csv"), 413)

    assert problem == {
        "msg": "the file has more than 50 data rows; split it into smaller files",
        "type": "too_large",
        "loc": ["file"],
    }
    assert holder_total(small_client, actors.tto, actors.tto) == 0


def test_file_at_the_row_limit_imports(small_client: TestClient, actors: Actors) -> None:
    report = import_report(small_client, actors.tto, to_csv([valid_row(i) for i in range(50)]))

    assert counts(report) == (50, 0, 0, 0)


def test_header_row_of_two_million_columns_is_413_with_a_short_message(
    client: TestClient, actors: Actors
) -> None:
    content = ("专利号," + "a," * 2_000_000 + "\r\n").encode()

    response = post_import(client, actors.tto, content, "清单.csv")
    problem = error_problem(response, 413)

    assert problem["msg"] == "row 1 has more than 500 columns; delete the columns you do not need"
    assert len(response.content) < 1000


def test_jsonl_date_given_as_a_number_is_rejected_not_read_as_1970(
    client: TestClient, actors: Actors
) -> None:
    record = json.loads(to_jsonl([valid_row(0)]))
    record["application_date"] = 0

    report = import_report(client, actors.tto, json.dumps(record).encode(), "清单.jsonl")

    assert report["rejected"] == [
        {
            "row": 1,
            "field": "application_date",
            "column": "application_date",
            "msg": "column 'application_date': '0' is a number, not a date; write a date such "
            "as 2017-07-25 (in Excel, format the cell as a date)",
        }
    ]


def test_api_listing_with_a_number_for_a_date_is_422(client: TestClient, actors: Actors) -> None:
    response = client.post(
        "/v1/listings", json=listing_payload(application_date=0), headers=actors.tto.headers
    )

    assert response.status_code == 422, response.text
    assert response.json()["detail"] == [
        {
            "msg": 'a date cannot be the number 0; write it as text such as "2017-07-25"',
            "type": "date_type",
            "loc": ["body", "application_date"],
        }
    ]
