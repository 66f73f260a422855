"""The building blocks every body shares: cleaned text, calendar dates, amounts, ids, pages."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Any, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

from app.core.errors import Problem
from app.core.i18n import Localized, tr
from app.models import OrganisationKind
from app.validation.industry import normalize_industry_code
from app.validation.messages import message_of
from app.validation.province import normalize_province

# Tab and newline are kept (abstracts and claims have paragraphs); every other control
# character is dropped because it is never meaningful in a patent text and breaks exports.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def field_error(field: str, msg: str | Localized) -> PydanticCustomError:
    """Return a model-level validation error that still names the field at fault.

    Pydantic gives errors raised in a model validator an empty location; the field travels in
    the error's context instead, and the API and import report read it from there.
    """
    return PydanticCustomError("value_error", "{msg}", {"field": field, "msg": msg})


def clean_text(value: object) -> object:
    """Return `value` NFC-normalised, stripped and without control characters, if a string."""
    if not isinstance(value, str):
        return value
    return _CONTROL.sub("", unicodedata.normalize("NFC", value)).strip()


def blank_to_none(value: object) -> object:
    cleaned = clean_text(value)
    return None if cleaned == "" else cleaned


def _not_a_timestamp(value: object) -> object:
    # Pydantic reads a JSON number as Unix time (0 is 1970-01-01): no listing date means that.
    if isinstance(value, int | float) and not isinstance(value, bool):
        msg = tr(
            '日期不能是数字 {value}；请写成 "2017-07-25" 这样的文本',
            'a date cannot be the number {value}; write it as text such as "2017-07-25"',
            value=value,
        )
        raise PydanticCustomError("date_type", "{msg}", {"msg": msg})
    return value


# A calendar date given as text (or a date): never a number of seconds since 1970.
CalendarDate = Annotated[date, BeforeValidator(_not_a_timestamp)]
OptionalCalendarDate = Annotated[date | None, BeforeValidator(_not_a_timestamp)]


Text = Annotated[str, BeforeValidator(clean_text)]
OptionalText = Annotated[str | None, BeforeValidator(blank_to_none)]
# A text field of an edit: absent by default, cleaned and length-checked like on create. Not
# `Text | None`: length limits on that union get pydantic's generic "at least 1 item" message.
NullableText = Annotated[str | None, BeforeValidator(clean_text)]
IndustryCode = Annotated[str, AfterValidator(normalize_industry_code)]
Province = Annotated[str, AfterValidator(normalize_province)]


def _quantize(value: float, step: str) -> float:
    if not math.isfinite(value) or abs(value) >= 1e15:
        return value  # far out of range: the range check that follows rejects it
    return float(Decimal(str(value)).quantize(Decimal(step), rounding=ROUND_HALF_UP))


def _to_fen(value: float) -> float:
    return _quantize(value, "0.01")


def _to_thousandth(value: float) -> float:
    return _quantize(value, "0.001")


# Amounts are rounded to the scale of their columns before they are range-checked and hashed;
# otherwise PostgreSQL rounds on write and the response, the stored row and the content hash
# disagree (SQLite keeps every digit), so a no-change edit would bump the version.
Yuan = Annotated[float, AfterValidator(_to_fen)]
RatePercent = Annotated[float, AfterValidator(_to_thousandth)]
_MAX_SALES_YUAN = 1e13


def _real_sales(value: float) -> float:
    # Sales of 0 would price every fee at 0: a demand that does not know its sales says nothing.
    if value < 1:
        msg = tr(
            "预计年销售额应至少为 1 元；不清楚时请不填，费用将按年销售额示例估算",
            "expected annual sales must be at least 1 yuan; leave them out if unknown, and the "
            "fees are priced for an example",
        )
        raise PydanticCustomError("greater_than_equal", "{msg}", {"ge": 1, "msg": msg})
    if not value <= _MAX_SALES_YUAN:
        msg = tr(
            "预计年销售额最多 10 万亿元（10,000,000,000,000 元）；请按元填写",
            "expected annual sales must be at most 10,000,000,000,000 yuan; write them in yuan",
        )
        raise PydanticCustomError("less_than_equal", "{msg}", {"le": _MAX_SALES_YUAN, "msg": msg})
    return value


AnnualSales = Annotated[Yuan, AfterValidator(_real_sales), Field(ge=1, le=_MAX_SALES_YUAN)]
ANNUAL_SALES = (
    "预计年销售额: the SME's expected annual net sales of the product using the patent, in "
    "yuan; the lump sum and entry fee of its matches are priced for it (without it, for an "
    "example of sales)"
)


class StrictBody(BaseModel):
    """A request body: unknown fields are refused and every text is capped."""

    model_config = ConfigDict(extra="forbid", str_max_length=200_000)


class OrganisationRef(BaseModel):
    id: int
    name: str
    kind: OrganisationKind
    province: str | None


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


# Ids are 32-bit integers in the database; a larger one is invalid input, not a crash.
MAX_ID = 2**31 - 1
RowId = Annotated[int, Field(ge=1, le=MAX_ID)]


def validation_problems(
    errors: Sequence[Mapping[str, Any]], prefix: tuple[str | int, ...] = ()
) -> list[Problem]:
    """Return pydantic errors as located problems, restoring the field of model-level errors."""
    problems = []
    for error in errors:
        loc = tuple(error.get("loc", ()))
        ctx = error.get("ctx") or {}
        field = ctx.get("field") if isinstance(ctx, Mapping) else None
        if isinstance(field, str) and field not in loc:
            loc = (*loc, field)
        problems.append(
            Problem(msg=message_of(error), loc=(*prefix, *loc), type=str(error.get("type", "")))
        )
    return problems
