"""Request and response bodies of the v1 API, with the validation a TTO can trust."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Any, Generic, Literal, Self, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from app.core.errors import Problem
from app.core.i18n import Localized, tr
from app.models import (
    AlertKind,
    DemandStatus,
    ListingStatus,
    OrganisationKind,
    PatentType,
    RoyaltyType,
    Verdict,
    Visibility,
)
from app.validation.industry import normalize_industry_code
from app.validation.ipc import parse_ipc_list
from app.validation.labels import field_name, value_name
from app.validation.messages import message_of
from app.validation.patent_number import normalize_patent_number, patent_type_from_number
from app.validation.province import normalize_province
from matching.royalty import RoyaltySuggestion

# Tab and newline are kept (abstracts and claims have paragraphs); every other control
# character is dropped because it is never meaningful in a patent text and breaks exports.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

# Design patents applied for from 2021-06-01 run 15 years (Patent Law 2020 amendment).
_DESIGN_15_YEARS_FROM = date(2021, 6, 1)


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


def _blank_to_none(value: object) -> object:
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


def _ipc_list_or_none(value: object) -> object:
    return None if value is None else parse_ipc_list(value)


Text = Annotated[str, BeforeValidator(clean_text)]
OptionalText = Annotated[str | None, BeforeValidator(_blank_to_none)]
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


def term_years(patent_type: PatentType, application_date: date) -> int:
    """Return the statutory term in years of a patent of this type and application date."""
    if patent_type is PatentType.INVENTION:
        return 20
    if patent_type is PatentType.UTILITY_MODEL:
        return 10
    return 15 if application_date >= _DESIGN_15_YEARS_FROM else 10


def add_years(day: date, years: int) -> date:
    """Return the same calendar day `years` later (28 February for a 29 February start)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=200_000)


class LicenceTerms(_Strict):
    """The open-licence terms a TTO declares: how the royalty is paid and how much."""

    royalty_type: RoyaltyType
    rate_percent: RatePercent | None = Field(default=None, gt=0, le=100)
    fixed_fee_yuan: Yuan | None = Field(default=None, ge=0, le=1e12)
    entry_fee_yuan: Yuan | None = Field(default=None, ge=0, le=1e12)
    term_years: int | None = Field(default=None, ge=1, le=30)

    @model_validator(mode="after")
    def _fees_fit_royalty_type(self) -> Self:
        needed: dict[RoyaltyType, set[str]] = {
            RoyaltyType.FIXED: {"fixed_fee_yuan"},
            RoyaltyType.PERCENTAGE: {"rate_percent"},
            RoyaltyType.ENTRY_PLUS_PERCENTAGE: {"entry_fee_yuan", "rate_percent"},
            RoyaltyType.FREE: set(),
            RoyaltyType.NEGOTIABLE: set(),
        }
        fee_fields = ("rate_percent", "fixed_fee_yuan", "entry_fee_yuan")
        required = needed[self.royalty_type]
        for name in fee_fields:
            given = getattr(self, name) is not None
            if name in required and not given:
                raise field_error(
                    name,
                    tr(
                        "许可费类型为{kind}时必须填写{field}",
                        "{field} is required when royalty_type is {kind}",
                        field=field_name(name),
                        kind=value_name(self.royalty_type),
                    ),
                )
            if name not in required and given:
                raise field_error(
                    name,
                    tr(
                        "许可费类型为{kind}时不用填写{field}；请删除它，或改选需要它的许可费类型",
                        "{field} is not used when royalty_type is {kind}",
                        field=field_name(name),
                        kind=value_name(self.royalty_type),
                    ),
                )
        return self


class ListingFields(_Strict):
    """Every field of a listing a TTO writes; shared by create, import and update."""

    title: Text = Field(min_length=1, max_length=500)
    abstract: Text = Field(min_length=1, max_length=20_000)
    claims: OptionalText = Field(default=None, max_length=100_000)
    ipc_codes: Annotated[list[str], BeforeValidator(parse_ipc_list)]
    patent_type: PatentType | None = None
    application_date: CalendarDate
    grant_date: OptionalCalendarDate = None
    expiry_date: OptionalCalendarDate = None
    legal_status: OptionalText = Field(default=None, max_length=50)
    industry_code: Annotated[IndustryCode | None, BeforeValidator(_blank_to_none)] = None
    licence: LicenceTerms
    province: Annotated[Province | None, BeforeValidator(_blank_to_none)] = None
    contact: OptionalText = Field(default=None, max_length=500)


