"""Retention, deletion requests, the privacy notice and log redaction, without Rasa: the
tables Rasa's SQL tracker store writes, on SQLite and PostgreSQL."""
import json
import logging
import sqlite3
import time
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from bot.applications import store
from bot.applications.mail import outbox_entries
from bot.config import Settings
from bot.db import make_engine, make_session_factory, migrate
from bot.privacy.conversations import forget, form_drafts, metadata
from bot.privacy.deletion import request_application_deletion
from bot.privacy.logs import install_log_redaction
from bot.privacy.notice import privacy_notice
from bot.privacy.redaction import redact_events, scrub_text
from bot.privacy.retention import (
    RetentionJob,
    RetentionReport,
    delete_closed_applications,
    delete_old_conversations,
    run_retention,
)

DAY = 24 * 3600
EVENTS = sa.Table("events", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True),
                  sa.Column("sender_id", sa.String(255)), sa.Column("type_name", sa.String(255)),
                  sa.Column("timestamp", sa.Float), sa.Column("data", sa.Text))


def add_conversation(engine, sender: str, last_seen: float, events: int = 3) -> None:
    with engine.begin() as connection:
        for n in range(events):
            connection.execute(EVENTS.insert().values(sender_id=sender, type_name="user",
                                                      timestamp=last_seen - (events - 1 - n) * 60, data="{}"))


@pytest.fixture
def tracker_db(database_url):
    engine = make_engine(database_url)
    EVENTS.metadata.create_all(engine)
    metadata.create_all(engine)
    yield engine
    engine.dispose()


def senders(engine) -> set[str]:
    with engine.connect() as connection:
        return set(connection.execute(sa.select(EVENTS.c.sender_id).distinct()).scalars())


def test_conversations_older_than_the_retention_period_are_deleted(tracker_db):
    now = time.time()
    add_conversation(tracker_db, "old", now - 31 * DAY)
    add_conversation(tracker_db, "recent", now - 29 * DAY)
    add_conversation(tracker_db, "long-but-active", now - 1 * DAY, events=2)
    add_conversation(tracker_db, "long-but-active", now - 40 * DAY, events=2)  # started long ago
    with tracker_db.begin() as connection:
        connection.execute(form_drafts.insert().values(sender_id="old", data="{}", updated_at=now - 31 * DAY))
        connection.execute(form_drafts.insert().values(sender_id="recent", data="{}", updated_at=now - DAY))

    assert delete_old_conversations(tracker_db, 30, now=now) == (1, 3, 1)
    assert senders(tracker_db) == {"recent", "long-but-active"}
    assert delete_old_conversations(tracker_db, 0, now=now) == (0, 0, 0)  # 0: switched off


def test_a_deleted_conversation_leaves_no_trace_in_the_sqlite_files(tmp_path):
    """The DPO's check: the bytes of var/tracker.db and its write-ahead log, not only the rows."""
    engine = make_engine(f"sqlite:///{tmp_path / 'tracker.db'}")
    EVENTS.metadata.create_all(engine)
    metadata.create_all(engine)
    # As in the running bot, another connection stays open (Rasa's pool, the other process),
    # so SQLite keeps its write-ahead log file instead of folding it in on the last close.
    other = sqlite3.connect(tmp_path / "tracker.db")
    other.execute("select count(*) from form_drafts").fetchall()
    secret = "klara.geheim@grossharthau.example"
    with engine.begin() as connection:
        connection.execute(EVENTS.insert().values(sender_id="chat-9", type_name="user", timestamp=time.time(),
                                                  data=json.dumps({"text": secret})))
        connection.execute(form_drafts.insert().values(sender_id="chat-9", data=json.dumps({"email": secret}),
                                                       updated_at=time.time()))
    add_conversation(engine, "chat-10", time.time())
    assert forget(engine, "chat-9") == 1
    files = [p for p in tmp_path.iterdir() if p.name.startswith("tracker.db")]
    assert all(secret.encode() not in p.read_bytes() for p in files), files
    assert senders(engine) == {"chat-10"}  # the others stay
    other.close()
    engine.dispose()


