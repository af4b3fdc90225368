"""Delivers outbox rows (applications citizens submitted in the chat) to the
Landespräventionsrat by e-mail via SMTP.

The application and its outbox row are written in one transaction elsewhere; this module
only sends. Each row is claimed atomically before it is sent, so concurrent senders
(threads or processes) never both send it; a claim older than CLAIM_TIMEOUT is treated as
left behind by a crashed sender and may be taken over. Delivery never raises: failures
are counted on the row (attempts, last_error) and the claim is released for a later run.

Limit of "exactly once": if a sender crashes after the SMTP server accepted a message but
before sent_at is committed, the row is sent again after CLAIM_TIMEOUT. Every attempt
carries the header X-ASSKomm-Outbox-Id, by which the recipient can recognise a repeat.
"""
from __future__ import annotations

import logging
import smtplib
import ssl
import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import sessionmaker

from bot.applications.models import Application, OutboxMessage
from bot.config import Settings

log = logging.getLogger(__name__)

CLAIM_TIMEOUT = timedelta(minutes=5)
MESSAGE_ID_DOMAIN = "asskomm-bot"
OUTBOX_ID_HEADER = "X-ASSKomm-Outbox-Id"
MAX_ERROR_LENGTH = 1000


@dataclass
class SmtpSettings:
    host: str
    port: int = 587
    username: str = ""
    password: str = field(default="", repr=False)
    starttls: bool = True
    use_ssl: bool = False
    sender: str = ""
    # The LPR's inbox (ASSKOMM_APPLICATIONS_TO): rows stored while it was unset get it at
    # the next delivery run.
    recipient: str = ""
    timeout_s: float = 20

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpSettings | None:
        """The mail server of the settings; None when no host is set (mail not configured)."""
        host = settings.smtp_host.strip()
        if not host:
            return None
        return cls(
            host=host,
            port=settings.smtp_port or (465 if settings.smtp_ssl else 587),
            username=settings.smtp_user.strip(),
            password=settings.smtp_password.get_secret_value(),
            starttls=settings.smtp_starttls,
            use_ssl=settings.smtp_ssl,
            sender=settings.smtp_from.strip(),
            recipient=settings.applications_to.strip(),
        )


@dataclass
class DeliveryReport:
    sent: int = 0  # accepted by the SMTP server
    failed: int = 0  # claimed, but sending failed (attempts incremented, claim released)
    skipped: int = 0  # another sender claimed the row first


def _now() -> datetime:
    return datetime.now(timezone.utc)


def pending_count(sessions: sessionmaker) -> int:
    """Rows not yet sent (including rows currently claimed by a sender)."""
    with sessions() as session:
        return session.execute(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.sent_at.is_(None))
        ).scalar_one()


@dataclass(frozen=True)
class OutboxEntry:
    outbox_id: int
    reference: str
    recipient: str
    created_at: datetime
    sent_at: datetime | None
    attempts: int
    last_error: str | None


def outbox_entries(sessions: sessionmaker, include_sent: bool = False) -> list[OutboxEntry]:
    """The outbox as staff see it: waiting rows (and sent ones on request), oldest first."""
    query = (select(OutboxMessage, Application.reference)
             .join(Application, Application.id == OutboxMessage.application_id).order_by(OutboxMessage.id))
    if not include_sent:
        query = query.where(OutboxMessage.sent_at.is_(None))
    with sessions() as session:
        return [OutboxEntry(m.id, reference or "", m.recipient, m.created_at, m.sent_at, m.attempts, m.last_error)
                for m, reference in session.execute(query)]


def queue_again(sessions: sessionmaker, reference: str) -> int:
    """Marks the outbox rows of an application as unsent (staff resend a lost mail); the next
    delivery run sends them. Returns how many rows were queued."""
    with sessions() as session, session.begin():
        ids = select(Application.id).where(Application.reference == reference).scalar_subquery()
        result = session.execute(
            update(OutboxMessage).where(OutboxMessage.application_id == ids)
            .values(sent_at=None, claimed_at=None, claim_token=None).execution_options(synchronize_session=False)
        )
    return result.rowcount


