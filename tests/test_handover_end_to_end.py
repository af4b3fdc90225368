"""A person takes over, end to end: Synapse, the bridge, action server and Rasa as real
processes, the citizen over REST and in the widget's socket.io protocol, LPR staff as a
Matrix account that answers in the thread. Office hours are fixed with ASSKOMM_NOW (a Monday
morning); outside them the unit tests in test_handover_actions.py apply. A callback request
ends with a reference number."""
from __future__ import annotations

import asyncio
import json
import re
import urllib.request

import pytest

from bot.db import make_engine, make_session_factory
from bot.handover import store, texts
from tests.conftest import bot_running
from tests.test_handover_matrix import reply_in_thread, thread_texts
from tests.test_matrix_synapse import (  # noqa: F401 - fixtures
    matrix_python,
    start_bridge,
    stop,
    synapse,
    wait_for_bridge_start,
    wait_until,
)
from tests.test_widget_browser import browser, context  # noqa: F401 - fixtures

TIMEOUT_S = 60


@pytest.fixture(scope="module")
def world(matrix_python, synapse, trained_model, tmp_path_factory):
    base, account = synapse
    bot_user = account("asskomm", "bot-passwort-1")
    anna = account("anna", "anna-passwort-1")
    staff_room = anna.create_room(invite=[bot_user.user_id])
    state = tmp_path_factory.mktemp("state")
    with bot_running(trained_model, state, handover_room=staff_room, now="2026-11-30T10:00") as (settings, _):
        bridge = start_bridge(matrix_python, base, "asskomm", "bot-passwort-1",
                              f"http://localhost:{settings.rasa_port}", state / "bridge",
                              ASSKOMM_HANDOVER_ROOM=staff_room, DATABASE_URL=settings.database)
        try:
            wait_for_bridge_start(bridge)
            sessions = make_session_factory(make_engine(settings.database))
            yield {"settings": settings, "anna": anna, "room": staff_room, "sessions": sessions}
        finally:
            stop(bridge)
            print(bridge.log_path.read_text(errors="replace")[-3000:])


def say(settings, sender: str, message: str) -> list[str]:
    request = urllib.request.Request(
        f"http://localhost:{settings.rasa_port}/webhooks/rest/webhook",
        data=json.dumps({"sender": sender, "message": message}).encode(),
        headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=120) as response:
        return [r.get("text", "") for r in json.loads(response.read())]


def thread_of(world, sender: str) -> str:
    def opened():
        handover = store.open_for(world["sessions"], sender)
        return handover and handover.thread_event_id

    return wait_until(opened, TIMEOUT_S, f"Thread für {sender}")


def test_over_rest_a_person_answers_the_bot_is_silent_and_resumes_after_the_end(world):
    settings, anna, room, sessions = world["settings"], world["anna"], world["room"], world["sessions"]
    sender = "rest-citizen-1"
    assert any("Quelle" in t for t in say(settings, sender, "Was ist ASSKomm?"))
    consent = " ".join(say(settings, sender, "Ich möchte mit einem Menschen sprechen"))
    assert "einverstanden" in consent
    assert any("weitergegeben" in t for t in say(settings, sender, "/affirm"))
    root = thread_of(world, sender)
    opening = next(e["content"]["body"] for e in anna.messages(room) if e["event_id"] == root)
    assert "Kanal: REST" in opening and "Nutzer: Was ist ASSKomm?" in opening

    reply_in_thread(anna, room, root, "Guten Tag, hier ist Anna vom LPR. Wie kann ich helfen?")
    wait_until(lambda: store.undelivered(sessions, store.TO_USER, sender_id=sender), TIMEOUT_S, "Antwort gespeichert")
    replies = say(settings, sender, "Wie beantrage ich Fördermittel?")
    assert replies == [f"{texts.STAFF_PREFIX} Guten Tag, hier ist Anna vom LPR. Wie kann ich helfen?"]  # no bot answer
    wait_until(lambda: f"{texts.CITIZEN_PREFIX} Wie beantrage ich Fördermittel?" in thread_texts(anna, room, root),
               TIMEOUT_S, "Frage im Thread")

    reply_in_thread(anna, room, root, "!ende")
    wait_until(lambda: store.open_for(sessions, sender) is None, TIMEOUT_S, "Übergabe beendet")
    replies = say(settings, sender, "Was ist ASSKomm?")
    assert replies[0] == texts.ENDED and any("Quelle" in t for t in replies[1:])  # the bot is back


