"""A tech-transfer office's own sheet: units in headers and cells, a merged 联系人, declaration
headers, values in the wrong columns; as XLSX (real merged cells) and as the CSV Excel exports."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.app.import_files import (
    listing_by_number,
    office_csv,
    office_rows,
    office_xlsx,
    post_import,
)
from tests.factories import Actors

FILES = {
    "xlsx": ("专利开放许可清单.xlsx", office_xlsx),
    "csv": ("专利开放许可清单.csv", office_csv),
}


def _import(client: TestClient, actors: Actors, kind: str, **params: Any) -> dict[str, Any]:
    name, build = FILES[kind]
    response = post_import(client, actors.tto, build(), name, **params)
    assert response.status_code == 200, response.text
    report: dict[str, Any] = response.json()
    return report


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_office_sheet_imports_fees_in_yuan_and_keeps_the_merged_contact(
    client: TestClient, actors: Actors, kind: str
) -> None:
    report = _import(client, actors, kind)
    rows = office_rows()

    assert (report["created"], report["updated"], report["unchanged"]) == (3, 0, 0)
    fixed, percentage, entry = (
        listing_by_number(client, actors.sme, row["专利号"])["licence"] for row in rows[:3]
    )
    assert fixed == {
        "royalty_type": "fixed",
        "rate_percent": None,
        "fixed_fee_yuan": 15000.0,
        "entry_fee_yuan": None,
        "term_years": 3,
    }
    assert percentage["rate_percent"] == 3.0
    assert (entry["entry_fee_yuan"], entry["rate_percent"], entry["term_years"]) == (
        20000.0,
        2.5,
        2,
    )
    contact = listing_by_number(client, actors.sme, rows[0]["专利号"])["contact"]
    assert contact == "王老师; 0571-87950000"
    assert report["unstored_columns"] == ["专利权人", "发明人"]
    assert report["ignored_columns"] == ["序号", "项目名称", "价格"]


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_office_sheet_rejects_each_wrong_row_naming_the_column_to_change(
    client: TestClient, actors: Actors, kind: str
) -> None:
    report = _import(client, actors, kind)

    assert [(r["row"], r["field"], r["column"], r["msg"]) for r in report["rejected"]] == [
        (
            6,
            "fixed_fee_yuan",
            "合同金额（万元）",
            "column '合同金额（万元）': the unit '%' is a percentage, but this column takes an "
            "amount of money; write the rate in the royalty rate column, e.g. 3%",
        ),
        (
            7,
            "rate_percent",
            "许可费率",
            "column '许可费率': '0.03' is ambiguous: 3% or 0.03%? write it with a % sign, or "
            "put (%) in the header",
        ),
        (
            8,
            "title",
            "专利名称",
            "column '专利名称' is empty; the patent title is required; column '项目名称' has "
            "'一种低成本的污水处理装置' but is not imported; if it is the patent title, move it "
            "to column '专利名称'",
        ),
        (
            9,
            "fixed_fee_yuan",
            "合同金额（万元）",
            "column '合同金额（万元）' is empty; the fixed fee (yuan) is required; column '价格' "
            "has '50000' but is not imported; if it is the fixed fee (yuan), move it to column "
            "'合同金额（万元）' (fixed_fee_yuan is required when royalty_type is 'fixed')",
        ),
        (
            10,
            "term_years",
            "许可期限",
            "column '许可期限': the licence term is kept in whole years: '18个月' is 1.5 years; "
            "write whole years such as 1年 or 2年 (12个月, 24个月)",
        ),
    ]


def test_office_sheet_rejections_read_in_chinese(client: TestClient, actors: Actors) -> None:
    response = post_import(client, actors.tto, office_xlsx(), "清单.xlsx", language="zh")
    assert response.status_code == 200, response.text
    messages = [r["msg"] for r in response.json()["rejected"]]

    assert messages[0] == (
        "“合同金额（万元）”列：单位“%”表示百分比，但这一列应填金额；"
        "提成比例请写在提成比例(%)列，如 3%"
    )
    assert messages[2] == (
        "“专利名称”列为空；专利名称必须填写；“项目名称”列有内容“一种低成本的污水处理装置”，"
        "但这一列没有导入；如果它就是专利名称，请把它移到“专利名称”列"
    )


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_office_sheet_dry_run_previews_each_value_as_written_and_as_stored(
    client: TestClient, actors: Actors, kind: str
) -> None:
    report = _import(client, actors, kind, dry_run=True)

    assert report["committed"] is False
    assert [(p["row"], p["status"]) for p in report["preview"]] == [
        (3, "create"),
        (4, "create"),
        (5, "create"),
        (6, "rejected"),
        (7, "rejected"),
        (8, "rejected"),
        (9, "rejected"),
        (10, "rejected"),
    ]
    first = {c["column"]: (c["raw"], c["value"]) for c in report["preview"][0]["cells"]}
    assert first["合同金额（万元）"] == ("1.5", "CNY 15,000")
    assert first["许可期限"] == ("3年", "3 years")
    assert first["支付方式"] == ("固定费用", "fixed fee")
    assert first["联系人/姓名、电话"] == ("王老师; 0571-87950000", "王老师; 0571-87950000")
    entry = {c["column"]: (c["raw"], c["value"]) for c in report["preview"][2]["cells"]}
    assert entry["入门费（万元）"] == ("2", "CNY 20,000")
    assert entry["许可费率"] == ("2.5%", "2.5%")
    assert entry["许可期限"] == ("24个月", "2 years")
    rejected = {c["column"]: (c["raw"], c["value"]) for c in report["preview"][3]["cells"]}
    assert rejected["合同金额（万元）"] == ("3%", None)
    assert (
        "column '合同金额（万元）' is read in its header's unit, 万元: 1 → CNY 10,000; a unit "
        "written in a cell wins" in report["notes"]
    )
