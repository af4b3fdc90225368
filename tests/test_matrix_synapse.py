"""The Matrix bridge as a Matrix user meets it: a local Synapse (SQLite, loopback only), the
bot (Rasa + action server) and `python -m bot.matrix_bridge` as real processes; the users
are played here with plain client-server API calls, since matrix-nio and Synapse live in
.venv-matrix (requirements-matrix.txt), not in Rasa's environment."""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import yaml

from bot.config import Settings
from tests.conftest import ROOT, bot_running, free_port

MATRIX_VENV = ROOT / ".venv-matrix"
MATRIX_PY = MATRIX_VENV / "bin" / "python"
SECRET = "asskomm-test-shared-secret"
ANSWER_TIMEOUT_S = 60



def _venv_works() -> bool:
    return MATRIX_PY.exists() and subprocess.run(
        [str(MATRIX_PY), "-c", "import nio, synapse, aiohttp"], capture_output=True).returncode == 0


@pytest.fixture(scope="module")
def matrix_python() -> Path:
    """.venv-matrix, created from requirements-matrix.txt if `make` has not done it."""
    if not _venv_works():
        found = subprocess.run([str(ROOT / "scripts" / "find-python310.sh")], capture_output=True, text=True)
        if found.returncode != 0:
            pytest.fail(f".venv-matrix fehlt und Python 3.10 wurde nicht gefunden: {found.stderr}")
        steps = [[found.stdout.strip(), "-m", "venv", str(MATRIX_VENV)],
                 [str(MATRIX_PY), "-m", "pip", "install", "--disable-pip-version-check", "-q",
                  "-r", str(ROOT / "requirements-matrix.txt")]]
        for step in steps:
            done = subprocess.run(step, capture_output=True, text=True, timeout=900)
            if done.returncode != 0:
                pytest.fail(f".venv-matrix konnte nicht angelegt werden ({' '.join(step)}):\n{done.stderr[-3000:]}")
        if not _venv_works():
            pytest.fail(".venv-matrix angelegt, aber nio/synapse lassen sich nicht importieren")
    return MATRIX_PY


# --- a tiny Matrix client over plain HTTP --------------------------------------------------

class Matrix:
    def __init__(self, base: str, token: str = "", user_id: str = "") -> None:
        self.base, self.token, self.user_id, self.txn = base, token, user_id, 0

    def call(self, method: str, path: str, body: dict | None = None, timeout: float = 30) -> dict:
        request = urllib.request.Request(
            self.base + path, method=method, data=None if body is None else json.dumps(body).encode(),
            headers={"Content-Type": "application/json",
                     **({"Authorization": f"Bearer {self.token}"} if self.token else {})})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            raise AssertionError(f"{method} {path}: HTTP {error.code} {error.read()[:500]!r}") from None

    def login(self, user: str, password: str) -> "Matrix":
        data = self.call("POST", "/_matrix/client/v3/login", {
            "type": "m.login.password", "identifier": {"type": "m.id.user", "user": user}, "password": password})
        return Matrix(self.base, data["access_token"], data["user_id"])

    def create_room(self, invite: list[str] = ()) -> str:
        return self.call("POST", "/_matrix/client/v3/createRoom",
                         {"preset": "private_chat", "invite": list(invite)})["room_id"]

    def invite(self, room: str, user_id: str) -> None:
        self.call("POST", f"/_matrix/client/v3/rooms/{q(room)}/invite", {"user_id": user_id})

    def send(self, room: str, text: str) -> None:
        self.txn += 1
        self.call("PUT", f"/_matrix/client/v3/rooms/{q(room)}/send/m.room.message/t{time.time_ns()}{self.txn}",
                  {"msgtype": "m.text", "body": text})

    def members(self, room: str) -> set[str]:
        return set(self.call("GET", f"/_matrix/client/v3/rooms/{q(room)}/joined_members")["joined"])

    def messages(self, room: str) -> list[dict]:
        """The room's m.room.message events, oldest first (the last 200)."""
        data = self.call("GET", f"/_matrix/client/v3/rooms/{q(room)}/messages?dir=b&limit=200")
        return [e for e in reversed(data["chunk"]) if e["type"] == "m.room.message"]