class ListingCreate(ListingFields):
    """A new listing; patent type and expiry are derived when absent."""

    patent_number: Annotated[str, AfterValidator(normalize_patent_number)] = Field(max_length=40)

    @field_validator("patent_number", mode="before")
    @classmethod
    def _number_is_text(cls, value: object) -> object:
        return clean_text(value)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        implied = patent_type_from_number(self.patent_number)
        if self.patent_type is None:
            if implied is None:
                raise field_error(
                    "patent_type",
                    tr(
                        "请填写{field}：从这个专利号看不出类型；"
                        "可填 invention（发明）、utility_model（实用新型）或 design（外观设计）",
                        "{field} is required: the patent number does not say it",
                        field=field_name("patent_type"),
                    ),
                )
            self.patent_type = PatentType(implied)
        elif implied is not None and implied != self.patent_type.value:
            raise field_error(
                "patent_type",
                tr(
                    "{field}{given}与专利号 {number} 不符：其类型位表示{implied}；"
                    "请改正专利类型或专利号",
                    "{field} {given} disagrees with patent number {number}, "
                    "whose type digit means {implied}",
                    field=field_name("patent_type"),
                    given=value_name(self.patent_type),
                    number=self.patent_number,
                    implied=value_name(implied),
                ),
            )
        if self.application_date > date.today():
            raise field_error(
                "application_date",
                tr(
                    "{field}{day} 晚于今天；请填写专利申请的实际日期",
                    "{field} is in the future",
                    field=field_name("application_date"),
                    day=self.application_date,
                ),
            )
        if self.grant_date is not None and self.grant_date < self.application_date:
            raise field_error(
                "grant_date",
                tr(
                    "{grant_field}{grant} 早于{applied_field}{applied}；请核对这两个日期",
                    "{grant_field} {grant} is before {applied_field} {applied}",
                    grant_field=field_name("grant_date"),
                    applied_field=field_name("application_date"),
                    grant=self.grant_date,
                    applied=self.application_date,
                ),
            )
        statutory_end = add_years(
            self.application_date, term_years(self.patent_type, self.application_date)
        )
        if self.expiry_date is None:
            self.expiry_date = statutory_end
        elif self.expiry_date <= self.application_date:
            raise field_error(
                "expiry_date",
                tr(
                    "{expiry_field}{expiry} 不晚于{applied_field}{applied}；"
                    "请核对到期日，不确定时可留空，系统按法定期限计算",
                    "{expiry_field} {expiry} is not after {applied_field} {applied}",
                    expiry_field=field_name("expiry_date"),
                    applied_field=field_name("application_date"),
                    expiry=self.expiry_date,
                    applied=self.application_date,
                ),
            )
        elif self.grant_date is not None and self.expiry_date < self.grant_date:
            raise field_error(
                "expiry_date",
                tr(
                    "{expiry_field}{expiry} 早于{grant_field}{grant}；"
                    "请核对到期日，不确定时可留空，系统按法定期限计算",
                    "{expiry_field} {expiry} is before {grant_field} {grant}",
                    expiry_field=field_name("expiry_date"),
                    grant_field=field_name("grant_date"),
                    expiry=self.expiry_date,
                    grant=self.grant_date,
                ),
            )
        return self


class ListingUpdate(_Strict):
    """A partial edit of a listing; the patent number is its identity and cannot change."""

    title: NullableText = Field(default=None, min_length=1, max_length=500)
    abstract: NullableText = Field(default=None, min_length=1, max_length=20_000)
    claims: OptionalText = Field(default=None, max_length=100_000)
    ipc_codes: Annotated[list[str] | None, BeforeValidator(_ipc_list_or_none)] = None
    patent_type: PatentType | None = None
    application_date: OptionalCalendarDate = None
    grant_date: OptionalCalendarDate = None
    expiry_date: OptionalCalendarDate = None
    legal_status: OptionalText = Field(default=None, max_length=50)
    industry_code: OptionalText = None
    licence: LicenceTerms | None = None
    province: OptionalText = None
    contact: OptionalText = Field(default=None, max_length=500)


