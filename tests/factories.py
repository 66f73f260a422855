"""Factories for test data: organisations with keys, and valid listing payloads."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from app.models import Organisation, OrganisationKind, Role
from app.services import keys, organisations
from app.validation.patent_number import check_digit

_serial = itertools.count(1)


def patent_number(year: int = 2019, kind: int = 1, serial: int | None = None) -> str:
    """Return a valid, unique CN application number such as 201910000001.X."""
    digits = f"{year:04d}{kind}{serial if serial is not None else next(_serial):07d}"
    return f"{digits}.{check_digit(digits)}"


def listing_payload(**overrides: Any) -> dict[str, Any]:
    """Return a valid `POST /v1/listings` body; keyword arguments replace fields."""
    body: dict[str, Any] = {
        "patent_number": patent_number(),
        "title": "一种基于深度学习的轴承故障诊断方法",
        "abstract": "本发明公开了一种基于深度学习的轴承故障诊断方法，采集振动信号并提取时频特征，"
        "利用卷积神经网络识别故障类型，诊断准确率高，适用于数控机床主轴。",
        "ipc_codes": ["G06N 3/08", "G01M 13/045"],
        "patent_type": "invention",
        "application_date": "2019-03-15",
        "grant_date": "2021-06-01",
        "industry_code": "C34",
        "licence": {"royalty_type": "percentage", "rate_percent": 3.0, "term_years": 3},
        "contact": "技术转移中心 王老师",
    }
    body.update(overrides)
    return body


@dataclass(frozen=True)
class Actor:
    organisation: Organisation
    key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"X-API-Key": self.key}


@dataclass(frozen=True)
class Actors:
    """Two universities, two enterprises and an operator, each with a key."""

    tto: Actor
    other_tto: Actor
    sme: Actor
    other_sme: Actor
    operator: Actor


def make_actor(
    session: Session, name: str, kind: OrganisationKind, role: Role, province: str | None = None
) -> Actor:
    """Create an organisation (if new) and a key for it."""
    org = organisations.ensure(session=session, name=name, kind=kind, province=province)
    return Actor(
        organisation=org, key=keys.create(session=session, organisation=org, role=role).plaintext
    )


def make_actors(session: Session) -> Actors:
    """Create the standard cast of a test."""
    return Actors(
        tto=make_actor(session, "测试大学", OrganisationKind.UNIVERSITY, Role.TTO, "浙江省"),
        other_tto=make_actor(
            session, "另一所大学", OrganisationKind.UNIVERSITY, Role.TTO, "湖北省"
        ),
        sme=make_actor(
            session, "测试精密机械有限公司", OrganisationKind.ENTERPRISE, Role.SME, "江苏省"
        ),
        other_sme=make_actor(session, "另一家科技有限公司", OrganisationKind.ENTERPRISE, Role.SME),
        operator=make_actor(session, "平台运营", OrganisationKind.PLATFORM, Role.OPERATOR),
    )
