"""E-mail delivery of the application outbox against a real local SMTP server (aiosmtpd):
exactly-once delivery, concurrent senders, a server that is down, stale claims, settings."""

import threading
import uuid
from datetime import datetime, timedelta, timezone
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from pydantic import ValidationError
from sqlalchemy import inspect, select

from bot.applications import mail
from bot.applications.mail import CLAIM_TIMEOUT, SmtpSettings, deliver_in_background, deliver_pending, pending_count
from bot.applications.models import Application, OutboxMessage
from bot.config import Settings
from bot.db import make_engine, make_session_factory, migrate
from bot.db.models import Base
from tests.conftest import free_port

LPR = "antraege@lpr.example.org"
SENDER = "asskomm-bot@example.org"
UMLAUT_SUBJECT = "Beitrittsantrag: Gemeinde Grünhainichen – Prüfung"
UMLAUT_BODY = ("Sehr geehrte Damen und Herren,\n\n"
               "die Gemeinde Grünhainichen möchte der Allianz Sichere Sächsische Kommunen beitreten.\n"
               "Ansprechpartnerin: Jördis Weißenfels, Straße der Einheit 5, 09579 Grünhainichen\n"
               "Größe: ca. 2.800 Einwohner; Begründung: „Prävention fängt vor Ort an.“\n")

# --- a real SMTP server -------------------------------------------------------------------

class Recorder:
    """aiosmtpd handler that keeps every accepted envelope."""

    def __init__(self):
        self.lock = threading.Lock()
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content)))
        return "250 Message accepted for delivery"

    def messages(self):
        with self.lock:
            return [(mail_from, rcpts, message_from_bytes(content, policy=policy.default))
                    for mail_from, rcpts, content in self.envelopes]

def start_server(port: int):
    recorder = Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    return controller, recorder

@pytest.fixture
def smtp_server():
    port = free_port()
    controller, recorder = start_server(port)
    recorder.settings = SmtpSettings(host="127.0.0.1", port=port, sender=SENDER, timeout_s=5)
    try:
        yield recorder
    finally:
        controller.stop()

# --- a database with the tables -----------------------------------------------------------

def prepare(url: str):
    migrate(url)
    engine = make_engine(url)
    if "outbox" not in inspect(engine).get_table_names():
        # Until the migration for applications/outbox exists: the tables from the models.
        Base.metadata.create_all(engine)
    return make_session_factory(engine)

@pytest.fixture
def sessions(tmp_path):
    return prepare(f"sqlite:///{tmp_path / 'asskomm.db'}")

def add_messages(sessions, count=1, subject=UMLAUT_SUBJECT, body=UMLAUT_BODY, **outbox_fields) -> list[int]:
    """Applications with one outbox row each (as the application store writes them)."""
    ids = []
    with sessions() as session, session.begin():
        for _ in range(count):
            application = Application(
                kind="beitritt", fields={"gemeinde": "Grünhainichen"}, email="buergermeister@example.org",
                consent_at=datetime.now(timezone.utc), channel="rest", sender_id="tester",
                submission_key=uuid.uuid4().hex)
            session.add(application)
            session.flush()
            message = OutboxMessage(application_id=application.id, subject=subject, body=body,
                                    **{"recipient": LPR, **outbox_fields})
            session.add(message)
            session.flush()
            ids.append(message.id)
    return ids

def row(sessions, outbox_id) -> OutboxMessage:
    with sessions() as session:
        return session.execute(select(OutboxMessage).where(OutboxMessage.id == outbox_id)).scalar_one()

# --- tests --------------------------------------------------------------------------------

def test_foreign_keys_are_enforced_so_rows_belong_to_real_applications(sessions):
    with sessions() as session:
        assert session.connection().exec_driver_sql("PRAGMA foreign_keys").scalar() == 1

