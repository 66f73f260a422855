"""a demand's expected annual sales

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 14:00:00

A demand may state the SME's expected annual net sales of the product using the patent
(预计年销售额), so that the royalty brief of each of its matches is priced for that figure
instead of the example sales. Nullable: demands written before this keep pricing for the
example until their owner gives a figure.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "demands",
        sa.Column(
            "annual_sales_yuan", sa.Numeric(precision=16, scale=2, asdecimal=False), nullable=True
        ),
    )


def downgrade() -> None:
    # Not batch mode: rebuilding `demands` on SQLite drops the table under foreign keys that
    # cascade, which would delete every demand's vectors, feedback and alerts. SQLite 3.35+
    # drops a plain column in place.
    op.drop_column("demands", "annual_sales_yuan")