def deliver_pending(sessions: sessionmaker, smtp: SmtpSettings, limit: int = 50) -> DeliveryReport:
    """Sends up to `limit` unsent, unclaimed (or stale-claimed) rows. Never raises."""
    report = DeliveryReport()
    try:
        if smtp.recipient:
            _address_waiting_rows(sessions, smtp.recipient)
        candidates = _candidate_ids(sessions, limit)
    except Exception:
        log.exception("Outbox: offene Nachrichten konnten nicht gelesen werden")
        return report
    connection = _Connection(smtp)
    try:
        for outbox_id in candidates:
            if not _deliver_one(sessions, connection, smtp, outbox_id, report):
                break  # no connection to the server: leave the rest for a later run
    finally:
        connection.close()
    if report.sent or report.failed:
        log.info("Outbox: %d gesendet, %d fehlgeschlagen, %d übersprungen",
                 report.sent, report.failed, report.skipped)
    return report


def deliver_in_background(sessions: sessionmaker, smtp: SmtpSettings) -> threading.Thread:
    """Runs deliver_pending once in a daemon thread (so the chat reply is not delayed)."""
    thread = threading.Thread(target=_deliver_logged, args=(sessions, smtp),
                              name="asskomm-outbox-mail", daemon=True)
    thread.start()
    return thread


def _deliver_logged(sessions: sessionmaker, smtp: SmtpSettings) -> None:
    try:
        deliver_pending(sessions, smtp)
    except Exception:  # deliver_pending does not raise; a thread must not die noisily anyway
        log.exception("Outbox: Versand im Hintergrund fehlgeschlagen")


def _candidate_ids(sessions: sessionmaker, limit: int) -> list[int]:
    cutoff = _now() - CLAIM_TIMEOUT
    with sessions() as session:  # own short transaction, closed before any claim
        return list(session.execute(
            select(OutboxMessage.id)
            # Without a configured recipient (ASSKOMM_APPLICATIONS_TO) a message waits.
            .where(OutboxMessage.sent_at.is_(None), OutboxMessage.recipient != "", _claimable(cutoff))
            .order_by(OutboxMessage.id)
            .limit(limit)
        ).scalars())


def _address_waiting_rows(sessions: sessionmaker, recipient: str) -> None:
    """Rows stored while ASSKOMM_APPLICATIONS_TO was unset get the address configured now."""
    with sessions() as session, session.begin():
        result = session.execute(
            update(OutboxMessage).where(OutboxMessage.sent_at.is_(None), OutboxMessage.recipient == "")
            .values(recipient=recipient).execution_options(synchronize_session=False)
        )
    if result.rowcount:
        log.info("Outbox: %d wartende Nachrichten ohne Empfänger an %s adressiert", result.rowcount, recipient)


def unaddressed_count(sessions: sessionmaker) -> int:
    """Unsent rows without a recipient: they wait for ASSKOMM_APPLICATIONS_TO."""
    with sessions() as session:
        return session.execute(
            select(func.count()).select_from(OutboxMessage)
            .where(OutboxMessage.sent_at.is_(None), OutboxMessage.recipient == "")
        ).scalar_one()


def _claimable(cutoff: datetime):
    return or_(OutboxMessage.claimed_at.is_(None), OutboxMessage.claimed_at < cutoff)


def _claim(sessions: sessionmaker, outbox_id: int) -> tuple[str, EmailParts] | None:
    """Claims the row in one transaction; returns (token, contents) or None if taken."""
    now = _now()
    token = str(uuid.uuid4())
    with sessions() as session, session.begin():
        result = session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == outbox_id, OutboxMessage.sent_at.is_(None),
                   _claimable(now - CLAIM_TIMEOUT))
            .values(claimed_at=now, claim_token=token)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            return None
        row = session.execute(
            select(OutboxMessage.recipient, OutboxMessage.subject, OutboxMessage.body)
            .where(OutboxMessage.id == outbox_id)
        ).one()
        return token, EmailParts(outbox_id, row.recipient, row.subject, row.body)


@dataclass(frozen=True)
class EmailParts:
    outbox_id: int
    recipient: str
    subject: str
    body: str