def test_one_pending_message_is_delivered_once_with_umlauts_intact(sessions, smtp_server):
    [outbox_id] = add_messages(sessions)
    assert pending_count(sessions) == 1

    report = deliver_pending(sessions, smtp_server.settings)

    assert (report.sent, report.failed, report.skipped) == (1, 0, 0)
    [(mail_from, rcpts, message)] = smtp_server.messages()
    assert mail_from == SENDER and rcpts == [LPR]
    assert message["From"] == SENDER and message["To"] == LPR
    assert message["Subject"] == UMLAUT_SUBJECT
    assert message["X-ASSKomm-Outbox-Id"] == str(outbox_id)
    assert message["Message-ID"].endswith("@asskomm-bot>")
    assert message.get_content_type() == "text/plain"
    assert message.get_content_charset() == "utf-8"
    assert message.get_content().replace("\r\n", "\n") == UMLAUT_BODY  # SMTP sends CRLF lines
    stored = row(sessions, outbox_id)
    assert stored.sent_at is not None and stored.attempts == 0 and stored.last_error is None
    assert pending_count(sessions) == 0

def test_a_second_run_sends_nothing(sessions, smtp_server):
    add_messages(sessions)
    assert deliver_pending(sessions, smtp_server.settings).sent == 1

    second = deliver_pending(sessions, smtp_server.settings)

    assert (second.sent, second.failed, second.skipped) == (0, 0, 0)
    assert len(smtp_server.messages()) == 1

def test_the_limit_bounds_one_run(sessions, smtp_server):
    add_messages(sessions, count=3)
    assert deliver_pending(sessions, smtp_server.settings, limit=2).sent == 2
    assert pending_count(sessions) == 1
    assert deliver_pending(sessions, smtp_server.settings, limit=2).sent == 1
    assert len(smtp_server.messages()) == 3

