"""Fills the database from the repository's files: the Destatis commune list and the
sourced membership facts. Runs at every start; cheap when nothing changed."""
from __future__ import annotations

import csv
import logging
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import yaml
from sqlalchemy import delete, func, select
from sqlalchemy.orm import sessionmaker

from bot.communes.facts import MembershipFact, UnrecordedCommune
from bot.db.models import Commune, Membership

log = logging.getLogger(__name__)

COMMUNE_COLUMNS = {"ags", "name", "name_short", "kind", "landkreis", "population", "population_date"}


@dataclass
class ImportResult:
    added: int = 0
    updated: int = 0
    removed: int = 0


def read_commune_csv(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    missing = COMMUNE_COLUMNS - set(rows[0] if rows else ())
    if missing:
        raise ValueError(f"{path}: Spalten fehlen: {', '.join(sorted(missing))}")
    for number, row in enumerate(rows, start=2):
        if not (row["ags"].isdigit() and len(row["ags"]) == 8 and row["ags"].startswith("14")):
            raise ValueError(f"{path}, Zeile {number}: ungültiger Gemeindeschlüssel {row['ags']!r}")
        if not row["name_short"].strip():
            raise ValueError(f"{path}, Zeile {number}: Name fehlt")
    return rows


def _date(value: str):
    return date.fromisoformat(value) if value else None


def import_communes(sessions: sessionmaker, path: Path) -> ImportResult:
    """Makes the communes table equal to the CSV (a new Gebietsstand replaces the old one)."""
    rows = read_commune_csv(path)
    result = ImportResult()
    with sessions.begin() as session:
        existing = {c.ags: c for c in session.execute(select(Commune)).scalars()}
        for row in rows:
            commune = existing.pop(row["ags"], None)
            if commune is None:
                commune = Commune(ags=row["ags"])
                session.add(commune)
                result.added += 1
            else:
                result.updated += 1
            commune.name = row["name"]
            commune.name_short = row["name_short"]
            commune.kind = row["kind"]
            commune.landkreis = row["landkreis"] or None
            commune.verband_typ = row.get("verband_typ") or None
            commune.verband_name = row.get("verband_name") or None
            commune.population = int(row["population"]) if row["population"] else None
            commune.population_date = _date(row["population_date"])
            commune.plz = row.get("plz") or None
            commune.data_stand = _date(row.get("gebietsstand", ""))
        for gone in existing.values():  # merged into another commune
            session.delete(gone)
            result.removed += 1
    return result


MEMBERSHIP_FILE_KEYS = {"memberships", "not_recorded"}


def read_membership_file(path: Path) -> tuple[list[MembershipFact], list[UnrecordedCommune]]:
    """The sourced facts and the communes deliberately left without one (with the reason)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict) or set(data) - MEMBERSHIP_FILE_KEYS:
        raise ValueError(f"{path}: erwartet nur die Listen {', '.join(sorted(MEMBERSHIP_FILE_KEYS))}")
    facts = [MembershipFact(**item) for item in data.get("memberships") or []]
    unrecorded = [UnrecordedCommune(**item) for item in data.get("not_recorded") or []]
    seen = set()
    for ags in [f.ags for f in facts] + [u.ags for u in unrecorded]:
        if ags in seen:
            raise ValueError(f"{path}: Gemeindeschlüssel {ags} doppelt")
        seen.add(ags)
    return facts, unrecorded


def read_membership_facts(path: Path) -> list[MembershipFact]:
    return read_membership_file(path)[0]


def sync_memberships(sessions: sessionmaker, path: Path) -> int:
    """Mirrors the knowledge file into the table; rows set by staff (origin admin) stay."""
    facts = read_membership_facts(path)
    with sessions.begin() as session:
        known = set(session.execute(select(Commune.ags)).scalars())
        unknown = [f.ags for f in facts if f.ags not in known]
        if unknown:
            raise ValueError(f"{path}: keine Kommune mit Schlüssel {', '.join(unknown)}")
        rows = {m.ags: m for m in session.execute(select(Membership)).scalars()}
        for fact in facts:
            row = rows.get(fact.ags)
            if row is not None and row.origin == "admin":
                continue
            if row is None:
                row = Membership(ags=fact.ags, origin="knowledge")
                session.add(row)
            _apply(row, fact)
        stale = [a for a, m in rows.items() if m.origin == "knowledge" and a not in {f.ags for f in facts}]
        if stale:
            session.execute(delete(Membership).where(Membership.ags.in_(stale)))
    return len(facts)


def _apply(row: Membership, fact: MembershipFact) -> None:
    values = dict(
        status=fact.status, agreement_date=fact.agreement_date, via=fact.via,
        prevention_council=fact.prevention_council, note=fact.note, source_title=fact.source.title,
        source_url=fact.source.url, source_stand=fact.source.stand,
    )
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)


def prepare(sessions: sessionmaker, knowledge_dir: Path) -> None:
    """Seeds an empty database from the repository copy, then syncs the membership facts."""
    with sessions() as session:
        empty = session.execute(select(func.count(Commune.ags))).scalar_one() == 0
    if empty:
        result = import_communes(sessions, knowledge_dir / "communes" / "communes_sachsen.csv")
        log.info("Kommunen importiert: %s", result.added)
    sync_memberships(sessions, knowledge_dir / "communes" / "memberships.yml")
