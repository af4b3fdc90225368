"""Stores a confirmed application exactly once, gives it a reference number, and puts
the e-mail to the LPR into the outbox in the same transaction."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Optional

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from bot.applications.models import Application, OutboxMessage

KINDS = {"beitritt": "Beitrittsanfrage", "foerderung": "Förderanfrage", "studium": "Studienanfrage",
         "rueckruf": "Rückrufbitte"}
STATUSES = {
    "eingegangen": "eingegangen",
    "in_bearbeitung": "in Bearbeitung",
    "rueckfrage": "Rückfrage an Sie",
    "abgeschlossen": "abgeschlossen",
    # Set by staff in the console (bot/console/workflow.py) when a request cannot be granted.
    "abgelehnt": "abgelehnt",
}
REFERENCE = re.compile(r"\bASK[\s-]*(\d{4})[\s-]*(\d{1,6})\b", re.IGNORECASE)


@dataclass(frozen=True)
class Draft:
    kind: str
    fields: dict[str, str]  # label → value, in the order shown to the user
    email: str
    consent_at: datetime
    channel: str
    sender_id: str
    submission_key: str


@dataclass(frozen=True)
class Stored:
    reference: str
    created: bool  # False: this submission had been stored before (retry, double click)


def reference_for(year: int, row_id: int) -> str:
    return f"ASK-{year}-{row_id:06d}"


def find_reference(text: str) -> Optional[str]:
    """'ask 2026 42' → 'ASK-2026-000042'; None without a reference in the text."""
    match = REFERENCE.search(text or "")
    return reference_for(int(match.group(1)), int(match.group(2))) if match else None


def submit(sessions: sessionmaker, draft: Draft, recipient: str) -> Stored:
    if draft.kind not in KINDS:
        raise ValueError(f"unbekannte Antragsart {draft.kind!r}")
    try:
        with sessions.begin() as session:
            existing = session.execute(
                select(Application.reference).where(Application.submission_key == draft.submission_key)
            ).scalar_one_or_none()
            if existing:
                return Stored(existing, created=False)
            application = Application(
                kind=draft.kind, fields=draft.fields, email=draft.email, consent_at=draft.consent_at,
                channel=draft.channel, sender_id=draft.sender_id, submission_key=draft.submission_key,
                status="eingegangen",
            )
            session.add(application)
            session.flush()  # the row id makes the reference unique without a shared counter
            application.reference = reference_for(datetime.now(timezone.utc).year, application.id)
            session.add(OutboxMessage(
                application_id=application.id, recipient=recipient,
                subject=f"{KINDS[draft.kind]} {application.reference} über den ASSKomm-Chat",
                body=mail_body(application),
            ))
            return Stored(application.reference, created=True)
    except IntegrityError:
        # The same submission stored at the same moment by another process.
        with sessions() as session:
            reference = session.execute(
                select(Application.reference).where(Application.submission_key == draft.submission_key)
            ).scalar_one()
            return Stored(reference, created=False)


def contact_ways(fields: dict[str, str]) -> list[str]:
    """How the person can be reached, as the form stored it: ["E-Mail"], ["Telefon"] or both.
    A callback request needs one of them (actions/application_forms.py)."""
    return [label for label in ("E-Mail", "Telefon") if fields.get(label) not in (None, "", "–")]


def mail_body(application: Application) -> str:
    ways = contact_ways(application.fields)
    if ways == ["Telefon"]:
        reply = ["Die anfragende Person hat keine E-Mail-Adresse angegeben. Rufen Sie sie bitte unter der",
                 "oben genannten Telefonnummer an."]
    else:
        reply = ["Antworten Sie bitte direkt an die oben genannte E-Mail-Adresse der anfragenden Person."]
    lines = [
        f"{KINDS[application.kind]} {application.reference}",
        "",
        *[f"{label}: {value}" for label, value in application.fields.items()],
        *([f"Erreichbar per: {' und '.join(ways)}"] if application.kind == "rueckruf" else []),
        "",
        f"Einwilligung in die Datenverarbeitung: {application.consent_at:%d.%m.%Y %H:%M} UTC",
        f"Kanal: {application.channel}",
        "",
        "Diese Nachricht wurde vom ASSKomm-Chat-Assistenten erzeugt.",
        *reply,
    ]
    return "\n".join(lines)


@dataclass(frozen=True)
class StatusView:
    reference: str
    kind: str
    status: str
    created_at: datetime


def status_of(sessions: sessionmaker, reference: str, sender_id: str = "", email: str = "") -> Optional[StatusView]:
    """The status, only for the conversation that submitted it or with the e-mail given in it."""
    with sessions() as session:
        application = session.execute(
            select(Application).where(Application.reference == reference)
        ).scalar_one_or_none()
    if application is None:
        return None
    same_conversation = sender_id and application.sender_id == sender_id
    same_email = email and application.email.lower() == email.strip().lower()
    if not (same_conversation or same_email):
        return None
    return StatusView(application.reference, KINDS[application.kind], STATUSES[application.status],
                      application.created_at)


def exists(sessions: sessionmaker, reference: str) -> bool:
    with sessions() as session:
        return session.execute(
            select(Application.id).where(Application.reference == reference)
        ).first() is not None


def latest_reference(sessions: sessionmaker, sender_id: str) -> Optional[str]:
    with sessions() as session:
        return session.execute(
            select(Application.reference).where(Application.sender_id == sender_id)
            .order_by(Application.id.desc()).limit(1)
        ).scalar_one_or_none()


def set_status(sessions: sessionmaker, reference: str, status: str) -> bool:
    if status not in STATUSES:
        raise ValueError(f"Status {status!r} unbekannt; erlaubt: {', '.join(STATUSES)}")
    with sessions.begin() as session:
        result = session.execute(
            update(Application).where(Application.reference == reference)
            .values(status=status, status_changed_at=datetime.now(timezone.utc))
        )
        return result.rowcount == 1


def delete(sessions: sessionmaker, reference: str) -> bool:
    """Deletes an application and its outbox rows (a deletion request, DSGVO Art. 17)."""
    with sessions.begin() as session:
        application = session.execute(select(Application).where(Application.reference == reference)
                                      ).scalar_one_or_none()
        if application is None:
            return False
        session.delete(application)
        return True


def all_applications(sessions: sessionmaker, kind: Optional[str] = None) -> list[Application]:
    with sessions() as session:
        query = select(Application).order_by(Application.id)
        if kind:
            query = query.where(Application.kind == kind)
        return list(session.execute(query).scalars())
