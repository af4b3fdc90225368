"""Handover state on SQLite and PostgreSQL: one open handover per conversation, messages
routed by their handover (two citizens never mixed), nothing delivered after the end,
expiry without a staff answer, statistics, and state that survives a restart."""
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest

from bot.applications import store as applications
from bot.db import make_engine, make_session_factory, migrate
from bot.handover import store
from bot.handover.store import TO_STAFF, TO_USER, StaffMessage

T0 = datetime(2026, 6, 1, 9, 0, tzinfo=timezone.utc)  # far from the test run: callbacks are stored "now"


@pytest.fixture
def sessions(database_url):
    migrate(database_url)
    return make_session_factory(make_engine(database_url))


def opened(sessions, sender: str, thread: str, channel: str = "socketio", at: datetime = T0):
    handover, created = store.request(sessions, sender, channel, "Nutzer: Hallo", at=at)
    assert created
    store.thread_opened(sessions, handover.id, thread)
    return handover


def texts(relayed) -> list[tuple[str, str]]:
    return [(r.handover.sender_id, r.text) for r in relayed]


def test_one_open_handover_per_conversation(sessions):
    first, created = store.request(sessions, "web-1", "socketio", "Nutzer: Hallo", at=T0)
    again, created_again = store.request(sessions, "web-1", "socketio", "anders", at=T0)
    other, created_other = store.request(sessions, "web-2", "rest", "", at=T0)
    assert created and not created_again and again.id == first.id and again.transcript == "Nutzer: Hallo"
    assert created_other and other.id != first.id
    assert [h.id for h in store.awaiting_thread(sessions)] == [first.id, other.id]
    store.end(sessions, first.id, by="@anna:lpr")
    renewed, created = store.request(sessions, "web-1", "socketio", "", at=T0)
    assert created and renewed.id not in (first.id, other.id)  # a new one after the end


def test_parallel_requests_of_one_conversation_open_one_handover(sessions):
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: store.request(sessions, "web-1", "socketio", ""), range(16)))
    assert len({h.id for h, _ in results}) == 1
    assert sum(created for _, created in results) == 1


def test_user_messages_go_to_staff_only_while_open(sessions):
    assert store.from_user(sessions, "web-1", "Hallo?") is False  # no handover: the bot answers
    handover = opened(sessions, "web-1", "$thread1")
    assert store.from_user(sessions, "web-1", "Sind Sie da?") is True
    assert texts(store.undelivered(sessions, TO_STAFF)) == [("web-1", "Sind Sie da?")]
    store.end(sessions, handover.id, by="@anna:lpr")
    assert store.from_user(sessions, "web-1", "Danke") is False
    assert texts(store.undelivered(sessions, TO_STAFF)) == [("web-1", "Sind Sie da?")]


def test_staff_reply_connects_and_reaches_only_its_citizen(sessions):
    anna, ben = opened(sessions, "web-anna", "$a"), opened(sessions, "tg-ben", "$b", channel="telegram")
    assert store.from_staff(sessions, "$b", "@eva:lpr", "Guten Tag, Herr B.") is StaffMessage.QUEUED
    assert store.from_staff(sessions, "$a", "@max:lpr", "Guten Tag, Frau A.") is StaffMessage.QUEUED
    assert store.get(sessions, ben.id).status == "connected" and store.get(sessions, ben.id).connected_at
    assert store.get(sessions, anna.id).status == "connected"
    assert texts(store.undelivered(sessions, TO_USER, sender_id="web-anna")) == [("web-anna", "Guten Tag, Frau A.")]
    assert texts(store.undelivered(sessions, TO_USER, channels={"telegram"})) == [("tg-ben", "Guten Tag, Herr B.")]
    assert store.from_staff(sessions, "$unbekannt", "@eva:lpr", "?") is StaffMessage.UNKNOWN


def test_after_the_end_staff_messages_are_refused_and_the_notice_is_delivered(sessions):
    handover = opened(sessions, "web-1", "$t")
    store.from_staff(sessions, "$t", "@anna:lpr", "Gern geschehen.")
    ended = store.end(sessions, handover.id, by="@anna:lpr", notice="Das Gespräch ist beendet.")
    assert ended.status == "ended" and ended.ended_by == "@anna:lpr"
    assert store.end(sessions, handover.id, by="@anna:lpr") is None  # ending twice does nothing
    assert store.from_staff(sessions, "$t", "@anna:lpr", "Noch etwas") is StaffMessage.ENDED
    relayed = store.undelivered(sessions, TO_USER)
    assert [(r.author, r.text) for r in relayed] == [("@anna:lpr", "Gern geschehen."),
                                                     (None, "Das Gespräch ist beendet.")]
    store.delivered(sessions, [r.id for r in relayed])
    assert store.undelivered(sessions, TO_USER) == []


def test_requests_without_staff_answer_expire(sessions):
    late = opened(sessions, "web-1", "$late", at=T0)
    answered = opened(sessions, "web-2", "$ok", at=T0)
    fresh = opened(sessions, "web-3", "$fresh", at=T0 + timedelta(minutes=4))
    store.from_staff(sessions, "$ok", "@anna:lpr", "Hallo")
    expired = store.expire(sessions, timedelta(minutes=5), notice="Leider ist niemand frei.",
                           at=T0 + timedelta(minutes=6))
    assert [h.id for h in expired] == [late.id] and expired[0].status == "expired"
    assert store.get(sessions, answered.id).is_open and store.get(sessions, fresh.id).is_open
    assert texts(store.undelivered(sessions, TO_USER, sender_id="web-1")) == [("web-1", "Leider ist niemand frei.")]