def test_in_the_widget_protocol_staff_answers_arrive_marked_for_announcement(world):
    import socketio

    settings, anna, room = world["settings"], world["anna"], world["room"]
    session_id = "widget-handover-1"

    async def conversation():
        client = socketio.AsyncClient()
        confirmed, replies = asyncio.Event(), asyncio.Queue()
        client.on("session_confirm", lambda _: confirmed.set())

        @client.on("bot_uttered")
        async def on_reply(data):
            await replies.put(data)

        async def said(message: str, until: str) -> list[dict]:
            if message:
                await client.emit("user_uttered", {"message": message, "session_id": session_id})
            got = []
            while not any(until in (d.get("text") or "") for d in got):
                got.append(await asyncio.wait_for(replies.get(), TIMEOUT_S))
            return got

        await client.connect(f"http://localhost:{settings.rasa_port}", socketio_path="/socket.io",
                             transports=["polling"])
        try:
            await client.emit("session_request", {"session_id": session_id})
            await asyncio.wait_for(confirmed.wait(), 10)
            await said("Ich möchte mit einem Menschen sprechen", "einverstanden")
            await said("/affirm", "weitergegeben")
            root = await asyncio.to_thread(thread_of, world, session_id)
            await asyncio.to_thread(reply_in_thread, anna, room, root, "Hallo, hier ist Anna.")
            connected = await said("", "Hallo, hier ist Anna.")
            await client.emit("user_uttered", {"message": "Danke, Frau Anna!", "session_id": session_id})
            await asyncio.to_thread(wait_until, lambda: f"{texts.CITIZEN_PREFIX} Danke, Frau Anna!"
                                    in thread_texts(anna, room, root), TIMEOUT_S, "Nachricht im Thread")
            await asyncio.to_thread(reply_in_thread, anna, room, root, "!ende")
            ended = await said("", texts.ENDED)
            return connected, ended
        finally:
            await client.disconnect()

    connected, ended = asyncio.run(conversation())
    assert connected[-1]["text"] == f"{texts.STAFF_PREFIX} Hallo, hier ist Anna."
    assert connected[-1]["handover"] == "connected" and connected[-1]["message_id"].startswith("handover-")
    assert ended[-1]["handover"] == "ended"
    assert len([d for d in connected + ended if d.get("text") == "Danke, Frau Anna!"]) == 0  # never echoed


def test_a_callback_request_ends_with_a_reference_number(world):
    settings = world["settings"]
    sender = "rest-callback-1"
    first = " ".join(say(settings, sender, "Rückruf"))
    assert "Rückrufbitte" in first and "Wie ist Ihr Name?" in first
    for answer in ("Anna Muster", "anna.muster@werdau.de", "keine",
                   "Ich möchte wissen, wie unsere Gemeinde beitreten kann."):
        say(settings, sender, answer)
    summary = " ".join(say(settings, sender, "ja"))
    assert "Bitte prüfen Sie Ihre Angaben" in summary and "Anna Muster" in summary
    done = " ".join(say(settings, sender, "/affirm"))
    assert re.search(r"Rückrufbitte ist gespeichert.*ASK-\d{4}-\d{6}", done, re.S), done
    assert "gerade im Dienst" in done


def test_a_callback_request_with_a_phone_number_only(world):
    settings = world["settings"]
    sender = "rest-callback-phone-1"
    say(settings, sender, "Rückruf")
    asked = " ".join(say(settings, sender, "Karl Böhme"))
    assert "E-Mail-Adresse oder Ihre Telefonnummer" in asked
    question = " ".join(say(settings, sender, "0351 4127788"))
    assert "Worum geht es?" in question  # neither the e-mail nor the phone asked again
    say(settings, sender, "Ein Vortrag über Betrug an der Haustür im Seniorenclub.")
    summary = " ".join(say(settings, sender, "ja"))
    assert "**Telefon:** +493514127788" in summary and "**E-Mail:** –" in summary
    done = " ".join(say(settings, sender, "/affirm"))
    assert re.search(r"Rückrufbitte ist gespeichert.*ASK-\d{4}-\d{6}", done, re.S), done


