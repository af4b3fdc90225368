"""When LPR staff can take over a chat: weekly hours, Saxon public holidays (the `holidays`
package, subdivision SN) and extra closed days, all in Saxon local time.

ASSKOMM_OFFICE_HOURS: "Mo-Fr 09:00-15:00" (the default); several ranges with ";"
("Mo-Do 9-15; Fr 9-12"). ASSKOMM_OFFICE_CLOSED_DAYS: "24.12.,31.12." (day.month., each year).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache

from bot.clock import SAXONY
from bot.config import Settings, get_settings

DAYS = ["mo", "di", "mi", "do", "fr", "sa", "so"]
DAY_NAMES = ["Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"]
MONTH_NAMES = ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September",
               "Oktober", "November", "Dezember"]
_RANGE = re.compile(r"^\s*(?P<days>[a-zA-Z,\s-]+?)\s+(?P<start>\d{1,2}(?::\d{2})?)\s*-\s*(?P<end>\d{1,2}(?::\d{2})?)\s*$")
_CLOSED = re.compile(r"^\s*(\d{1,2})\.(\d{1,2})\.?\s*$")
# A week holds every weekday; a year of closed days in a row does not happen.
_SEARCH_DAYS = 400


@dataclass(frozen=True)
class Window:
    weekday: int  # 0 = Monday
    start: time
    end: time


@dataclass(frozen=True)
class OfficeHours:
    windows: tuple[Window, ...]
    closed_days: frozenset[tuple[int, int]]  # (month, day), every year

    @classmethod
    def parse(cls, hours: str, closed_days: str = "") -> "OfficeHours":
        """Raises ValueError with a German reason for a setting it cannot read."""
        windows = []
        for part in filter(str.strip, hours.split(";")):
            match = _RANGE.match(part)
            if not match:
                raise ValueError(f"Sprechzeiten nicht lesbar: {part.strip()!r} (Beispiel: Mo-Fr 09:00-15:00)")
            start, end = _clock_time(match["start"]), _clock_time(match["end"])
            if end <= start:
                raise ValueError(f"Sprechzeit endet vor ihrem Beginn: {part.strip()!r}")
            windows.extend(Window(day, start, end) for day in _weekdays(match["days"]))
        closed = set()
        for part in filter(str.strip, closed_days.split(",")):
            match = _CLOSED.match(part)
            if not match:
                raise ValueError(f"Schließtag nicht lesbar: {part.strip()!r} (Beispiel: 24.12.)")
            day, month = int(match[1]), int(match[2])
            date(2024, month, day)  # raises for 31.04. (2024: 29.02. is valid)
            closed.add((month, day))
        return cls(tuple(sorted(windows, key=lambda w: (w.weekday, w.start))), frozenset(closed))

    def closed_on(self, day: date) -> bool:
        return day in _saxon_holidays(day.year) or (day.month, day.day) in self.closed_days

    def is_open(self, moment: datetime) -> bool:
        local = moment.astimezone(SAXONY)
        if self.closed_on(local.date()):
            return False
        return any(w.weekday == local.weekday() and w.start <= local.time() < w.end for w in self.windows)

    def next_opening(self, moment: datetime) -> datetime | None:
        """The next moment staff are there (the moment itself when open now); None without any hours."""
        local = moment.astimezone(SAXONY)
        if self.is_open(local):
            return local
        for offset in range(_SEARCH_DAYS):
            day = local.date() + timedelta(days=offset)
            if self.closed_on(day):
                continue
            for window in (w for w in self.windows if w.weekday == day.weekday()):
                start = datetime.combine(day, window.start, tzinfo=SAXONY)
                if start > local:
                    return start
        return None


def _clock_time(text: str) -> time:
    hours, _, minutes = text.partition(":")
    hour, minute = int(hours), int(minutes or 0)
    if hour == 24 and minute == 0:
        return time.max
    return time(hour, minute)


def _weekdays(text: str) -> list[int]:
    days = []
    for part in filter(str.strip, text.lower().split(",")):
        first, _, last = (p.strip()[:2] for p in part.partition("-"))
        if first not in DAYS or (last and last not in DAYS):
            raise ValueError(f"Wochentag nicht lesbar: {part.strip()!r} (Mo, Di, Mi, Do, Fr, Sa, So)")
        start, end = DAYS.index(first), DAYS.index(last or first)
        if end < start:
            raise ValueError(f"Wochentage in falscher Reihenfolge: {part.strip()!r}")
        days.extend(range(start, end + 1))
    return days


@lru_cache(maxsize=8)
def _saxon_holidays(year: int):
    # Imported here: the settings check this module's parser, and the console and the bridge
    # read the settings in their own environments, which have no `holidays`.
    import holidays

    return holidays.country_holidays("DE", subdiv="SN", years=year, language="de")


def holiday_name(day: date) -> str | None:
    """'Buß- und Bettag' for 2026-11-18; None on a day that is no Saxon public holiday."""
    return _saxon_holidays(day.year).get(day)


def german_moment(moment: datetime) -> str:
    """'Dienstag, 1. Dezember 2026, 9 Uhr' / '… 9:30 Uhr' in Saxon time."""
    local = moment.astimezone(SAXONY)
    clock = f"{local.hour} Uhr" if not local.minute else f"{local.hour}:{local.minute:02d} Uhr"
    return f"{DAY_NAMES[local.weekday()]}, {local.day}. {MONTH_NAMES[local.month - 1]} {local.year}, {clock}"


def from_settings(settings: Settings | None = None) -> OfficeHours:
    settings = settings or get_settings()
    return OfficeHours.parse(settings.office_hours, settings.office_closed_days)
