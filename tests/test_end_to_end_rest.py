"""The bot as a user meets it: action server and Rasa as real processes, spoken to over
Rasa's REST channel, with the SQLite tracker store of the default set-up."""
import json
import sqlite3
import time
import urllib.request

import pytest

from bot.config import Settings
from tests.conftest import ROOT, bot_running


@pytest.fixture(scope="module")
def bot(trained_model, tmp_path_factory):
    with bot_running(trained_model, tmp_path_factory.mktemp("state")) as (settings, processes):
        yield settings, processes


def say(settings: Settings, sender: str, message: str) -> list[dict]:
    body = json.dumps({"sender": sender, "message": message}).encode()
    request = urllib.request.Request(
        f"http://localhost:{settings.rasa_port}/webhooks/rest/webhook", data=body,
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=120) as response:
        assert response.status == 200
        return json.loads(response.read())


def text_of(replies: list[dict]) -> str:
    return "\n".join(r.get("text", "") for r in replies)


def test_joining_question_gets_the_steps_with_source(bot):
    settings, _ = bot
    replies = say(settings, "gemeinde-1", "Wie kann unsere Gemeinde bei ASSKomm mitmachen?")
    text = text_of(replies)
    assert "Kooperationsvereinbarung" in text and "Beratung" in text
    assert "Quellen:" in text and "Stand: " in text
    assert any(b["payload"] == "/ask_join_cost" for r in replies for b in r.get("buttons", []))


def test_study_duration_says_plainly_the_source_does_not_state_it(bot):
    settings, _ = bot
    text = text_of(say(settings, "student-1", "Wie lange dauert das Studium Präventionsmanagement?"))
    assert "nennen die mir vorliegenden Quellen nicht" in text
    assert "TU Chemnitz" in text and "Stand: 14.01.2019" in text


def test_weather_gets_the_out_of_scope_answer(bot):
    settings, _ = bot
    replies = say(settings, "buerger-1", "Wie wird das Wetter morgen?")
    assert "Dazu kann ich leider nichts sagen" in text_of(replies)
    assert any(r.get("buttons") for r in replies)


def test_a_button_payload_is_answered(bot):
    settings, _ = bot
    assert "lpr@smi.sachsen.de" in text_of(say(settings, "button-1", "/ask_contact"))


@pytest.mark.parametrize(
    "message",
    [
        "",
        "   ",
        "😀😀😀",
        "<script>alert('x')</script>",
        "'; DROP TABLE events; --",
        "Hello, can you help me please?",
        "Förderung " * 800,
        "nu gugge ma, wie gehtn das mit dor förderung?",
    ],
    ids=["empty", "blank", "emoji", "html", "sql", "english", "huge", "saxon"],
)
def test_bad_input_gets_a_polite_answer_and_nothing_breaks(bot, message):
    settings, processes = bot
    replies = say(settings, "robust-1", message)
    assert replies and all(r.get("text", "").strip() or r.get("buttons") for r in replies)
    assert "Traceback" not in text_of(replies)
    assert all(p.poll() is None for p in processes)
    # the bot still answers normally afterwards
    assert "Quelle" in text_of(say(settings, "robust-1", "Was ist ASSKomm?"))


def test_conversation_is_kept_in_the_sqlite_tracker_store(bot):
    settings, _ = bot
    say(settings, "gespeichert-1", "Guten Tag")
    with sqlite3.connect(settings.var_dir / "tracker.db") as db:
        rows = db.execute(
            "select count(*) from events where sender_id = ? and type_name = 'user'", ("gespeichert-1",)
        ).fetchone()
    assert rows[0] >= 1


def test_edited_knowledge_is_answered_without_restart_or_training(bot):
    settings, _ = bot
    assert "6. Februar 2019" in text_of(say(settings, "reload-1", "Seit wann gibt es ASSKomm?"))
    path = settings.knowledge_dir / "asskomm.yml"
    time.sleep(0.05)
    path.write_text(path.read_text(encoding="utf-8").replace("6. Februar 2019", "7. Februar 2019"), encoding="utf-8")
    assert "7. Februar 2019" in text_of(say(settings, "reload-1", "Seit wann gibt es ASSKomm?"))


