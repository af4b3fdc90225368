"""The knowledge entries as the editors see them in the console (read-only for now): every
entry with its sources, and the sources whose Stand is old or missing marked for review."""
from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from bot.knowledge import Entry, KnowledgeBase
from bot.knowledge.model import STAND_PATTERN, Source

REVIEW_AFTER_MONTHS = 24  # a source older than this is shown as "prüfen"


def latest_day(stand: str) -> date | None:
    """The last day a Stand can mean ('2021' → 31.12.2021, '2021-11' → 30.11.2021); None if undated."""
    match = STAND_PATTERN.match(stand)
    year, month, day = match.groups() if match else (None, None, None)
    if year is None:
        return None
    if day:
        return date(int(year), int(month), int(day))
    if month:
        return date(int(year), int(month), calendar.monthrange(int(year), int(month))[1])
    return date(int(year), 12, 31)


def months_between(earlier: date, later: date) -> int:
    return (later.year - earlier.year) * 12 + later.month - earlier.month - (later.day < earlier.day)


def review_reason(source: Source, today: date) -> str:
    """'' when the Stand is recent; else why an editor should check the source."""
    last = latest_day(source.stand)
    if last is None:
        return "ohne Datum"
    if months_between(last, today) >= REVIEW_AFTER_MONTHS:
        return f"älter als {REVIEW_AFTER_MONTHS} Monate"
    return ""


@dataclass(frozen=True)
class EntryView:
    entry: Entry
    sources: list[tuple[Source, str]]  # each source with its review reason ('' = fine)

    @property
    def needs_review(self) -> bool:
        return any(reason for _, reason in self.sources)


def entries(knowledge_dir: Path, today: date | None = None) -> list[EntryView]:
    today = today or date.today()
    base = KnowledgeBase.from_directory(knowledge_dir)
    return [EntryView(e, [(s, review_reason(s, today)) for s in e.sources])
            for e in sorted(base.entries.values(), key=lambda e: e.id)]
