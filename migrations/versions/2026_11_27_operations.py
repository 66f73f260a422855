"""operations (reindex, alerts)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 10:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.models

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    _upgrade_index_versions()
    _upgrade_alerts()


def _upgrade_index_versions() -> None:
    # Re-index runs (issue 5, nightly job): lifecycle counts and what kind of run a row is.
    with op.batch_alter_table("index_versions") as batch:
        batch.add_column(
            sa.Column("expired_count", sa.Integer(), server_default="0", nullable=False)
        )
        batch.add_column(sa.Column("note", sa.String(length=200), nullable=True))


def downgrade() -> None:
    _downgrade_alerts()
    _downgrade_index_versions()


def _downgrade_index_versions() -> None:
    with op.batch_alter_table("index_versions") as batch:
        batch.drop_column("note")
        batch.drop_column("expired_count")


# Alerts on new matches (issue 5, alerts and metrics): app/services/alerts/service.py.
def _alert_feed() -> sa.Enum:
    # A new type object per column: one Enum shared by two tables names one CHECK only.
    return sa.Enum(
        "demand", "listing", name="alert_feed", native_enum=False, create_constraint=True, length=32
    )


def _upgrade_alerts() -> None:
    op.create_table(
        "alert_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("since", app.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("started_at", app.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", app.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("demands_ranked", sa.Integer(), nullable=False),
        sa.Column("demand_alerts", sa.Integer(), nullable=False),
        sa.Column("listing_alerts", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_runs")),
    )
    op.create_index(op.f("ix_alert_runs_started_at"), "alert_runs", ["started_at"])
    op.create_table(
        "match_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("feed", _alert_feed(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "new_listing",
                "listing_changed",
                "fee_changed",
                "new_demand",
                "demand_changed",
                name="alert_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("demand_id", sa.Integer(), nullable=False),
        sa.Column("listing_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("previous_terms", sa.JSON(), nullable=True),
        sa.Column("created_at", app.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["demand_id"],
            ["demands.id"],
            name=op.f("fk_match_alerts_demand_id_demands"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["listing_id"],
            ["listings.id"],
            name=op.f("fk_match_alerts_listing_id_listings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["alert_runs.id"],
            name=op.f("fk_match_alerts_run_id_alert_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_match_alerts")),
    )
    op.create_index("ix_match_alerts_feed_demand_id", "match_alerts", ["feed", "demand_id", "id"])
    op.create_index("ix_match_alerts_feed_listing_id", "match_alerts", ["feed", "listing_id", "id"])
    op.create_table(
        "match_observations",
        sa.Column("feed", _alert_feed(), nullable=False),
        sa.Column("demand_id", sa.Integer(), nullable=False),
        sa.Column("listing_id", sa.Integer(), nullable=False),
        sa.Column("text_hash", sa.String(length=64), nullable=False),
        sa.Column("terms", sa.JSON(), nullable=True),
        sa.Column("observed_at", app.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["demand_id"],
            ["demands.id"],
            name=op.f("fk_match_observations_demand_id_demands"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["listing_id"],
            ["listings.id"],
            name=op.f("fk_match_observations_listing_id_listings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "feed", "demand_id", "listing_id", name=op.f("pk_match_observations")
        ),
    )
    with op.batch_alter_table("demands") as batch:
        batch.add_column(sa.Column("alert_min_score", sa.Float(), nullable=True))
        batch.add_column(
            sa.Column("alerts_since", app.models.UTCDateTime(timezone=True), nullable=True)
        )
        batch.add_column(sa.Column("alerts_seen_id", sa.Integer(), nullable=True))
    with op.batch_alter_table("listings") as batch:
        batch.add_column(sa.Column("alerts_seen_id", sa.Integer(), nullable=True))


def _downgrade_alerts() -> None:
    with op.batch_alter_table("listings") as batch:
        batch.drop_column("alerts_seen_id")
    with op.batch_alter_table("demands") as batch:
        batch.drop_column("alerts_seen_id")
        batch.drop_column("alerts_since")
        batch.drop_column("alert_min_score")
    op.drop_table("match_observations")
    op.drop_index("ix_match_alerts_feed_listing_id", table_name="match_alerts")
    op.drop_index("ix_match_alerts_feed_demand_id", table_name="match_alerts")
    op.drop_table("match_alerts")
    op.drop_index(op.f("ix_alert_runs_started_at"), table_name="alert_runs")
    op.drop_table("alert_runs")
