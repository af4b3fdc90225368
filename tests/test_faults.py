"""Faults the production set-up must survive, injected for real (issue 11, part 3): two Rasa
replicas on a PostgreSQL server of the test's own (tracker store and applications), Redis as
lock store and RabbitMQ as event broker behind a TCP proxy that can cut the line.

Each fault runs an application form through it: afterwards the applications table holds it
exactly once. The figures printed here (run with -s) are in bench/RESULTS.md."""
import asyncio
import json
import signal
import threading
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bot.deployment.action_failures import UNAVAILABLE
from bot.runner import start_action_server, wait_until_ready
from tests.conftest import bot_running, drain, require_service
from tests.faults_support import PrivatePostgres, TcpProxy, free_ports

API_TOKEN = f"token-{uuid.uuid4().hex}"
# A ticket of a killed replica blocks its conversation until it expires (Rasa's default: 60 s);
# shorter here so the test is quick, still far longer than a turn takes.
LOCK_LIFETIME_S = 20
JOIN_FORM = [  # (message, what the answer contains)
    ("Wir möchten als Gemeinde Großharthau beitreten", "Wie ist Ihr Name"),
    ("Anna Muster", "Funktion"),
    ("Bürgermeisterin", "E-Mail"),
    ("anna.muster@grossharthau.de", "Telefon"),
    ("keine", "mitteilen"),
    ("nein", "einverstanden"),
    ("ja", "Soll ich die Anfrage"),
    ("/affirm", "ASK-"),
]


@dataclass
class Deployment:
    config: object
    processes: list
    replica_port: int
    postgres: PrivatePostgres
    broker_line: TcpProxy
    queue: str
    logs: Path
    figures: dict = field(default_factory=dict)

    @property
    def ports(self) -> list[int]:
        return [self.config.rasa_port, self.replica_port]


@pytest.fixture(scope="module")
def deployment(trained_model, tmp_path_factory):
    require_service("Redis", 6379)
    require_service("RabbitMQ", 5672)
    rasa_port, replica_port, action_port = free_ports(3)
    postgres_port, proxy_port = free_ports(2, offset=10000)
    postgres = PrivatePostgres(postgres_port)
    queue = f"asskomm_faults_{uuid.uuid4().hex[:8]}"
    state = tmp_path_factory.mktemp("faults")
    settings = dict(rasa_port=rasa_port, action_port=action_port, tracker_store_url=postgres.url,
                    database_url=postgres.url, redis_url="redis://127.0.0.1:6379/6",
                    rabbitmq_url=f"amqp://guest:guest@127.0.0.1:{proxy_port}/", rabbitmq_queue=queue,
                    rasa_api_token=API_TOKEN, rate_limit_per_ip=10_000)
    try:
        with pytest.MonkeyPatch.context() as patch, TcpProxy(proxy_port, 5672) as proxy:
            patch.setenv("TICKET_LOCK_LIFETIME", str(LOCK_LIFETIME_S))  # read by the Rasa processes
            postgres.start()
            with bot_running(trained_model, state, replica_ports=(replica_port,), **settings) as (config, processes):
                result = Deployment(config, processes, replica_port, postgres, proxy, queue, state)
                yield result
                print("\nFIGURES", json.dumps(result.figures, ensure_ascii=False))
    finally:
        postgres.remove()
        asyncio.run(drain(queue))  # removes the test's queue