def test_state_survives_a_restart(database_url, sessions):
    handover = opened(sessions, "matrix:!r:lpr:@c:lpr", "$t", channel="matrix")
    store.from_user(sessions, "matrix:!r:lpr:@c:lpr", "Noch da?")
    store.from_staff(sessions, "$t", "@anna:lpr", "Ja.")
    # A restarted bridge or bot: a new engine and connection pool, nothing kept in memory.
    restarted = make_session_factory(make_engine(database_url))
    assert store.open_for(restarted, "matrix:!r:lpr:@c:lpr").id == handover.id
    assert store.by_thread(restarted, "$t").status == "connected"
    assert texts(store.undelivered(restarted, TO_STAFF)) == [("matrix:!r:lpr:@c:lpr", "Noch da?")]
    assert texts(store.undelivered(restarted, TO_USER)) == [("matrix:!r:lpr:@c:lpr", "Ja.")]


def test_statistics_count_handovers_and_their_duration(sessions):
    first = opened(sessions, "a", "$1", at=T0)
    store.from_staff(sessions, "$1", "@anna:lpr", "Hallo", at=T0 + timedelta(minutes=1))
    store.end(sessions, first.id, by="@anna:lpr", at=T0 + timedelta(minutes=11))
    second = opened(sessions, "b", "$2", at=T0)
    store.from_staff(sessions, "$2", "@anna:lpr", "Hallo", at=T0 + timedelta(minutes=2))
    store.end(sessions, second.id, by="@anna:lpr", at=T0 + timedelta(minutes=22))
    opened(sessions, "c", "$3", at=T0)
    store.expire(sessions, timedelta(minutes=5), at=T0 + timedelta(minutes=30))
    opened(sessions, "d", "$4", at=T0 - timedelta(days=2))  # before the period
    callback = applications.Draft(kind="rueckruf", fields={"Name": "Anna"}, email="anna@example.org",
                                  consent_at=T0, channel="rest", sender_id="e", submission_key=uuid.uuid4().hex)
    applications.submit(sessions, callback, recipient="lpr@example.org")
    now = datetime.now(timezone.utc)  # the application's created_at is the database's now
    stats = store.statistics(sessions, since=T0 - timedelta(hours=1), until=T0 + timedelta(hours=1))
    assert stats == store.Statistics(requested=3, connected=2, expired=1, average_minutes=15.0, callbacks=0)
    assert store.statistics(sessions, since=now - timedelta(hours=1)).callbacks == 1


def test_a_deletion_request_and_the_retention_remove_handovers_with_their_messages(sessions):
    mine = opened(sessions, "web-1", "$mine")
    store.from_user(sessions, "web-1", "Meine Telefonnummer ist 0351 1234567")
    other = opened(sessions, "web-2", "$other")
    store.from_user(sessions, "web-2", "Hallo")
    assert store.forget(sessions, "web-1") == 1
    assert store.get(sessions, mine.id) is None and store.by_thread(sessions, "$mine") is None
    assert texts(store.undelivered(sessions, TO_STAFF)) == [("web-2", "Hallo")]
    assert store.from_staff(sessions, "$mine", "@anna:lpr", "Hallo?") is StaffMessage.UNKNOWN

    store.end(sessions, other.id, by="@anna:lpr", at=T0)
    still_open = opened(sessions, "web-3", "$open", at=T0 - timedelta(days=60))
    assert store.delete_ended_before(sessions, T0 - timedelta(days=1)) == 0  # ended after the cutoff
    assert store.delete_ended_before(sessions, T0 + timedelta(days=1)) == 1
    assert store.get(sessions, other.id) is None and store.undelivered(sessions, TO_STAFF) == []
    assert store.get(sessions, still_open.id).is_open  # open ones are never deleted


def test_deleting_handovers_queues_their_matrix_events_for_redaction(sessions):
    kept, forgotten, old = (opened(sessions, s, f"$root-{s}") for s in ("web-kept", "web-forget", "web-old"))
    for handover in (kept, forgotten, old):
        store.posted(sessions, handover.id, "!staff:lpr", f"$root-{handover.sender_id}")
        store.posted(sessions, handover.id, "!staff:lpr", f"$line-{handover.sender_id}")
    store.posted(sessions, kept.id, "!staff:lpr", "$root-web-kept")  # twice: remembered once
    assert store.redactions_due(sessions) == []
    assert store.forget(sessions, "web-forget") == 1  # the user's deletion request
    store.end(sessions, old.id, by="@anna:lpr", at=T0)
    assert store.delete_ended_before(sessions, T0 + timedelta(days=1)) == 1  # retention
    assert sorted(e.event_id for e in store.redactions_due(sessions)) == [
        "$line-web-forget", "$line-web-old", "$root-web-forget", "$root-web-old"]
    assert [e.event_id for e in store.events_of(sessions, kept.id)] == ["$root-web-kept", "$line-web-kept"]
    # an event posted after its handover was deleted (the bridge was just sending) is due at once
    store.posted(sessions, forgotten.id, "!staff:lpr", "$late")
    assert "$late" in {e.event_id for e in store.redactions_due(sessions)}
    store.redacted(sessions, [e.id for e in store.redactions_due(sessions)])
    assert store.redactions_due(sessions) == [] and len(store.events_of(sessions, kept.id)) == 2
