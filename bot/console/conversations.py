"""Conversations and statistics read from Rasa's tracker store (table `events`, written by
Rasa's SQLTrackerStore: SQLite var/tracker.db by default, PostgreSQL in production).

Only read here; the console never writes the tracker store. Personal data the users typed
(e-mail addresses, phone numbers) is masked before a transcript is shown.
"""
from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Optional

from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, inspect, select
from sqlalchemy.engine import Engine

from bot import feedback
from bot.applications.forms import FORM_KINDS
from bot.config import Settings

events = Table(
    "events", MetaData(),
    Column("id", Integer, primary_key=True), Column("sender_id", String(255)), Column("type_name", String(255)),
    Column("timestamp", Float), Column("intent_name", String(255)), Column("action_name", String(255)),
    Column("data", Text),
)
FALLBACK_INTENTS = {"nlu_fallback"}
FALLBACK_ACTIONS = {"action_default_fallback"}
SUBMITTED, CANCELLED = "action_submit_application", "action_cancel_application"
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
PHONE = re.compile(r"(?<!\w)\+?\d[\d /()-]{5,}\d(?!\w)")


def tracker_url(settings: Settings) -> str:
    """The SQLAlchemy URL of the tracker store, as bot/deployment/endpoints.py gives it to Rasa."""
    values = settings.rasa_env()
    if "://" in values["TRACKER_STORE_HOST"]:
        return values["TRACKER_STORE_HOST"]
    return f"sqlite:///{values['TRACKER_STORE_DB']}"


def redact(text: str) -> str:
    return PHONE.sub("[Telefon]", EMAIL.sub("[E-Mail]", text or ""))


@dataclass
class Conversation:
    sender_id: str
    channel: str = ""
    started: Optional[datetime] = None
    last: Optional[datetime] = None
    messages: int = 0
    fallbacks: int = 0
    forms_started: int = 0
    forms_completed: int = 0
    forms_cancelled: int = 0
    intents: Counter = field(default_factory=Counter)
    feedback: Counter = field(default_factory=Counter)  # (subject, value) → clicks in the widget
    not_understood: list[str] = field(default_factory=list)  # the messages counted in `fallbacks`, redacted

    @property
    def outcome(self) -> str:
        if self.feedback[(feedback.ANSWER, "nein")] or self.feedback[(feedback.CONVERSATION, "nein")]:
            return NEGATIVE
        if self.forms_completed:
            return "Formular abgeschickt"
        if self.forms_cancelled:
            return "Formular abgebrochen"
        if self.fallbacks:
            return "nicht verstanden" if self.fallbacks == self.messages else "teils nicht verstanden"
        return "beantwortet"


NEGATIVE = "negative Rückmeldung"  # "nicht hilfreich" in the widget; first, so it is never hidden
OUTCOMES = ("beantwortet", "teils nicht verstanden", "nicht verstanden", "Formular abgeschickt",
            "Formular abgebrochen", NEGATIVE)
FEEDBACK_LABELS = {(feedback.ANSWER, "ja"): "Antwort hilfreich", (feedback.ANSWER, "nein"): "Antwort nicht hilfreich",
                   (feedback.CONVERSATION, "ja"): "Gespräch hat geholfen",
                   (feedback.CONVERSATION, "nein"): "Gespräch hat nicht geholfen"}
FEEDBACK_SUBJECTS = ((feedback.ANSWER, "Antworten"), (feedback.CONVERSATION, "Gesprächen"))  # "Rückmeldungen zu …"


@dataclass
class Turn:
    at: datetime
    text: str = ""  # the user's message, redacted; empty for the bot's opening
    number: int = 0  # 1 for the user's first message; 0 for the bot's opening
    intent: str = ""
    confidence: Optional[float] = None
    actions: list[str] = field(default_factory=list)
    replies: list[str] = field(default_factory=list)
    feedback: list[str] = field(default_factory=list)  # FEEDBACK_LABELS given after this turn


