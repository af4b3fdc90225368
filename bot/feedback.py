""""Hilfreich? Ja / Nein": the message the widget sends and how it is read back.

The widget sends /feedback{"feedback_wert": "ja"|"nein"} after an answer, with
"feedback_bezug": "gespraech" for "Hat Ihnen das Gespräch geholfen?". Rasa stores it in the
tracker store as a user event of intent `feedback`; actions/feedback.py takes it back for the
dialogue; the staff console reads it from the stored events. One place for these names."""
from __future__ import annotations

import json
from typing import Optional

FEEDBACK_INTENT, FEEDBACK_ACTION = "feedback", "action_feedback"
# Intents only buttons send: Rasa reads "/intent{...}" without the NLU, so they have no examples.
BUTTON_ONLY_INTENTS = frozenset({FEEDBACK_INTENT})
VALUE_ENTITY, SUBJECT_ENTITY = "feedback_wert", "feedback_bezug"
VALUES = ("ja", "nein")
ANSWER, CONVERSATION = "antwort", "gespraech"


def payload(subject: str, value: str) -> str:
    """The message as asskomm-widget.js sends it."""
    entities = {VALUE_ENTITY: value, **({SUBJECT_ENTITY: subject} if subject != ANSWER else {})}
    return "/" + FEEDBACK_INTENT + json.dumps(entities, separators=(",", ":"))


def read(intent: Optional[str], entities: list) -> Optional[tuple[str, str]]:
    """(subject, value) of a stored feedback message, or None when it is none or malformed."""
    if intent != FEEDBACK_INTENT:
        return None
    found = {e.get("entity"): e.get("value") for e in entities or [] if isinstance(e, dict)}
    value, subject = found.get(VALUE_ENTITY), found.get(SUBJECT_ENTITY) or ANSWER
    if value not in VALUES or subject not in (ANSWER, CONVERSATION):
        return None
    return subject, value
