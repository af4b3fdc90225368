"""Facts about ASSKomm that commune answers need (knowledge/communes/programme.yml): the start
date, the number of Modellkommunen, the commune register's source and the published member
counts. Loaded and checked like the knowledge entries: no fact without source and Stand."""
from __future__ import annotations

import logging
import threading
from datetime import date
from pathlib import Path
from typing import List, Optional

import yaml
from pydantic import BaseModel, Extra, ValidationError, validator

from bot.knowledge.model import STAND_PATTERN, Source, Sourced

log = logging.getLogger(__name__)


class ProgrammeError(ValueError):
    """programme.yml cannot be used; the message names what is wrong."""


def _exact_or_partial_date(value) -> str:
    if isinstance(value, date):  # YAML reads 2019-02-06 as a date
        value = value.isoformat()
    value = str(value).strip()
    if value == "undatiert" or not STAND_PATTERN.match(value):
        raise ValueError(f"Datum muss JJJJ, JJJJ-MM oder JJJJ-MM-TT sein, nicht {value!r}")
    return value


class DatedFact(Sourced):
    date: str

    _date = validator("date", pre=True, allow_reuse=True)(_exact_or_partial_date)


class CountFact(Sourced):
    count: int


class PublishedCount(BaseModel, extra=Extra.forbid):
    """A count as a source published it: 'Radeberg is the 56th commune' (18.12.2023)."""

    count: int
    date: str
    commune: Optional[str] = None  # the commune that reached the count, where the source names it
    quote: str
    source: Source

    _date = validator("date", pre=True, allow_reuse=True)(_exact_or_partial_date)

    @validator("count")
    def _positive(cls, value: int) -> int:
        if value < 1:
            raise ValueError("Anzahl muss positiv sein")
        return value


class DistrictCount(PublishedCount):
    landkreis: str


class ProgrammeFacts(BaseModel, extra=Extra.forbid):
    start: DatedFact
    model_communes: CountFact
    commune_register: Source
    published_totals: List[PublishedCount]
    district_counts: List[DistrictCount] = []

    @validator("published_totals")
    def _has_totals(cls, value: List[PublishedCount]) -> List[PublishedCount]:
        if not value:
            raise ValueError("keine veröffentlichte Gesamtzahl")
        return value

    def latest_total(self) -> PublishedCount:
        return max(self.published_totals, key=lambda c: c.date)

    def latest_in(self, landkreis: str) -> Optional[DistrictCount]:
        counts = [c for c in self.district_counts if c.landkreis == landkreis]
        return max(counts, key=lambda c: c.date) if counts else None


def load(path: Path) -> ProgrammeFacts:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise ProgrammeError(f"{path.name}: nicht lesbar: {error}") from error
    if not isinstance(data, dict):
        raise ProgrammeError(f"{path.name}: erwartet Schlüssel wie 'start:' und 'published_totals:'")
    try:
        return ProgrammeFacts.parse_obj(data)
    except ValidationError as error:
        raise ProgrammeError(f"{path.name}: {error}") from error


class ReloadingProgrammeFacts:
    """The current facts, reloaded when the file changes; a broken edit keeps the last good
    version answering and is logged (as for knowledge/*.yml)."""

    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()
        self._signature = self._current_signature()
        self._facts = load(path)  # fails loudly at start-up
        self.last_error: Optional[str] = None

    def _current_signature(self) -> tuple:
        stat = self.path.stat()
        return stat.st_mtime_ns, stat.st_size

    def get(self) -> ProgrammeFacts:
        try:
            signature = self._current_signature()
        except OSError as error:
            self.last_error = str(error)
            return self._facts
        if signature != self._signature:
            with self._lock:
                if signature != self._signature:
                    try:
                        self._facts = load(self.path)
                        self.last_error = None
                    except ProgrammeError as error:
                        self.last_error = str(error)
                        log.error("programme.yml nicht neu geladen, alte Fassung bleibt aktiv: %s", error)
                    self._signature = signature
        return self._facts


_lock = threading.Lock()
_shared: Optional[ReloadingProgrammeFacts] = None


def shared_programme_facts() -> ReloadingProgrammeFacts:
    global _shared
    with _lock:
        if _shared is None:
            from bot.config import get_settings

            _shared = ReloadingProgrammeFacts(get_settings().knowledge_dir / "communes" / "programme.yml")
        return _shared
