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
               "bridge": running, "start": bridge, "account": account}
    finally:
        stop(running[0])
        print(running[0].log_path.read_text(errors="replace")[-3000:])


def reply_in_thread(staff: Matrix, room: str, root: str, text: str) -> None:
    staff.txn += 1
    staff.call("PUT", f"/_matrix/client/v3/rooms/{q(room)}/send/m.room.message/t{time.time_ns()}{staff.txn}",
               {"msgtype": "m.text", "body": text,
                "m.relates_to": {"rel_type": "m.thread", "event_id": root, "is_falling_back": True,
                                 "m.in_reply_to": {"event_id": root}}})


def thread_events(staff: Matrix, room: str, root: str) -> list[dict]:
    return [e for e in staff.messages(room)
            if (e["content"].get("m.relates_to") or {}).get("event_id") == root
            and (e["content"].get("m.relates_to") or {}).get("rel_type") == "m.thread"]


def thread_texts(staff: Matrix, room: str, root: str) -> list[str]:
    return [e["content"]["body"] for e in thread_events(staff, room, root)]


def set_power_level(admin: Matrix, room: str, user_id: str, level: int) -> None:
    levels = admin.call("GET", f"/_matrix/client/v3/rooms/{q(room)}/state/m.room.power_levels")
    levels.setdefault("users", {})[user_id] = level
    admin.call("PUT", f"/_matrix/client/v3/rooms/{q(room)}/state/m.room.power_levels", levels)


def join(user: Matrix, room: str) -> None:
    user.call("POST", f"/_matrix/client/v3/join/{q(room)}", {})


def event_content(staff: Matrix, room: str, event_id: str) -> dict:
    return staff.call("GET", f"/_matrix/client/v3/rooms/{q(room)}/event/{q(event_id)}")["content"]


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


def test_only_staff_may_answer_or_end_a_handover(staff_setup):
    """Closed by default: without ASSKOMM_HANDOVER_STAFF a member needs power level 50 in the
    staff room. Anyone else in a thread gets a note, and nothing reaches the citizen."""
    s, anna, room = staff_setup["sessions"], staff_setup["anna"], staff_setup["room"]
    dora = staff_setup["account"]("dora", "dora-passwort-1")
    anna.invite(room, dora.user_id)
    join(dora, room)
    sender = "web-role-1"
    store.request(s, sender, "socketio", "")
    root = opened_thread(s, sender)

    reply_in_thread(dora, room, root, "Hallo, ich übernehme.")
    wait_until(lambda: texts.THREAD_NOT_STAFF in thread_texts(anna, room, root), TIMEOUT_S, "Hinweis an Dora")
    reply_in_thread(dora, room, root, "!ende")
    wait_until(lambda: thread_texts(anna, room, root).count(texts.THREAD_NOT_STAFF) == 2, TIMEOUT_S,
               "zweiter Hinweis an Dora")
    assert to_user(s, sender) == [] and store.open_for(s, sender).status == "requested"

    reply_in_thread(anna, room, root, "Guten Tag, hier ist Anna.")  # anna made the room: level 100
    wait_until(lambda: to_user(s, sender), TIMEOUT_S, "Annas Antwort in der Datenbank")
    assert to_user(s, sender) == [(anna.user_id, "Guten Tag, hier ist Anna.")]

    set_power_level(anna, room, dora.user_id, 50)  # now a moderator: staff
    reply_in_thread(dora, room, root, "!ende")
    wait_until(lambda: texts.THREAD_ENDED in thread_texts(anna, room, root), TIMEOUT_S, "Ende durch Dora")
    assert store.open_for(s, sender) is None
    assert store.by_thread(s, root).ended_by == dora.user_id


def test_deleting_a_conversation_redacts_its_thread_in_the_staff_room(staff_setup):
    s, anna, room, bot_user = staff_setup["sessions"], staff_setup["anna"], staff_setup["room"], staff_setup["bot"]

    def handover_with_messages(sender: str) -> tuple[str, list[str]]:
        store.request(s, sender, "socketio", "Nutzer: Ich heiße Erika Muster")
        root = opened_thread(s, sender)
        assert store.from_user(s, sender, "Meine Nummer ist 0351 999999")
        reply_in_thread(anna, room, root, "Danke, Frau Muster.")
        wait_until(lambda: len(thread_events(anna, room, root)) == 2, TIMEOUT_S, "Bürgerin und Anna im Thread")
        wait_until(lambda: to_user(s, sender), TIMEOUT_S, "Annas Antwort in der Datenbank")
        citizen, staff = sorted(thread_events(anna, room, root), key=lambda e: e["sender"] != bot_user.user_id)
        assert citizen["content"]["body"].startswith(texts.CITIZEN_PREFIX) and staff["sender"] == anna.user_id
        return root, [root, citizen["event_id"], staff["event_id"]]

    # The bot's own messages it may always redact; a staff member's only as moderator.
    root, (opening, citizen, staff) = handover_with_messages("web-forget-1")
    assert store.forget(s, "web-forget-1") == 1
    wait_until(lambda: not store.redactions_due(s), TIMEOUT_S, "Entfernen abgearbeitet")
    assert event_content(anna, room, opening) == {} and event_content(anna, room, citizen) == {}
    assert event_content(anna, room, staff)["body"] == "Danke, Frau Muster."  # not allowed: stays (SECURITY.md)

    set_power_level(anna, room, bot_user.user_id, 50)
    root, ids = handover_with_messages("web-forget-2")
    assert store.forget(s, "web-forget-2") == 1
    wait_until(lambda: all(event_content(anna, room, e) == {} for e in ids), TIMEOUT_S,
               "Thread samt Antwort der Mitarbeiterin entfernt")
    assert not store.redactions_due(s)
