"""random demand ids

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 01:10:00

Demand ids are drawn at random by the application (app/models.py `random_id`), so that an SME
cannot count other organisations' private demands from the gaps between its own ids. On
PostgreSQL the column loses its sequence default, so that nothing can hand out sequential ids
that later clash with random ones; existing ids are kept (other tables refer to them). SQLite's
INTEGER PRIMARY KEY keeps its rowid behaviour, which an explicit id overrides: nothing to do.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE demands ALTER COLUMN id DROP DEFAULT")
    op.execute("DROP SEQUENCE IF EXISTS demands_id_seq")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE SEQUENCE demands_id_seq OWNED BY demands.id")
    # Past every id in use, random ones included, so that the sequence never clashes.
    op.execute("SELECT setval('demands_id_seq', COALESCE(MAX(id), 0) + 1, false) FROM demands")
    op.execute("ALTER TABLE demands ALTER COLUMN id SET DEFAULT nextval('demands_id_seq')")
