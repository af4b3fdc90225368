"""Schema of a knowledge entry. Validation here is what makes a fact without source or
Stand impossible to load."""
from __future__ import annotations

import re
from datetime import date
from typing import List, Optional

from pydantic import BaseModel, Extra, validator

# The date the source states: a day, a month or a year; "undatiert" where the source has none.
STAND_PATTERN = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$|^undatiert$")
ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")

# What a short follow-up can ask about the topic just discussed ("Was kostet das?" after the
# study programme is the study's cost). An entry names the aspects it answers for its topic;
# bot/conversation/followups.py finds the entry for (current topic, asked aspect).
ASPECTS = {
    "what": "Was ist das, worum geht es?",
    "how": "Wie geht das, welche Schritte?",
    "cost": "Was kostet das, gibt es einen Eigenanteil?",
    "when": "Wann, seit wann, bis wann?",
    "duration": "Wie lange dauert das?",
    "who": "Wer darf, wer macht mit, für wen?",
    "funding": "Gibt es dafür Geld?",
    "contact": "An wen wende ich mich?",
    "count": "Wie viele?",
    "benefit": "Was bringt das, was bekommt man?",
}

_MONTHS = [
    "Januar", "Februar", "März", "April", "Mai", "Juni",
    "Juli", "August", "September", "Oktober", "November", "Dezember",
]


class KnowledgeError(ValueError):
    """The knowledge files cannot be used; the message names file and entry."""


class Source(BaseModel, extra=Extra.forbid):
    title: str
    url: Optional[str] = None
    stand: str

    @validator("title")
    def _title_not_empty(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("Quelle ohne Titel")
        return value.strip()

    @validator("url")
    def _url_is_web_address(cls, value: Optional[str]) -> Optional[str]:
        if value is not None and not re.match(r"^https?://\S+$", value):
            raise ValueError(f"keine Web-Adresse: {value!r}")
        return value

    @validator("stand", pre=True)
    def _stand_is_a_date(cls, value) -> str:
        if isinstance(value, date):  # YAML reads 2023-09-14 as a date
            value = value.isoformat()
        value = str(value).strip()
        match = STAND_PATTERN.match(value)
        if not match:
            raise ValueError(f"Stand muss JJJJ, JJJJ-MM, JJJJ-MM-TT oder 'undatiert' sein, nicht {value!r}")
        if match.group(2):
            date(int(match.group(1)), int(match.group(2)), int(match.group(3) or 1))  # raises if invalid
        return value

    def stand_german(self) -> str:
        """'2023-09-14' -> '14.09.2023', '2021-11' -> 'November 2021', 'undatiert' -> 'ohne Datum'."""
        match = STAND_PATTERN.match(self.stand)
        year, month, day = match.groups()
        if year is None:
            return "ohne Datum"
        if day:
            return f"{day}.{month}.{year}"
        if month:
            return f"{_MONTHS[int(month) - 1]} {year}"
        return year


class Sourced(BaseModel, extra=Extra.forbid):
    """Anything the bot states: it carries at least one source (one rule for every fact file)."""

    sources: List[Source]

    @validator("sources")
    def _has_sources(cls, value: List[Source]) -> List[Source]:
        if not value:
            raise ValueError("Angabe ohne Quelle")
        return value


class Entry(Sourced):
    id: str
    # The intent this entry answers; entries without one are only reached by buttons or
    # other actions (e.g. the contact shown after repeated misunderstandings).
    intent: Optional[str] = None
    title: str  # short label, used on buttons that lead to this entry
    answer: str
    buttons: List[str] = []  # ids of follow-up entries, or a form to start (render.FORM_BUTTONS)
    # The subject of the conversation after this answer (a topic id of knowledge/topics.yml),
    # and which follow-up questions about that subject this entry answers (ASPECTS).
    topic: Optional[str] = None
    aspects: List[str] = []

    @validator("id")
    def _id_format(cls, value: str) -> str:
        if not ID_PATTERN.match(value):
            raise ValueError(f"ungültige id {value!r} (klein, a-z, 0-9, _)")
        return value

    @validator("answer")
    def _answer_not_empty(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("leere Antwort")
        return value.strip()

    @validator("aspects", each_item=True)
    def _known_aspect(cls, value: str) -> str:
        if value not in ASPECTS:
            raise ValueError(f"unbekannter Aspekt {value!r} (bekannt: {', '.join(ASPECTS)})")
        return value

class Topic(BaseModel, extra=Extra.forbid):
    """A subject a conversation can be about; its words tell whether a message names it."""

    id: str
    title: str
    # Lower-case word beginnings: a message with a word that starts with one names this topic
    # ("förder" names funding in "Förderung"; "präventionsrat" is not found in "Landespräventionsrat").
    keywords: List[str]

    def named_in(self, text: str) -> bool:
        lowered = text.lower()
        return any(re.search(r"(?<!\w)" + re.escape(keyword), lowered) for keyword in self.keywords)

    @validator("id")
    def _id_format(cls, value: str) -> str:
        if not ID_PATTERN.match(value):
            raise ValueError(f"ungültige id {value!r} (klein, a-z, 0-9, _)")
        return value

    @validator("keywords", each_item=True)
    def _keyword_lower(cls, value: str) -> str:
        if not value.strip() or value != value.lower():
            raise ValueError(f"Stichwort {value!r} muss kleingeschrieben und nicht leer sein")
        return value