class OrganisationRef(BaseModel):
    id: int
    name: str
    kind: OrganisationKind
    province: str | None


class ListingRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    patent_number: str
    title: str
    abstract: str
    claims: str | None
    ipc_codes: list[str]
    patent_type: PatentType
    application_date: date
    grant_date: date | None
    expiry_date: date
    remaining_years: float
    legal_status: str | None
    industry_code: str | None
    licence: LicenceTerms
    province: str | None
    contact: str | None
    holder: OrganisationRef
    status: ListingStatus
    version: int
    created_at: datetime
    updated_at: datetime


# Alerts on new matches: the lowest fused score (the `score` of /v1/demands/{id}/matches) at
# which a new or changed listing is reported; see app/services/alerts/service.py for what it means.
AlertMinScore = Annotated[
    float | None,
    Field(
        default=None,
        gt=0,
        le=1,
        description="alert on new or changed listings whose match score reaches this (0-1]; "
        "null turns alerts off",
    ),
]


class DemandCreate(_Strict):
    """A technology demand in plain Chinese or English."""

    title: Text = Field(min_length=1, max_length=500)
    description: Text = Field(min_length=1, max_length=20_000)
    industry_code: Annotated[IndustryCode | None, BeforeValidator(_blank_to_none)] = None
    province: Annotated[Province | None, BeforeValidator(_blank_to_none)] = None
    budget_yuan: Yuan | None = Field(default=None, ge=0, le=1e12)
    annual_sales_yuan: AnnualSales | None = Field(default=None, description=ANNUAL_SALES)
    visibility: Visibility = Visibility.PRIVATE
    alert_min_score: AlertMinScore = None


class DemandUpdate(_Strict):
    title: NullableText = Field(default=None, min_length=1, max_length=500)
    description: NullableText = Field(default=None, min_length=1, max_length=20_000)
    industry_code: OptionalText = None
    province: OptionalText = None
    budget_yuan: Yuan | None = Field(default=None, ge=0, le=1e12)
    annual_sales_yuan: AnnualSales | None = Field(default=None, description=ANNUAL_SALES)
    visibility: Visibility | None = None
    alert_min_score: AlertMinScore = None


class DemandRead(BaseModel):
    id: int
    title: str
    description: str
    industry_code: str | None
    province: str | None
    budget_yuan: float | None
    annual_sales_yuan: float | None = Field(description=ANNUAL_SALES)
    visibility: Visibility
    alert_min_score: float | None
    status: DemandStatus
    owner: OrganisationRef
    version: int
    created_at: datetime
    updated_at: datetime


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


class RejectedRow(BaseModel):
    """One reason a row was refused: the field, the column header as the user wrote it."""

    row: int
    field: str
    column: str | None = Field(
        default=None, description="the header of the column at fault, as the file has it"
    )
    msg: Localized


RowStatus = Literal["create", "update", "unchanged", "rejected"]


class PreviewCell(BaseModel):
    """One cell of a previewed row: what the user wrote and what would be stored."""

    column: str = Field(description="the column header as the file has it")
    field: str
    raw: str = Field(description="the cell as written (long text cut to 60 characters)")
    value: Localized | None = Field(
        description="the stored value in words ('15,000 元'); null when it cannot be read"
    )


class PreviewRow(BaseModel):
    row: int
    status: RowStatus
    cells: list[PreviewCell]


class ImportReport(BaseModel):
    """What an import did, or would do under `dry_run`, row by row."""

    format: str
    encoding: str | None
    rows: int
    created: int
    updated: int
    unchanged: int
    rejected: list[RejectedRow]
    ignored_columns: list[str] = Field(description="unknown columns: the first 50")
    ignored_columns_total: int = 0
    unstored_columns: list[str] = Field(
        default_factory=list, description="columns recognised but not stored (专利权人, 发明人)"
    )
    notes: list[Localized] = Field(
        default_factory=list, description="units applied, merged headers, columns left out"
    )
    preview: list[PreviewRow] = Field(
        default_factory=list,
        description="the parsed values of the first 20 rows and of every rejected row",
    )
    dry_run: bool
    all_or_nothing: bool
    committed: bool


