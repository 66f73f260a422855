"""`patentbridge royalty import`: validation with row-level errors, storage, re-import, CLI.

The figures in these test tables are made up: they test the import, they are never shipped.
"""

from __future__ import annotations

import io
from typing import Any

import openpyxl
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from app.cli import cli
from app.core.errors import InvalidInput
from app.models import RoyaltyTable, RoyaltyTableKind, RoyaltyTableRow
from app.services.royalty.table_import import RoyaltyImportReport, import_table

# The layout of NBS's 《规模以上工业企业主要财务指标（分行业）》: a title row, a group header
# and a second header row under it.
NBS = """2023年规模以上工业企业主要财务指标（分行业）,,,,,,
行业,营业收入,,营业成本,,利润总额,
,金额(亿元),比上年增长(%),金额(亿元),比上年增长(%),金额(亿元),比上年增长(%)
总计,1000,1.1,800,1.2,50,-2.3
煤炭开采和洗选业,200,-13.1,150,-7.2,40,-25.3
　通用设备制造业,500,2.0,400,1.0,30,10.3
注：测试数据,,,,,,
"""
CNIPA = (
    "行业门类,合同数量,提成费率平均值(%),提成费率中位数(%),"
    "按固定或可折算金额支付平均金额(万元)\n"
    "制造业,120,4.5,4.0,80\n"
    "C34,45,5.2,5.0,60\n"
    "信息传输、软件和信息技术服务业,30,6,5.5,-\n"
)


def run(session: Session, text: str, **options: Any) -> RoyaltyImportReport:
    fields: dict[str, Any] = {
        "session": session,
        "content": text.encode("utf-8"),
        "filename": "table.csv",
        "year": 2023,
        "source_title": "test table",
        "source_reference": "https://example.org/test",
    }
    return import_table(**(fields | options))


def problems(report: RoyaltyImportReport) -> list[tuple[int, str]]:
    return [(p.row, p.field) for p in report.problems]


def stored_tables(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(RoyaltyTable)) or 0


def test_nbs_table_with_two_header_rows_is_stored_with_computed_margins(session: Session) -> None:
    report = run(session, NBS)
    assert report.kind is RoyaltyTableKind.NBS_INDUSTRY_PROFIT
    assert report.committed and report.problems == []
    assert report.industries == ["TOTAL", "B06", "C34"]
    assert "营业成本 金额(亿元)" in report.ignored_columns
    rows = {
        r.industry_code: r
        for r in session.scalars(
            select(RoyaltyTableRow).where(RoyaltyTableRow.table_id == report.table_id)
        )
    }
    assert rows["C34"].margin_pct == 6.0
    assert rows["B06"].margin_pct == 20.0
    assert rows["C34"].row_number == 6
    table = session.get(RoyaltyTable, report.table_id)
    assert table is not None and table.source_reference == "https://example.org/test"


def test_cnipa_table_by_section_name_and_code_is_stored(session: Session) -> None:
    report = run(session, CNIPA, year=2024)
    assert report.kind is RoyaltyTableKind.CNIPA_LICENCE_STATS
    assert report.industries == ["C", "C34", "I"]
    row = session.scalar(
        select(RoyaltyTableRow).where(
            RoyaltyTableRow.table_id == report.table_id, RoyaltyTableRow.industry_code == "C34"
        )
    )
    assert row is not None
    assert (row.contracts, row.rate_mean_pct, row.rate_median_pct) == (45, 5.2, 5.0)
    assert row.fixed_fee_mean_yuan == 600_000


def test_import_rejects_rows_with_reasons_and_stores_nothing(session: Session) -> None:
    bad = (
        "行业,合同数量,提成费率平均值(%),提成费率中位数(%),提成费率25%分位数,提成费率75%分位数\n"
        "机械制造业,10,3,3,2,4\n"  # not a GB/T 4754 name
        "C34,ten,3,3,2,4\n"  # not a number
        "C39,10,130,3,2,4\n"  # rate over 100%
        "C40,10,3,3,5,4\n"  # quantiles out of order
        "C40,10,3,3,2,4\n"  # duplicate industry
        "C41,10.5,-,-,-,-\n"  # fractional contracts and no rate at all
        "C42,10,3,3,2,4\n"  # valid
    )
    report = run(session, bad)
    assert not report.committed
    assert problems(report) == [
        (2, "industry"),
        (3, "contracts"),
        (4, "rate_mean_pct"),
        (5, "rate_median_pct"),
        (6, "industry"),
        (7, "contracts"),
        (7, "rate_median_pct"),
    ]
    assert "not a GB/T 4754-2017" in report.problems[0].msg
    assert "'ten' is not a number" in report.problems[1].msg
    assert "already given in row 5" in report.problems[4].msg
    assert stored_tables(session) == 0


def test_nbs_row_without_profit_is_rejected(session: Session) -> None:
    report = run(session, "行业,营业收入(亿元),利润总额(亿元)\n汽车制造业,1000,\n")
    assert problems(report) == [(2, "profit_100m_yuan")]


def test_dry_run_validates_without_writing(session: Session) -> None:
    report = run(session, NBS, dry_run=True)
    assert report.problems == [] and not report.committed
    assert stored_tables(session) == 0


def test_same_file_again_changes_nothing(session: Session) -> None:
    first = run(session, NBS)
    again = run(session, NBS)
    assert again.unchanged and not again.committed
    assert again.table_id == first.table_id
    assert stored_tables(session) == 1


def test_xlsx_table_is_read(session: Session) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in (["行业", "营业收入(亿元)", "利润总额(亿元)"], ["仪器仪表制造业", 100, 12.5]):
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    report = run(session, "", content=buffer.getvalue(), filename="nbs.xlsx")
    assert report.industries == ["C40"] and report.committed


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("名称,数值\n制造业,1\n", "no header row with an industry column"),
        ("行业,合同数量\n制造业,1\n", "needs a royalty-rate column"),
        ("行业,利润总额(亿元),提成费率平均值\n制造业,1,2\n", "cannot tell"),
        ("行业,营业收入(亿元),利润总额(亿元)\n", "no data rows"),
    ],
)
def test_file_level_problems_are_refused_with_a_reason(
    session: Session, text: str, message: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        run(session, text)
    assert message in caught.value.msg


def test_source_is_required(session: Session) -> None:
    with pytest.raises(InvalidInput, match="source"):
        run(session, NBS, source_reference=" ")


def test_cli_reports_rejected_rows_and_exits_1(tmp_path: Any, monkeypatch: Any) -> None:
    database = tmp_path / "cli.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{database}")
    from app.core.config import get_settings

    get_settings.cache_clear()
    runner = CliRunner()
    try:
        assert runner.invoke(cli, ["migrate"]).exit_code == 0
        good, bad = tmp_path / "nbs.csv", tmp_path / "bad.csv"
        good.write_text(NBS, encoding="gb18030")
        bad.write_text("行业,营业收入(亿元),利润总额(亿元)\n不存在的行业,1,1\n", encoding="utf-8")
        options = ["--year", "2023", "--source", "NBS 2023", "--reference", "https://x.test"]
        result = runner.invoke(cli, ["royalty", "import", str(bad), *options])
        assert result.exit_code == 1
        assert "不存在的行业" in result.output
        result = runner.invoke(cli, ["royalty", "import", str(good), *options])
        assert result.exit_code == 0, result.output
        listed = runner.invoke(cli, ["royalty", "list"])
        assert "nbs_industry_profit\t2023\t3 rows" in listed.output
    finally:
        get_settings.cache_clear()