def test_in_chromium_the_widget_shows_and_announces_the_person_and_keeps_it_after_a_reload(world, context):
    from playwright.sync_api import expect

    from tests.test_widget_browser import (
        REPLY_MS,
        ask,
        bot_messages,
        open_chat,
        open_demo,
        stored_state,
        wait_until_ready,
    )

    settings, anna, room = world["settings"], world["anna"], world["room"]
    page, problems = open_demo(context, settings)
    open_chat(page)
    ask(page, "Ich möchte mit einem Menschen sprechen", "einverstanden")
    page.get_by_role("button", name="Ja, weitergeben").last.click()
    expect(bot_messages(page).filter(has_text="weitergegeben").last).to_be_visible(timeout=REPLY_MS)
    session_id = stored_state(page)["sessionId"]
    root = thread_of(world, session_id)
    reply_in_thread(anna, room, root, "Guten Tag, hier ist Anna vom LPR.")
    banner = page.locator(".ak-handover")
    expect(banner).to_have_text("Sie sind mit einer Mitarbeiterin oder einem Mitarbeiter des LPR verbunden.",
                                timeout=REPLY_MS)
    assert banner.get_attribute("aria-live") == "polite"  # announced by screen readers
    expect(bot_messages(page).filter(has_text=f"{texts.STAFF_PREFIX} Guten Tag, hier ist Anna vom LPR.")
           ).to_have_count(1)

    page.reload()  # the handover and the staff message stay, shown once
    expect(page.get_by_role("dialog", name="ASSKomm-Assistent")).to_be_visible()
    wait_until_ready(page)
    expect(page.locator(".ak-handover")).to_have_text(
        "Sie sind mit einer Mitarbeiterin oder einem Mitarbeiter des LPR verbunden.")
    expect(bot_messages(page).filter(has_text="hier ist Anna vom LPR")).to_have_count(1)
    reply_in_thread(anna, room, root, "!ende")
    expect(page.locator(".ak-handover")).to_have_text(
        "Die Mitarbeiterin oder der Mitarbeiter des LPR hat das Gespräch beendet.", timeout=REPLY_MS)
    expect(bot_messages(page).filter(has_text="Hat Ihnen das Gespräch geholfen?")).to_have_count(1)
    problems.assert_none()


def test_over_telegram_staff_answers_are_pushed_and_the_bot_is_silent(trained_model, tmp_path_factory):
    """The Telegram stand-in records what the bot sends; staff write through the tables (the
    bridge's side is tested with Synapse above and in test_handover_matrix.py)."""
    from bot.runner import running_bot
    from tests.test_end_to_end_telegram import BotApiStandIn, button_press, post, settings_for, update

    api = BotApiStandIn()
    api.start()
    settings = settings_for(tmp_path_factory, f"http://127.0.0.1:{api.port}").copy(
        update={"handover_room": "!staff:localhost", "now": "2026-11-30T10:00"})
    chat = 5550077

    def sent_to_chat() -> list[str]:
        return [p["text"] for p in api.sent() if str(p["chat_id"]) == str(chat)]

    with running_bot(settings, trained_model, log_dir=settings.var_dir):
        post(settings, update(1, chat, "Ich möchte mit einem Menschen sprechen"))
        assert any("einverstanden" in t for t in sent_to_chat())
        post(settings, button_press(2, chat, "/affirm"))
        assert any("weitergegeben" in t for t in sent_to_chat())
        sessions = make_session_factory(make_engine(settings.database))
        handover = store.open_for(sessions, str(chat))
        assert handover.channel == "telegram"
        store.thread_opened(sessions, handover.id, "$telegram-thread")
        store.from_staff(sessions, "$telegram-thread", "@anna:localhost", "Hallo aus dem LPR.")
        wait_until(lambda: f"{texts.STAFF_PREFIX} Hallo aus dem LPR." in sent_to_chat(), TIMEOUT_S,
                   "Antwort der Mitarbeiterin in Telegram")

        before = len(sent_to_chat())
        post(settings, update(3, chat, "Was ist ASSKomm?"))
        assert [m.text for m in store.undelivered(sessions, store.TO_STAFF)] == ["Was ist ASSKomm?"]
        store.end(sessions, handover.id, "@anna:localhost", texts.ENDED)
        wait_until(lambda: texts.ENDED in sent_to_chat(), TIMEOUT_S, "Ende in Telegram")
        assert sent_to_chat()[before:] == [texts.ENDED]  # the bot said nothing while Anna had the chat
        post(settings, update(4, chat, "Was ist ASSKomm?"))
        assert any("Quelle" in t for t in sent_to_chat()[before + 1:])  # and answers again
