"""The tracker store stores form answers only as placeholders, gives the form its answers
back in the next turn, publishes only redacted events, and forgets a conversation on request.
Rasa's real SQL tracker store on SQLite and PostgreSQL, with the project's domain."""
import asyncio
import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from rasa.core.brokers.broker import EventBroker
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.privacy.conversations import form_drafts
from bot.privacy.tracker_store import PrivacyTrackerStore
from tests.conftest import ROOT

EMAIL, NAME, PHONE = "jördis.weissenfels@dohna.example", "Jördis Weißenfels", "0351 4567890"


class CollectingBroker(EventBroker):
    """Keeps what Rasa publishes (the broker's interface; RabbitMQ itself is tested elsewhere)."""

    def __init__(self):
        self.published = []

    def publish(self, event):
        self.published.append(event)


@pytest.fixture(scope="module")
def domain():
    return Domain.load(str(ROOT / "domain.yml"))


@pytest.fixture
def store(database_url, domain):
    if database_url.startswith("sqlite"):
        config = {"dialect": "sqlite", "db": database_url.removeprefix("sqlite:///")}
    else:
        config = {"dialect": "postgresql", "host": database_url}
    broker = CollectingBroker()
    store = PrivacyTrackerStore(domain=domain, event_broker=broker, **config)
    store.broker = broker
    yield store
    store.engine.dispose()


def run(coroutine):
    return asyncio.run(coroutine)


def ask(slot):
    return [ActionExecuted("join_form"), SlotSet("requested_slot", slot), BotUttered(f"Bitte {slot}?"),
            ActionExecuted("action_listen")]


async def form_turns(store, sender="chat-1"):
    """A join form as Rasa runs it: each user answer in its own turn (retrieve → add → save)."""
    tracker = await store.get_or_create_tracker(sender)
    tracker.update_with_events([UserUttered("Wir möchten beitreten", {"name": "request_join"}),
                                ActionExecuted("join_form"), ActiveLoop("join_form"), *ask("app_contact_name")],
                               store.domain)
    await store.save(tracker)
    for slot, value, next_slot in (("app_contact_name", NAME, "app_email"), ("app_email", EMAIL, "app_phone"),
                                   ("app_phone", PHONE, None)):
        tracker = await store.retrieve_full_tracker(sender)
        events = [UserUttered(value, {"name": "inform"}), ActionExecuted("join_form"), SlotSet(slot, value)]
        if next_slot:
            events += ask(next_slot)
        else:
            events += [SlotSet("requested_slot", None), ActiveLoop(None),
                       BotUttered(f"Bitte prüfen Sie: Name: {NAME}, E-Mail: {EMAIL}, Telefon: {PHONE}"),
                       ActionExecuted("action_listen")]
        tracker.update_with_events(events, store.domain)
        await store.save(tracker)
    return tracker


def stored_text(store) -> str:
    with store.engine.connect() as connection:
        rows = connection.execute(sa.text("select data from events")).scalars().all()
        drafts = connection.execute(sa.select(form_drafts.c.data)).scalars().all()
    # decoded: Rasa writes JSON with \u escapes, in which "Jördis" would never be found
    readable = [json.dumps(json.loads(row), ensure_ascii=False) for row in rows + drafts]
    return "\n".join(readable[:len(rows)]), "\n".join(readable[len(rows):])


def test_form_answers_are_stored_as_placeholders_and_come_back_as_values(store):
    run(form_turns(store))
    events, drafts = stored_text(store)
    for value in (EMAIL, NAME, PHONE, "4567890", "weissenfels"):
        assert value not in events
    assert "[E-Mail]" in events and "[Name]" in events and "[Telefon]" in events
    assert EMAIL in drafts  # the unfinished application, apart from the conversation

    tracker = run(store.retrieve_full_tracker("chat-1"))
    assert tracker.get_slot("app_email") == EMAIL and tracker.get_slot("app_contact_name") == NAME
    # Rasa's form action replays the events into a temporary tracker: the answers must survive that
    replayed = DialogueStateTracker.from_events("chat-1", tracker.events, store.domain.slots)
    assert replayed.get_slot("app_email") == EMAIL and replayed.get_slot("app_phone") == PHONE
    texts = [e.text for e in tracker.events if isinstance(e, UserUttered)]
    assert texts == ["Wir möchten beitreten", "[Name]", "[E-Mail]", "[Telefon]"]
    [summary] = [e.text for e in tracker.events if isinstance(e, BotUttered) and "prüfen" in e.text]
    assert EMAIL not in summary and NAME not in summary


def test_the_broker_gets_only_redacted_events(store):
    run(form_turns(store))
    published = json.dumps(store.broker.published, ensure_ascii=False)
    assert store.broker.published and "[E-Mail]" in published
    assert EMAIL not in published and NAME not in published and PHONE not in published


def test_the_draft_goes_when_the_form_ends(store):
    tracker = run(form_turns(store))
    tracker.update_with_events([UserUttered("/affirm", {"name": "affirm"}), ActionExecuted("action_submit_application"),
                                *[SlotSet(s, None) for s in ("app_contact_name", "app_email", "app_phone")],
                                BotUttered("Vielen Dank. Ihre Vorgangsnummer: ASK-2026-000001")], store.domain)
    run(store.save(tracker))
    events, drafts = stored_text(store)
    assert drafts == "" and EMAIL not in events
    if store.engine.dialect.name == "sqlite":  # nor in the file and its write-ahead log (-wal)
        database = Path(store.engine.url.database)
        files = [p for p in database.parent.iterdir() if p.name.startswith(database.name)]
        # the ASCII part: JSON in the file escapes "ö"
        assert files and all(b"weissenfels@dohna.example" not in p.read_bytes() for p in files), files


