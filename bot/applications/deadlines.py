"""The funding deadline measured against today's date: which funding year an application
can still reach, and whether a planned project start is too late for its funding year.

The window (31 August to 15 October of the year before the funding year) is read from
knowledge/forms/funding_deadline.yml with its source; nothing here knows the dates."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import yaml

from bot.knowledge.model import Source
from bot.knowledge.render import source_line


@dataclass(frozen=True)
class DeadlineRule:
    opens: tuple[int, int]  # (month, day) in the year before the funding year
    closes: tuple[int, int]
    source: Source

    def window(self, funding_year: int) -> tuple[date, date]:
        year = funding_year - 1
        return date(year, *self.opens), date(year, *self.closes)

    def next_funding_year(self, today: date) -> int:
        """The first funding year whose application window has not closed yet."""
        return today.year + 1 if today <= date(today.year, *self.closes) else today.year + 2


def load_rule(knowledge_dir: Path) -> DeadlineRule:
    data = yaml.safe_load((knowledge_dir / "forms" / "funding_deadline.yml").read_text(encoding="utf-8"))
    return DeadlineRule(
        opens=(int(data["opens"]["month"]), int(data["opens"]["day"])),
        closes=(int(data["closes"]["month"]), int(data["closes"]["day"])),
        source=Source(**data["source"]),
    )


def _german(day: date) -> str:
    return f"{day:%d.%m.%Y}"


def _source(rule: DeadlineRule) -> str:
    return f"({source_line([rule.source])})"


def next_deadline_sentence(rule: DeadlineRule, today: date) -> str:
    """'Bis wann muss der Antrag da sein?' measured against today: the next deadline with its year."""
    year = today.year + 1
    opens, closes = rule.window(year)
    if today < opens:
        text = (f"Die nächste Frist gilt für das Förderjahr {year}: Anträge müssen vom {_german(opens)} "
                f"bis spätestens {_german(closes)} eingehen.")
    elif today <= closes:
        text = (f"Die Frist für das Förderjahr {year} läuft gerade: Anträge müssen bis spätestens "
                f"{_german(closes)} eingehen.")
    else:
        following = rule.next_funding_year(today)
        next_opens, next_closes = rule.window(following)
        text = (f"Die Frist für das Förderjahr {year} ist am {_german(closes)} abgelaufen. Die nächste Frist gilt "
                f"für das Förderjahr {following}: Anträge müssen vom {_german(next_opens)} bis spätestens "
                f"{_german(next_closes)} eingehen.")
    return f"Stand heute ({_german(today)}): {text} {_source(rule)}"


def today_note(entry_id: str, knowledge_dir: Path, today: date) -> str | None:
    """A sentence computed from today's date to send after a knowledge entry, or None.

    Only the deadline entry has one; actions that answer from knowledge send it after the entry."""
    if entry_id != "funding_deadline":
        return None
    return next_deadline_sentence(load_rule(knowledge_dir), today)


# --------------------------------------------------------------------------- planned start

_MONTHS = {
    "jan": 1, "jän": 1, "feb": 2, "mär": 3, "mar": 3, "mrz": 3, "apr": 4, "mai": 5, "jun": 6, "jul": 7,
    "aug": 8, "sep": 9, "okt": 10, "oct": 10, "nov": 11, "dez": 12, "dec": 12,
}
_MONTH_RE = re.compile(r"\b(jan|jän|feb|mär|maerz|mar|mrz|apr|mai|jun|jul|aug|sep|okt|nov|dez)[a-zäöü]*\.?",
                       re.IGNORECASE)
_YEAR_RE = re.compile(r"(?<!\d)(20[2-4]\d)(?!\d)")
_SHORT_YEAR_RE = re.compile(r"\b\d{1,2}\.\d{1,2}\.(\d{2})(?!\d)")
_RELATIVE_YEARS = [
    (re.compile(r"übernächste[nms]?\s+jahr|uebernaechste[nms]?\s+jahr", re.IGNORECASE), 2),
    (re.compile(r"(?:nächste[nms]?|naechste[nms]?|kommende[nms]?)\s+jahr", re.IGNORECASE), 1),
    (re.compile(r"(?:diese[nms]?|laufende[nms]?)\s+jahr|noch\s+in\s+diesem\s+jahr", re.IGNORECASE), 0),
]


def planned_start_year(period: str, today: date) -> int | None:
    """The year a project period starts in ("März bis Dezember 2027" → 2027, "ab nächstem
    Jahr" → today's year + 1, "ab März" → the next March); None for "6 Monate"."""
    text = period or ""
    years = [int(y) for y in _YEAR_RE.findall(text)]
    years += [2000 + int(y) for y in _SHORT_YEAR_RE.findall(text)]
    if years:
        return min(years)
    for pattern, offset in _RELATIVE_YEARS:
        if pattern.search(text):
            return today.year + offset
    month = _MONTH_RE.search(text)
    if month:
        number = _MONTHS.get(month.group(1).lower()[:3].replace("mae", "mär"), None)
        if number is not None:
            return today.year if number > today.month else today.year + 1
    return None


@dataclass(frozen=True)
class StartCheck:
    funding_year: int
    passed: bool
    message: str


def check_planned_start(rule: DeadlineRule, period: str, today: date) -> StartCheck | None:
    """Whether an application for the funding year of a planned start can still arrive in time.

    None when the period names no start year. A passed deadline gets a polite message with the
    next possible funding year; a deadline still ahead gets a short reminder."""
    year = planned_start_year(period, today)
    if year is None:
        return None
    opens, closes = rule.window(year)
    if today > closes:
        following = rule.next_funding_year(today)
        next_opens, next_closes = rule.window(following)
        message = (
            f"Bitte beachten Sie: Für einen Projektstart {year} gilt das Förderjahr {year}. Die Antragsfrist "
            f"dafür endete am {_german(closes)} – sie ist leider schon abgelaufen. Als Nächstes ist eine Förderung "
            f"für das Förderjahr {following} möglich; der Antrag muss dafür vom {_german(next_opens)} bis "
            f"spätestens {_german(next_closes)} beim Landespräventionsrat eingehen. {_source(rule)}\n\n"
            "Ich nehme Ihre Anfrage trotzdem gern auf. Wenn Sie den Zeitraum ändern möchten, schreiben Sie "
            "einfach „Zeitraum ändern“."
        )
        return StartCheck(year, True, message)
    when = f"vom {_german(opens)} bis spätestens {_german(closes)}" if today < opens else f"bis spätestens {_german(closes)}"
    message = (f"Hinweis: Für das Förderjahr {year} muss der Förderantrag {when} beim Landespräventionsrat "
               f"eingehen. {_source(rule)}")
    return StartCheck(year, False, message)


def summary_warning(check: StartCheck) -> str:
    """The short warning the summary repeats before the enquiry is sent."""
    return (f"Die Antragsfrist für das Förderjahr {check.funding_year} ist bereits abgelaufen; "
            "der Landespräventionsrat kann die Anfrage frühestens für das nächste mögliche Förderjahr berücksichtigen.")
