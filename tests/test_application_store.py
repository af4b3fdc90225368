"""Storing applications on SQLite and PostgreSQL: reference numbers, exactly once under
retries and concurrency, the outbox row, and the status check that reveals nothing."""
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from bot.applications import store
from bot.applications.models import Application, OutboxMessage
from bot.db import make_engine, make_session_factory, migrate


@pytest.fixture
def sessions(database_url):
    migrate(database_url)
    return make_session_factory(make_engine(database_url))


def draft(key: str | None = None, sender: str = "chat-1", email: str = "anna.muster@werdau.de") -> store.Draft:
    return store.Draft(
        kind="beitritt",
        fields={"Kommune": "Werdau", "Name": "Anna Muster", "E-Mail": email, "Nachricht": "Grüße aus Werdau"},
        email=email, consent_at=datetime.now(timezone.utc), channel="rest", sender_id=sender,
        submission_key=key or uuid.uuid4().hex,
    )


def count(sessions, table) -> int:
    with sessions() as session:
        return session.execute(select(func.count()).select_from(table)).scalar_one()


def test_a_submission_gets_a_reference_and_one_outbox_mail(sessions):
    stored = store.submit(sessions, draft(), recipient="lpr@example.org")
    year = datetime.now(timezone.utc).year
    assert stored.created and stored.reference.startswith(f"ASK-{year}-") and len(stored.reference) == 15
    with sessions() as session:
        mail = session.execute(select(OutboxMessage)).scalar_one()
    assert stored.reference in mail.subject and "Grüße aus Werdau" in mail.body and mail.recipient == "lpr@example.org"


def test_the_same_submission_twice_is_stored_once(sessions):
    key = uuid.uuid4().hex
    first = store.submit(sessions, draft(key), recipient="lpr@example.org")
    again = store.submit(sessions, draft(key), recipient="lpr@example.org")
    assert again.reference == first.reference and not again.created
    assert count(sessions, Application) == 1 and count(sessions, OutboxMessage) == 1


def test_fifty_parallel_submissions_get_fifty_references_and_replays_add_nothing(sessions):
    keys = [uuid.uuid4().hex for _ in range(50)]
    with ThreadPoolExecutor(max_workers=10) as pool:
        first = list(pool.map(lambda k: store.submit(sessions, draft(k, sender=k), "lpr@example.org"), keys))
        replay = list(pool.map(lambda k: store.submit(sessions, draft(k, sender=k), "lpr@example.org"), keys * 2))
    assert len({s.reference for s in first}) == 50 and all(s.created for s in first)
    assert not any(s.created for s in replay)
    assert {s.reference for s in replay} == {s.reference for s in first}
    assert count(sessions, Application) == 50 and count(sessions, OutboxMessage) == 50


def test_status_only_in_the_same_conversation_or_with_the_email(sessions):
    stored = store.submit(sessions, draft(sender="chat-7"), recipient="")
    assert store.status_of(sessions, stored.reference, sender_id="chat-7").status == "eingegangen"
    assert store.status_of(sessions, stored.reference, sender_id="someone-else") is None
    assert store.status_of(sessions, stored.reference, email="ANNA.Muster@werdau.de").status == "eingegangen"
    assert store.status_of(sessions, stored.reference, email="other@werdau.de") is None
    view = store.status_of(sessions, stored.reference, sender_id="chat-7")
    assert "Anna" not in repr(view) and "werdau.de" not in repr(view)  # no personal data


def test_staff_set_a_status(sessions):
    stored = store.submit(sessions, draft(), recipient="")
    assert store.set_status(sessions, stored.reference, "in_bearbeitung")
    assert store.status_of(sessions, stored.reference, sender_id="chat-1").status == "in Bearbeitung"
    with pytest.raises(ValueError):
        store.set_status(sessions, stored.reference, "vergessen")
    assert not store.set_status(sessions, "ASK-2000-000001", "abgeschlossen")


@pytest.mark.parametrize("text, reference", [
    ("Wie ist der Stand von ASK-2026-000042?", "ASK-2026-000042"),
    ("status ask 2026 42", "ASK-2026-000042"),
    ("ask-2025-000017 bitte", "ASK-2025-000017"),
    ("Wie ist der Stand meines Antrags?", None),
])
def test_reference_numbers_are_found_in_text(text, reference):
    assert store.find_reference(text) == reference