def test_staff_delete_one_conversation(tracker_db):
    add_conversation(tracker_db, "chat-7", time.time())
    add_conversation(tracker_db, "chat-8", time.time())
    assert forget(tracker_db, "chat-7") == 3
    assert senders(tracker_db) == {"chat-8"}


@pytest.fixture
def sessions(database_url):
    migrate(database_url)
    engine = make_engine(database_url)
    yield make_session_factory(engine)
    engine.dispose()


def submit(sessions, sender="chat-1", key="k1"):
    return store.submit(sessions, store.Draft("beitritt", {"Kommune": "Dohna", "E-Mail": "bm@dohna.example"},
                                              "bm@dohna.example", datetime.now(timezone.utc), "rest", sender, key),
                        recipient="lpr@example.org").reference


def test_closed_applications_are_deleted_after_their_own_period(sessions):
    closed_long_ago, closed_recently, open_old = submit(sessions, key="a"), submit(sessions, key="b"), submit(sessions, key="c")
    for reference in (closed_long_ago, closed_recently):
        store.set_status(sessions, reference, "abgeschlossen")
    now = datetime.now(timezone.utc)
    with sessions.begin() as session:
        session.execute(sa.update(store.Application).where(store.Application.reference == closed_long_ago)
                        .values(status_changed_at=now - timedelta(days=400)))
        session.execute(sa.update(store.Application).where(store.Application.reference == open_old)
                        .values(created_at=now - timedelta(days=900)))

    assert delete_closed_applications(sessions, 365, now=now) == 1
    left = {a.reference for a in store.all_applications(sessions)}
    assert left == {closed_recently, open_old}  # an open one is never deleted by age
    assert all(e.reference in left for e in outbox_entries(sessions, include_sent=True))


def test_the_job_runs_at_start_over_both_databases(tmp_path):
    settings = Settings(var_dir=tmp_path, retention_days=30)
    engine = make_engine(f"sqlite:///{tmp_path / 'tracker.db'}")
    EVENTS.metadata.create_all(engine)
    add_conversation(engine, "old", time.time() - 60 * DAY)
    migrate(settings.database)
    job = RetentionJob(settings, make_session_factory(make_engine(settings.database)), interval_s=3600).start()
    for _ in range(100):
        if not senders(engine):
            break
        time.sleep(0.05)
    job.stop()
    assert senders(engine) == set()
    report = run_retention(settings, make_session_factory(make_engine(settings.database)))
    assert report.conversations == 0 and "Löschfristen" in report.describe()
    assert "Gespräche: 1 (3 Ereignisse)" in RetentionReport(1, 3, 0, 0).describe()


def test_a_deletion_request_for_a_submitted_application_reaches_the_staff_once(sessions):
    reference = submit(sessions, sender="chat-9")
    assert request_application_deletion(sessions, "chat-9", "lpr@example.org") == [reference]
    assert request_application_deletion(sessions, "chat-9", "lpr@example.org") == [reference]
    assert request_application_deletion(sessions, "someone-else", "lpr@example.org") == []
    with sessions() as session:
        subjects = session.execute(sa.select(store.OutboxMessage.subject, store.OutboxMessage.body)).all()
    requests = [(s, b) for s, b in subjects if s.startswith("Löschwunsch")]
    assert len(requests) == 1 and reference in requests[0][0] and "Art. 17 DSGVO" in requests[0][1]
    assert store.delete(sessions, reference) and not store.exists(sessions, reference)


def test_the_privacy_notice_says_what_how_long_who_and_where():
    text = privacy_notice(Settings(retention_days=14, application_retention_days=180,
                                   privacy_controller="Landespräventionsrat Sachsen, Wilhelm-Buck-Str. 4, Dresden",
                                   privacy_url="https://example.org/datenschutz"))
    for part in ("14 Tage", "180 Tage", "[E-Mail]", "Landespräventionsrat Sachsen, Wilhelm-Buck-Str. 4",
                 "(https://example.org/datenschutz)", "Bitte löschen Sie meine Daten"):
        assert part in text
    assert "Betreiber dieses Chats" in privacy_notice(Settings())  # unset: no invented address


