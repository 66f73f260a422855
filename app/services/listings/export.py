"""Export of an organisation's listings as a CSV file that the import reads back unchanged.

UTF-8 with a byte-order mark, so that Excel shows Chinese correctly; the headers are the
import's own Chinese headers; text that a spreadsheet would run as a formula is neutralised.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.ingest.cells import neutralise
from app.models import Listing, ListingStatus
from app.services.listings.service import fields_of

# (field, header): every header is one the import recognises.
COLUMNS: Final = (
    ("patent_number", "专利号"),
    ("title", "名称"),
    ("abstract", "摘要"),
    ("claims", "权利要求"),
    ("ipc_codes", "IPC分类号"),
    ("patent_type", "专利类型"),
    ("application_date", "申请日"),
    ("grant_date", "授权日"),
    ("expiry_date", "到期日"),
    ("legal_status", "法律状态"),
    ("industry_code", "行业代码"),
    ("province", "省份"),
    ("contact", "联系方式"),
    ("royalty_type", "许可费类型"),
    ("rate_percent", "提成比例(%)"),
    ("fixed_fee_yuan", "固定费用"),
    ("entry_fee_yuan", "入门费"),
    ("term_years", "许可期限"),
)
_BOM: Final = "\ufeff"


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        value = "; ".join(str(item) for item in value)
    if isinstance(value, float):
        return repr(value)  # every digit, never an exponent below 1e16
    if isinstance(value, str):
        return neutralise(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _row(listing: Listing) -> list[str]:
    fields = fields_of(listing)
    licence = fields.pop("licence")
    flat = fields | licence
    return [_cell(flat.get(name)) for name, _ in COLUMNS]


def listings_csv(*, session: Session, organisation_id: int, status: ListingStatus | None) -> bytes:
    """Return an organisation's listings (of one status, or all) as CSV bytes, oldest first."""
    query = select(Listing).where(Listing.organisation_id == organisation_id)
    if status is not None:
        query = query.where(Listing.status == status)
    buffer = io.StringIO()
    buffer.write(_BOM)
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([header for _, header in COLUMNS])
    for listing in session.scalars(query.order_by(Listing.id)):
        writer.writerow(_row(listing))
    return buffer.getvalue().encode("utf-8")
