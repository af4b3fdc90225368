"""The staff side of the handover with a real local Synapse and the real bridge process:
threads in the staff room, replies routed by thread to the right citizen, `!ende`, a note
for messages to an ended handover, and a bridge restart that loses nothing. The citizens'
side is played through the handover tables (bot/handover/store.py), which is where the Rasa
process puts and takes their messages."""
from __future__ import annotations

import time

import pytest

from bot.db import make_engine, make_session_factory, migrate
from bot.handover import store, texts
from tests.conftest import free_port
from tests.test_matrix_synapse import (  # noqa: F401 - fixtures
    Matrix,
    matrix_python,
    q,
    room_with_bot,
    start_bridge,
    stop,
    synapse,
    wait_for_bridge_start,
    wait_until,
)

TIMEOUT_S = 30


@pytest.fixture(scope="module")
def staff_setup(matrix_python, synapse, tmp_path_factory):
    base, account = synapse
    state = tmp_path_factory.mktemp("handover")
    url = f"sqlite:///{state / 'asskomm.db'}"
    migrate(url)
    sessions = make_session_factory(make_engine(url))
    bot_user = account("asskomm", "bot-passwort-1")
    anna = account("anna", "anna-passwort-1")
    staff_room = anna.create_room(invite=[bot_user.user_id])
    carla = account("carla", "carla-passwort-1")

    def bridge():
        process = start_bridge(matrix_python, base, "asskomm", "bot-passwort-1",
                               f"http://127.0.0.1:{free_port()}", state / "bridge",
                               ASSKOMM_HANDOVER_ROOM=staff_room, DATABASE_URL=url)
        wait_for_bridge_start(process)
        return process

    running = [bridge()]  # a test that restarts the bridge puts the new process here
    try:
        wait_until(lambda: bot_user.user_id in anna.members(staff_room), TIMEOUT_S, "Bot im Mitarbeiterraum")
        yield {"sessions": sessions, "anna": anna, "room": staff_room, "carla": carla, "bot": bot_user,
               "bridge": running, "start": bridge}
    finally:
        stop(running[0])
        print(running[0].log_path.read_text(errors="replace")[-3000:])


def reply_in_thread(staff: Matrix, room: str, root: str, text: str) -> None:
    staff.txn += 1
    staff.call("PUT", f"/_matrix/client/v3/rooms/{q(room)}/send/m.room.message/t{time.time_ns()}{staff.txn}",
               {"msgtype": "m.text", "body": text,
                "m.relates_to": {"rel_type": "m.thread", "event_id": root, "is_falling_back": True,
                                 "m.in_reply_to": {"event_id": root}}})


def thread_texts(staff: Matrix, room: str, root: str) -> list[str]:
    return [e["content"]["body"] for e in staff.messages(room)
            if (e["content"].get("m.relates_to") or {}).get("event_id") == root
            and (e["content"].get("m.relates_to") or {}).get("rel_type") == "m.thread"]


def opened_thread(sessions, sender: str) -> str:
    def thread():
        handover = store.open_for(sessions, sender)
        return handover and handover.thread_event_id

    return wait_until(thread, TIMEOUT_S, f"Thread für {sender} eröffnet")


def to_user(sessions, sender: str) -> list[tuple]:
    return [(m.author, m.text) for m in store.undelivered(sessions, store.TO_USER, sender_id=sender)]