def build_message(parts: EmailParts, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = parts.recipient
    message["Subject"] = parts.subject
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid(domain=MESSAGE_ID_DOMAIN)
    message[OUTBOX_ID_HEADER] = str(parts.outbox_id)
    # quoted-printable keeps the Umlaute intact even through relays without 8BITMIME.
    message.set_content(parts.body, subtype="plain", charset="utf-8", cte="quoted-printable")
    return message


def _deliver_one(sessions: sessionmaker, connection: _Connection, smtp: SmtpSettings,
                 outbox_id: int, report: DeliveryReport) -> bool:
    """One row; returns False when the server cannot be reached (stop the batch)."""
    try:
        claimed = _claim(sessions, outbox_id)
    except Exception:
        log.exception("Outbox %s: Reservierung fehlgeschlagen", outbox_id)
        report.skipped += 1
        return True
    if claimed is None:
        report.skipped += 1
        return True
    token, parts = claimed
    stage = "connect"
    try:
        client = connection.get()
        stage = "send"
        client.send_message(build_message(parts, smtp.sender or smtp.username))
    except Exception as error:
        connection.reset()
        report.failed += 1
        log.warning("Outbox %s: Versand fehlgeschlagen: %s", outbox_id, _describe(error))
        _record_failure(sessions, outbox_id, token, error)
        return stage != "connect"
    report.sent += 1
    _record_sent(sessions, outbox_id, token)
    return True


def _record_sent(sessions: sessionmaker, outbox_id: int, token: str) -> None:
    try:
        with sessions() as session, session.begin():
            result = session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == outbox_id, OutboxMessage.claim_token == token)
                .values(sent_at=_now())
                .execution_options(synchronize_session=False)
            )
        if result.rowcount != 1:
            log.error("Outbox %s: gesendet, aber die Reservierung war nicht mehr gültig", outbox_id)
    except Exception:
        # The server has the message; the claim stays, so a repeat waits for CLAIM_TIMEOUT.
        log.exception("Outbox %s: gesendet, aber sent_at konnte nicht gespeichert werden", outbox_id)


def _record_failure(sessions: sessionmaker, outbox_id: int, token: str, error: BaseException) -> None:
    try:
        with sessions() as session, session.begin():
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == outbox_id, OutboxMessage.claim_token == token)
                .values(attempts=OutboxMessage.attempts + 1,
                        last_error=_describe(error)[:MAX_ERROR_LENGTH],
                        claimed_at=None, claim_token=None)
                .execution_options(synchronize_session=False)
            )
    except Exception:
        log.exception("Outbox %s: Fehler konnte nicht gespeichert werden", outbox_id)


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


class _Connection:
    """One SMTP connection per batch, opened on first use and reopened after an error."""

    def __init__(self, smtp: SmtpSettings):
        self.smtp = smtp
        self.client: smtplib.SMTP | None = None

    def get(self) -> smtplib.SMTP:
        if self.client is None:
            self.client = self._open()
        return self.client

    def _open(self) -> smtplib.SMTP:
        s = self.smtp
        if s.use_ssl:
            client = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout_s,
                                      context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(s.host, s.port, timeout=s.timeout_s)
        try:
            client.ehlo()
            encrypted = s.use_ssl
            if not s.use_ssl and s.starttls and client.has_extn("starttls"):
                client.starttls(context=ssl.create_default_context())
                client.ehlo()
                encrypted = True
            if s.username and not encrypted:
                # Never send the password in the clear, whatever the settings say.
                reason = ("bietet kein STARTTLS an" if s.starttls
                          else "wäre unverschlüsselt (ASSKOMM_SMTP_STARTTLS=false, ASSKOMM_SMTP_SSL=false)")
                log.error("SMTP-Server %s:%s %s: Anmeldung verweigert, das Passwort wird nie "
                          "unverschlüsselt gesendet", s.host, s.port, reason)
                raise smtplib.SMTPNotSupportedError(
                    f"SMTP-Server {s.host}:{s.port} {reason}; Anmeldung verweigert")
            if not encrypted:
                log.warning("SMTP-Server %s:%s: Versand ohne Verschlüsselung und ohne Anmeldung",
                            s.host, s.port)
            if s.username:
                client.login(s.username, s.password)
        except Exception:
            _close_quietly(client)
            raise
        return client

    def reset(self) -> None:
        if self.client is not None:
            _close_quietly(self.client)
            self.client = None

    def close(self) -> None:
        if self.client is not None:
            try:
                self.client.quit()
            except Exception:
                _close_quietly(self.client)
            self.client = None


def _close_quietly(client: smtplib.SMTP) -> None:
    try:
        client.close()
    except Exception:
        pass
