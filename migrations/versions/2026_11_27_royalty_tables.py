"""royalty tables

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 10:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.models

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "royalty_tables",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "cnipa_licence_stats",
                "nbs_industry_profit",
                name="royalty_table_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("source_title", sa.String(length=500), nullable=False),
        sa.Column("source_reference", sa.String(length=500), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("imported_at", app.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_royalty_tables")),
    )
    op.create_table(
        "royalty_table_rows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("table_id", sa.Integer(), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("industry_code", sa.String(length=5), nullable=False),
        sa.Column("contracts", sa.Integer(), nullable=True),
        sa.Column(
            "rate_mean_pct", sa.Numeric(precision=7, scale=3, asdecimal=False), nullable=True
        ),
        sa.Column(
            "rate_median_pct", sa.Numeric(precision=7, scale=3, asdecimal=False), nullable=True
        ),
        sa.Column("rate_p25_pct", sa.Numeric(precision=7, scale=3, asdecimal=False), nullable=True),
        sa.Column("rate_p75_pct", sa.Numeric(precision=7, scale=3, asdecimal=False), nullable=True),
        sa.Column(
            "fixed_fee_mean_yuan", sa.Numeric(precision=16, scale=2, asdecimal=False), nullable=True
        ),
        sa.Column(
            "revenue_100m_yuan", sa.Numeric(precision=16, scale=2, asdecimal=False), nullable=True
        ),
        sa.Column(
            "profit_100m_yuan", sa.Numeric(precision=16, scale=2, asdecimal=False), nullable=True
        ),
        sa.Column("margin_pct", sa.Numeric(precision=7, scale=3, asdecimal=False), nullable=True),
        sa.ForeignKeyConstraint(
            ["table_id"],
            ["royalty_tables.id"],
            name=op.f("fk_royalty_table_rows_table_id_royalty_tables"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_royalty_table_rows")),
        sa.UniqueConstraint(
            "table_id", "industry_code", name=op.f("uq_royalty_table_rows_table_id")
        ),
    )


def downgrade() -> None:
    op.drop_table("royalty_table_rows")
    op.drop_table("royalty_tables")
