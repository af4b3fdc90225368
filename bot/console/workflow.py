"""The status workflow of an application in the console: which status may follow which,
and the change itself with its note in the audit log.

eingegangen → in Bearbeitung → (Rückfrage an Sie →) abgeschlossen (erledigt) | abgelehnt.
A closed application can be reopened. The status names and their wording for the citizen
stay in bot/applications/store.py (STATUSES)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Optional

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from bot.applications.models import Application
from bot.applications.store import KINDS, STATUSES
from bot.console import audit

NEXT = {
    "eingegangen": ("in_bearbeitung", "abgelehnt"),
    "in_bearbeitung": ("rueckfrage", "abgeschlossen", "abgelehnt"),
    "rueckfrage": ("in_bearbeitung", "abgeschlossen", "abgelehnt"),
    "abgeschlossen": ("in_bearbeitung",),
    "abgelehnt": ("in_bearbeitung",),
}
assert set(NEXT) == set(STATUSES), "every status of the store needs its place in the workflow"
COMMUNE_LABEL = "Kommune"  # the label bot/applications/forms.py gives app_commune


@dataclass(frozen=True)
class Filters:
    kind: str = ""
    status: str = ""
    commune: str = ""
    date_from: Optional[date] = None
    date_to: Optional[date] = None


def parse_date(text: str) -> Optional[date]:
    try:
        return date.fromisoformat((text or "").strip()) if text else None
    except ValueError:
        return None


def find(sessions: sessionmaker, filters: Filters) -> list[Application]:
    query = select(Application).order_by(Application.id.desc())
    if filters.kind in KINDS:
        query = query.where(Application.kind == filters.kind)
    if filters.status in STATUSES:
        query = query.where(Application.status == filters.status)
    if filters.date_from:
        query = query.where(Application.created_at >= datetime.combine(filters.date_from, time.min, timezone.utc))
    if filters.date_to:
        end = datetime.combine(filters.date_to + timedelta(days=1), time.min, timezone.utc)
        query = query.where(Application.created_at < end)
    with sessions() as session:
        rows = list(session.execute(query).scalars())
    wanted = filters.commune.strip().casefold()
    if wanted:  # the commune is one of the JSON fields: filtered here, the same way on every database
        rows = [a for a in rows if wanted in str(a.fields.get(COMMUNE_LABEL, "")).casefold()]
    return rows


def get(sessions: sessionmaker, reference: str) -> Optional[Application]:
    with sessions() as session:
        return session.execute(select(Application).where(Application.reference == reference)).scalar_one_or_none()


def change_status(sessions: sessionmaker, reference: str, new_status: str, note: str, actor: str) -> Application:
    """Sets the next status; raises ValueError when the workflow does not allow it."""
    with sessions.begin() as session:
        application = session.execute(
            select(Application).where(Application.reference == reference).with_for_update()
        ).scalar_one_or_none()
        if application is None:
            raise LookupError(reference)
        old = application.status
        if new_status not in NEXT.get(old, ()):
            raise ValueError(f"Von „{STATUSES.get(old, old)}“ geht es nicht zu „{STATUSES.get(new_status, new_status)}“.")
        application.status = new_status
        application.status_changed_at = datetime.now(timezone.utc)
        audit.record(session, actor, "anfrage.status", f"anfrage:{reference}", before={"status": old},
                     after={"status": new_status}, note=note.strip()[:2000])
        return application