def q(value: str) -> str:
    return urllib.parse.quote(value, safe="")


def wait_until(check, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.3)
    raise AssertionError(f"nach {timeout:.0f} s nicht eingetreten: {what}")


def ask(user: Matrix, room: str, bot_id: str, text: str, expect: str) -> list[dict]:
    """Send `text` and wait for the bot's new messages until one contains `expect`."""
    seen = {e["event_id"] for e in user.messages(room)}
    user.send(room, text)

    def answered():
        new = [e for e in user.messages(room) if e["event_id"] not in seen and e["sender"] == bot_id]
        return new if any(expect in e["content"].get("body", "") for e in new) else None

    try:
        return wait_until(answered, ANSWER_TIMEOUT_S, f"Antwort mit {expect!r} auf {text!r}")
    except AssertionError:
        got = [e["content"].get("body") for e in user.messages(room) if e["event_id"] not in seen]
        raise AssertionError(f"keine Antwort mit {expect!r} auf {text!r}; neu im Raum: {got}") from None


# --- the processes ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def synapse(matrix_python, tmp_path_factory):
    home = tmp_path_factory.mktemp("synapse")
    port = free_port()
    config = home / "homeserver.yaml"
    subprocess.run([str(matrix_python), "-m", "synapse.app.homeserver", "--server-name", "localhost",
                    "--config-path", str(config), "--data-directory", str(home),
                    "--generate-config", "--report-stats=no"], cwd=home, check=True, capture_output=True)
    settings = yaml.safe_load(config.read_text())
    generous = {"per_second": 1000, "burst_count": 1000}
    settings.update({
        "listeners": [{"port": port, "bind_addresses": ["127.0.0.1"], "type": "http", "tls": False,
                       "x_forwarded": False, "resources": [{"names": ["client"], "compress": False}]}],
        "database": {"name": "sqlite3", "args": {"database": str(home / "homeserver.db")}},
        "enable_registration": False,
        "registration_shared_secret": SECRET,
        "federation_domain_whitelist": [],
        "trusted_key_servers": [],
        "suppress_key_server_warning": True,
        "report_stats": False,
        "presence": {"enabled": False},
        "rc_message": generous, "rc_registration": generous, "rc_admin_redaction": generous,
        "rc_login": {"address": generous, "account": generous, "failed_attempts": generous},
        "rc_joins": {"local": generous, "remote": generous},
        "rc_invites": {"per_room": generous, "per_user": generous, "per_issuer": generous},
    })
    config.write_text(yaml.safe_dump(settings))
    log = open(home / "synapse.out", "wb")
    process = subprocess.Popen([str(matrix_python), "-m", "synapse.app.homeserver", "--config-path", str(config)],
                               cwd=home, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        def up():
            if process.poll() is not None:
                raise AssertionError(f"Synapse beendet: {(home / 'synapse.out').read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(base + "/_matrix/client/versions", timeout=2) as response:
                    return response.status == 200
            except OSError:
                return False

        wait_until(up, 60, "Synapse antwortet")
        register = MATRIX_VENV / "bin" / "register_new_matrix_user"

        def account(name: str, password: str) -> Matrix:
            subprocess.run([str(register), "-u", name, "-p", password, "--no-admin", "-k", SECRET, base],
                           check=True, capture_output=True, timeout=60)
            return Matrix(base).login(name, password)

        yield base, account
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture(scope="module")
def bot(trained_model, tmp_path_factory):
    with bot_running(trained_model, tmp_path_factory.mktemp("state")) as (settings, processes):
        yield settings, processes


def start_bridge(matrix_python: Path, homeserver: str, user: str, password: str, rasa_url: str, store: Path,
                 **extra_env: str):
    store.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "ASSKOMM_MATRIX_HOMESERVER": homeserver,
           "ASSKOMM_MATRIX_USER": user, "ASSKOMM_MATRIX_PASSWORD": password,
           "ASSKOMM_MATRIX_STORE_DIR": str(store), "ASSKOMM_RASA_URL": rasa_url, **extra_env}
    log = open(store / "bridge.log", "ab")
    process = subprocess.Popen([str(matrix_python), "-m", "bot.matrix_bridge"], cwd=ROOT, env=env,
                               stdout=log, stderr=subprocess.STDOUT)
    process.log_path = store / "bridge.log"
    return process


def wait_for_bridge_start(process) -> None:
    """Until the bridge logs that it runs; a bridge that exits instead fails with its log."""
    wait_until(lambda: b"Br\xc3\xbccke l\xc3\xa4uft" in process.log_path.read_bytes() or process.poll() is not None,
               60, "Brücke gestartet")
    assert process.poll() is None, process.log_path.read_text()


def stop(process) -> None:
    process.terminate()
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture(scope="module")
def bridge(matrix_python, synapse, bot, tmp_path_factory):
    base, account = synapse
    settings, _ = bot
    bot_user = account("asskomm", "bot-passwort-1")
    process = start_bridge(matrix_python, base, "asskomm", "bot-passwort-1",
                           f"http://localhost:{settings.rasa_port}", tmp_path_factory.mktemp("bridge"))
    try:
        wait_for_bridge_start(process)
        yield process, bot_user.user_id
    finally:
        stop(process)
        print(process.log_path.read_text(errors="replace")[-3000:])


def room_with_bot(user: Matrix, bot_id: str) -> str:
    room = user.create_room()
    user.invite(room, bot_id)
    wait_until(lambda: bot_id in user.members(room), 30, "Bot ist dem Raum beigetreten")
    return room


def user_texts(settings: Settings, sender: str) -> list[str]:
    with sqlite3.connect(settings.var_dir / "tracker.db") as db:
        rows = db.execute("select data from events where sender_id = ? and type_name = 'user'", (sender,)).fetchall()
    return [json.loads(data).get("text") for (data,) in rows]


# --- the tests ----------------------------------------------------------------------------------

def test_question_in_a_room_gets_the_answer_with_source_and_links(synapse, bridge, bot):
    base, account = synapse
    process, bot_id = bridge
    settings, _ = bot
    alice = account("alice", "alice-passwort-1")
    room = alice.create_room()
    alice.send(room, "Das hier schrieb ich, bevor der Bot da war.")
    alice.invite(room, bot_id)
    wait_until(lambda: bot_id in alice.members(room), 30, "Bot ist dem Raum beigetreten")

    started = time.monotonic()
    replies = ask(alice, room, bot_id, "Was ist ASSKomm?", "Quelle")
    print(f"Antwort nach {time.monotonic() - started:.1f} s")
    contents = [e["content"] for e in replies]
    assert all(c["msgtype"] == "m.text" for c in contents)
    assert any(c.get("format") == "org.matrix.custom.html" and "<a href=" in c.get("formatted_body", "")
               for c in contents)
    assert not any("**" in c["body"] or "](" in c["body"] for c in contents)  # plain text without Markdown

    sender = f"matrix:{room}:{alice.user_id}"
    texts = user_texts(settings, sender)
    assert "Was ist ASSKomm?" in texts
    assert not any("bevor der Bot da war" in (t or "") for t in texts)  # history is not answered
    assert process.poll() is None


def test_a_button_number_sends_the_buttons_payload(synapse, bridge, bot):
    base, account = synapse
    _, bot_id = bridge
    settings, _ = bot
    gemeinde = account("gemeinde", "gemeinde-passwort-1")
    room = room_with_bot(gemeinde, bot_id)
    replies = ask(gemeinde, room, bot_id, "Wie kann unsere Gemeinde bei ASSKomm mitmachen?", "Kooperationsvereinbarung")
    body = "\n".join(e["content"]["body"] for e in replies)
    if "Was kostet der Beitritt?" not in body:  # the buttons may come a moment after the first paragraphs
        time.sleep(3)
        body = "\n".join(e["content"]["body"] for e in gemeinde.messages(room) if e["sender"] == bot_id)
    number = next(line.split(".", 1)[0] for line in body.splitlines() if line.endswith(". Was kostet der Beitritt?"))
    assert any("<ol" in e["content"].get("formatted_body", "") for e in gemeinde.messages(room) if e["sender"] == bot_id)

    ask(gemeinde, room, bot_id, number, "Beitrittsgebühr")
    texts = user_texts(settings, f"matrix:{room}:{gemeinde.user_id}")
    assert "/ask_join_cost" in texts and number not in texts


def test_each_room_and_user_has_its_own_conversation(synapse, bridge, bot):
    base, account = synapse
    _, bot_id = bridge
    settings, _ = bot
    bert, carla = account("bert", "bert-passwort-1"), account("carla", "carla-passwort-1")
    room_b, room_c = room_with_bot(bert, bot_id), room_with_bot(carla, bot_id)
    ask(bert, room_b, bot_id, "Ist Werdau Mitglied bei ASSKomm?", "11.01.2022")
    ask(carla, room_c, bot_id, "Was ist ASSKomm?", "Quelle")
    assert user_texts(settings, f"matrix:{room_b}:{bert.user_id}") == ["Ist Werdau Mitglied bei ASSKomm?"]
    assert user_texts(settings, f"matrix:{room_c}:{carla.user_id}") == ["Was ist ASSKomm?"]


def test_rasa_unreachable_gets_a_polite_message_and_the_bridge_keeps_running(matrix_python, synapse, tmp_path_factory):
    base, account = synapse
    lonely = account("asskomm-offline", "offline-passwort-1")
    process = start_bridge(matrix_python, base, "asskomm-offline", "offline-passwort-1",
                           f"http://127.0.0.1:{free_port()}", tmp_path_factory.mktemp("bridge-offline"))
    try:
        wait_for_bridge_start(process)
        dora = account("dora", "dora-passwort-1")
        room = room_with_bot(dora, lonely.user_id)
        ask(dora, room, lonely.user_id, "Was ist ASSKomm?", "Der Assistent ist gerade nicht erreichbar.")
        ask(dora, room, lonely.user_id, "Hallo?", "Bitte versuchen Sie es später noch einmal.")
        assert process.poll() is None
    finally:
        stop(process)


def test_after_a_restart_the_bridge_answers_what_came_meanwhile_and_nothing_twice(matrix_python, synapse, bot,
                                                                                   tmp_path_factory):
    base, account = synapse
    settings, _ = bot
    helper = account("asskomm-neustart", "neustart-passwort-1")
    store = tmp_path_factory.mktemp("bridge-restart")
    start = lambda: start_bridge(matrix_python, base, "asskomm-neustart", "neustart-passwort-1",  # noqa: E731
                                 f"http://localhost:{settings.rasa_port}", store)
    erik = account("erik", "erik-passwort-1")
    process = start()
    try:
        wait_for_bridge_start(process)
        room = room_with_bot(erik, helper.user_id)
        ask(erik, room, helper.user_id, "Was ist ASSKomm?", "Quelle")
    finally:
        stop(process)
    seen = {e["event_id"] for e in erik.messages(room)}
    erik.send(room, "Ist Werdau Mitglied bei ASSKomm?")  # while the bridge is down
    process = start()
    try:
        wait_until(lambda: any("11.01.2022" in e["content"].get("body", "") for e in erik.messages(room)
                               if e["sender"] == helper.user_id and e["event_id"] not in seen),
                   ANSWER_TIMEOUT_S, "Antwort nach dem Neustart")
        time.sleep(2)
        assert user_texts(settings, f"matrix:{room}:{erik.user_id}") == [
            "Was ist ASSKomm?", "Ist Werdau Mitglied bei ASSKomm?"]
        assert process.log_path.read_text().count("angemeldet als") == 2  # the second start reused the session
        assert "gespeicherte Sitzung" in process.log_path.read_text()
    finally:
        stop(process)