def test_the_commune_questions_of_the_acceptance_check(bot):
    settings, _ = bot
    werdau = text_of(say(settings, "kommune-1", "Ist Werdau Mitglied bei ASSKomm?"))
    assert "Werdau" in werdau and "11.01.2022" in werdau and "Quelle" in werdau
    assert "11.01.2022" in text_of(say(settings, "kommune-1", "Und seit wann?"))
    assert "Dresden" in text_of(say(settings, "kommune-2", "Macht Dresdn mit?"))
    district = text_of(say(settings, "kommune-3", "Welche Kommunen im Landkreis Erzgebirgskreis sind dabei?"))
    assert "Aue-Bad Schlema" in district and "Stand" in district
    assert "Freistaat Sachsen" in text_of(say(settings, "kommune-4", "Ist München dabei?"))


def test_a_membership_set_with_the_admin_cli_is_answered_without_restart(bot):
    import os
    import subprocess
    import sys

    settings, _ = bot
    before = text_of(say(settings, "kommune-5", "Ist Dohna bei ASSKomm dabei?"))
    assert "keine Angaben" in before
    subprocess.run(
        [sys.executable, "-m", "bot.admin", "setzen", "Dohna", "--status", "kooperationsvereinbarung",
         "--datum", "2026-11-24", "--quelle", "Mitteilung des LPR", "--stand", "2026-11-24", "--von", "Test"],
        cwd=ROOT, env={**os.environ, **settings.as_env()}, check=True, capture_output=True, timeout=120,
    )
    after = text_of(say(settings, "kommune-5", "Ist Dohna bei ASSKomm dabei?"))
    assert "24.11.2026" in after and "Mitteilung des LPR" in after


def test_socketio_with_session_persistence_delivers_replies(bot):
    """Rasa 3.6.21 forgets to await enter_room; without bot/channels/socketio.py no reply
    would ever reach a widget that keeps its session across page loads."""
    import asyncio

    import socketio

    settings, _ = bot

    async def ask(session_id: str, message: str) -> dict:
        client = socketio.AsyncClient()
        confirmed, replies = asyncio.Event(), asyncio.Queue()
        client.on("session_confirm", lambda _: confirmed.set())

        @client.on("bot_uttered")
        async def on_reply(data):
            await replies.put(data)

        await client.connect(f"http://localhost:{settings.rasa_port}", socketio_path="/socket.io",
                             transports=["polling"])  # engineio 4.15 websocket needs aiohttp>=3.10
        try:
            await client.emit("session_request", {"session_id": session_id})
            await asyncio.wait_for(confirmed.wait(), 10)
            await client.emit("user_uttered", {"message": message, "session_id": session_id})
            # Rasa sends each paragraph as its own bot_uttered; collect until it is quiet.
            texts = [(await asyncio.wait_for(replies.get(), 60)).get("text", "")]
            while True:
                try:
                    texts.append((await asyncio.wait_for(replies.get(), 2)).get("text", ""))
                except asyncio.TimeoutError:
                    return {"text": "\n\n".join(texts)}
        finally:
            await client.disconnect()

    assert "Quelle" in asyncio.run(ask("widget-session-1", "Was ist ASSKomm?"))["text"]
    # a page reload: a new socket, the same session, the same conversation
    assert "11.01.2022" in asyncio.run(ask("widget-session-1", "Ist Werdau Mitglied bei ASSKomm?"))["text"]
    with sqlite3.connect(settings.var_dir / "tracker.db") as db:
        (count,) = db.execute("select count(*) from events where sender_id = 'widget-session-1' "
                              "and type_name = 'user'").fetchone()
    assert count == 2


