"""Deletes what is kept longer than the settings allow (DSGVO Art. 5 (1) e).

- Conversations: every event of a conversation whose last event is older than
  ASSKOMM_RETENTION_DAYS, and unfinished form answers (form_drafts) as old, from the tracker
  store (SQLite or PostgreSQL, the same tables Rasa's SQL store writes).
- Applications: those closed (status "abgeschlossen") longer ago than
  ASSKOMM_APPLICATION_RETENTION_DAYS, with their outbox mail.
- Handovers to staff (bot/handover/) that ended longer ago than ASSKOMM_RETENTION_DAYS, with
  the messages relayed in them: they are part of the conversation.

Runs at start and then daily in `make run` (RetentionJob), and on demand:
`python -m bot.admin loeschfristen`.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker

from bot.applications.models import Application
from bot.config import Settings
from bot.db.engine import erase_deleted_rows
from bot.handover import store as handover_store
from bot.privacy.conversations import events, form_drafts

log = logging.getLogger(__name__)

DAY_S = 24 * 3600


@dataclass(frozen=True)
class RetentionReport:
    conversations: int
    events: int
    drafts: int
    applications: int
    handovers: int = 0

    def describe(self) -> str:
        # "Gespräche: 1" rather than "1 Gespräche": correct German for any number
        return (f"Löschfristen – gelöscht: Gespräche: {self.conversations} ({self.events} Ereignisse), "
                f"unvollständige Formulare: {self.drafts}, abgeschlossene Anfragen: {self.applications}, "
                f"beendete Übergaben: {self.handovers}")


def tracker_store_url(settings: Settings) -> str:
    """The SQLAlchemy URL of the tracker store the settings give Rasa."""
    return settings.tracker_store_url or f"sqlite:///{settings.var_dir / 'tracker.db'}"


def delete_old_conversations(engine: sa.engine.Engine, days: int, now: float | None = None) -> tuple[int, int, int]:
    """(conversations, events, drafts) deleted whose last activity is older than `days`."""
    if days <= 0:
        return 0, 0, 0
    cutoff = (now or time.time()) - days * DAY_S
    tables = set(sa.inspect(engine).get_table_names())
    conversations = events_deleted = drafts = 0
    with engine.begin() as connection:
        if "events" in tables:
            old = (sa.select(events.c.sender_id).group_by(events.c.sender_id)
                   .having(sa.func.max(events.c.timestamp) < cutoff))
            senders = list(connection.execute(old).scalars())
            for chunk in range(0, len(senders), 500):
                part = senders[chunk:chunk + 500]
                events_deleted += connection.execute(events.delete().where(events.c.sender_id.in_(part))).rowcount
            conversations = len(senders)
        if "form_drafts" in tables:
            drafts = connection.execute(form_drafts.delete().where(form_drafts.c.updated_at < cutoff)).rowcount
    if conversations or drafts:
        erase_deleted_rows(engine)
    return conversations, events_deleted, drafts


def delete_closed_applications(sessions: sessionmaker, days: int, now: datetime | None = None) -> int:
    """Applications closed longer than `days` ago; their outbox rows go with them (cascade)."""
    if days <= 0:
        return 0
    cutoff = (now or datetime.now(timezone.utc)) - timedelta(days=days)
    with sessions.begin() as session:
        old = list(session.execute(
            sa.select(Application).where(Application.status == "abgeschlossen",
                                         Application.status_changed_at < cutoff)
        ).scalars())
        for application in old:
            session.delete(application)
    return len(old)


def run_retention(settings: Settings, sessions: sessionmaker) -> RetentionReport:
    from bot.db import make_engine

    engine = make_engine(tracker_store_url(settings))
    try:
        conversations, events, drafts = delete_old_conversations(engine, settings.retention_days)
    finally:
        engine.dispose()
    applications = delete_closed_applications(sessions, settings.application_retention_days)
    if applications:
        erase_deleted_rows(sessions.kw["bind"])
    handovers = 0
    if settings.retention_days > 0:
        handovers = handover_store.delete_ended_before(
            sessions, datetime.now(timezone.utc) - timedelta(days=settings.retention_days))
    return RetentionReport(conversations, events, drafts, applications, handovers)


class RetentionJob:
    """run_retention at start and then every `interval_s` in a daemon thread; never raises."""

    def __init__(self, settings: Settings, sessions: sessionmaker, interval_s: float = DAY_S):
        self.settings, self.sessions, self.interval_s = settings, sessions, interval_s
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="asskomm-retention", daemon=True)

    def start(self) -> "RetentionJob":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stopped.set()

    def _loop(self) -> None:
        while not self.stopped.is_set():
            try:
                report = run_retention(self.settings, self.sessions)
                log.info(report.describe())
                print(report.describe(), flush=True)
            except Exception:
                log.exception("Löschfristen: Lauf fehlgeschlagen; nächster Versuch beim nächsten Intervall")
            self.stopped.wait(self.interval_s)
