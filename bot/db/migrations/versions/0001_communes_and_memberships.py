"""communes and memberships

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "communes",
        sa.Column("ags", sa.String(8), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("name_short", sa.String(120), nullable=False, index=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("landkreis", sa.String(120)),
        sa.Column("verband_typ", sa.String(40)),
        sa.Column("verband_name", sa.String(200)),
        sa.Column("population", sa.Integer),
        sa.Column("population_date", sa.Date),
        sa.Column("plz", sa.String(5)),
        sa.Column("data_stand", sa.Date),
    )
    op.create_table(
        "memberships",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("ags", sa.String(8), sa.ForeignKey("communes.ags", ondelete="CASCADE"), unique=True,
                  nullable=False),
        sa.Column("status", sa.String(40), nullable=False),
        sa.Column("agreement_date", sa.String(10)),
        sa.Column("via", sa.String(200)),
        sa.Column("prevention_council", sa.String(10), nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("source_title", sa.String(400), nullable=False),
        sa.Column("source_url", sa.String(600)),
        sa.Column("source_stand", sa.String(10), nullable=False),
        sa.Column("origin", sa.String(20), nullable=False),
        sa.Column("changed_by", sa.String(120)),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )


def downgrade() -> None:
    op.drop_table("memberships")
    op.drop_table("communes")
