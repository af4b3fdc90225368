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

- Per message it reads and writes only what changed (issue 12): the conversation this process
  last saved is kept in memory and handed back as long as the database holds no newer event
  of it (one indexed query: another replica or a deletion makes it reload); a save redacts
  and inserts the new events only, in one transaction with the draft. SQLite runs in WAL mode
  with pooled connections; every save is still committed before the answer goes out.

Switched on in bot/deployment/endpoints.py (type: bot.privacy.tracker_store.PrivacyTrackerStore).
"""
from __future__ import annotations

import itertools
import json
import logging
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Optional, Text

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.orm import sessionmaker

from bot.db.engine import erase_deleted_rows, sqlite_pragmas
from bot.privacy.conversations import DELETE_ACTION, forget, form_drafts, metadata
from bot.privacy.logs import install_log_redaction
from bot.privacy.redaction import PLACEHOLDERS, Redactor, redact_events

log = logging.getLogger(__name__)

# Conversations kept in memory per process; the least recently used ones are dropped and read
# from the database again. Measured: 300 turns of four events each hold 0.7 MB, a usual
# conversation of ten turns a few dozen KB.
KEPT_CONVERSATIONS = 200


@dataclass
class KnownConversation:
    """A conversation as this process last read or saved it."""
    tracker: DialogueStateTracker
    length: int  # len(tracker.events) then: more means Rasa added events it has not saved
    last_id: int  # the conversation's newest event row in the database then
    redactor: Redactor  # redaction state after those events
    draft: dict  # the form_drafts row then


class PrivacyTrackerStore(SQLTrackerStore):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.engine.dialect.name == "sqlite":
            self._use_pooled_sqlite()
        else:
            self._survive_database_restarts()
        metadata.create_all(self.engine, checkfirst=True)
        self._known: OrderedDict[str, KnownConversation] = OrderedDict()
        # Rasa loads the tracker store in every process that handles messages.
        install_log_redaction()

    def _use_pooled_sqlite(self) -> None:
        """SQLAlchemy 1.4 opens a new connection for every query on a SQLite file and Rasa
        keeps SQLite's rollback journal (several fsyncs per commit). A pool and WAL mode (as
        the project's other SQLite files, bot/db/engine.py) keep each commit durable."""
        url = self.engine.url
        self.engine.dispose()
        self.engine = sa.create_engine(url, poolclass=sa.pool.QueuePool,
                                       connect_args={"timeout": 30, "check_same_thread": False})
        sa.event.listen(self.engine, "connect", sqlite_pragmas)
        self.sessionmaker = sessionmaker(bind=self.engine)

    def _survive_database_restarts(self) -> None:
        """Rasa's engine hands out pooled connections without checking them: after a restart of
        PostgreSQL the pooled connections are dead, and requests fail ("server closed the
        connection unexpectedly") until each one has been used up. The same engine with
        pool_pre_ping checks a connection before use and replaces it (tests/test_faults.py)."""
        url = self.engine.url
        self.engine.dispose()
        self.engine = sa.create_engine(url, pool_pre_ping=True, **create_engine_kwargs(url))
        self.sessionmaker = sessionmaker(bind=self.engine)

    async def save(self, tracker: DialogueStateTracker) -> None:
        sender_id = tracker.sender_id
        draft = {name: value for name, value in tracker.current_slot_values().items()
                 if name in PLACEHOLDERS and value not in (None, "") and value != PLACEHOLDERS[name]}
        with self.session_scope() as session:
            last_id = self._last_id(session, sender_id)
            known = self._known.pop(sender_id, None)
            if known is None or known.tracker is not tracker or known.last_id != last_id:
                known = self._from_database(session, tracker)
            new = [event.as_dict() for event in itertools.islice(tracker.events, known.length, None)]
            deletion = _last_index(new, DELETE_ACTION) is not None
            if not deletion:
                known.redactor.know(draft.values())
                stored = known.redactor.redact(new)
                rows = [self._row(sender_id, data) for data in stored]
                session.add_all(rows)
                if draft != known.draft:
                    self._write_draft(session, sender_id, draft)
                session.flush()
                last_id = rows[-1].id if rows else last_id
                session.commit()
        if deletion:
            self._save_after_deletion(tracker)
            return
        if known.draft and not draft:  # the form ended (submitted or cancelled): no copy of its answers stays
            erase_deleted_rows(self.engine)
        self._publish(sender_id, stored)
        # A new session starts: a reload reads only its events, so do not keep the old ones.
        if not any(event.get("event") == "session_started" for event in new):
            self._keep(sender_id, KnownConversation(tracker, len(tracker.events), last_id, known.redactor, draft))

    def _save_after_deletion(self, tracker: DialogueStateTracker) -> None:
        """The user had their data deleted: the stored conversation starts afresh after it."""
        events = [event.as_dict() for event in tracker.events]
        deletion = _last_index(events, DELETE_ACTION)
        forget(self.engine, tracker.sender_id)
        log.info("Gespräch auf Wunsch gelöscht (%d Ereignisse)", deletion)
        stored = redact_events(_new_session(events[deletion]["timestamp"]) + events[deletion + 1:])
        with self.session_scope() as session:
            session.add_all([self._row(tracker.sender_id, data) for data in stored])
            session.commit()
        self._publish(tracker.sender_id, stored)

    def _from_database(self, session, tracker: DialogueStateTracker) -> KnownConversation:
        """What is stored of a tracker this process does not know (as Rasa's own save counts)."""
        length = self._event_query(session, tracker.sender_id, fetch_events_from_all_sessions=False).count()
        redactor = Redactor()
        redactor.redact(event.as_dict() for event in itertools.islice(tracker.events, length))
        return KnownConversation(tracker, length, 0, redactor, draft=None)

    def _row(self, sender_id: Text, data: dict) -> SQLTrackerStore.SQLEvent:
        """An events row as Rasa's SQLTrackerStore.save writes it."""
        return self.SQLEvent(sender_id=sender_id, type_name=data.get("event"), timestamp=data.get("timestamp"),
                             intent_name=(data.get("parse_data") or {}).get("intent", {}).get("name"),
                             action_name=data.get("name"), data=json.dumps(data))

    def _publish(self, sender_id: Text, events: list[dict]) -> None:
        """The new events as stored (redacted) to the event broker, as Rasa's stream_events."""
        if self.event_broker is not None:
            for event in events:
                self.event_broker.publish({"sender_id": sender_id, **event})

    def _last_id(self, session, sender_id: Text) -> int:
        return session.query(sa.func.max(self.SQLEvent.id)).filter(self.SQLEvent.sender_id == sender_id).scalar() or 0

    def _keep(self, sender_id: Text, known: KnownConversation) -> None:
        self._known[sender_id] = known
        while len(self._known) > KEPT_CONVERSATIONS:
            self._known.popitem(last=False)

    async def _retrieve(self, sender_id: Text, fetch_events_from_all_sessions: bool) -> Optional[DialogueStateTracker]:
        if fetch_events_from_all_sessions:
            return self._load(sender_id, fetch_events_from_all_sessions=True)[0]
        known = self._known.get(sender_id)
        if known is not None and len(known.tracker.events) == known.length:
            with self.session_scope() as session:
                if self._last_id(session, sender_id) == known.last_id:
                    self._known.move_to_end(sender_id)
                    return known.tracker
        self._known.pop(sender_id, None)
        tracker, known = self._load(sender_id, fetch_events_from_all_sessions=False)
        if known is not None:
            self._keep(sender_id, known)
        return tracker

    def _load(self, sender_id: Text, fetch_events_from_all_sessions: bool
              ) -> tuple[Optional[DialogueStateTracker], Optional[KnownConversation]]:
        with self.session_scope() as session:
            rows = self._event_query(session, sender_id, fetch_events_from_all_sessions).all()
            draft = self._draft(session, sender_id) if rows else {}
        if not rows or not self.domain:
            return None, None
        # The answers go back into the slot events themselves, not only into the slots: Rasa's
        # form action replays the events into a temporary tracker before it validates.
        events = [_with_answer(json.loads(row.data), draft) for row in rows]
        tracker = DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
        redactor = Redactor(draft.values())
        redactor.redact(events)
        return tracker, KnownConversation(tracker, len(tracker.events), rows[-1].id, redactor, draft)

    @staticmethod
    def _draft(session, sender_id: Text) -> dict:
        data = session.execute(sa.select(form_drafts.c.data).where(form_drafts.c.sender_id == sender_id)).scalar()
        return json.loads(data) if data else {}

    @staticmethod
    def _write_draft(session, sender_id: Text, draft: dict) -> None:
        session.execute(form_drafts.delete().where(form_drafts.c.sender_id == sender_id))
        if draft:
            session.execute(form_drafts.insert().values(
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
