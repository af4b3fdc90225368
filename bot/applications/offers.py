"""When a form starts at once and when it is only offered, and which answer a question that
led to a form gets when the user wants information instead.

A form is started at once only when the user asks for the request itself ("Ich möchte eine
Studienanfrage stellen", "Wir möchten als Gemeinde Großharthau beitreten", a button). A
question ("Kann ich hier eine Förderanfrage stellen?") or a wish for information ("Ich
interessiere mich für den Master und möchte Infomaterial") gets an offer first."""
from __future__ import annotations

import re

FORM_OF_INTENT = {"request_join": "join_form", "request_funding": "funding_form", "request_study": "study_form",
                  "request_callback": "callback_form",
                  # a person asked for when nobody can take over (actions/handover.py)
                  "request_human": "callback_form"}
# The subject of each form (topic ids of knowledge/topics.yml) and the entry that answers a
# user who wants information instead of the form.
FORM_TOPICS = {"join_form": "joining", "funding_form": "funding", "study_form": "study", "callback_form": "contact"}
DEFAULT_INFO_ENTRY = {"join_form": "join_process", "funding_form": "funding", "study_form": "study",
                      "callback_form": "contact"}
# How a user starts the form again later, as the bot suggests it.
START_PHRASES = {
    "join_form": "Beitrittsanfrage stellen",
    "funding_form": "Förderanfrage stellen",
    "study_form": "Studienanfrage stellen",
    "callback_form": "Rückruf",
}

_REQUEST = re.compile(
    r"anfrage|antrag|interessen?s?bekundung|beantrag|anmeld|beitreten|beitritt|mitglied\s+werden|"
    r"allianzkommune\s+werden|aufnehmen|weiterleiten|weitergeben|einreichen|abschicken|vormerken|mitmachen|"
    r"rückruf|rueckruf|zurückruf|zurueckruf",
    re.IGNORECASE,
)
_INFO = re.compile(
    r"\binfos?\b|informationen|infomaterial|informationsmaterial|unterlagen|broschüre|infopaket|"
    r"\bwissen\b|erfahren|interessier|wie\s+geht\s+das|was\s+muss",
    re.IGNORECASE,
)
_QUESTION_START = re.compile(
    r"^(?:kann|können|koennen|könnte|darf|dürfen|muss|müssen|gibt|geht|ist|sind|wie|was|wo|wann|wer|"
    r"welche\w*|warum|wieso|weshalb)\b",
    re.IGNORECASE,
)


def starts_at_once(text: str) -> bool:
    """True for an explicit request or a button; False for a question or a wish for information."""
    cleaned = " ".join((text or "").split())
    if cleaned.startswith("/"):
        return True  # a button such as "Förderanfrage stellen" (/request_funding)
    if "?" in cleaned or _QUESTION_START.match(cleaned):
        return False
    return bool(_REQUEST.search(cleaned)) and not _INFO.search(cleaned)


# "Bitte melden Sie uns an", "tragen Sie uns ein": the user wants the bot to sign the commune
# up, which it cannot; they get how joining works and the offer that the LPR gets in touch.
_SIGN_UP = re.compile(r"\bmelde\w*\b.*\ban\b|anmeld|\btrag\w*\b.*\bein\b|eintrag|registrier|\bnehm\w*\b.*\bauf\b",
                      re.IGNORECASE)


def asks_to_be_signed_up(text: str) -> bool:
    return bool(_SIGN_UP.search(" ".join((text or "").split())))


def info_entry(form: str, ranking: list[dict], topic_of_intent: dict[str, tuple[str, str | None]]) -> str:
    """The knowledge entry for the question the form came from: the likeliest knowledge
    intent of that message on the form's subject, else the form's general entry.

    topic_of_intent maps each knowledge intent to its (entry id, topic)."""
    topic = FORM_TOPICS.get(form)
    for item in ranking or []:
        found = topic_of_intent.get(item.get("name") or "")
        if found and found[1] == topic and (item.get("confidence") or 0) >= 0.05:
            return found[0]
    return DEFAULT_INFO_ENTRY[form]