# Ids are 32-bit integers in the database; a larger one is invalid input, not a crash.
MAX_ID = 2**31 - 1
RowId = Annotated[int, Field(ge=1, le=MAX_ID)]


class FeedbackCreate(_Strict):
    demand_id: RowId
    listing_id: RowId
    verdict: Verdict
    reason: OptionalText = Field(default=None, max_length=1000)


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


class MatchFilters(_Strict):
    """Filters of a match or search; every one is optional."""

    ipc: str | None = Field(default=None, description="IPC prefix: G, G06, G06F, G06F 16")
    patent_type: PatentType | None = None
    province: str | None = None
    industry_code: str | None = Field(default=None, description="GB/T 4754 section or division")
    holder_id: RowId | None = None
    max_rate_percent: float | None = Field(default=None, gt=0, le=100)
    min_remaining_years: float | None = Field(default=None, ge=0, le=30)


class SearchRequest(_Strict):
    """An ad-hoc search: a need described in plain Chinese or English, not saved."""

    text: Text = Field(min_length=2, max_length=5_000)
    industry_code: Annotated[IndustryCode | None, BeforeValidator(_blank_to_none)] = Field(
        default=None, description="the searcher's own industry, for the classification fit"
    )
    annual_sales_yuan: AnnualSales | None = Field(
        default=None,
        description="the searcher's expected annual net sales of the product, in yuan; the "
        "results' lump sum and entry fee are priced for it (without it, for an example)",
    )
    filters: MatchFilters = Field(default_factory=MatchFilters)
    limit: int = Field(default=10, ge=1, le=100)
    offset: int = Field(default=0, ge=0, le=1_000)


class ScoreComponents(BaseModel):
    """The evidence behind a score: cosine similarity, BM25 score, industry fit (0, 0.5, 1)."""

    semantic: float | None
    lexical: float | None
    classification: float | None


class MatchExplanation(BaseModel):
    terms_found: list[str]
    best_sentence: str | None


class FigureRange(BaseModel):
    low: float
    mid: float
    high: float


class RoyaltyGuidance(BaseModel):
    """Royalty guidance in words a manager reads, in the request's language, numbers sourced.

    Each number in the text is followed by the ids of its sources (〔…〕 or […]), each named in
    full in the suggestion's `sources`.
    """

    summary: Localized
    method_label: Localized
    method: Localized  # how the range was worked out, with the figures used
    confidence_label: Localized
    confidence_reason: Localized
    how_to_improve: list[Localized]  # the data that would raise the confidence
    sales_basis: Localized  # the annual sales and the licence term the fees are priced for
    lump_sum: Localized
    entry_fee: Localized
    budget: Localized | None  # the fees against the licensee's budget, when it gave one
    declared: Localized | None  # the listing's declared fee against the range


class RoyaltyBrief(BaseModel):
    """The headline of a royalty suggestion, for result lists; `detail` returns all of it.

    The figures are those of the full suggestion for the same listing, industry, sales and
    budget, which `detail` carries; `sources` are the ids of the sources behind the range, each
    named in full at `detail`.
    """

    rate_pct: FigureRange  # % of net sales
    lump_sum_yuan: FigureRange
    entry_fee_yuan: FigureRange
    running_royalty_pct: FigureRange  # % of net sales, paid beside the entry fee
    term_years: float
    annual_sales_yuan: float  # the sales the lump sum is priced for
    # demand (the demand's annual_sales_yuan), given (by the search or request) or example
    annual_sales_origin: Literal["demand", "given", "example"]
    budget_yuan: float | None  # the demand's budget, compared with the fees, never priced from
    lump_sum_pct_of_budget: FigureRange | None
    industry_code: str | None
    industry_origin: str
    method: str
    level: str
    fallback: Localized | None  # the better evidence looked for and not found, in words
    confidence: str
    declared_position: str | None
    declared_flagged: bool
    declared_reason: Localized | None
    guidance: RoyaltyGuidance
    sources: list[str]
    detail: str