@dataclass
class Statistics:
    conversations: int
    messages: int
    fallbacks: int
    per_day: dict[date, Counter]  # day → channel → conversations
    channels: list[str]
    top_intents: list[tuple[str, int]]
    not_understood: list[tuple[str, int]]
    forms_started: int
    forms_completed: int
    forms_cancelled: int
    feedback: Counter  # (subject, value) → clicks

    @property
    def understood_share(self) -> Optional[float]:
        return 1 - self.fallbacks / self.messages if self.messages else None

    def feedback_score(self, subject: str) -> Optional[float]:
        """Share of "ja" among the clicks about answers or about whole conversations."""
        yes, no = self.feedback[(subject, "ja")], self.feedback[(subject, "nein")]
        return yes / (yes + no) if yes + no else None


def _moment(timestamp: Optional[float]) -> datetime:
    return datetime.fromtimestamp(timestamp or 0, timezone.utc)


def _data(raw: Optional[str]) -> dict:
    try:
        return json.loads(raw or "{}")
    except ValueError:
        return {}


def _window(day_from: Optional[date], day_to: Optional[date]):
    conditions = []
    if day_from:
        conditions.append(events.c.timestamp >= datetime.combine(day_from, time.min, timezone.utc).timestamp())
    if day_to:
        end = datetime.combine(day_to + timedelta(days=1), time.min, timezone.utc)
        conditions.append(events.c.timestamp < end.timestamp())
    return conditions


def _has_events(engine: Engine) -> bool:
    return inspect(engine).has_table("events")


def conversations(engine: Engine, day_from: Optional[date] = None, day_to: Optional[date] = None,
                  channel: str = "") -> list[Conversation]:
    if not _has_events(engine):
        return []
    found: dict[str, Conversation] = {}
    counted: set[str] = set()  # conversations whose latest user message already counts as not understood
    active_form: dict[str, str] = {}  # the form each conversation is in, from Rasa's active_loop events
    # A form asks for free text (a name, a project): NLU finds no intent in it and says nlu_fallback,
    # yet the form takes it as the answer when its action runs next. Such a message was understood.
    answer_to: dict[str, str] = {}  # conversations whose latest message is nlu_fallback inside this form
    query = (select(events.c.sender_id, events.c.type_name, events.c.timestamp, events.c.intent_name,
                    events.c.action_name, events.c.data)
             .where(events.c.type_name.in_(("user", "action", "active_loop")), *_window(day_from, day_to))
             .order_by(events.c.id))
    with engine.connect() as connection:
        for row in connection.execute(query):
            talk = found.setdefault(row.sender_id, Conversation(row.sender_id))
            moment = _moment(row.timestamp)
            talk.started = talk.started or moment
            talk.last = moment
            if row.type_name == "user":
                data = _data(row.data)
                if row.intent_name == feedback.FEEDBACK_INTENT:  # a click, not a message
                    given = feedback.read(row.intent_name, (data.get("parse_data") or {}).get("entities"))
                    talk.feedback.update([given] if given else [])
                    continue
                talk.channel = talk.channel or data.get("input_channel") or "unbekannt"
                talk.messages += 1
                talk.intents[row.intent_name or ""] += 1
                counted.discard(row.sender_id)
                answer_to.pop(row.sender_id, None)
                if row.intent_name in FALLBACK_INTENTS:
                    talk.fallbacks += 1
                    talk.not_understood.append(redact(" ".join(str(data.get("text") or "").split()))[:300])
                    counted.add(row.sender_id)
                    if active_form.get(row.sender_id):
                        answer_to[row.sender_id] = active_form[row.sender_id]
            elif row.type_name == "action":
                form = answer_to.pop(row.sender_id, None)
                if form and row.action_name == form:  # the form took the message as its answer
                    talk.fallbacks -= 1
                    talk.not_understood.pop()
                    counted.discard(row.sender_id)
                elif row.action_name in FALLBACK_ACTIONS:
                    if row.sender_id not in counted:  # one message is not understood once
                        talk.fallbacks += 1
                        counted.add(row.sender_id)
                elif row.action_name == SUBMITTED:
                    talk.forms_completed += 1
                elif row.action_name == CANCELLED:
                    talk.forms_cancelled += 1
            else:
                active_form[row.sender_id] = _data(row.data).get("name") or ""
                if active_form[row.sender_id] in FORM_KINDS:
                    talk.forms_started += 1
    rows = [c for c in found.values() if c.messages and (not channel or c.channel == channel)]
    return sorted(rows, key=lambda c: c.last, reverse=True)


