"""random alert ids, feeds read in recording order

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 10:00:00

Alert ids are drawn at random by the application (app/models.py `random_id`), so that an SME
reading its alerts cannot count everybody else's from the gaps between its ids. Feeds read in
`(created_at, id)` order instead of id order, and their two indexes follow. Existing alerts keep
their ids and times: their id order was their recording order, and so is their time order.
On PostgreSQL the id column loses its sequence default, so that nothing hands out sequential
ids that later clash with random ones; SQLite's INTEGER PRIMARY KEY keeps its rowid behaviour,
which an explicit id overrides.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FEEDS = {
    "ix_match_alerts_feed_demand_id": "demand_id",
    "ix_match_alerts_feed_listing_id": "listing_id",
}


def upgrade() -> None:
    for name, owner in _FEEDS.items():
        op.drop_index(name, table_name="match_alerts")
        op.create_index(name, "match_alerts", ["feed", owner, "created_at", "id"])
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE match_alerts ALTER COLUMN id DROP DEFAULT")
    op.execute("DROP SEQUENCE IF EXISTS match_alerts_id_seq")


def downgrade() -> None:
    for name, owner in _FEEDS.items():
        op.drop_index(name, table_name="match_alerts")
        op.create_index(name, "match_alerts", ["feed", owner, "id"])
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE SEQUENCE match_alerts_id_seq OWNED BY match_alerts.id")
    # Past every id in use, random ones included, so that the sequence never clashes.
    op.execute(
        "SELECT setval('match_alerts_id_seq', COALESCE(MAX(id), 0) + 1, false) FROM match_alerts"
    )
    op.execute(
        "ALTER TABLE match_alerts ALTER COLUMN id SET DEFAULT nextval('match_alerts_id_seq')"
    )
