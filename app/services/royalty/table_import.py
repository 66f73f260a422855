"""Import an official statistics table for royalty guidance (`patentbridge royalty import`).

The operator downloads a CNIPA licence-statistics table or an NBS profit-by-industry table,
saves it as CSV (UTF-8 or GBK) or XLSX, and imports it with its year and source. The table is
checked row by row and stored whole or not at all: a statistics table with holes would
silently change suggestions, so one bad row refuses the file and the report names every
problem (row, field, reason). Every imported table is kept with its source; suggestions use
the newest year for each industry. Importing the same file again changes nothing.

Columns are recognised as `app.services.royalty.table_columns` describes.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache

import openpyxl
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.errors import InvalidInput, PayloadTooLarge
from app.ingest.readers import ImportLimits as _Limits
from app.ingest.readers import check_workbook, decode_text, detect_format
from app.models import RoyaltyTable, RoyaltyTableKind, RoyaltyTableRow
from app.services.royalty import table_columns as columns
from app.validation.industry import load_industries, normalize_industry_code

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 1_000
_HEADER_SEARCH_ROWS = 10
_FILE = ("file",)
_TOTAL_NAMES = ("合计", "总计", "全国", "全国合计", "总计合计", "规模以上工业企业合计", "total")
_MISSING = ("", "-", "—", "--", "…", "...", "x", "/", "n/a", "na")


@dataclass(frozen=True)
class RowProblem:
    """One rejected value: the spreadsheet row (header = 1), the field and why."""

    row: int
    field: str
    msg: str


@dataclass
class RoyaltyImportReport:
    """What an import did (or, with `dry_run`, would do)."""

    kind: RoyaltyTableKind
    year: int
    filename: str
    rows: int = 0
    industries: list[str] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    dry_run: bool = False
    committed: bool = False
    table_id: int | None = None
    unchanged: bool = False


def import_table(
    *,
    session: Session,
    content: bytes,
    filename: str,
    year: int,
    source_title: str,
    source_reference: str,
    kind: RoyaltyTableKind | None = None,
    dry_run: bool = False,
) -> RoyaltyImportReport:
    """Validate a statistics table and store it whole, or report why not; never commits."""
    if not 1990 <= year <= 2100:
        raise InvalidInput(f"year {year} is not a plausible statistics year", loc=("year",))
    if not source_title.strip() or not source_reference.strip():
        raise InvalidInput(
            "give the table's source: a title and a URL or document number",
            loc=("source",),
        )
    table = _read_table(content, filename)
    header_row, headers = _find_header(table)
    found, ignored = columns.recognise(headers)
    kind = kind or _detect_kind(found)
    wanted = (
        columns.NBS_FIELDS if kind is RoyaltyTableKind.NBS_INDUSTRY_PROFIT else columns.CNIPA_FIELDS
    )
    kept = [c for c in found if c.field in (columns.INDUSTRY, *wanted)]
    ignored += [c.header for c in found if c not in kept]
    _check_columns(kept, kind)
    report = RoyaltyImportReport(
        kind=kind, year=year, filename=filename, ignored_columns=ignored, dry_run=dry_run
    )
    parsed: list[RoyaltyTableRow] = []
    seen: dict[str, int] = {}
    for number, cells in table[header_row:]:
        if all(_blank(c) for c in cells) or _is_note(cells):
            continue
        report.rows += 1
        row = _parse_row(number, cells, kept, kind, seen, report.problems)
        if row is not None:
            parsed.append(row)
    if report.rows == 0:
        raise InvalidInput("the table has a header but no data rows", loc=_FILE)
    report.industries = [row.industry_code for row in parsed]
    if report.problems or dry_run:
        return report
    digest = hashlib.sha256(content).hexdigest()
    existing = session.scalar(
        select(RoyaltyTable).where(
            RoyaltyTable.kind == kind,
            RoyaltyTable.year == year,
            RoyaltyTable.content_hash == digest,
        )
    )
    if existing is not None:
        report.unchanged, report.table_id = True, existing.id
        return report
    stored = RoyaltyTable(
        kind=kind,
        year=year,
        source_title=source_title.strip(),
        source_reference=source_reference.strip(),
        filename=filename[:255],
        content_hash=digest,
        row_count=len(parsed),
    )
    session.add(stored)
    session.flush()
    for row in parsed:
        row.table_id = stored.id
    session.add_all(parsed)
    session.flush()
    report.committed, report.table_id = True, stored.id
    return report


def list_tables(*, session: Session) -> list[RoyaltyTable]:
    """Return every imported table, newest year first."""
    return list(
        session.scalars(
            select(RoyaltyTable).order_by(RoyaltyTable.year.desc(), RoyaltyTable.id.desc())
        )
    )


# --- reading -----------------------------------------------------------------------------


def _read_table(content: bytes, filename: str) -> list[tuple[int, list[object]]]:
    if len(content) > MAX_BYTES:
        raise PayloadTooLarge(f"the file is over {MAX_BYTES // (1024 * 1024)} MB", loc=_FILE)
    fmt = detect_format(content, filename)
    if fmt == "jsonl":
        raise InvalidInput("a statistics table must be a .csv or .xlsx file", loc=_FILE)
    if fmt == "xlsx":
        # The same zip-bomb guard as listing imports, before anything is inflated.
        check_workbook(content, _Limits())
        try:
            workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
            try:
                sheet = workbook.worksheets[0]
                rows = [list(r) for r in sheet.iter_rows(values_only=True, max_row=MAX_ROWS + 21)]
            finally:
                workbook.close()
        except Exception as exc:  # openpyxl raises anything from KeyError to ParseError
            raise InvalidInput(
                f"the workbook cannot be read ({type(exc).__name__}); save it again as .xlsx",
                loc=_FILE,
            ) from exc
    else:
        text, _encoding = decode_text(content)
        first = next((line for line in text.splitlines() if line.strip()), "")
        delimiter = "\t" if first.count("\t") > first.count(",") else ","
        rows = [list(r) for r in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
    if len(rows) > MAX_ROWS + 20:
        raise PayloadTooLarge(f"the table has more than {MAX_ROWS} rows", loc=_FILE)
    return list(enumerate(rows, start=1))


def _find_header(table: list[tuple[int, list[object]]]) -> tuple[int, list[str]]:
    """Return the index of the first data row and the (combined) headers."""
    for position, (_number, cells) in enumerate(table[:_HEADER_SEARCH_ROWS]):
        if any(columns.is_industry_header(c) for c in cells):
            following = table[position + 1][1] if position + 1 < len(table) else []
            if columns.looks_like_subheader(following):
                return position + 2, columns.combine_headers(cells, following)
            return position + 1, columns.combine_headers(cells, None)
    raise InvalidInput(
        "no header row with an industry column (行业, 行业名称, 行业代码, 门类 or industry) in "
        f"the first {_HEADER_SEARCH_ROWS} rows",
        loc=_FILE,
    )


def _detect_kind(found: list[columns.Column]) -> RoyaltyTableKind:
    fields = {c.field for c in found}
    nbs = bool(fields & set(columns.NBS_FIELDS))
    cnipa = bool(fields & set(columns.CNIPA_FIELDS))
    if nbs and not cnipa:
        return RoyaltyTableKind.NBS_INDUSTRY_PROFIT
    if cnipa and not nbs:
        return RoyaltyTableKind.CNIPA_LICENCE_STATS
    raise InvalidInput(
        "cannot tell whether this is an NBS profit table or a CNIPA licence table from its "
        "headers; pass --kind nbs_industry_profit or --kind cnipa_licence_stats",
        loc=_FILE,
    )


def _check_columns(kept: list[columns.Column], kind: RoyaltyTableKind) -> None:
    fields = [c.field for c in kept]
    for name in set(fields):
        if fields.count(name) > 1:
            headers = [c.header for c in kept if c.field == name]
            raise InvalidInput(f"several columns hold {name}: {headers}", loc=_FILE)
    if kind is RoyaltyTableKind.NBS_INDUSTRY_PROFIT:
        if "margin_pct" not in fields and not {"revenue_100m_yuan", "profit_100m_yuan"} <= set(
            fields
        ):
            raise InvalidInput(
                "an NBS table needs 营业收入 and 利润总额 columns (or 营业收入利润率)", loc=_FILE
            )
    elif not {"rate_mean_pct", "rate_median_pct"} & set(fields):
        raise InvalidInput(
            "a CNIPA licence table needs a royalty-rate column (提成费率 平均值 or 中位数)",
            loc=_FILE,
        )


# --- rows --------------------------------------------------------------------------------


def _parse_row(
    number: int,
    cells: list[object],
    kept: list[columns.Column],
    kind: RoyaltyTableKind,
    seen: dict[str, int],
    problems: list[RowProblem],
) -> RoyaltyTableRow | None:
    before = len(problems)
    values: dict[str, float | None] = {}
    code: str | None = None
    for column in kept:
        raw = cells[column.index] if column.index < len(cells) else None
        if column.field == columns.INDUSTRY:
            code = _industry(raw, number, problems)
            continue
        values[column.field] = _number(raw, column, number, problems)
    if code is not None:
        if code in seen:
            problems.append(
                RowProblem(number, "industry", f"{code} is already given in row {seen[code]}")
            )
        else:
            seen[code] = number
    _check_values(values, kind, number, problems)
    if len(problems) > before or code is None:
        return None
    row = RoyaltyTableRow(row_number=number, industry_code=code)
    for name, value in values.items():
        setattr(row, name, int(value) if name == "contracts" and value is not None else value)
    if kind is RoyaltyTableKind.NBS_INDUSTRY_PROFIT and row.margin_pct is None:
        assert row.revenue_100m_yuan and row.profit_100m_yuan is not None
        row.margin_pct = round(100 * row.profit_100m_yuan / row.revenue_100m_yuan, 3)
    return row


def _industry(raw: object, number: int, problems: list[RowProblem]) -> str | None:
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(raw or "")))
    text = text.lstrip("#*").removeprefix("其中:").removeprefix("其中")
    if not text:
        problems.append(RowProblem(number, "industry", "the industry is empty"))
        return None
    if text.casefold() in _TOTAL_NAMES:
        return "TOTAL"
    by_name = _industries_by_name()
    if text in by_name:
        return by_name[text]
    try:
        return normalize_industry_code(text)
    except ValueError:
        problems.append(
            RowProblem(
                number,
                "industry",
                f"{str(raw).strip()!r} is not a GB/T 4754-2017 section or division name or code",
            )
        )
        return None


@cache
def _industries_by_name() -> dict[str, str]:
    return {re.sub(r"\s+", "", i.name_zh): code for code, i in load_industries().items()}


def _number(
    raw: object, column: columns.Column, number: int, problems: list[RowProblem]
) -> float | None:
    if raw is None or (isinstance(raw, str) and raw.strip().casefold() in _MISSING):
        return None
    if isinstance(raw, bool):
        raw = str(raw)
    if isinstance(raw, int | float):
        value = float(raw)
    else:
        text = unicodedata.normalize("NFKC", str(raw)).strip().replace(",", "").rstrip("%")
        try:
            value = float(text)
        except ValueError:
            problems.append(
                RowProblem(number, column.field, f"{str(raw).strip()!r} is not a number")
            )
            return None
    if not math.isfinite(value):
        problems.append(RowProblem(number, column.field, f"{raw!r} is not a finite number"))
        return None
    return value * column.scale


def _check_values(
    values: dict[str, float | None], kind: RoyaltyTableKind, number: int, problems: list[RowProblem]
) -> None:
    def problem(name: str, msg: str) -> None:
        problems.append(RowProblem(number, name, msg))

    for name in ("rate_mean_pct", "rate_median_pct", "rate_p25_pct", "rate_p75_pct"):
        value = values.get(name)
        if value is not None and not 0 <= value <= 100:
            problem(name, f"a royalty rate of {value:g}% is outside 0–100%")
    for name in ("contracts", "fixed_fee_mean_yuan", "revenue_100m_yuan"):
        value = values.get(name)
        if value is not None and value < 0:
            problem(name, f"{value:g} is negative")
    contracts = values.get("contracts")
    if contracts is not None and contracts != int(contracts):
        problem("contracts", f"{contracts:g} contracts is not a whole number")
    margin = values.get("margin_pct")
    if margin is not None and not -100 <= margin <= 100:
        problem("margin_pct", f"a profit margin of {margin:g}% is outside -100–100%")
    ordered = [values.get(n) for n in ("rate_p25_pct", "rate_median_pct", "rate_p75_pct")]
    present = [v for v in ordered if v is not None]
    if present != sorted(present):
        problem("rate_median_pct", "the 25% quantile, median and 75% quantile are out of order")
    if kind is RoyaltyTableKind.NBS_INDUSTRY_PROFIT:
        revenue, profit = values.get("revenue_100m_yuan"), values.get("profit_100m_yuan")
        if margin is None and (revenue is None or profit is None):
            missing = "revenue_100m_yuan" if revenue is None else "profit_100m_yuan"
            problem(missing, "营业收入 and 利润总额 are both needed to compute the margin")
        elif margin is None and revenue == 0:
            problem("revenue_100m_yuan", "revenue is zero, so no margin can be computed")
    elif values.get("rate_mean_pct") is None and values.get("rate_median_pct") is None:
        problem("rate_median_pct", "no royalty rate (提成费率 平均值 or 中位数) is given")


def _blank(cell: object) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _is_note(cells: list[object]) -> bool:
    """Return whether a row is a footnote (注: …, 数据来源: …) under the table."""
    first = next((str(c).strip() for c in cells if not _blank(c)), "")
    filled = sum(1 for c in cells if not _blank(c))
    return filled == 1 and first.startswith(
        ("注", "说明", "数据来源", "资料来源", "note", "source")
    )
