"""Rasa's SQL tracker store (SQLite or PostgreSQL) that never stores a form answer in clear.

- save: every event goes through bot/privacy/redaction.py first, so the events table, and
  the events published to RabbitMQ (Rasa publishes what this store saves), hold
  placeholders such as "[E-Mail]".
- A form in progress needs its answers in the next turn. They are kept in a table of their
  own (`form_drafts`, one row per conversation) and put back into the slots when the
  conversation is read. The row is deleted as soon as the form ends (submitted: the answers
  are in the applications table; cancelled: they are gone), when the user asks for deletion,
  and by the retention job.
- When the action `action_delete_my_data` ran (the user confirmed "Bitte löschen Sie meine
  Daten"), the whole stored conversation and its draft are deleted; only what follows the
  deletion (the bot's confirmation) is stored, as the start of a new session.

Switched on in bot/deployment/endpoints.py (type: bot.privacy.tracker_store.PrivacyTrackerStore).
"""
from __future__ import annotations

import json
import logging
import time
from typing import Any, Optional, Text

import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.trackers import DialogueStateTracker

from bot.privacy.conversations import DELETE_ACTION, form_drafts, forget, metadata
from bot.privacy.logs import install_log_redaction
from bot.privacy.redaction import PLACEHOLDERS, redact_events

log = logging.getLogger(__name__)


class PrivacyTrackerStore(SQLTrackerStore):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._survive_database_restarts()
        metadata.create_all(self.engine, checkfirst=True)
        # Rasa loads the tracker store in every process that handles messages.
        install_log_redaction()

    def _survive_database_restarts(self) -> None:
        """Rasa's engine hands out pooled connections without checking them: after a restart of
        PostgreSQL the pooled connections are dead, and requests fail ("server closed the
        connection unexpectedly") until each one has been used up. The same engine with
        pool_pre_ping checks a connection before use and replaces it (tests/test_faults.py)."""
        if self.engine.dialect.name == "sqlite":
            return
        url = self.engine.url
        self.engine.dispose()
        self.engine = sa.create_engine(url, pool_pre_ping=True, **create_engine_kwargs(url))
        self.sessionmaker = sessionmaker(bind=self.engine)

    async def save(self, tracker: DialogueStateTracker) -> None:
        events = [event.as_dict() for event in tracker.events]
        draft = {name: value for name, value in tracker.current_slot_values().items()
                 if name in PLACEHOLDERS and value not in (None, "") and value != PLACEHOLDERS[name]}
        deletion = _last_index(events, DELETE_ACTION)
        if deletion is not None:
            forget(self.engine, tracker.sender_id)
            log.info("Gespräch auf Wunsch gelöscht (%d Ereignisse)", deletion)
            events, draft = _new_session(events[deletion]["timestamp"]) + events[deletion + 1:], {}
        stored = DialogueStateTracker.from_dict(
            tracker.sender_id, redact_events(events, known_values=draft.values()), self.domain.slots)
        await super().save(stored)
        self._keep_draft(tracker.sender_id, draft)

    async def _retrieve(self, sender_id: Text, fetch_events_from_all_sessions: bool) -> Optional[DialogueStateTracker]:
        tracker = await super()._retrieve(sender_id, fetch_events_from_all_sessions)
        draft = self._draft(sender_id) if tracker is not None else {}
        if not draft:
            return tracker
        # The answers go back into the slot events themselves, not only into the slots: Rasa's
        # form action replays the events into a temporary tracker before it validates.
        events = [_with_answer(event.as_dict(), draft) for event in tracker.events]
        return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)

    def _draft(self, sender_id: Text) -> dict:
        with self.engine.connect() as connection:
            data = connection.execute(sa.select(form_drafts.c.data).where(form_drafts.c.sender_id == sender_id)
                                      ).scalar()
        return json.loads(data) if data else {}

    def _keep_draft(self, sender_id: Text, draft: dict) -> None:
        with self.engine.begin() as connection:
            connection.execute(form_drafts.delete().where(form_drafts.c.sender_id == sender_id))
            if draft:
                connection.execute(form_drafts.insert().values(
                    sender_id=sender_id, data=json.dumps(draft), updated_at=time.time()))


def _with_answer(event: dict, draft: dict) -> dict:
    name = event.get("name")
    if event.get("event") == "slot" and name in draft and event.get("value") == PLACEHOLDERS.get(name):
        return {**event, "value": draft[name]}
    return event


def _last_index(events: list[dict], action: str) -> Optional[int]:
    for index in range(len(events) - 1, -1, -1):
        if events[index].get("event") == "action" and events[index].get("name") == action:
            return index
    return None


def _new_session(timestamp: float) -> list[dict]:
    """The events Rasa writes at the start of a session (action_session_start)."""
    return [{"event": "action", "name": "action_session_start", "timestamp": timestamp, "policy": None,
             "confidence": 1.0},
            {"event": "session_started", "timestamp": timestamp}]
