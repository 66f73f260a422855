"""Every error the API gives is in Chinese when the caller names no language, English on request.

Each case triggers one error twice, once without `Accept-Language` and once with `en`; both
answers must agree on status, `type` and `loc`, the first must read as Chinese and the second
as English.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from app.api.ratelimit import RateLimiter
from app.core.config import Settings
from app.search.reindex.lock import ReindexLock
from tests.factories import Actor, Actors, listing_payload, patent_number

_CJK = re.compile(r"[\u4e00-\u9fff]")
# Three ASCII words in a row: an English sentence, not a code (G06F 16/33) or a name (Guangdong).
_ENGLISH_SENTENCE = re.compile(r"[A-Za-z]+(?: +[A-Za-z]+){2,}")
# Two words are enough for an English answer: "not found", "Field required".
_ENGLISH_WORDS = re.compile(r"[A-Za-z]{2,}(?:[ ,]+[A-Za-z]+)+")


@dataclass
class World:
    """The client (sending no Accept-Language), the cast, and a way to ask in both languages."""

    client: TestClient
    actors: Actors
    settings: Settings

    def both(
        self, method: str, path: str, actor: Actor | None = None, **kwargs: Any
    ) -> tuple[Response, Response]:
        """Send the same request without Accept-Language and with `en`."""
        headers = dict(actor.headers) if actor is not None else {}
        headers |= kwargs.pop("headers", {})
        chinese = self.client.request(method, path, headers=headers, **kwargs)
        english = self.client.request(
            method, path, headers=headers | {"Accept-Language": "en"}, **kwargs
        )
        return chinese, english

    def listing(self, actor: Actor | None = None, **overrides: Any) -> dict[str, Any]:
        """Create a listing and return it."""
        response = self.client.post(
            "/v1/listings",
            json=listing_payload(**overrides),
            headers=(actor or self.actors.tto).headers,
        )
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    def demand(self, actor: Actor | None = None) -> dict[str, Any]:
        """Create a demand and return it."""
        body = {"title": "轴承在线监测", "description": "需要数控机床主轴轴承的在线故障监测技术。"}
        response = self.client.post(
            "/v1/demands", json=body, headers=(actor or self.actors.sme).headers
        )
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created


@pytest.fixture()
def world(client: TestClient, actors: Actors, settings: Settings) -> World:
    # The shared client sends Accept-Language: en; these tests need the default.
    del client.headers["Accept-Language"]
    return World(client, actors, settings)


Case = Callable[[World], tuple[Response, Response]]


def _post_listing(**overrides: Any) -> Case:
    return lambda w: w.both("POST", "/v1/listings", w.actors.tto, json=listing_payload(**overrides))


def _post_demand(**fields: Any) -> Case:
    body = {"title": "轴承在线监测", "description": "需要轴承在线监测技术。", **fields}
    return lambda w: w.both("POST", "/v1/demands", w.actors.sme, json=body)


def _get_listings(**params: Any) -> Case:
    return lambda w: w.both("GET", "/v1/listings", w.actors.sme, params=params)


def _without(field: str) -> Case:
    body = listing_payload()
    del body[field]
    return lambda w: w.both("POST", "/v1/listings", w.actors.tto, json=body)


def _duplicate_patent(w: World) -> tuple[Response, Response]:
    number = patent_number()
    w.listing(patent_number=number)
    return w.both("POST", "/v1/listings", w.actors.tto, json=listing_payload(patent_number=number))


def _listed_by_another(w: World) -> tuple[Response, Response]:
    number = patent_number()
    w.listing(w.actors.other_tto, patent_number=number)
    return w.both("POST", "/v1/listings", w.actors.tto, json=listing_payload(patent_number=number))


def _stale_listing_edit(w: World) -> tuple[Response, Response]:
    listing = w.listing()
    return w.both(
        "PATCH",
        f"/v1/listings/{listing['id']}",
        w.actors.tto,
        json={"title": "新名称"},
        headers={"If-Match": '"7"'},
    )


def _stale_demand_edit(w: World) -> tuple[Response, Response]:
    demand = w.demand()
    return w.both(
        "PATCH",
        f"/v1/demands/{demand['id']}",
        w.actors.sme,
        json={"title": "新标题"},
        headers={"If-Match": '"7"'},
    )


def _another_orgs_listing_edit(w: World) -> tuple[Response, Response]:
    listing = w.listing(w.actors.other_tto)
    return w.both("PATCH", f"/v1/listings/{listing['id']}", w.actors.tto, json={"title": "改"})


def _another_smes_demand(w: World) -> tuple[Response, Response]:
    demand = w.demand(w.actors.other_sme)
    return w.both("GET", f"/v1/demands/{demand['id']}", w.actors.sme)


def _feedback_on_unknown_listing(w: World) -> tuple[Response, Response]:
    demand = w.demand()
    body = {"demand_id": demand["id"], "listing_id": 999_999, "verdict": "relevant"}
    return w.both("POST", "/v1/feedback", w.actors.sme, json=body)


def _feedback_with_bad_verdict(w: World) -> tuple[Response, Response]:
    demand = w.demand()
    body = {"demand_id": demand["id"], "listing_id": 1, "verdict": "maybe"}
    return w.both("POST", "/v1/feedback", w.actors.sme, json=body)


def _feedback_on_another_smes_demand(w: World) -> tuple[Response, Response]:
    demand = w.demand(w.actors.other_sme)
    body = {"demand_id": demand["id"], "listing_id": 1, "verdict": "relevant"}
    return w.both("POST", "/v1/feedback", w.actors.sme, json=body)


def _rate_limited(w: World) -> tuple[Response, Response]:
    # A clock that stands still, so that the wait the message quotes is exact.
    limiter = RateLimiter(rate=0.001, burst=1, clock=lambda: 1000.0)
    w.client.app.state.rate_limiter = limiter  # type: ignore[attr-defined]
    assert w.client.get("/v1/listings", headers=w.actors.sme.headers).status_code == 200
    return w.both("GET", "/v1/listings", w.actors.sme)


def _rebuild_while_locked(w: World) -> tuple[Response, Response]:
    other = ReindexLock(w.settings.index_dir, None)
    other.acquire()
    try:
        return w.both("POST", "/v1/index/rebuild", w.actors.operator)
    finally:
        other.release()


CASES: dict[str, tuple[Case, int]] = {
    # patent numbers
    "check digit wrong": (_post_listing(patent_number="201710601862.5"), 422),
    "check digit missing": (_post_listing(patent_number="201710601862"), 422),
    "not a patent number": (_post_listing(patent_number="123"), 422),
    "application year out of range": (_post_listing(patent_number="209910601862.1"), 422),
    "patent type digit unknown": (_post_listing(patent_number="201750601862.5"), 422),
    "patent type not implied": (_post_listing(patent_number="98423456.X", patent_type=None), 422),
    "patent type disagrees": (_post_listing(patent_type="utility_model"), 422),
    # IPC
    "IPC subclass only": (_post_listing(ipc_codes=["G06F"]), 422),
    "IPC without subgroup": (_post_listing(ipc_codes=["G06F 16"]), 422),
    "IPC nonsense": (_post_listing(ipc_codes=["电池"]), 422),
    "IPC ambiguous subgroup": (_post_listing(ipc_codes=["G06F 16/3"]), 422),
    "IPC main group 0": (_post_listing(ipc_codes=["G06F 0/33"]), 422),
    "IPC empty": (_post_listing(ipc_codes=[]), 422),
    "IPC too many": (_post_listing(ipc_codes=[f"G06F {n}/00" for n in range(1, 60)]), 422),
    "IPC not a list": (_post_listing(ipc_codes=5), 422),
    # industry and province
    "industry section unknown": (_post_listing(industry_code="Z"), 422),
    "industry too fine": (_post_listing(industry_code="C3911"), 422),
    "industry division unknown": (_post_listing(industry_code="98"), 422),
    "industry division in another section": (_post_listing(industry_code="A39"), 422),
    "industry nonsense": (_post_listing(industry_code="制造"), 422),
    "province unknown": (_post_listing(province="火星"), 422),
    # dates
    "application date in the future": (_post_listing(application_date="2999-01-01"), 422),
    "grant before application": (_post_listing(grant_date="2019-01-01"), 422),
    "expiry not after application": (_post_listing(expiry_date="2019-03-15"), 422),
    "expiry before grant": (_post_listing(expiry_date="2020-01-01"), 422),
    "date unreadable": (_post_listing(application_date="去年"), 422),
    # fields and numbers
    "title missing": (_without("title"), 422),
    "abstract missing": (_without("abstract"), 422),
    "title too long": (_post_listing(title="长" * 501), 422),
    "unknown field": (_post_listing(colour="red"), 422),
    "rate missing for percentage": (_post_listing(licence={"royalty_type": "percentage"}), 422),
    "rate given for free": (
        _post_listing(licence={"royalty_type": "free", "rate_percent": 2}),
        422,
    ),
    "fixed fee missing": (_post_listing(licence={"royalty_type": "fixed"}), 422),
    "rate out of range": (
        _post_listing(licence={"royalty_type": "percentage", "rate_percent": 150}),
        422,
    ),
    "term out of range": (
        _post_listing(licence={"royalty_type": "free", "term_years": 31}),
        422,
    ),
    "royalty type unknown": (_post_listing(licence={"royalty_type": "barter"}), 422),
    "body not JSON": (
        lambda w: w.both(
            "POST",
            "/v1/listings",
            w.actors.tto,
            content=b"{not json",
            headers={"Content-Type": "application/json"},
        ),
        422,
    ),
    # filters
    "filter patent type unknown": (_get_listings(patent_type="gadget"), 422),
    "filter IPC prefix": (_get_listings(ipc="XYZ"), 422),
    "filter province": (_get_listings(province="火星"), 422),
    "filter industry": (_get_listings(industry_code="Z"), 422),
    "filter limit too big": (_get_listings(limit=1000), 422),
    "filter rate not a number": (_get_listings(max_rate_percent="三"), 422),
    # demands and search
    "demand description missing": (
        lambda w: w.both("POST", "/v1/demands", w.actors.sme, json={"title": "轴承"}),
        422,
    ),
    "demand budget negative": (_post_demand(budget_yuan=-1), 422),
    "demand visibility unknown": (_post_demand(visibility="friends"), 422),
    "demand alert score too high": (_post_demand(alert_min_score=2), 422),
    "demand province unknown": (_post_demand(province="火星"), 422),
    "demand industry unknown": (_post_demand(industry_code="Z"), 422),
    "search text without words": (
        lambda w: w.both("POST", "/v1/search", w.actors.sme, json={"text": "。。。"}),
        422,
    ),
    "search text too short": (
        lambda w: w.both("POST", "/v1/search", w.actors.sme, json={"text": "轴"}),
        422,
    ),
    # feedback
    "feedback on unknown listing": (_feedback_on_unknown_listing, 404),
    "feedback verdict unknown": (_feedback_with_bad_verdict, 422),
    "feedback on another SME's demand": (_feedback_on_another_smes_demand, 404),
    # not found, forbidden, conflicts
    "unknown listing": (lambda w: w.both("GET", "/v1/listings/999999", w.actors.sme), 404),
    "unknown route": (lambda w: w.both("GET", "/v1/nothing", w.actors.sme), 404),
    "another SME's demand": (_another_smes_demand, 404),
    "another organisation's listing": (_another_orgs_listing_edit, 403),
    "duplicate patent number": (_duplicate_patent, 409),
    "patent listed by another organisation": (_listed_by_another, 409),
    "stale If-Match on a listing": (_stale_listing_edit, 409),
    "stale If-Match on a demand": (_stale_demand_edit, 409),
    "re-index already running": (_rebuild_while_locked, 409),
    # keys and limits
    "key missing": (lambda w: w.both("GET", "/v1/listings"), 401),
    "key invalid": (
        lambda w: w.both("GET", "/v1/listings", headers={"X-API-Key": "pb_nope_nope"}),
        401,
    ),
    "rate limited": (_rate_limited, 429),
}


def _is_chinese(text: str) -> bool:
    return bool(_CJK.search(text)) and _ENGLISH_SENTENCE.search(text) is None


@pytest.mark.parametrize("name", list(CASES))
def test_each_error_is_chinese_by_default_and_english_on_request(world: World, name: str) -> None:
    case, status = CASES[name]
    chinese, english = case(world)

    assert (chinese.status_code, english.status_code) == (status, status), chinese.text
    assert chinese.headers["Content-Language"] == "zh"
    assert english.headers["Content-Language"] == "en"
    zh_problems, en_problems = chinese.json()["detail"], english.json()["detail"]
    assert [(p["type"], p["loc"]) for p in zh_problems] == [
        (p["type"], p["loc"]) for p in en_problems
    ]
    for zh, en in zip(zh_problems, en_problems, strict=True):
        assert _is_chinese(zh["msg"]), zh["msg"]
        assert _ENGLISH_WORDS.search(en["msg"]) is not None, en["msg"]
        assert zh["msg"] != en["msg"]


def _one(world: World, name: str) -> tuple[str, str]:
    case, _ = CASES[name]
    return _one_of(case(world))


@pytest.mark.parametrize(
    ("name", "zh", "en"),
    [
        (
            "check digit missing",
            "申请号 201710601862 缺少校验位：请按专利证书补上小数点后的那一位",
            "check digit is missing from 201710601862: add the character after the point, "
            "as printed on the patent certificate",
        ),
        (
            "rate missing for percentage",
            "许可费类型为“按销售额提成”（percentage）时必须填写提成比例（rate_percent）",
            "rate_percent is required when royalty_type is 'percentage'",
        ),
        (
            "grant before application",
            "授权日（grant_date）2019-01-01 早于申请日（application_date）2019-03-15；"
            "请核对这两个日期",
            "grant_date 2019-01-01 is before application_date 2019-03-15",
        ),
        (
            "industry division in another section",
            "大类 39 属于门类 C，不属于 A；请把“A39”改为 C39",
            "division 39 belongs to section C, not A; use C39 instead of 'A39'",
        ),
        (
            "province unknown",
            "“火星”不是省级行政区；请写省份名称，例如 广东省、广东 或 Guangdong",
            "'火星' is not a Chinese provincial-level division (e.g. 广东省, 广东 or Guangdong)",
        ),
        (
            "IPC subclass only",
            "“G06F”只是 IPC 小类；专利需要写到组，例如 G06F 16/33",
            "'G06F' is an IPC subclass; a listing needs the group too, like G06F 16/33",
        ),
        (
            "royalty type unknown",
            "应为以下取值之一：'fixed'、'percentage'、'entry_plus_percentage'、'free'、'negotiable'",
            "Input should be 'fixed', 'percentage', 'entry_plus_percentage', 'free' or "
            "'negotiable'",
        ),
        (
            "key invalid",
            "API 密钥无效；请检查 X-API-Key 中的密钥是否完整（形如 pb_…_…）",
            "invalid API key",
        ),
        (
            "rate limited",
            "这个 API 密钥的请求太频繁：上限为每秒 0.001 次，瞬时最多 1 次；请在 1000.0 秒后重试",
            "too many requests for this API key: the limit is 0.001 per second with bursts "
            "of 1; retry in 1000.0 s",
        ),
    ],
)
def test_important_messages_read_exactly(world: World, name: str, zh: str, en: str) -> None:
    assert _one(world, name) == (zh, en)


def test_a_stale_edit_says_which_version_is_stored_in_both_languages(world: World) -> None:
    listing = world.listing()
    zh, en = _one_of(
        world.both(
            "PATCH",
            f"/v1/listings/{listing['id']}",
            world.actors.tto,
            json={"title": "新名称"},
            headers={"If-Match": '"7"'},
        )
    )

    assert zh == (
        f"专利挂牌 {listing['id']} 当前是第 1 版，而 If-Match 写的是第 7 版；"
        "请重新读取最新内容后再修改"
    )
    assert en == (
        f"listing {listing['id']} is at version 1, not 7: reload it and apply your edit again"
    )


def test_a_duplicate_patent_number_says_where_it_is_listed(world: World) -> None:
    number = patent_number()
    listing = world.listing(patent_number=number)
    zh, en = _one_of(
        world.both(
            "POST", "/v1/listings", world.actors.tto, json=listing_payload(patent_number=number)
        )
    )

    assert zh == (
        f"专利 {number} 已经挂牌（挂牌编号 {listing['id']}）；"
        f"请用 PATCH /v1/listings/{listing['id']} 修改它"
    )
    assert en == (
        f"patent {number} is already listed (listing {listing['id']}, held by your organisation)"
    )


def _one_of(responses: tuple[Response, Response]) -> tuple[str, str]:
    chinese, english = responses
    [zh], [en] = chinese.json()["detail"], english.json()["detail"]
    return zh["msg"], en["msg"]
