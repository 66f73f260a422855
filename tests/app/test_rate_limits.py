"""Per-key rate limits: a token bucket per key per process, 429 with Retry-After when spent."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from app.api.ratelimit import RateLimiter
from app.core.config import Settings
from app.core.errors import TooManyRequests
from app.main import create_app
from matching.embedder import HashingEmbedder
from tests.factories import Actors


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_allows_its_burst_then_refills_at_its_rate() -> None:
    clock = FakeClock()
    limiter = RateLimiter(rate=2.0, burst=3, clock=clock)
    for _ in range(3):
        limiter.take(1)
    with pytest.raises(TooManyRequests) as refused:
        limiter.take(1)
    assert refused.value.retry_after == 1
    limiter.take(2)  # another key has its own bucket

    clock.now += 0.5  # one token back at 2 per second
    limiter.take(1)
    with pytest.raises(TooManyRequests):
        limiter.take(1)
    clock.now += 60  # never more than the burst saved up
    for _ in range(3):
        limiter.take(1)
    with pytest.raises(TooManyRequests):
        limiter.take(1)


def test_retry_after_rounds_the_wait_up_to_whole_seconds() -> None:
    clock = FakeClock()
    limiter = RateLimiter(rate=0.25, burst=1, clock=clock)
    limiter.take(1)
    with pytest.raises(TooManyRequests) as refused:
        limiter.take(1)
    assert refused.value.retry_after == 4


def test_a_rate_of_zero_turns_the_limit_off() -> None:
    limiter = RateLimiter(rate=0, burst=1)
    for _ in range(1000):
        limiter.take(1)


@pytest.fixture()
def limited(
    settings: Settings, session_factory: sessionmaker[Session]
) -> Iterator[tuple[TestClient, FakeClock]]:
    """Return a client whose keys may make 3 requests at once and 1 per second after."""
    clock = FakeClock()
    app = create_app(
        settings.model_copy(update={"rate_limit_per_second": 1.0, "rate_limit_burst": 3}),
        session_factory=session_factory,
        embedder=HashingEmbedder(64),
    )
    with TestClient(
        app, raise_server_exceptions=False, headers={"Accept-Language": "en"}
    ) as client:
        app.state.rate_limiter = RateLimiter(rate=1.0, burst=3, clock=clock)
        yield client, clock


def test_the_api_answers_429_with_retry_after_once_a_key_is_over_its_rate(
    limited: tuple[TestClient, FakeClock], actors: Actors
) -> None:
    client, clock = limited
    statuses = [
        client.get("/v1/listings", headers=actors.sme.headers).status_code for _ in range(4)
    ]
    assert statuses == [200, 200, 200, 429]

    refused = client.get("/v1/listings", headers=actors.sme.headers)
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "1"
    assert refused.json()["detail"] == [
        {
            "msg": "too many requests for this API key: the limit is 1 per second with bursts "
            "of 3; retry in 1.0 s",
            "type": "rate_limited",
            "loc": ["header", "X-API-Key"],
        }
    ]
    # Other keys, and the probes, are not held back by this key's bucket.
    assert client.get("/v1/listings", headers=actors.tto.headers).status_code == 200
    assert client.get("/healthz").status_code == 200

    clock.now += 1.0
    assert client.get("/v1/listings", headers=actors.sme.headers).status_code == 200


def test_requests_without_a_valid_key_do_not_spend_anyone_s_tokens(
    limited: tuple[TestClient, FakeClock], actors: Actors
) -> None:
    client, _ = limited
    for _ in range(10):
        assert client.get("/v1/listings").status_code == 401
        assert client.get("/v1/listings", headers={"X-API-Key": "pb_x_y"}).status_code == 401
    for _ in range(3):
        assert client.get("/v1/listings", headers=actors.sme.headers).status_code == 200


def test_a_refused_write_is_not_carried_out(
    limited: tuple[TestClient, FakeClock], actors: Actors
) -> None:
    client, clock = limited
    body = {"title": "轴承监测", "description": "需要轴承在线监测技术。"}
    statuses = [
        client.post("/v1/demands", json=body, headers=actors.sme.headers).status_code
        for _ in range(4)
    ]
    assert statuses == [201, 201, 201, 429]

    clock.now += 1.0
    mine = client.get("/v1/demands", headers=actors.sme.headers)
    assert mine.json()["total"] == 3
