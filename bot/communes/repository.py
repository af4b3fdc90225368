"""Reads and changes communes and memberships. Every call opens its own short session, so
a change by the admin CLI is visible to the next question at once."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Optional

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, sessionmaker

from bot.communes import seed
from bot.communes.facts import MembershipFact
from bot.console import audit
from bot.db.models import Commune, Membership

if TYPE_CHECKING:
    from bot.communes.matching import CommuneMatcher

# The fields of a membership that the audit log keeps before and after a change.
AUDITED = ("status", "agreement_date", "via", "prevention_council", "note", "source_title", "source_url",
           "source_stand", "origin")


def audited(row: Optional[Membership]) -> Optional[dict]:
    return {name: getattr(row, name) for name in AUDITED} if row is not None else None


@dataclass(frozen=True)
class CommuneInfo:
    commune: Commune
    membership: Optional[Membership]  # None or status "unbekannt": nothing known


class CommuneRepository:
    def __init__(self, sessions: sessionmaker, stop_words=()):
        self.sessions = sessions
        self._stop_words = tuple(stop_words)
        self._matcher: Optional[CommuneMatcher] = None
        self._matcher_version: Optional[int] = None

    def matcher(self) -> CommuneMatcher:
        """Rebuilt only when the commune list changed (an admin import), else reused."""
        # Imported here: the staff console (.venv-console, no rapidfuzz) uses the repository
        # without name matching.
        from bot.communes.matching import CommuneMatcher, CommuneName

        with self.sessions() as session:
            rows = session.execute(
                select(Commune.ags, Commune.name_short, Commune.name, Commune.landkreis).order_by(Commune.ags)
            ).all()
        version = hash(tuple(rows))
        if self._matcher is None or version != self._matcher_version:
            names = [CommuneName(ags, short, name, landkreis or "") for ags, short, name, landkreis in rows]
            self._matcher = CommuneMatcher(names, self._stop_words)
            self._matcher_version = version
        return self._matcher

    def info(self, ags: str) -> Optional[CommuneInfo]:
        with self.sessions() as session:
            commune = session.get(Commune, ags, options=[joinedload(Commune.membership)])
            if commune is None:
                return None
            membership = commune.membership
            if membership is not None and membership.status == "unbekannt":
                membership = None
            return CommuneInfo(commune, membership)

    def landkreise(self) -> list[str]:
        with self.sessions() as session:
            rows = session.execute(select(Commune.landkreis).distinct().where(Commune.landkreis.is_not(None)))
            return sorted(lk for (lk,) in rows if lk)

    def members_in(self, landkreis: str) -> list[CommuneInfo]:
        """Communes of a Landkreis with a known participation, by name."""
        with self.sessions() as session:
            rows = session.execute(
                select(Commune, Membership).join(Membership)
                .where(Commune.landkreis == landkreis, Membership.status != "unbekannt")
                .order_by(Commune.name_short)
            ).all()
            return [CommuneInfo(c, m) for c, m in rows]

    def count_by_status(self) -> dict[str, int]:
        with self.sessions() as session:
            rows = session.execute(select(Membership.status, func.count()).group_by(Membership.status))
            return {status: n for status, n in rows if status != "unbekannt"}

    def members(self, status: Optional[str] = None) -> list[CommuneInfo]:
        with self.sessions() as session:
            query = select(Commune, Membership).join(Membership).where(Membership.status != "unbekannt")
            if status:
                query = query.where(Membership.status == status)
            rows = session.execute(query.order_by(Commune.landkreis, Commune.name_short)).all()
            return [CommuneInfo(c, m) for c, m in rows]

    def search(self, text: str, limit: int = 50) -> list[CommuneInfo]:
        """Communes whose name contains the text (any case), by name; all with a known status when empty."""
        if not text.strip():
            return self.members()
        with self.sessions() as session:
            rows = session.execute(
                select(Commune).options(joinedload(Commune.membership))
                .where(func.lower(Commune.name_short).contains(text.strip().lower()))
                .order_by(Commune.name_short).limit(limit)
            ).scalars().all()
            return [CommuneInfo(c, c.membership if c.membership and c.membership.status != "unbekannt" else None)
                    for c in rows]

    def set_membership(self, fact: MembershipFact, changed_by: str, origin: str = "admin") -> None:
        """Stores a fact for a commune, replacing what was known, and writes the change with the
        values before and after to the audit log (same transaction). Staff changes win over
        the knowledge file until cleared (see seed.sync_memberships)."""
        with self.sessions.begin() as session:
            if session.get(Commune, fact.ags) is None:
                raise KeyError(f"Keine Kommune mit dem Schlüssel {fact.ags}")
            row = session.execute(select(Membership).where(Membership.ags == fact.ags)).scalar_one_or_none()
            before = audited(row)
            if row is None:
                row = Membership(ags=fact.ags)
                session.add(row)
            row.status = fact.status
            row.agreement_date = fact.agreement_date
            row.via = fact.via
            row.prevention_council = fact.prevention_council
            row.note = fact.note
            row.source_title = fact.source.title
            row.source_url = fact.source.url
            row.source_stand = fact.source.stand
            row.origin = origin
            row.changed_by = changed_by
            row.changed_at = func.now()
            audit.record(session, changed_by, "kommune.status", f"kommune:{fact.ags}", before=before, after=audited(row))

    def reset_to_knowledge(self, ags: str, changed_by: str = "", memberships_file: Optional[Path] = None) -> bool:
        """Drops a staff change (audited with the values before) so the knowledge file applies
        again: at once when its path is given, else at the next sync."""
        with self.sessions.begin() as session:
            row = session.execute(select(Membership).where(Membership.ags == ags)).scalar_one_or_none()
            if row is None or row.origin != "admin":
                return False
            audit.record(session, changed_by or "unbekannt", "kommune.zurueckgesetzt", f"kommune:{ags}",
                         before=audited(row), after=None, note="es gilt wieder die Wissensdatei")
            session.delete(row)
        if memberships_file is not None:
            seed.sync_memberships(self.sessions, memberships_file)
        return True
