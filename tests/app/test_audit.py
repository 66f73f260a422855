"""The audit log: every write leaves one row (who, what, when) in the write's own transaction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import AuditEntry, Listing
from app.services import audit
from tests.app.import_files import import_report, to_csv, valid_row
from tests.factories import Actor, Actors, listing_payload

AUDIT = "/v1/audit"


def _log(client: TestClient, actors: Actors, **params: Any) -> dict[str, Any]:
    response = client.get(AUDIT, params=params, headers=actors.operator.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _prefix(actor: Actor) -> str:
    return actor.key.split("_")[1]


def test_creating_editing_and_withdrawing_a_listing_leave_one_row_each(
    client: TestClient, actors: Actors
) -> None:
    started = datetime.now(UTC) - timedelta(seconds=5)
    created = client.post("/v1/listings", json=listing_payload(), headers=actors.tto.headers)
    listing = created.json()
    path = f"/v1/listings/{listing['id']}"
    client.patch(path, json={"contact": "新联系人"}, headers=actors.tto.headers)
    client.patch(path, json={"contact": "新联系人"}, headers=actors.tto.headers)  # no change
    client.delete(path, headers=actors.tto.headers)

    rows = _log(client, actors, entity_type="listing", entity_id=listing["id"])["items"]

    assert [(r["action"], r["detail"].get("version")) for r in rows] == [
        ("withdraw", 3),
        ("update", 2),
        ("create", 1),
    ]
    first = rows[-1]
    assert first["key_prefix"] == _prefix(actors.tto)
    assert first["organisation_id"] == actors.tto.organisation.id
    assert first["detail"]["patent_number"] == listing["patent_number"]
    assert rows[1]["detail"]["fields"] == ["contact"]
    assert all(datetime.fromisoformat(r["at"]) >= started for r in rows)
    assert actors.tto.key.split("_")[2] not in str(rows)


def test_an_import_leaves_one_row_with_its_counts_not_one_per_row(
    client: TestClient, actors: Actors
) -> None:
    rows = [valid_row(i) for i in range(6)] + [valid_row(99) | {"title": ""}]
    import_report(client, actors.tto, to_csv(rows[:2]))
    import_report(client, actors.tto, to_csv(rows))
    import_report(client, actors.tto, to_csv(rows), dry_run=True)
    import_report(client, actors.tto, to_csv(rows), all_or_nothing=True)

    entries = _log(client, actors, action="import")["items"]

    assert [e["detail"] for e in entries] == [
        {
            "filename": "专利清单.csv",
            "format": "csv",
            "rows": 7,
            "created": 4,
            "updated": 0,
            "unchanged": 2,
            "rejected": 1,
            "all_or_nothing": False,
        },
        {
            "filename": "专利清单.csv",
            "format": "csv",
            "rows": 2,
            "created": 2,
            "updated": 0,
            "unchanged": 0,
            "rejected": 0,
            "all_or_nothing": False,
        },
    ]
    assert {e["entity_type"] for e in entries} == {"listing"}


def test_demands_and_feedback_are_audited_under_the_enterprise_s_key(
    client: TestClient, actors: Actors
) -> None:
    listing = client.post("/v1/listings", json=listing_payload(), headers=actors.tto.headers)
    demand = client.post(
        "/v1/demands",
        json={"title": "轴承监测", "description": "需要轴承在线监测技术。"},
        headers=actors.sme.headers,
    ).json()
    client.post(
        "/v1/feedback",
        json={"demand_id": demand["id"], "listing_id": listing.json()["id"], "verdict": "relevant"},
        headers=actors.sme.headers,
    )

    mine = _log(client, actors, organisation_id=actors.sme.organisation.id)

    assert [(e["action"], e["entity_type"]) for e in mine["items"]] == [
        ("feedback", "feedback"),
        ("create", "demand"),
    ]
    assert mine["total"] == 2
    assert {e["key_prefix"] for e in mine["items"]} == {_prefix(actors.sme)}


def test_the_audit_row_and_the_write_commit_together_or_not_at_all(
    client: TestClient, actors: Actors, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(**_kwargs: Any) -> AuditEntry:
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(audit, "record", broken)
    body = listing_payload()

    response = client.post("/v1/listings", json=body, headers=actors.tto.headers)

    assert response.status_code == 500
    session.expire_all()
    stored = session.scalar(
        select(func.count()).where(Listing.patent_number == body["patent_number"])
    )
    assert stored == 0


def test_the_log_pages_newest_first_and_filters_by_time(client: TestClient, actors: Actors) -> None:
    for _ in range(5):
        client.post("/v1/listings", json=listing_payload(), headers=actors.tto.headers)

    first = _log(client, actors, limit=2)
    second = _log(client, actors, limit=2, offset=2)
    future = _log(client, actors, since=(datetime.now(UTC) + timedelta(hours=1)).isoformat())
    naive_past = _log(client, actors, since="2000-01-01T00:00:00")

    assert first["total"] == second["total"] == 5
    ids = [e["id"] for e in first["items"] + second["items"]]
    assert ids == sorted(ids, reverse=True)
    assert future["total"] == 0
    assert naive_past["total"] == 5


def test_reading_the_log_is_for_operators_only(client: TestClient, actors: Actors) -> None:
    assert client.get(AUDIT, headers=actors.tto.headers).status_code == 403
    assert client.get(AUDIT).status_code == 401
