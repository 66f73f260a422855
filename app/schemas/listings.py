"""The bodies of a listing: its licence terms, create, update and read."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from app.core.i18n import tr
from app.models import ListingStatus, PatentType, RoyaltyType
from app.schemas.common import (
    CalendarDate,
    IndustryCode,
    NullableText,
    OptionalCalendarDate,
    OptionalText,
    OrganisationRef,
    Province,
    RatePercent,
    StrictBody,
    Text,
    Yuan,
    blank_to_none,
    clean_text,
    field_error,
)
from app.validation.ipc import parse_ipc_list
from app.validation.labels import field_name, value_name
from app.validation.patent_number import normalize_patent_number, patent_type_from_number
from app.validation.terms import add_years, term_years


def _ipc_list_or_none(value: object) -> object:
    return None if value is None else parse_ipc_list(value)


class LicenceTerms(StrictBody):
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


class ListingFields(StrictBody):
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
    industry_code: Annotated[IndustryCode | None, BeforeValidator(blank_to_none)] = None
    licence: LicenceTerms
    province: Annotated[Province | None, BeforeValidator(blank_to_none)] = None
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


class ListingUpdate(StrictBody):
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
