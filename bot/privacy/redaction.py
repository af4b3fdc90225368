"""Which answers are personal data and how they are replaced before anything is stored.

Works on events as dictionaries (Rasa's `Event.as_dict()`), so it is tested without Rasa.
The rule: a user message is a form answer when a form is active and asks for one of the
personal slots (`requested_slot` at the time of the message); its text becomes the slot's
placeholder. The same values are replaced in slot events and in the bot's messages (the
summary repeats them). Over-redaction is safe: a question asked in the middle of a form is
stored as "[Name]" too.
"""
from __future__ import annotations

import re
from typing import Iterable

from bot import feedback

# slot → what the stored conversation shows instead of the answer
PLACEHOLDERS = {
    "app_contact_name": "[Name]",
    "app_function": "[Funktion]",
    "app_email": "[E-Mail]",
    "app_phone": "[Telefon]",
    "app_message": "[Freitext]",
    "app_project": "[Freitext]",
    "app_question": "[Freitext]",
    "status_email": "[E-Mail]",
}
PAYLOAD = re.compile(r"/\w+")
# Shorter answers ("nein", "keine") are too common to be replaced in the bot's own texts.
MIN_SCRUB_LENGTH = 5

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# +49 351 1234567, 0351/123 45 67, 0171-1234567: a German or international number (leading
# + or 0, at least 7 digits); dates, times, IP addresses and reference numbers do not match.
PHONE = re.compile(r"(?<![\w.+-])(?:\+\d{1,3}|0)(?:[ /()-]{0,3}\d){6,}(?![\w.-])")


def redact_events(events: Iterable[dict], known_values: Iterable[str] = ()) -> list[dict]:
    """The events as they may be stored: form answers replaced by placeholders.

    `known_values` are personal values the conversation holds from earlier turns (the
    answers of a form still in progress), replaced in the bot's messages as well."""
    return Redactor(known_values).redact(events)


class Redactor:
    """Redacts one conversation's events in order, keeping what it has seen (the active form,
    the slot it asks for, the personal values), so that the events of the next turn are
    redacted as if the whole conversation were redacted again."""

    def __init__(self, known_values: Iterable[str] = ()):
        self.values: set[str] = set()
        self.know(known_values)
        self.active_loop: str | None = None
        self.requested: str | None = None

    def know(self, values: Iterable[str]) -> None:
        self.values |= {v for v in values if isinstance(v, str) and len(v.strip()) >= MIN_SCRUB_LENGTH}

    def redact(self, events: Iterable[dict]) -> list[dict]:
        return [self._redact(event) for event in events]

    def _redact(self, event: dict) -> dict:
        kind = event.get("event")
        if kind == "active_loop":
            self.active_loop = event.get("name")
            if not self.active_loop:
                self.requested = None
        elif kind in ("restart", "session_started"):
            self.active_loop, self.requested = None, None
        elif kind == "slot" and event.get("name") == "requested_slot":
            self.requested = event.get("value")
        elif kind == "slot" and event.get("name") in PLACEHOLDERS:
            return _redact_slot(event, self.values)
        elif kind == "user" and self.active_loop and self.requested in PLACEHOLDERS:
            return _redact_user(event, PLACEHOLDERS[self.requested], self.values)
        elif kind == "bot" and self.values:
            return _scrub_bot(event, self.values)
        return event


def _redact_slot(event: dict, values: set[str]) -> dict:
    value = event.get("value")
    if value in (None, "") or value == PLACEHOLDERS[event["name"]]:
        return event
    if isinstance(value, str) and len(value.strip()) >= MIN_SCRUB_LENGTH:
        values.add(value)
    return {**event, "value": PLACEHOLDERS[event["name"]]}


def _redact_user(event: dict, placeholder: str, values: set[str]) -> dict:
    text = event.get("text") or ""
    if text == placeholder or PAYLOAD.fullmatch(text):  # stored before, or a plain button payload
        return event
    parse_data = event.get("parse_data") or {}
    given = feedback.read((parse_data.get("intent") or {}).get("name"), parse_data.get("entities"))
    if given:  # "Hilfreich? Ja" clicked during a form: no answer, and kept only in its fixed words
        known = [e for e in parse_data.get("entities") or [] if e.get("entity") in (feedback.VALUE_ENTITY,
                                                                                     feedback.SUBJECT_ENTITY)]
        return {**event, "text": feedback.payload(*given),
                "parse_data": {**parse_data, "text": feedback.payload(*given), "entities": known}}
    if len(text.strip()) >= MIN_SCRUB_LENGTH:
        values.add(text)
    parse_data = {**(event.get("parse_data") or {}), "text": placeholder, "entities": []}
    return {**event, "text": placeholder, "parse_data": parse_data}


def _scrub_bot(event: dict, values: set[str]) -> dict:
    text = event.get("text")
    if not text:
        return event
    # longest first, so that "max@example.org" is not half replaced by a shorter value
    for value in sorted(values, key=len, reverse=True):
        text = text.replace(value, "[…]")
        if value.strip() != value:
            text = text.replace(value.strip(), "[…]")
    return {**event, "text": text} if text != event.get("text") else event


def scrub_text(text: str) -> str:
    """E-mail addresses and phone numbers in a free text (log lines) replaced."""
    return PHONE.sub("[Telefon]", EMAIL.sub("[E-Mail]", text))
