"""handovers: the answer to "Hat Ihnen das Gespräch geholfen?"; the Matrix events the bridge
posted for a handover, so that deleting it can redact them (docs/handover.md)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ALTER TABLE, not a batch: SQLite's batch copy would rebuild the partial unique index
    # one_open_handover_per_sender without its WHERE (SQLAlchemy does not reflect it).
    op.add_column("handovers", sa.Column("helped", sa.String(10)))
    op.add_column("handovers", sa.Column("helped_comment", sa.String(300)))
    op.create_table(
        "handover_matrix_events",
        sa.Column("id", sa.Integer, primary_key=True),
        # No foreign key: the row outlives its handover until the event is redacted.
        sa.Column("handover_id", sa.Integer, index=True),
        sa.Column("room_id", sa.String(255), nullable=False),
        sa.Column("event_id", sa.String(255), nullable=False, unique=True),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("redact_requested_at", sa.DateTime(timezone=True), index=True),
    )


def downgrade() -> None:
    op.drop_table("handover_matrix_events")
    op.drop_column("handovers", "helped_comment")  # SQLite 3.35+: plain DROP COLUMN
    op.drop_column("handovers", "helped")