def test_threads_route_both_ways_and_never_mix_two_citizens(staff_setup):
    s, anna, room = staff_setup["sessions"], staff_setup["anna"], staff_setup["room"]
    carla = staff_setup["carla"]
    carla_room = room_with_bot(carla, staff_setup["bot"].user_id)
    web, matrix_sender = "web-anna-1", f"matrix:{carla_room}:{carla.user_id}"
    store.request(s, web, "socketio", "Nutzer: Wie beantrage ich Fördermittel?\nBot: …")
    store.request(s, matrix_sender, "matrix", "")
    web_root, matrix_root = opened_thread(s, web), opened_thread(s, matrix_sender)
    root_text = {e["event_id"]: e["content"]["body"] for e in anna.messages(room)}
    assert "Kanal: Website-Chat" in root_text[web_root] and "Wie beantrage ich Fördermittel?" in root_text[web_root]
    assert "Kanal: Matrix" in root_text[matrix_root] and texts.END_COMMAND in root_text[matrix_root]

    reply_in_thread(anna, room, web_root, "Guten Tag, hier ist Anna vom LPR.")
    wait_until(lambda: to_user(s, web), TIMEOUT_S, "Antwort für den Website-Chat in der Datenbank")
    assert to_user(s, web) == [(anna.user_id, "Guten Tag, hier ist Anna vom LPR.")]
    assert store.open_for(s, web).status == "connected"
    assert store.open_for(s, matrix_sender).status == "requested"  # the other citizen: untouched

    assert store.from_user(s, web, "Danke! Bis wann muss der Antrag da sein?")
    wait_until(lambda: f"{texts.CITIZEN_PREFIX} Danke! Bis wann muss der Antrag da sein?"
               in thread_texts(anna, room, web_root), TIMEOUT_S, "Nachricht der Bürgerin im Thread")
    assert not any(texts.CITIZEN_PREFIX in t for t in thread_texts(anna, room, matrix_root))

    reply_in_thread(anna, room, matrix_root, "Hallo Carla, wie kann ich helfen?")
    wait_until(lambda: any(e["content"]["body"] == f"{texts.STAFF_PREFIX} Hallo Carla, wie kann ich helfen?"
                           for e in carla.messages(carla_room)), TIMEOUT_S, "Antwort im Matrix-Raum der Bürgerin")
    assert to_user(s, matrix_sender) == []  # delivered by the bridge
    assert to_user(s, web) == [(anna.user_id, "Guten Tag, hier ist Anna vom LPR.")]  # still for the widget

    reply_in_thread(anna, room, web_root, "!ende")
    wait_until(lambda: texts.THREAD_ENDED in thread_texts(anna, room, web_root), TIMEOUT_S, "Ende bestätigt")
    assert store.open_for(s, web) is None
    assert to_user(s, web)[-1] == (None, texts.ENDED)
    reply_in_thread(anna, room, web_root, "Ach, noch etwas!")
    wait_until(lambda: texts.THREAD_ALREADY_ENDED in thread_texts(anna, room, web_root), TIMEOUT_S,
               "Hinweis auf das beendete Gespräch")
    assert to_user(s, web)[-1] == (None, texts.ENDED)  # nothing delivered after the end
    assert store.from_user(s, web, "Hallo?") is False  # the bot answers again


def test_a_restarted_bridge_carries_on_from_the_database(staff_setup):
    s, anna, room = staff_setup["sessions"], staff_setup["anna"], staff_setup["room"]
    before = "tg-restart-1"
    store.request(s, before, "telegram", "")
    root = opened_thread(s, before)
    reply_in_thread(anna, room, root, "Ich bin da.")
    wait_until(lambda: store.open_for(s, before).status == "connected", TIMEOUT_S, "verbunden")

    stop(staff_setup["bridge"][0])
    store.request(s, "web-meanwhile", "socketio", "Nutzer: Hallo")  # while the bridge is down
    assert store.from_user(s, before, "Sind Sie noch da?")
    staff_setup["bridge"][0] = staff_setup["start"]()

    new_root = opened_thread(s, "web-meanwhile")
    wait_until(lambda: f"{texts.CITIZEN_PREFIX} Sind Sie noch da?" in thread_texts(anna, room, root),
               TIMEOUT_S, "Nachricht aus der Pause im alten Thread")
    reply_in_thread(anna, room, root, "Ja, weiterhin.")
    wait_until(lambda: ("@anna:localhost", "Ja, weiterhin.") in to_user(s, before), TIMEOUT_S,
               "Antwort nach dem Neustart")
    assert to_user(s, "web-meanwhile") == [] and new_root != root
