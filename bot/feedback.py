""""Hilfreich? Ja / Nein": the message the widget sends and how it is stored and read back.

The widget sends /feedback{"feedback_wert":"ja"|"nein"} after an answer, with
"feedback_bezug":"gespraech" for "Hat Ihnen das Gespräch geholfen?". The socket.io channel
(bot/channels/socketio.py) does not hand it to Rasa's dialogue: it appends it to the stored
conversation as a user event of intent `feedback` followed by Rasa's UserUtteranceReverted,
so the dialogue (also a form) goes on as if nothing was sent and the NLU and the model are
not involved. The staff console reads it from the stored events. One place for these names;
plain Python, so the console imports it without Rasa."""
from __future__ import annotations

import json
from typing import Optional

FEEDBACK_INTENT = "feedback"
VALUE_ENTITY, SUBJECT_ENTITY = "feedback_wert", "feedback_bezug"
VALUES = ("ja", "nein")
ANSWER, CONVERSATION = "antwort", "gespraech"


def payload(subject: str, value: str) -> str:
    """The message exactly as asskomm-widget.js sends it."""
    return "/" + FEEDBACK_INTENT + json.dumps(dict(entities(subject, value)), separators=(",", ":"))


def entities(subject: str, value: str) -> list[tuple[str, str]]:
    return [(VALUE_ENTITY, value)] + ([(SUBJECT_ENTITY, subject)] if subject != ANSWER else [])


def parse_payload(text: str) -> Optional[tuple[str, str]]:
    """(subject, value) when the text is one of the four messages the widget sends, else None:
    anything else typed by hand goes to Rasa like any other message."""
    for subject in (ANSWER, CONVERSATION):
        for value in VALUES:
            if text.strip() == payload(subject, value):
                return subject, value
    return None


def read(intent: Optional[str], stored_entities: list) -> Optional[tuple[str, str]]:
    """(subject, value) of a stored feedback event, or None when it is none or malformed."""
    if intent != FEEDBACK_INTENT:
        return None
    found = {e.get("entity"): e.get("value") for e in stored_entities or [] if isinstance(e, dict)}
    value, subject = found.get(VALUE_ENTITY), found.get(SUBJECT_ENTITY) or ANSWER
    if value not in VALUES or subject not in (ANSWER, CONVERSATION):
        return None
    return subject, value