# Issue 10: out of scope only when it is, emergencies first, outside Saxony, typed commands.
OUT_OF_SCOPE_TEXT = "Dazu kann ich leider nichts sagen"


@pytest.mark.parametrize("message", [
    "Hilfe!!! vor meinem haus randaliert grad einer und schlägt autoscheiben ein",
    "werde bedroht", "Einbruch", "Hilfe, hier wird gerade eingebrochen", "Feuer", "Unfall", "es brennt",
])
def test_an_emergency_starts_with_110_and_112_and_nothing_distracts(bot, message):
    settings, _ = bot
    replies = say(settings, "notfall-1", message)
    first_sentence = replies[0]["text"].split(".")[0]
    assert "110" in first_sentence and "112" in first_sentence
    assert "nicht die Polizei" in text_of(replies)
    assert not any(r.get("buttons") for r in replies)
    assert OUT_OF_SCOPE_TEXT not in text_of(replies)


@pytest.mark.parametrize("message", [
    "seid ihr die Polizei?", "bis zu welcher entgeltgruppe?", "ist das an der polizeihochschule in rothenburg?",
])
def test_on_topic_questions_of_the_trial_are_not_out_of_scope(bot, message):
    settings, _ = bot
    replies = say(settings, "kein-oos-1", message)
    assert replies and OUT_OF_SCOPE_TEXT not in text_of(replies)


def test_a_follow_up_on_a_graffiti_project_is_asked_back_not_out_of_scope(bot):
    settings, _ = bot
    say(settings, "graffiti-1", "Was wird bei der Förderung eigentlich gefördert? Wir planen ein Graffiti-Projekt")
    replies = say(settings, "graffiti-1", "und die wand selber also bau der fläche, farben, gerüst?")
    assert OUT_OF_SCOPE_TEXT not in text_of(replies)
    assert any(b["payload"].startswith("/ask_funding") for r in replies for b in r.get("buttons", []))


def test_a_commune_from_thuringia_is_not_walked_through_the_joining_steps(bot):
    settings, _ = bot
    text = text_of(say(settings, "gera-1", "Wir sind die Stadt Gera in Thüringen, können wir bei ASSKomm mitmachen?"))
    assert "Freistaats Sachsen" in text and "Thüringen" in text
    assert "Kooperationsvereinbarung" not in text and "Für welche Kommune" not in text
    # a Saxon commune still gets the steps in the same conversation
    assert "Kooperationsvereinbarung" in text_of(say(settings, "gera-1", "Wie kann Werdau bei ASSKomm mitmachen?"))


def test_a_join_request_from_bavaria_does_not_open_the_form(bot):
    settings, _ = bot
    text = text_of(say(settings, "bayern-1", "Wir sind eine bayerische Gemeinde und möchten den Beitritt beantragen"))
    assert "Freistaats Sachsen" in text and "Bayern" in text
    assert "Für welche Kommune" not in text and "Beitrittsanfrage" not in text


def test_typed_restart_confirms_and_starts_over(bot):
    settings, _ = bot
    say(settings, "befehl-1", "Ich möchte den Beitritt unserer Gemeinde beantragen")
    replies = say(settings, "befehl-1", "/restart")
    assert "Das Gespräch beginnt von vorn" in text_of(replies)
    # the form is gone: the next question is answered, not taken as a form field
    assert "Quelle" in text_of(say(settings, "befehl-1", "Was ist ASSKomm?"))


@pytest.mark.parametrize("command, expected", [
    ("/stop", "In Ordnung"),
    ("/hilfe", "Ich beantworte Fragen"),
    ("/start", "Ich beantworte Fragen"),
    ("/foo", "Diesen Befehl kenne ich nicht"),
])
def test_typed_commands_get_a_polite_answer(bot, command, expected):
    settings, processes = bot
    replies = say(settings, f"befehl-{command}", command)
    assert replies and all(r.get("text", "").strip() or r.get("buttons") for r in replies)
    assert expected in text_of(replies)
    assert all(p.poll() is None for p in processes)