def test_the_privacy_notice_names_the_staff_as_recipients_when_handover_is_on():
    assert "Sonst gebe ich nichts weiter" in privacy_notice(Settings())
    text = privacy_notice(Settings(handover_room="!raum:matrix.example.org"))
    assert "Sonst gebe ich nichts weiter" not in text and "Mitarbeitenden" in text


def test_redaction_follows_the_requested_slot_of_the_active_form():
    events = [
        {"event": "user", "text": "Ich möchte beitreten", "parse_data": {"text": "Ich möchte beitreten"}},
        {"event": "active_loop", "name": "join_form"},
        {"event": "slot", "name": "requested_slot", "value": "app_commune"},
        {"event": "user", "text": "Dohna", "parse_data": {"text": "Dohna", "entities": []}},
        {"event": "slot", "name": "requested_slot", "value": "app_email"},
        {"event": "user", "text": "kein-mail", "parse_data": {"text": "kein-mail", "entities": [{"value": "x"}]}},
        {"event": "bot", "text": "„kein-mail“ ist keine E-Mail-Adresse."},
        {"event": "user", "text": "bm@dohna.example", "parse_data": {"text": "bm@dohna.example"}},
        {"event": "slot", "name": "app_email", "value": "bm@dohna.example"},
        {"event": "active_loop", "name": None},
        {"event": "user", "text": "Was kostet das?", "parse_data": {"text": "Was kostet das?"}},
        {"event": "bot", "text": "E-Mail: bm@dohna.example, Telefon: 0351 111111"},
    ]
    redacted = redact_events(events, known_values=["0351 111111"])
    texts = [e.get("text") for e in redacted]
    assert texts[0] == "Ich möchte beitreten" and texts[3] == "Dohna"  # not personal
    assert texts[5] == "[E-Mail]" and redacted[5]["parse_data"] == {"text": "[E-Mail]", "entities": []}
    assert "kein-mail" not in texts[6] and texts[7] == "[E-Mail]" and redacted[8]["value"] == "[E-Mail]"
    assert texts[10] == "Was kostet das?"  # after the form: the user's own question stays
    assert "bm@dohna.example" not in texts[11] and "0351 111111" not in texts[11]
    assert redact_events(redacted) == redacted  # stable: stored events are redacted once
    assert events[5]["text"] == "kein-mail"  # the input is not changed


def test_log_lines_lose_addresses_and_numbers(caplog):
    install_log_redaction()
    logging.getLogger("asskomm.test").warning("Nachricht von %s, Tel. %s", "bm@dohna.example", "+49 351 1234567")
    assert "bm@dohna.example" not in caplog.text and "1234567" not in caplog.text
    assert "[E-Mail]" in caplog.text and "[Telefon]" in caplog.text
    assert scrub_text("ASK-2026-000042 am 2026-11-30 10:00 von 127.0.0.1") == "ASK-2026-000042 am 2026-11-30 10:00 von 127.0.0.1"


def test_feedback_clicked_in_a_form_is_kept_in_its_fixed_words_only():
    """"Hilfreich? Ja" during a form is no form answer: the console must still read it, but a
    hand-typed /feedback with more in it stores nothing beyond the fixed words."""
    def click(text, entities):
        return {"event": "user", "text": text,
                "parse_data": {"text": text, "intent": {"name": "feedback", "confidence": 1.0}, "entities": entities}}

    value = {"entity": "feedback_wert", "value": "nein", "start": 9, "end": 34}
    events = [
        {"event": "active_loop", "name": "join_form"},
        {"event": "slot", "name": "requested_slot", "value": "app_contact_name"},
        click('/feedback{"feedback_wert":"nein"}', [value]),
        click('/feedback{"feedback_wert":"nein","name":"Anna Muster"}',
              [value, {"entity": "name", "value": "Anna Muster"}]),
        click('/feedback{"feedback_wert":"Anna Muster"}', [{"entity": "feedback_wert", "value": "Anna Muster"}]),
    ]
    kept, typed, invalid = redact_events(events)[2:]
    assert kept == events[2]
    assert typed["text"] == '/feedback{"feedback_wert":"nein"}' and "Anna" not in json.dumps(typed)
    assert typed["parse_data"]["entities"] == [value]
    assert invalid["text"] == "[Name]" and invalid["parse_data"]["entities"] == []
