"""A deletion request for applications that were already submitted.

The conversation itself is deleted at once (bot/privacy/tracker_store.py). A submitted
application is not: it is with the LPR, who must answer the request (DSGVO Art. 17, 12 (3)).
So the request goes to the staff's inbox through the outbox, with the reference number, and
the user is told so."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from bot.applications.models import Application, OutboxMessage

SUBJECT = "Löschwunsch zu {reference} über den ASSKomm-Chat"


def request_application_deletion(sessions: sessionmaker, sender_id: str, recipient: str) -> list[str]:
    """Reference numbers of this conversation's applications; for each one a mail to the
    staff asking for deletion is queued (once: a repeated request adds none while one waits)."""
    now = datetime.now(timezone.utc)
    with sessions.begin() as session:
        applications = list(session.execute(
            select(Application).where(Application.sender_id == sender_id).order_by(Application.id)).scalars())
        for application in applications:
            subject = SUBJECT.format(reference=application.reference)
            waiting = session.execute(select(OutboxMessage.id).where(
                OutboxMessage.application_id == application.id, OutboxMessage.subject == subject,
                OutboxMessage.sent_at.is_(None))).first()
            if waiting is None:
                session.add(OutboxMessage(application_id=application.id, recipient=recipient, subject=subject,
                                          body=_body(application.reference, now)))
        return [a.reference for a in applications]


def _body(reference: str, now: datetime) -> str:
    return "\n".join([
        f"Löschwunsch zur Anfrage {reference}",
        "",
        f"Die anfragende Person hat am {now:%d.%m.%Y um %H:%M} UTC im ASSKomm-Chat verlangt, dass ihre Daten",
        "gelöscht werden (Art. 17 DSGVO). Das Gespräch im Chat ist bereits gelöscht. Die Anfrage selbst",
        "und diese E-Mail liegen beim Landespräventionsrat: Bitte prüfen Sie die Löschung, löschen Sie die",
        "Anfrage gegebenenfalls (python -m bot.admin anfragen-loeschen " + reference + ") und antworten Sie",
        "der Person über die E-Mail-Adresse oder Telefonnummer aus der Anfrage (Frist: ein Monat,",
        "Art. 12 Abs. 3 DSGVO).",
    ])
