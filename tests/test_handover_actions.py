"""Asking for a person: consent when someone can take over, the callback request when nobody
can (no staff room configured, outside office hours), the handover row with a redacted
transcript; and the channel side: silent while a person has the conversation, staff answers
delivered once, marked as written by a person."""
import asyncio

import pytest
import yaml
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa_sdk.executor import CollectingDispatcher

import actions.applications as apps
import actions.handover as handover_actions
import bot.channels.handover as channel_handover
from bot.config import get_settings
from bot.db import make_engine, make_session_factory, migrate
from bot.handover import store, texts
from tests.conftest import ROOT, make_tracker

DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))


@pytest.fixture
def sessions(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'asskomm.db'}"
    migrate(url)
    factory = make_session_factory(make_engine(url))
    monkeypatch.setattr(handover_actions, "shared_sessions", lambda: factory)
    monkeypatch.setattr(channel_handover, "shared_sessions", lambda: factory)
    return factory


@pytest.fixture
def settings(monkeypatch):
    def configure(**values):
        for name, value in values.items():
            monkeypatch.setenv(f"ASSKOMM_{name.upper()}", value)
        get_settings.cache_clear()
        return get_settings()

    yield configure
    get_settings.cache_clear()


def run(action, tracker):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, DOMAIN))
    return dispatcher.messages, {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def asked(text="Ich möchte mit einem Menschen sprechen", sender="web-1", events=None):
    return make_tracker(text, intent="request_human", sender=sender, events=events)


def test_without_a_staff_room_only_the_callback_is_offered(settings, sessions):
    settings(handover_room="", now="2026-11-30T10:00")
    messages, slots = run(handover_actions.ActionOfferHandover(), asked())
    assert slots == {"handover_offer": "callback"}
    assert "gibt es in diesem Chat nicht" in messages[0]["text"]
    assert store.open_for(sessions, "web-1") is None


def test_outside_office_hours_the_callback_is_offered_with_the_next_opening(settings, sessions):
    settings(handover_room="!staff:lpr", now="2026-11-18T10:00")  # Buß- und Bettag
    messages, slots = run(handover_actions.ActionOfferHandover(), asked())
    assert slots == {"handover_offer": "callback"}
    assert "nicht im Chat erreichbar" in messages[0]["text"]
    assert "Donnerstag, 19. November 2026, 9 Uhr" in messages[0]["text"]


def test_in_office_hours_the_consent_is_asked_and_then_the_handover_opened(settings, sessions):
    settings(handover_room="!staff:lpr", now="2026-11-30T10:00")
    messages, slots = run(handover_actions.ActionOfferHandover(), asked())
    assert slots == {"handover_offer": "consent"}
    assert "einverstanden" in messages[0]["text"] and messages[0]["buttons"][0]["payload"] == "/affirm"
    history = [
        {"event": "user", "text": "Wie beantrage ich Fördermittel? Ich bin anna@werdau.de, Tel. 03761 123456"},
        {"event": "bot", "text": "Anträge gehen an den Landespräventionsrat."},
        {"event": "user", "text": "/request_human"},
    ]
    tracker = make_tracker("ja", intent="affirm", sender="web-1", events=history)
    messages, slots = run(handover_actions.ActionStartHandover(), tracker)
    assert slots == {"handover_offer": None} and "weitergegeben" in messages[0]["text"] and len(messages) == 1
    events = asyncio.run(handover_actions.ActionStartHandover().run(CollectingDispatcher(), tracker, DOMAIN))
    assert {"event": "followup", "timestamp": None, "name": "action_listen"} in events  # nothing after it
    opened = store.open_for(sessions, "web-1")
    assert opened.status == "requested"
    assert opened.transcript == ("Nutzer: Wie beantrage ich Fördermittel? Ich bin [E-Mail], Tel. [Telefon]\n"
                                 "Bot: Anträge gehen an den Landespräventionsrat.")
    messages, slots = run(handover_actions.ActionOfferHandover(), asked())
    assert "schon weitergeleitet" in messages[0]["text"]


def test_consent_given_after_closing_time_opens_nothing(settings, sessions):
    settings(handover_room="!staff:lpr", now="2026-11-30T15:00")
    messages, _ = run(handover_actions.ActionStartHandover(), make_tracker("ja", intent="affirm", sender="web-1"))
    assert store.open_for(sessions, "web-1") is None
    assert "Dienstag, 1. Dezember 2026, 9 Uhr" in messages[0]["text"] and "Rückruf" in messages[1]["text"]


def test_matrix_users_are_handed_over_on_the_matrix_channel():
    tracker = make_tracker("ja", intent="affirm", sender="matrix:!r:lpr:@c:lpr")
    assert handover_actions.handover_channel(tracker) == "matrix"


def test_a_callback_request_says_when_staff_are_back(settings):
    settings(now="2026-12-23T16:00")  # then 24.12. closed, Christmas, weekend
    assert "Montag, 28. Dezember 2026, 9 Uhr" in apps.callback_expectation()
    settings(now="2026-12-22T10:00")
    assert "gerade im Dienst" in apps.callback_expectation()


def test_while_a_person_has_the_conversation_rasa_gets_nothing_and_rest_gets_the_answers(settings, sessions):
    settings(handover_room="!staff:lpr")
    reached_rasa = []

    async def rasa(message):
        reached_rasa.append(message.text)

    guarded = channel_handover.silent_during_handover(rasa)

    def say(text, sender="rest-1"):
        output = CollectingOutputChannel()
        asyncio.run(guarded(UserMessage(text, output, sender, input_channel="rest")))
        return [m["text"] for m in output.messages]

    assert say("Hallo") == [] and reached_rasa == ["Hallo"]
    handover, _ = store.request(sessions, "rest-1", "rest", "")
    store.thread_opened(sessions, handover.id, "$t")
    assert say("Ist jemand da?") == [] and reached_rasa == ["Hallo"]
    store.from_staff(sessions, "$t", "@anna:lpr", "Ja, ich bin da.")
    assert say("Schön!") == [f"{texts.STAFF_PREFIX} Ja, ich bin da."]
    assert [m.text for m in store.undelivered(sessions, store.TO_STAFF)] == ["Ist jemand da?", "Schön!"]
    assert say("Hallo andere", sender="rest-2") == [] and reached_rasa == ["Hallo", "Hallo andere"]
    store.end(sessions, handover.id, "@anna:lpr", texts.ENDED)
    assert say("Danke") == [texts.ENDED] and reached_rasa[-1] == "Danke"  # the bot answers again


def test_push_delivery_marks_staff_answers_and_the_end_for_the_widget(settings, sessions):
    settings(handover_room="!staff:lpr")
    handover, _ = store.request(sessions, "sid-1", "socketio", "")
    store.thread_opened(sessions, handover.id, "$w")
    other, _ = store.request(sessions, "tg-1", "telegram", "")
    store.thread_opened(sessions, other.id, "$tg")
    store.from_staff(sessions, "$w", "@anna:lpr", "Guten Tag!")
    store.from_staff(sessions, "$tg", "@anna:lpr", "Hallo Telegram")
    store.end(sessions, handover.id, "@anna:lpr", texts.ENDED)
    sent = []

    async def deliver(message, text, marker):
        sent.append((message.handover.sender_id, text, marker))

    assert asyncio.run(channel_handover.deliver_once(sessions, "socketio", deliver)) == 2
    assert sent == [("sid-1", f"{texts.STAFF_PREFIX} Guten Tag!", "connected"), ("sid-1", texts.ENDED, "ended")]
    assert asyncio.run(channel_handover.deliver_once(sessions, "socketio", deliver)) == 0  # once only
    assert [m.text for m in store.undelivered(sessions, store.TO_USER)] == ["Hallo Telegram"]


def test_without_a_staff_room_the_channels_are_unchanged(settings):
    settings(handover_room="")

    async def rasa(message):
        return None

    assert channel_handover.silent_during_handover(rasa) is rasa