def test_deletion_forgets_the_conversation_and_the_unsent_answers(store):
    tracker = run(form_turns(store))
    run(form_turns(store, sender="someone-else"))
    tracker.update_with_events([UserUttered("Bitte löschen Sie meine Daten", {"name": "request_data_deletion"}),
                                ActionExecuted("action_offer_data_deletion"), BotUttered("Soll ich …?"),
                                ActionExecuted("action_listen"), UserUttered("Ja", {"name": "affirm"}),
                                ActionExecuted("action_delete_my_data"), BotUttered("Erledigt: gelöscht."),
                                ActionExecuted("action_listen")], store.domain)
    run(store.save(tracker))

    with store.engine.connect() as connection:
        rows = connection.execute(sa.text("select type_name, data from events where sender_id = 'chat-1'")).all()
        drafts = connection.execute(sa.select(form_drafts.c.sender_id)).scalars().all()
    assert [t for t, _ in rows] == ["action", "session_started", "bot", "action"]
    assert "Erledigt" in rows[2][1] and "beitreten" not in " ".join(d for _, d in rows)
    assert drafts == ["someone-else"]  # another conversation is untouched
    again = run(store.retrieve_full_tracker("chat-1"))
    assert again.get_slot("app_email") is None
    assert any(isinstance(e, SessionStarted) for e in again.events)


async def chat_turns(store, sender, turns, start=0):
    """Turns as Rasa's processor runs them: retrieve (or create), add the turn, save."""
    for turn in range(start, start + turns):
        tracker = await store.get_or_create_tracker(sender)
        tracker.update_with_events([UserUttered(f"Frage {turn}", {"name": "ask_offers"}),
                                    ActionExecuted("action_answer_from_knowledge"), BotUttered(f"Antwort {turn}"),
                                    ActionExecuted("action_listen")], store.domain)
        await store.save(tracker)


def stored_texts(store, sender):
    with store.engine.connect() as connection:
        rows = connection.execute(sa.text("select data from events where sender_id = :s order by id"),
                                  {"s": sender}).scalars().all()
    return [json.loads(row).get("text") for row in rows]


def test_each_turn_stores_its_new_events_once(store):
    run(chat_turns(store, "chat-1", 5))
    texts = [t for t in stored_texts(store, "chat-1") if t]
    assert texts == [x for turn in range(5) for x in (f"Frage {turn}", f"Antwort {turn}")]
    assert len(store.broker.published) == len(stored_texts(store, "chat-1"))  # each event published once


def test_a_write_by_another_replica_is_read_before_the_next_turn(store, domain):
    run(chat_turns(store, "chat-1", 2))
    other = PrivacyTrackerStore(domain=domain, event_broker=None, **_config_of(store))
    try:
        run(chat_turns(other, "chat-1", 1, start=2))  # the next message went to another replica
        run(chat_turns(store, "chat-1", 1, start=3))
    finally:
        other.engine.dispose()
    texts = [t for t in stored_texts(store, "chat-1") if t and t.startswith("Frage")]
    assert texts == ["Frage 0", "Frage 1", "Frage 2", "Frage 3"]
    tracker = run(store.retrieve("chat-1"))
    assert [e.text for e in tracker.events if isinstance(e, UserUttered)][-2:] == ["Frage 2", "Frage 3"]


def test_a_turn_that_was_not_saved_is_not_handed_out_again(store):
    run(chat_turns(store, "chat-1", 2))
    tracker = run(store.retrieve("chat-1"))
    tracker.update_with_events([UserUttered("verloren", {"name": "ask_offers"})], store.domain)  # then an error
    again = run(store.retrieve("chat-1"))
    assert "verloren" not in [e.text for e in again.events if isinstance(e, UserUttered)]


def test_a_deleted_conversation_is_not_handed_out_from_memory(store):
    from bot.privacy.conversations import forget

    run(chat_turns(store, "chat-1", 2))
    assert run(store.retrieve("chat-1")) is not None
    forget(store.engine, "chat-1")  # the staff command or the retention job
    assert run(store.retrieve("chat-1")) is None


def test_form_answers_of_earlier_turns_stay_redacted_in_later_bot_messages(store):
    """The redaction state carries over from turn to turn when the tracker stays in memory."""
    async def turns():
        await form_turns(store)
        await chat_turns(store, "chat-1", 1)
        tracker = await store.retrieve("chat-1")
        tracker.update_with_events([UserUttered("Wer bin ich?", {"name": "ask_offers"}),
                                    BotUttered(f"Sie sind {NAME}, erreichbar unter {EMAIL}."),
                                    ActionExecuted("action_listen")], store.domain)
        await store.save(tracker)

    run(turns())
    events, _ = stored_text(store)
    assert NAME not in events and EMAIL not in events and "Sie sind [" in events


def _config_of(store):
    url = store.engine.url
    if url.drivername.startswith("sqlite"):
        return {"dialect": "sqlite", "db": url.database}
    return {"dialect": "postgresql", "host": str(url.render_as_string(hide_password=False))}