def run_concurrently(sessions, settings, senders=4):
    barrier = threading.Barrier(senders)
    reports, errors = [], []

    def sender():
        try:
            barrier.wait()
            reports.append(deliver_pending(sessions, settings))
        except BaseException as error:  # pragma: no cover - would fail the test below
            errors.append(error)

    threads = [threading.Thread(target=sender) for _ in range(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors and len(reports) == senders
    return reports

def assert_each_sent_once(recorder, ids, reports):
    outbox_ids = sorted(int(message["X-ASSKomm-Outbox-Id"]) for _, _, message in recorder.messages())
    assert outbox_ids == sorted(ids)  # exactly 20 messages, each id once
    assert sum(report.sent for report in reports) == len(ids)
    assert sum(report.failed for report in reports) == 0

def test_four_concurrent_senders_deliver_twenty_messages_exactly_once(sessions, smtp_server):
    ids = add_messages(sessions, count=20)

    reports = run_concurrently(sessions, smtp_server.settings)

    assert_each_sent_once(smtp_server, ids, reports)
    assert pending_count(sessions) == 0

@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_four_concurrent_senders_on_postgresql(database_url, smtp_server):
    """The same race on the production database (skipped with the reason if no server answers)."""
    sessions = prepare(database_url)
    ids = add_messages(sessions, count=20)

    reports = run_concurrently(sessions, smtp_server.settings)

    assert_each_sent_once(smtp_server, ids, reports)
    assert sum(report.skipped for report in reports) > 0  # the senders really competed
    assert pending_count(sessions) == 0
    sessions.kw["bind"].dispose()

def test_a_server_that_is_down_counts_the_attempt_and_a_later_run_delivers(sessions):
    port = free_port()  # nothing listens here
    settings = SmtpSettings(host="127.0.0.1", port=port, sender=SENDER, timeout_s=5)
    [outbox_id] = add_messages(sessions)

    report = deliver_pending(sessions, settings)

    assert (report.sent, report.failed) == (0, 1)
    stored = row(sessions, outbox_id)
    assert stored.attempts == 1 and stored.sent_at is None
    assert stored.last_error and len(stored.last_error) <= 1000
    assert stored.claimed_at is None and stored.claim_token is None  # free for the next run
    assert pending_count(sessions) == 1

    controller, recorder = start_server(port)  # the server comes up
    try:
        later = deliver_pending(sessions, settings)
    finally:
        controller.stop()

    assert (later.sent, later.failed) == (1, 0)
    [(_, _, message)] = recorder.messages()
    assert message["X-ASSKomm-Outbox-Id"] == str(outbox_id)
    stored = row(sessions, outbox_id)
    assert stored.sent_at is not None and stored.attempts == 1

def test_when_the_server_is_down_the_rest_of_the_batch_waits_unclaimed(sessions):
    settings = SmtpSettings(host="127.0.0.1", port=free_port(), sender=SENDER, timeout_s=5)
    first, second, third = add_messages(sessions, count=3)

    report = deliver_pending(sessions, settings)

    assert (report.sent, report.failed) == (0, 1)
    assert row(sessions, first).attempts == 1
    assert [row(sessions, i).attempts for i in (second, third)] == [0, 0]

def test_a_stale_claim_is_taken_over_and_a_fresh_one_is_respected(sessions, smtp_server):
    now = datetime.now(timezone.utc)
    [stale] = add_messages(sessions, claimed_at=now - CLAIM_TIMEOUT - timedelta(minutes=1),
                           claim_token="crashed-sender")
    [fresh] = add_messages(sessions, claimed_at=now - timedelta(minutes=1), claim_token="busy-sender")

    report = deliver_pending(sessions, smtp_server.settings)

    assert report.sent == 1
    [(_, _, message)] = smtp_server.messages()
    assert message["X-ASSKomm-Outbox-Id"] == str(stale)
    assert row(sessions, stale).sent_at is not None
    assert row(sessions, stale).claim_token != "crashed-sender"
    assert row(sessions, fresh).sent_at is None and row(sessions, fresh).claim_token == "busy-sender"

def test_delivery_in_the_background_returns_at_once_and_delivers(sessions, smtp_server):
    [outbox_id] = add_messages(sessions)

    thread = deliver_in_background(sessions, smtp_server.settings)

    assert thread.daemon
    thread.join(timeout=30)
    assert not thread.is_alive()
    assert row(sessions, outbox_id).sent_at is not None
    assert len(smtp_server.messages()) == 1

def test_a_database_error_does_not_raise(tmp_path, smtp_server):
    broken = make_session_factory(make_engine(f"sqlite:///{tmp_path / 'empty.db'}"))  # no tables
    report = deliver_pending(broken, smtp_server.settings)
    assert (report.sent, report.failed, report.skipped) == (0, 0, 0)

def test_no_mail_server_without_a_host():
    assert SmtpSettings.from_settings(Settings()) is None
    assert SmtpSettings.from_settings(Settings(smtp_host="  ")) is None


def test_mail_server_from_the_environment(monkeypatch):
    monkeypatch.setenv("ASSKOMM_SMTP_HOST", "mail.example.org")
    monkeypatch.setenv("ASSKOMM_SMTP_PORT", "2525")
    monkeypatch.setenv("ASSKOMM_SMTP_USER", "bot")
    monkeypatch.setenv("ASSKOMM_SMTP_PASSWORD", "geheim")
    monkeypatch.setenv("ASSKOMM_SMTP_STARTTLS", "false")
    monkeypatch.setenv("ASSKOMM_SMTP_SSL", "true")
    monkeypatch.setenv("ASSKOMM_SMTP_FROM", SENDER)

    settings = Settings()
    smtp = SmtpSettings.from_settings(settings)

    assert smtp == SmtpSettings(host="mail.example.org", port=2525, username="bot", password="geheim",
                                starttls=False, use_ssl=True, sender=SENDER)
    assert "geheim" not in repr(smtp) and "geheim" not in repr(settings)
    assert settings.as_env()["ASSKOMM_SMTP_PASSWORD"] == "geheim"  # the action server gets the real one
    monkeypatch.setenv("ASSKOMM_SMTP_STARTTLS", "vielleicht")
    with pytest.raises(ValidationError):
        Settings()


def test_the_usual_port_follows_the_encryption():
    assert SmtpSettings.from_settings(Settings(smtp_host="h")).port == 587
    assert SmtpSettings.from_settings(Settings(smtp_host="h", smtp_ssl=True)).port == 465


def test_the_message_carries_the_outbox_id_and_a_bot_message_id():
    message = mail.build_message(mail.EmailParts(7, LPR, UMLAUT_SUBJECT, UMLAUT_BODY), SENDER)
    assert message["X-ASSKomm-Outbox-Id"] == "7"
    assert message["Message-ID"].endswith("@asskomm-bot>")
    assert message.get_content() == UMLAUT_BODY


# --- closed defaults: no password in the clear, late recipients, resend --------------------

class AuthRecorder(Recorder):
    def __init__(self):
        super().__init__()
        self.logins = []

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        from aiosmtpd.smtp import AuthResult
        self.logins.append(mechanism)
        return AuthResult(success=True)


def test_without_tls_the_password_is_never_sent_and_the_log_says_why(sessions, caplog):
    recorder = AuthRecorder()
    port = free_port()
    # a server that would accept a login in the clear, as a careless one does
    controller = Controller(recorder, hostname="127.0.0.1", port=port, authenticator=recorder.authenticate,
                            auth_require_tls=False)
    controller.start()
    try:
        [outbox_id] = add_messages(sessions)
        smtp = SmtpSettings(host="127.0.0.1", port=port, username="bot", password="geheim", starttls=False,
                            sender=SENDER, timeout_s=5)
        report = deliver_pending(sessions, smtp)
    finally:
        controller.stop()
    assert report.sent == 0 and report.failed == 1
    assert recorder.logins == [] and recorder.messages() == []
    assert "verweigert" in row(sessions, outbox_id).last_error
    assert any("unverschlüsselt" in r.getMessage() and r.levelname == "ERROR" for r in caplog.records)


def test_rows_stored_without_recipient_get_the_one_configured_later(sessions, smtp_server):
    [outbox_id] = add_messages(sessions, recipient="")
    assert mail.unaddressed_count(sessions) == 1
    assert deliver_pending(sessions, smtp_server.settings).sent == 0  # still no address: it waits

    smtp = SmtpSettings(**{**smtp_server.settings.__dict__, "recipient": LPR})
    report = deliver_pending(sessions, smtp)

    assert report.sent == 1 and smtp_server.messages()[0][1] == [LPR]
    assert row(sessions, outbox_id).recipient == LPR and mail.unaddressed_count(sessions) == 0


def test_the_recipient_comes_from_the_settings():
    smtp = SmtpSettings.from_settings(Settings(smtp_host="h", applications_to=f" {LPR} "))
    assert smtp.recipient == LPR


def test_staff_see_the_outbox_and_resend_a_sent_mail(sessions, smtp_server):
    [outbox_id] = add_messages(sessions)
    with sessions() as session, session.begin():
        application = session.execute(select(Application)).scalar_one()
        application.reference = "ASK-2026-000001"
    deliver_pending(sessions, smtp_server.settings)
    assert mail.outbox_entries(sessions) == []
    [entry] = mail.outbox_entries(sessions, include_sent=True)
    assert entry.reference == "ASK-2026-000001" and entry.sent_at is not None

    assert mail.queue_again(sessions, "ASK-2026-000001") == 1
    assert deliver_pending(sessions, smtp_server.settings).sent == 1
    assert len(smtp_server.messages()) == 2 and row(sessions, outbox_id).sent_at is not None
    assert mail.queue_again(sessions, "ASK-2026-999999") == 0
