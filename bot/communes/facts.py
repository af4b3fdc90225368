"""Schema of a sourced membership fact (knowledge/communes/memberships.yml, admin CLI)."""
from __future__ import annotations

import re
from datetime import date
from typing import Optional

from pydantic import BaseModel, Extra, validator

from bot.knowledge.model import STAND_PATTERN, Source

STATUSES = {
    "modellkommune": "Modellkommune",
    "kooperationsvereinbarung": "Kooperationsvereinbarung unterzeichnet",
    "vorvereinbarung": "Vorvereinbarung unterzeichnet",
    "beteiligt": "beteiligt oder beraten, Vereinbarung nicht belegt",
    "unbekannt": "unbekannt",
}
# Statuses that mean a signed agreement with the LPR (counted as members).
SIGNED = ("modellkommune", "kooperationsvereinbarung")
COUNCIL = ("ja", "nein", "unbekannt")
AGS_PATTERN = re.compile(r"^14\d{6}$")


def saxon_ags(value) -> str:
    value = str(value).strip()
    if not AGS_PATTERN.match(value):
        raise ValueError(f"kein sächsischer Gemeindeschlüssel: {value!r}")
    return value


class MembershipFact(BaseModel, extra=Extra.forbid):
    ags: str
    name: str = ""  # for people reading the file; the database goes by ags
    status: str
    agreement_date: Optional[str] = None
    via: Optional[str] = None
    prevention_council: str = "unbekannt"
    note: Optional[str] = None
    # The passage of the source that says so, for checking (only in the knowledge file).
    quote: Optional[str] = None
    source: Source

    _ags = validator("ags", pre=True, allow_reuse=True)(saxon_ags)

    @validator("status")
    def _status(cls, value: str) -> str:
        if value not in STATUSES:
            raise ValueError(f"Status {value!r} unbekannt; erlaubt: {', '.join(STATUSES)}")
        return value

    @validator("prevention_council")
    def _council(cls, value: str) -> str:
        if value not in COUNCIL:
            raise ValueError(f"prevention_council muss ja, nein oder unbekannt sein, nicht {value!r}")
        return value

    @classmethod
    def from_staff(cls, ags: str, status: str, source_title: str, source_stand: str, source_url: str = "",
                   agreement_date: str = "", via: str = "", prevention_council: str = "unbekannt",
                   note: str = "") -> "MembershipFact":
        """A fact as staff enter it (`bot.admin setzen`, the console's form): the source's title
        and Stand are required, empty fields mean "not given"."""
        def given(value: Optional[str]) -> Optional[str]:
            return (value or "").strip() or None

        return cls(ags=ags, status=status, agreement_date=given(agreement_date), via=given(via),
                   prevention_council=given(prevention_council) or "unbekannt", note=given(note),
                   source={"title": source_title or "", "url": given(source_url), "stand": (source_stand or "").strip()})

    @validator("agreement_date", pre=True)
    def _agreement_date(cls, value) -> Optional[str]:
        if value is None or value == "":
            return None
        if isinstance(value, date):
            value = value.isoformat()
        value = str(value)
        if not STAND_PATTERN.match(value) or value == "undatiert":
            raise ValueError(f"Datum muss JJJJ, JJJJ-MM oder JJJJ-MM-TT sein, nicht {value!r}")
        return value


class UnrecordedCommune(BaseModel, extra=Extra.forbid):
    """A commune the research names but that deliberately has no membership record."""

    ags: str
    name: str
    reason: str

    _ags = validator("ags", pre=True, allow_reuse=True)(saxon_ags)

    @validator("reason")
    def _reason(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("Grund fehlt")
        return value


def german_date(value: str) -> str:
    """'2022-01-11' → '11.01.2022', '2021-11' → 'November 2021', '2020' → '2020'."""
    return Source(title="-", stand=value).stand_german()


def on_date(value: str) -> str:
    """The date with the preposition its precision needs: 'am 11.01.2022', 'im Juli 2020',
    'im Jahr 2020' (sources often give only month or year)."""
    preposition = {10: "am", 7: "im"}.get(len(value), "im Jahr")
    return f"{preposition} {german_date(value)}"