@dataclass(frozen=True)
class RoyaltyRead(RoyaltySuggestion):
    """A whole royalty suggestion, as `GET /v1/listings/{id}/royalty` returns it, in words too."""

    guidance: RoyaltyGuidance


class ListingMatch(BaseModel):
    listing: ListingRead
    score: float
    components: ScoreComponents
    explanation: MatchExplanation
    feedback: Verdict | None = None
    # Royalty guidance for the searcher's industry (issue 4), in brief: the full suggestion
    # (8 KB of inputs, coefficients and sources) is one request away at `royalty.detail`.
    royalty: RoyaltyBrief | None = None


class ListingMatchPage(BaseModel):
    items: list[ListingMatch]
    total: int
    limit: int
    offset: int
    index_version: str


class DemandMatch(BaseModel):
    demand: DemandRead
    score: float
    components: ScoreComponents
    explanation: MatchExplanation


class DemandMatchPage(BaseModel):
    items: list[DemandMatch]
    total: int
    limit: int
    offset: int
    index_version: str


class FeedbackRead(BaseModel):
    id: int
    demand_id: int
    listing_id: int
    verdict: Verdict
    reason: str | None
    created_at: datetime
    updated_at: datetime


class AuditRead(BaseModel):
    """One audit row: who (key and organisation), what (action on an entity), when."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    api_key_id: int | None
    key_prefix: str | None
    organisation_id: int | None
    action: str
    entity_type: str
    entity_id: int | None
    detail: dict[str, Any]


class ListingAlert(BaseModel):
    """A listing that newly fits a demand: new, changed, or offered on new terms."""

    id: int
    kind: AlertKind
    score: float = Field(description="the listing's match score when the alert was recorded")
    recorded_at: datetime
    listing: ListingRead
    previous_licence: LicenceTerms | None = Field(
        default=None, description="the licence terms before a fee change"
    )


class DemandAlert(BaseModel):
    """A public demand that newly fits a listing."""

    id: int
    kind: AlertKind
    score: float = Field(description="the listing's score in the demand's ranking")
    recorded_at: datetime
    demand: DemandRead


class AlertPage(BaseModel, Generic[T]):
    """Alerts after a cursor, oldest first; `cursor` is the id to pass as `after` next.

    Alert ids are random: the order is the order of `recorded_at`, never of the ids.
    """

    items: list[T]
    remaining: int = Field(description="alerts after this page")
    cursor: int
    marked_seen: bool = Field(description="whether this read advanced the seen-marker")


class IndexRun(BaseModel):
    """One re-index run (or rollback) as recorded in `index_versions`."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    status: str
    model_id: str
    index_type: str
    vector_count: int
    embedded_count: int
    expired_count: int
    watermark: datetime | None
    snapshot: str | None = Field(description="the snapshot the run left live")
    note: str | None = Field(description="unchanged, rollback to ..., or null for a build")
    started_at: datetime
    finished_at: datetime | None
    embed_seconds: float | None
    build_seconds: float | None
    error: str | None


class LiveSnapshot(BaseModel):
    """The snapshot `INDEX_DIR/CURRENT` names, from its sidecar."""

    snapshot: str
    model_id: str
    index_type: str
    count: int
    built_at: str
    watermark: str | None


class ServingIndex(BaseModel):
    """What the answering API process searches right now."""

    snapshot: str | None
    source: str
    listings: int
    watermark: datetime | None
    swaps: int = Field(description="snapshots this process swapped in since it started")


class RebuildStatus(BaseModel):
    """The last `POST /v1/index/rebuild` run of the answering process."""

    running: bool
    started_at: datetime | None
    finished_at: datetime | None
    summary: str | None
    error: str | None


class IndexStatus(BaseModel):
    """`GET /v1/index`: the live snapshot, what this process serves, and the last runs."""

    live: LiveSnapshot | None
    serving: ServingIndex
    rebuild: RebuildStatus
    kept_snapshots: list[str]
    runs: list[IndexRun]