def daily_table(talks: list[Conversation]) -> list[list]:
    """One row per day and channel (by the start of the conversation), for the CSV download."""
    keyed: dict[tuple[date, str], list[int]] = defaultdict(lambda: [0] * (6 + len(FEEDBACK_LABELS)))
    for talk in talks:
        row = keyed[(talk.started.date(), talk.channel)]
        for i, value in enumerate((1, talk.messages, talk.fallbacks, talk.forms_started, talk.forms_completed,
                                   talk.forms_cancelled, *(talk.feedback[key] for key in FEEDBACK_LABELS))):
            row[i] += value
    header = ["Tag", "Kanal", "Gespräche", "Nachrichten", "nicht verstanden", "Formulare begonnen",
              "Formulare abgeschickt", "Formulare abgebrochen", *FEEDBACK_LABELS.values()]
    return [header] + [[day.isoformat(), channel, *values] for (day, channel), values in sorted(keyed.items())]


def statistics(engine: Engine, day_from: Optional[date] = None, day_to: Optional[date] = None,
               top: int = 10) -> Statistics:
    talks = conversations(engine, day_from, day_to)
    per_day: dict[date, Counter] = defaultdict(Counter)
    intents: Counter = Counter()
    given: Counter = Counter()
    not_understood: Counter = Counter()
    for talk in talks:
        per_day[talk.started.date()][talk.channel] += 1
        intents.update(talk.intents)
        given.update(talk.feedback)
        not_understood.update(text for text in talk.not_understood if text)
    return Statistics(
        conversations=len(talks),
        messages=sum(t.messages for t in talks),
        fallbacks=sum(t.fallbacks for t in talks),
        per_day=dict(sorted(per_day.items())),
        channels=sorted({t.channel for t in talks}),
        top_intents=[(name, n) for name, n in intents.most_common() if name not in FALLBACK_INTENTS][:top],
        not_understood=not_understood.most_common(top),
        forms_started=sum(t.forms_started for t in talks),
        forms_completed=sum(t.forms_completed for t in talks),
        forms_cancelled=sum(t.forms_cancelled for t in talks),
        feedback=given,
    )


def transcript(engine: Engine, sender_id: str) -> list[Turn]:
    if not _has_events(engine):
        return []
    turns: list[Turn] = []
    opening = 0  # 1 when the bot spoke before the user's first message
    query = (select(events.c.type_name, events.c.timestamp, events.c.action_name, events.c.data)
             .where(events.c.sender_id == sender_id, events.c.type_name.in_(("user", "bot", "action")))
             .order_by(events.c.id))
    with engine.connect() as connection:
        for row in connection.execute(query):
            data = _data(row.data)
            if row.type_name == "user":
                intent = (data.get("parse_data") or {}).get("intent") or {}
                given = feedback.read(intent.get("name"), (data.get("parse_data") or {}).get("entities"))
                if given and turns:  # a click on the answer before it, not a message of its own
                    turns[-1].feedback.append(FEEDBACK_LABELS[given])
                    continue
                turns.append(Turn(_moment(row.timestamp), redact(data.get("text") or ""), len(turns) + 1 - opening,
                                  intent.get("name") or "", intent.get("confidence")))
                continue
            reply = row.type_name == "bot" and data.get("text")
            action = row.type_name == "action" and row.action_name not in ("action_listen", "action_session_start")
            if (reply or action) and not turns:  # the bot speaks first (a greeting)
                turns.append(Turn(_moment(row.timestamp)))
                opening = 1
            if reply:
                turns[-1].replies.append(redact(data["text"]))
            elif action:
                turns[-1].actions.append(row.action_name)
    return turns
