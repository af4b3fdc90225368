"""The tables of the tracker store this package touches, without Rasa: Rasa's `events`
(one row per conversation event) and our `form_drafts` (answers of a form in progress, see
tracker_store.py). The staff command and the retention job use them without loading Rasa."""
from __future__ import annotations

import sqlalchemy as sa

from bot.db.engine import erase_deleted_rows

# The action that deletes the conversation it runs in (actions/privacy.py); the tracker store
# acts on it when it saves the conversation.
DELETE_ACTION = "action_delete_my_data"

metadata = sa.MetaData()
form_drafts = sa.Table(
    "form_drafts", metadata,
    sa.Column("sender_id", sa.String(255), primary_key=True),
    sa.Column("data", sa.Text, nullable=False),  # JSON: slot → value of the form in progress
    sa.Column("updated_at", sa.Float, nullable=False),  # unix time, like the events table
)
events = sa.table("events", sa.column("sender_id"), sa.column("timestamp"))


def forget(engine: sa.engine.Engine, sender_id: str) -> int:
    """Deletes a conversation and its unsent form answers; returns the number of events."""
    metadata.create_all(engine, checkfirst=True)
    with engine.begin() as connection:
        deleted = 0
        if sa.inspect(connection).has_table("events"):
            deleted = connection.execute(events.delete().where(events.c.sender_id == sender_id)).rowcount
        connection.execute(form_drafts.delete().where(form_drafts.c.sender_id == sender_id))
    erase_deleted_rows(engine)
    return deleted