def say(port: int, sender: str, message: str, timeout: float = 120) -> str:
    request = urllib.request.Request(f"http://localhost:{port}/webhooks/rest/webhook",
                                     data=json.dumps({"sender": sender, "message": message}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return "\n".join(r.get("text", "") for r in json.loads(response.read()))


def fill_form(port: int, sender: str, steps=JOIN_FORM) -> str:
    answer = ""
    for message, expected in steps:
        answer = say(port, sender, message)
        assert expected in answer, (message, answer)
    return answer


def query(deployment: Deployment, sql: str, **parameters) -> list:
    from sqlalchemy import create_engine, text

    engine = create_engine(deployment.postgres.url, future=True)
    try:
        with engine.connect() as connection:
            return list(connection.execute(text(sql), parameters))
    finally:
        engine.dispose()


def applications_of(deployment: Deployment, sender: str) -> list[str]:
    return [row[0] for row in query(deployment, "select reference from applications where sender_id = :s", s=sender)]


def user_messages(deployment: Deployment, sender: str) -> list[str]:
    rows = query(deployment, "select data from events where sender_id = :s and type_name = 'user' order by id",
                 s=sender)
    return [json.loads(row[0])["text"] for row in rows]


def test_the_api_token_is_in_no_command_line(deployment):
    rasa_processes = deployment.processes[1:]
    for process in rasa_processes:
        command_line = Path(f"/proc/{process.pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        assert "bot.deployment.rasa_process run" in command_line and "--enable-api" in command_line
        assert API_TOKEN not in command_line and "--auth-token" not in command_line
    # the token still guards Rasa's API: it was handed over inside the process
    status = f"http://localhost:{deployment.config.rasa_port}/status"
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(status, timeout=10)
    assert refused.value.code == 401
    with urllib.request.urlopen(f"{status}?token={API_TOKEN}", timeout=10) as response:
        assert response.status == 200


def test_action_server_stopped_the_user_hears_it_and_goes_on_once_it_is_back(deployment):
    config, processes = deployment.config, deployment.processes
    user = f"faults-actions-{uuid.uuid4().hex[:6]}"
    fill_form(config.rasa_port, user, JOIN_FORM[:3])
    actions = processes[0]
    actions.send_signal(signal.SIGKILL)
    actions.wait(timeout=10)

    answer = say(deployment.replica_port, user, JOIN_FORM[3][0])
    assert UNAVAILABLE in answer and answer.count(UNAVAILABLE) == 1, answer
    assert "vorübergehend nicht verfügbar" in answer
    question = say(config.rasa_port, "faults-actions-other", "Ist Werdau Mitglied bei ASSKomm?")
    assert "vorübergehend nicht verfügbar" in question

    processes[0] = start_action_server(config, deployment.logs / "actions.log")
    wait_until_ready(f"http://localhost:{config.action_port}/health", processes[0], "Der Action-Server")
    # the e-mail address, not checked while the action server was gone, is asked for again
    answer = fill_form(config.rasa_port, user, JOIN_FORM[3:])
    assert "11.01.2022" in say(deployment.replica_port, user, "Ist Werdau Mitglied bei ASSKomm?")
    assert applications_of(deployment, user) == [answer[answer.index("ASK-"):][:15]]
    deployment.figures["action_server_killed"] = {"applications": 1, "lost": 0, "duplicated": 0}


def test_postgresql_restarted_the_bot_recovers_without_a_restart(deployment):
    user = f"faults-postgres-{uuid.uuid4().hex[:6]}"
    fill_form(deployment.replica_port, user, JOIN_FORM[:4])
    deployment.postgres.restart()
    # every pooled connection of both replicas and of the action server is dead now
    answer = fill_form(deployment.config.rasa_port, user, JOIN_FORM[4:6])
    answer = fill_form(deployment.replica_port, user, JOIN_FORM[6:])
    assert "11.01.2022" in say(deployment.config.rasa_port, user, "Ist Werdau Mitglied bei ASSKomm?")
    assert len(applications_of(deployment, user)) == 1 and "ASK-" in answer
    # every message stored once (form answers as placeholders such as "[E-Mail]")
    assert len(user_messages(deployment, user)) == len(JOIN_FORM) + 1
    deployment.figures["postgresql_restarted"] = {"applications": 1, "lost": 0, "duplicated": 0}


def test_rabbitmq_down_the_bot_answers_and_logs_what_waits(deployment):
    user = f"faults-rabbitmq-{uuid.uuid4().hex[:6]}"
    logs = [deployment.logs / "rasa.log", deployment.logs / f"rasa-{deployment.replica_port}.log"]
    deployment.broker_line.cut()
    started = time.monotonic()
    for index, (message, expected) in enumerate(JOIN_FORM):
        assert expected in say(deployment.ports[index % 2], user, message)
    assert "11.01.2022" in say(deployment.config.rasa_port, user, "Ist Werdau Mitglied bei ASSKomm?")
    answered_s = time.monotonic() - started
    assert all("RabbitMQ nicht erreichbar" in log.read_text(errors="replace") for log in logs)

    deployment.broker_line.restore()
    deadline = time.monotonic() + 60
    while not all("RabbitMQ wieder erreichbar" in log.read_text(errors="replace") for log in logs):
        assert time.monotonic() < deadline, "die Ereignisse wurden nicht nachgesendet"
        time.sleep(1)
    recovered = [line for log in logs for line in log.read_text(errors="replace").splitlines()
                 if "RabbitMQ wieder erreichbar" in line]
    events = asyncio.run(drain(deployment.queue))
    sent = [e["text"] for e in events if e.get("event") == "user" and e.get("sender_id") == user]
    assert len(sent) == len(JOIN_FORM) + 1, sent
    assert len(applications_of(deployment, user)) == 1
    deployment.figures["rabbitmq_down"] = {"messages_answered": len(JOIN_FORM) + 1, "answered_in_s": round(answered_s, 1),
                                           "user_events_delivered_after": len(sent), "log": recovered,
                                           "applications": 1, "lost": 0, "duplicated": 0}


QUESTIONS = ["Was ist ASSKomm?", "Ist Werdau Mitglied bei ASSKomm?", "Und seit wann?", "Was kostet der Beitritt?",
             "Wer kann mitmachen?", "Danke"]


def handled(answered: dict, failed: dict) -> int:
    """Messages answered or lost so far. The threads add their senders to both dicts one after
    the other, so the dicts may differ in length and order for a moment: count each on its own."""
    return sum(len(a) for a in list(answered.values())) + sum(len(f) for f in list(failed.values()))


def test_a_replica_killed_during_a_load_run_loses_no_conversation(deployment):
    run = uuid.uuid4().hex[:6]
    conversations = [f"faults-load-{run}-{n}" for n in range(8)]
    applicant = f"faults-load-{run}-form"
    victim, survivor = deployment.processes[2], deployment.config.rasa_port  # the replica dies
    killed = threading.Event()
    answered: dict[str, list[str]] = {}
    failed: dict[str, list[str]] = {}
    waits: list[tuple[str, float]] = []
    on_victim: dict[str, bool] = {}  # which conversations wait for an answer from the replica now
    counting = threading.Lock()

    def port_for(turn: int, offset: int) -> int:
        return survivor if killed.is_set() else deployment.ports[(turn + offset) % 2]

    def talk(sender: str, offset: int) -> None:
        answered[sender], failed[sender] = [], []
        for turn, message in enumerate(QUESTIONS):
            started, port = time.monotonic(), port_for(turn, offset)
            with counting:
                on_victim[sender] = port == deployment.replica_port
            try:
                answer = say(port, sender, message)
            except (urllib.error.URLError, ConnectionError, OSError):
                failed[sender].append(message)  # sent to the replica as it died: the user writes on
                continue
            finally:
                with counting:
                    on_victim[sender] = False
            if failed[sender] and not any(name == sender for name, _ in waits):
                waits.append((sender, time.monotonic() - started))  # the first answer after the kill
            assert answer.strip(), (sender, message)
            answered[sender].append(message)

    def finish_form() -> str:
        killed.wait(timeout=120)
        return fill_form(survivor, applicant, JOIN_FORM[4:])

    def kill_when_busy() -> None:
        # mid-run, while the replica is serving messages (replies are quick: wait for the moment)
        while True:
            with counting:
                if sum(len(a) for a in answered.values()) >= 12 and sum(on_victim.values()) >= 2:
                    victim.send_signal(signal.SIGKILL)
                    killed.set()
                    return
                if handled(answered, failed) == len(conversations) * len(QUESTIONS):
                    killed.set()  # the run ended without the moment: the in-flight check below fails
                    return
            time.sleep(0.005)

    # half the form on both replicas; the rest, after the kill, on the survivor
    fill_form(deployment.replica_port, applicant, JOIN_FORM[:2])
    fill_form(survivor, applicant, JOIN_FORM[2:4])
    with ThreadPoolExecutor(len(conversations) + 2) as pool:
        runs = [pool.submit(talk, sender, n) for n, sender in enumerate(conversations)]
        form = pool.submit(finish_form)
        killer = pool.submit(kill_when_busy)
        for future in runs + [form, killer]:
            future.result(timeout=300)
    assert victim.wait(timeout=10) == -signal.SIGKILL

    in_flight = sum(len(f) for f in failed.values())
    assert 1 <= in_flight <= len(conversations)  # the replica died serving; at most one turn each
    in_flight_stored = 0
    for sender in conversations:
        stored = user_messages(deployment, sender)
        in_flight_stored += len(set(stored) & set(failed[sender]))
        assert len(stored) == len(set(stored)), f"{sender}: a message was processed twice: {stored}"
        # every answered message is stored once and in order; one in flight at the kill at most once
        assert [m for m in stored if m in answered[sender]] == answered[sender], (sender, stored)
        assert set(stored) - set(answered[sender]) <= set(failed[sender]), (sender, stored)
        assert answered[sender][-1] in (QUESTIONS[-1], QUESTIONS[-2])  # the survivor took it on
    # the form: every answer stored once (in redacted form), one application
    assert len(user_messages(deployment, applicant)) == len(JOIN_FORM)
    assert "ASK-" in form.result() and len(applications_of(deployment, applicant)) == 1
    messages = handled(answered, failed) + len(JOIN_FORM)
    deployment.figures["replica_killed"] = {
        "conversations": len(conversations) + 1, "messages": messages, "in_flight_at_kill": in_flight,
        "in_flight_stored": in_flight_stored,
        "answered": messages - in_flight, "conversations_losing_state": 0, "answered_twice": 0,
        "applications": 1, "longest_wait_after_kill_s": round(max((w for _, w in waits), default=0), 1)}
