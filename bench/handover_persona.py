"""Persona trials of the handover (issue 14) against the real processes: a local Synapse, the
bot (`python -m bot run`) and the Matrix bridge, with staff played through matrix-nio.

Runs in .venv-matrix (matrix-nio, Synapse, aiohttp):

    PYTHONPATH=. .venv-matrix/bin/python bench/handover_persona.py setup   # Synapse, accounts, rooms
    # then start the bot and the bridge with the environment printed by setup
    PYTHONPATH=. .venv-matrix/bin/python bench/handover_persona.py play NAME ...
    PYTHONPATH=. .venv-matrix/bin/python bench/handover_persona.py stop

Each persona is a conversation typed as people type (short, lower case, typos); the script
prints the transcript (citizen, bot, staff thread) for bench/persona_trials/. Whether a turn
went right is judged by reading, not asserted here.
"""
from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path
from typing import Callable, Optional

import aiohttp
import yaml
from nio import AsyncClient, LoginResponse

ROOT = Path(__file__).resolve().parents[1]
STATE = Path(os.environ.get("H3_TRIAL_DIR", "/tmp/h3-trial"))
SYNAPSE_PORT = int(os.environ.get("H3_SYNAPSE_PORT", "5310"))
RASA_URL = os.environ.get("ASSKOMM_RASA_URL", "http://localhost:5300")
SECRET = "h3-trial-shared-secret"
VENV = Path(sys.executable).parent
USERS = {"asskomm": "bot-passwort-1", "anna": "anna-passwort-1", "dora": "dora-passwort-1",
         "carla": "carla-passwort-1"}


def q(value: str) -> str:
    return urllib.parse.quote(value, safe="")


# --- setup: Synapse, accounts, the staff room ----------------------------------------------

def setup() -> None:
    home = STATE / "synapse"
    home.mkdir(parents=True, exist_ok=True)
    config = home / "homeserver.yaml"
    subprocess.run([str(VENV / "python"), "-m", "synapse.app.homeserver", "--server-name", "localhost",
                    "--config-path", str(config), "--data-directory", str(home), "--generate-config",
                    "--report-stats=no"], cwd=home, check=True, capture_output=True)
    settings = yaml.safe_load(config.read_text())
    generous = {"per_second": 1000, "burst_count": 1000}
    settings.update({
        "listeners": [{"port": SYNAPSE_PORT, "bind_addresses": ["127.0.0.1"], "type": "http", "tls": False,
                       "x_forwarded": False, "resources": [{"names": ["client"], "compress": False}]}],
        "database": {"name": "sqlite3", "args": {"database": str(home / "homeserver.db")}},
        "enable_registration": False, "registration_shared_secret": SECRET,
        "federation_domain_whitelist": [], "trusted_key_servers": [], "suppress_key_server_warning": True,
        "report_stats": False, "presence": {"enabled": False},
        "rc_message": generous, "rc_registration": generous, "rc_admin_redaction": generous,
        "rc_login": {"address": generous, "account": generous, "failed_attempts": generous},
        "rc_joins": {"local": generous, "remote": generous},
        "rc_invites": {"per_room": generous, "per_user": generous, "per_issuer": generous},
    })
    config.write_text(yaml.safe_dump(settings))
    log = open(home / "synapse.out", "ab")
    process = subprocess.Popen([str(VENV / "python"), "-m", "synapse.app.homeserver", "--config-path", str(config)],
                               cwd=home, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    (STATE / "synapse.pid").write_text(str(process.pid))
    base = f"http://127.0.0.1:{SYNAPSE_PORT}"
    for _ in range(120):
        try:
            import urllib.request
            with urllib.request.urlopen(base + "/_matrix/client/versions", timeout=2):
                break
        except OSError:
            time.sleep(0.5)
    for name, password in USERS.items():
        subprocess.run([str(VENV / "register_new_matrix_user"), "-u", name, "-p", password, "--no-admin",
                        "-k", SECRET, base], check=True, capture_output=True, timeout=60)
    state = asyncio.run(_rooms(base))
    (STATE / "state.json").write_text(json.dumps(state, indent=1))
    print(json.dumps(state, indent=1))
    print(f"\nexport ASSKOMM_HANDOVER_ROOM='{state['staff_room']}' ASSKOMM_MATRIX_HOMESERVER={base} "
          f"ASSKOMM_MATRIX_USER=asskomm ASSKOMM_MATRIX_PASSWORD={USERS['asskomm']}")


async def login(base: str, name: str) -> AsyncClient:
    client = AsyncClient(base, name)
    response = await client.login(USERS[name], device_name="h3-trial")
    if not isinstance(response, LoginResponse):
        raise RuntimeError(f"{name}: {response}")
    return client


async def _rooms(base: str) -> dict:
    anna, dora = await login(base, "anna"), await login(base, "dora")
    try:
        created = await anna.room_create(name="LPR Übergaben", invite=["@asskomm:localhost", "@dora:localhost"])
        room = created.room_id
        await dora.join(room)
        # The bot as moderator may redact staff replies of deleted conversations (SECURITY.md).
        levels = (await anna.room_get_state_event(room, "m.room.power_levels")).content
        levels.setdefault("users", {})["@asskomm:localhost"] = 50
        await anna.room_put_state(room, "m.room.power_levels", levels)
        return {"base": base, "staff_room": room}
    finally:
        await anna.close()
        await dora.close()


def stop() -> None:
    pid = int((STATE / "synapse.pid").read_text())
    os.kill(pid, signal.SIGTERM)


# --- the people ---------------------------------------------------------------------------

class Transcript:
    def __init__(self, title: str) -> None:
        self.title, self.lines = title, []

    def add(self, who: str, text: str) -> None:
        line = f"**{who}:** " + " ⏎ ".join(t.strip() for t in text.strip().splitlines() if t.strip())
        self.lines.append(line)
        print(line, flush=True)


class RestCitizen:
    def __init__(self, http: aiohttp.ClientSession, sender: str, log: Transcript, who: str = "Bürger") -> None:
        self.http, self.sender, self.log, self.who = http, sender, log, who

    async def say(self, text: str) -> list[str]:
        self.log.add(self.who, text)
        async with self.http.post(f"{RASA_URL}/webhooks/rest/webhook",
                                  json={"sender": self.sender, "message": text}) as response:
            replies = await response.json(content_type=None)
        texts = []
        for reply in replies:
            body = reply.get("text") or ""
            if reply.get("buttons"):
                body += "  [" + " | ".join(b.get("title", "") for b in reply["buttons"]) + "]"
            texts.append(body)
            self.log.add("Bot", body)
        if not texts:
            self.log.add("Bot", "(schweigt)")
        return texts


class MatrixUser:
    """A person in Matrix (staff in the staff room, or a citizen in a room with the bot)."""

    def __init__(self, client: AsyncClient, http: aiohttp.ClientSession, base: str, log: Transcript, who: str):
        self.client, self.http, self.base, self.log, self.who = client, http, base, log, who

    async def events(self, room: str) -> list[dict]:
        url = f"{self.base}/_matrix/client/v3/rooms/{q(room)}/messages?dir=b&limit=200"
        async with self.http.get(url, headers={"Authorization": f"Bearer {self.client.access_token}"}) as response:
            data = await response.json()
        return [e for e in reversed(data["chunk"]) if e["type"] == "m.room.message"]

    async def send(self, room: str, text: str, thread: Optional[str] = None) -> str:
        content = {"msgtype": "m.text", "body": text}
        if thread:
            content["m.relates_to"] = {"rel_type": "m.thread", "event_id": thread, "is_falling_back": True,
                                       "m.in_reply_to": {"event_id": thread}}
        self.log.add(self.who + (" (Thread)" if thread else ""), text)
        result = await self.client.room_send(room, "m.room.message", content)
        return result.event_id

    async def wait_for(self, room: str, check: Callable[[dict], bool], timeout: float = 60,
                       after: Optional[set] = None) -> list[dict]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [e for e in await self.events(room) if (after is None or e["event_id"] not in after) and check(e)]
            if found:
                return found
            await asyncio.sleep(0.5)
        return []


def in_thread(root: str) -> Callable[[dict], bool]:
    return lambda e: ((e["content"].get("m.relates_to") or {}).get("event_id") == root
                      and (e["content"].get("m.relates_to") or {}).get("rel_type") == "m.thread")


class Trial:
    def __init__(self, http: aiohttp.ClientSession, state: dict, log: Transcript) -> None:
        self.http, self.state, self.log = http, state, log
        self.room = state["staff_room"]
        self.clients: list[AsyncClient] = []

    async def person(self, name: str, who: str) -> MatrixUser:
        client = await login(self.state["base"], name)
        self.clients.append(client)
        return MatrixUser(client, self.http, self.state["base"], self.log, who)

    async def new_thread(self, staff: MatrixUser, seen: set, timeout: float = 60) -> Optional[str]:
        roots = await staff.wait_for(self.room, lambda e: e["content"].get("body", "").startswith("Neue Anfrage")
                                     and e["event_id"] not in seen, timeout)
        if not roots:
            self.log.add("Mitarbeiterraum", "(kein neuer Thread)")
            return None
        root = roots[-1]
        self.log.add("Mitarbeiterraum (Thread-Eröffnung)", root["content"]["body"])
        return root["event_id"]

    async def thread_news(self, staff: MatrixUser, root: str, seen: set, expect: str = "", timeout: float = 30):
        """Waits for new bot messages in the thread (one containing `expect`), logs them."""
        def fits(e):
            return in_thread(root)(e) and e["sender"] == "@asskomm:localhost" and expect in e["content"]["body"]
        found = await staff.wait_for(self.room, fits, timeout, after=seen)
        for e in found:
            seen.add(e["event_id"])
            self.log.add("Thread (Brücke)", e["content"]["body"])
        if not found:
            self.log.add("Thread (Brücke)", f"(nichts Neues{' mit ' + repr(expect) if expect else ''})")
        return found

    async def roots(self, staff: MatrixUser) -> set:
        return {e["event_id"] for e in await staff.events(self.room)}

    async def close(self) -> None:
        for client in self.clients:
            await client.close()


# --- the conversations --------------------------------------------------------------------

async def pause(seconds: float = 2.5) -> None:
    await asyncio.sleep(seconds)


async def citizen_in_hours(t: Trial, http, log) -> None:
    """Citizen over REST in office hours: asks for a person, consents, talks, staff end, answers the question."""
    anna = await t.person("anna", "Anna (LPR)")
    seen = await t.roots(anna)
    c = RestCitizen(http, f"h3-rest-{time.time_ns()}", log, "Bürgerin")
    await c.say("hallo, wir überlegen in unsrem dorf was gegen die ganzen einbrüche zu machen")
    await c.say("kann ich da mal mit jemand vom lpr persönlich reden?")
    await c.say("ja gerne")
    root = await t.new_thread(anna, seen)
    if not root:
        return
    await anna.send(t.room, "Guten Tag, hier ist Anna Keller vom Landespräventionsrat. Wie kann ich helfen?", root)
    await pause()
    await c.say("oh schön. also bei uns wurde 3x eingebrochen dieses jahr, was können wir als gemeinde machen?")
    mine: set = set()
    await t.thread_news(anna, root, mine, "eingebrochen")
    await anna.send(t.room, "Da passt eine kommunale Sicherheitsanalyse. Ich schicke Ihnen die Unterlagen, "
                            "sobald Sie mir Ihre Gemeinde nennen.", root)
    await pause()
    await c.say("Gemeinde Neukirch/Lausitz. danke!")
    await t.thread_news(anna, root, mine, "Neukirch")
    await anna.send(t.room, "!ende", root)
    await t.thread_news(anna, root, mine, "beendet")
    await pause()
    await c.say("super danke")
    await c.say("ja, war echt hilfreich")


async def matrix_citizen(t: Trial, http, log) -> None:
    """Citizen on Matrix (the bridge holds her room): staff answers appear in her room."""
    anna = await t.person("anna", "Anna (LPR)")
    carla = await t.person("carla", "Carla (Matrix)")
    seen = await t.roots(anna)
    created = await carla.client.room_create(invite=["@asskomm:localhost"], is_direct=True)
    room = created.room_id
    await carla.wait_for(room, lambda e: True, 5)  # the bridge joins

    async def say(text: str, expect: Callable[[dict], bool] = lambda e: True, timeout: float = 40):
        before = {e["event_id"] for e in await carla.events(room)}
        await carla.send(room, text)
        got = await carla.wait_for(room, lambda e: e["sender"] == "@asskomm:localhost" and expect(e), timeout, before)
        await pause(2)
        for e in await carla.events(room):
            if e["event_id"] not in before and e["sender"] == "@asskomm:localhost":
                log.add("Bot", e["content"]["body"])
        if not got:
            log.add("Bot", "(schweigt)")

    for _ in range(20):  # the bridge needs a moment to join
        members = await carla.client.joined_members(room)
        if any(m.user_id == "@asskomm:localhost" for m in getattr(members, "members", [])):
            break
        await asyncio.sleep(0.5)
    await say("hi")
    await say("ich will mit nem menschen reden bitte")
    await say("ja")
    root = await t.new_thread(anna, seen)
    if not root:
        return
    before = {e["event_id"] for e in await carla.events(room)}
    await anna.send(t.room, "Hallo, hier ist Anna vom LPR. Worum geht es?", root)
    got = await carla.wait_for(room, lambda e: "Anna vom LPR" in e["content"]["body"], 30, before)
    log.add("Carla sieht", got[0]["content"]["body"] if got else "(nichts)")
    await say("ich studier präventionsmanagement und such ein praktikum", lambda e: False, 4)
    mine: set = set()
    await t.thread_news(anna, root, mine, "Praktikum")
    await anna.send(t.room, "Schreiben Sie uns bitte eine kurze Bewerbung an die Adresse auf unserer Website.", root)
    before = {e["event_id"] for e in await carla.events(room)}
    await anna.send(t.room, "!ende", root)
    got = await carla.wait_for(room, lambda e: "beendet" in e["content"]["body"], 30, before)
    for e in await carla.events(room):
        if e["event_id"] not in before:
            log.add("Carla sieht", e["content"]["body"])
    await say("nee nich wirklich, ich hatte auf ne direkte antwort gehofft")


async def mayor_after_misunderstandings(t: Trial, http, log) -> None:
    """A mayor, two messages the bot does not understand, then asks for a person."""
    anna = await t.person("anna", "Anna (LPR)")
    seen = await t.roots(anna)
    c = RestCitizen(http, f"h3-mayor-{time.time_ns()}", log, "Bürgermeister")
    await c.say("Grüß Gott, Bürgermeister Lehmann aus Dorfchemnitz hier")
    await c.say("wg dem schreiben vom 12. wo stand dass mer bis ende monat was abgeben muss, was war da nochmal")
    replies = await c.say("na das blatt mit den kreuzchen, die erhebung halt")
    if any("Mit einem Menschen sprechen" in r for r in replies):
        await c.say("/request_human")  # clicks the button the bot offers after two misses
    else:
        await c.say("ach kann ich bitte einfach mit einem mitarbeiter sprechen")
    await c.say("ja")
    root = await t.new_thread(anna, seen)
    if not root:
        return
    await anna.send(t.room, "Guten Tag Herr Lehmann, Sie meinen sicher den Fragebogen zur Sicherheitsanalyse. "
                            "Den können Sie bis 15.12. zurückschicken.", root)
    await pause()
    await c.say("genau den! danke")
    mine: set = set()
    await t.thread_news(anna, root, mine, "danke")
    await anna.send(t.room, "!ende", root)
    await t.thread_news(anna, root, mine, "beendet")
    await pause()
    await c.say("top")
    await c.say("ja hat geholfen")


async def consent_declined(t: Trial, http, log) -> None:
    c = RestCitizen(http, f"h3-decline-{time.time_ns()}", log, "Bürger")
    await c.say("kann ich mit einem echten menschen schreiben")
    await c.say("nee doch nicht")
    await c.say("wie werden wir allianzkommune")


async def not_staff_then_staff(t: Trial, http, log) -> None:
    """Dora is in the staff room without moderator rights: her reply is refused."""
    anna = await t.person("anna", "Anna (LPR)")
    dora = await t.person("dora", "Dora (Praktikantin, kein Moderator)")
    seen = await t.roots(anna)
    c = RestCitizen(http, f"h3-dora-{time.time_ns()}", log, "Bürger")
    await c.say("Bitte verbinden Sie mich mit einer Mitarbeiterin.")
    await c.say("Ja, weitergeben")
    root = await t.new_thread(anna, seen)
    if not root:
        return
    mine: set = set()
    await dora.send(t.room, "Hallo! Ich helfe gern.", root)
    await t.thread_news(anna, root, mine, "Nur Mitarbeitende")
    await dora.send(t.room, "!ende", root)
    await t.thread_news(anna, root, mine, "Nur Mitarbeitende")
    await c.say("hallo? ist da jemand?")
    await anna.send(t.room, "Entschuldigung für die Wartezeit, hier ist Anna vom LPR.", root)
    await pause()
    await c.say("ah gut. ich wollte nur wissen ob ihr auch vorträge in schulen macht")
    await anna.send(t.room, "!ende", root)
    await t.thread_news(anna, root, mine, "beendet")
    await pause()
    await c.say("ok")


async def two_at_once(t: Trial, http, log) -> None:
    anna = await t.person("anna", "Anna (LPR)")
    seen = await t.roots(anna)
    a = RestCitizen(http, f"h3-twin-a-{time.time_ns()}", log, "Bürgerin A")
    b = RestCitizen(http, f"h3-twin-b-{time.time_ns()}", log, "Bürger B")
    await a.say("mensch bitte")
    await b.say("Ich möchte lieber mit einer echten Person schreiben.")
    await a.say("ja")
    root_a = await t.new_thread(anna, seen)
    seen.add(root_a)
    await b.say("ja bitte")
    root_b = await t.new_thread(anna, seen)
    if not (root_a and root_b):
        return
    await anna.send(t.room, "Hallo A, hier Anna.", root_a)
    await anna.send(t.room, "Hallo B, hier Anna.", root_b)
    await pause()
    await b.say("hallo anna")
    await a.say("hi")
    await anna.send(t.room, "!ende", root_a)
    await anna.send(t.room, "!ende", root_b)
    await pause(3)
    await a.say("danke")
    await b.say("danke")


async def nobody_answers(t: Trial, http, log) -> None:
    """Nobody answers within ASSKOMM_HANDOVER_TIMEOUT_MINUTES: the callback is offered."""
    anna = await t.person("anna", "Anna (LPR)")
    seen = await t.roots(anna)
    c = RestCitizen(http, f"h3-wait-{time.time_ns()}", log, "Bürgerin")
    await c.say("holen Sie bitte einen Menschen dazu")
    await c.say("ja")
    root = await t.new_thread(anna, seen)
    minutes = float(os.environ.get("ASSKOMM_HANDOVER_TIMEOUT_MINUTES", "1"))
    log.add("(Pause)", f"niemand antwortet {minutes:g} Minute(n)")
    await asyncio.sleep(minutes * 60 + 5)
    if root:
        await t.thread_news(anna, root, set(), "Niemand")
    await c.say("hallo??")
    await c.say("Rückruf")
    await c.say("ja")
    await c.say("Petra Sommer")
    await c.say("0162 9876543")
    await c.say("wir möchten als verein einen vortrag zu enkeltrick organisieren")
    await c.say("ja")
    await c.say("ja passt")


async def delete_after_handover(t: Trial, http, log) -> None:
    anna = await t.person("anna", "Anna (LPR)")
    seen = await t.roots(anna)
    c = RestCitizen(http, f"h3-delete-{time.time_ns()}", log, "Bürger")
    await c.say("kann ich bitte mit nem mitarbeiter reden? ich bin jens krause")
    await c.say("ja")
    root = await t.new_thread(anna, seen)
    if not root:
        return
    await anna.send(t.room, "Guten Tag Herr Krause, Anna vom LPR hier.", root)
    await pause()
    await c.say("ach doch nich so wichtig")
    await anna.send(t.room, "!ende", root)
    await pause(3)
    await c.say("ok")
    await c.say("löschen sie bitte alles was sie über mich gespeichert haben")
    await c.say("ja")
    await pause(5)
    thread = [e for e in await anna.events(t.room) if e["event_id"] == root or in_thread(root)(e)]
    left = [e for e in thread if e["content"]]
    log.add("Mitarbeiterraum danach", f"{len(thread)} Ereignisse des Threads, davon mit Inhalt: {len(left)}")


async def join_sign_up(t: Trial, http, log) -> None:
    c = RestCitizen(http, f"h3-join-{time.time_ns()}", log, "Bürgermeisterin")
    await c.say("Bitte melden Sie uns als neue Allianzkommune an")
    await c.say("ja")
    await c.say("Lichtenau")


async def join_sign_up_variant(t: Trial, http, log) -> None:
    c = RestCitizen(http, f"h3-join2-{time.time_ns()}", log, "Hauptamtsleiter")
    await c.say("der gemeinderat hat zugestimmt, meldet uns bitte bei asskomm an")
    await c.say("nein danke, erstmal nicht")


async def callback_phone_only(t: Trial, http, log) -> None:
    """Outside office hours: a person asked for, the callback request with a phone number only."""
    c = RestCitizen(http, f"h3-after-{time.time_ns()}", log, "Bürger")
    await c.say("ich möchte mit einem menschen sprechen")
    await c.say("ja bitte")
    await c.say("Karl-Heinz Böhme")
    await c.say("0351 4127788")
    await c.say("es geht um einen vortrag über betrug an der haustür im seniorenclub")
    await c.say("ja")
    await c.say("ja")


async def callback_email(t: Trial, http, log) -> None:
    c = RestCitizen(http, f"h3-after-mail-{time.time_ns()}", log, "Bürgerin")
    await c.say("rueckruf bitte")
    await c.say("ja")
    await c.say("Sabine Wolf")
    await c.say("sabine.wolf@web.de")
    await c.say("keine")
    await c.say("Frage zur Förderung von Präventionsprojekten für Jugendliche")
    await c.say("ja")
    await c.say("ja")


async def callback_bad_contact(t: Trial, http, log) -> None:
    c = RestCitizen(http, f"h3-after-bad-{time.time_ns()}", log, "Bürger")
    await c.say("kann mich jemand zurückrufen")
    await c.say("ja")
    await c.say("Tom Richter")
    await c.say("hab ich nich")
    await c.say("0176/23456789")
    await c.say("Straßenbeleuchtung im park ist kaputt und es ist unsicher")
    await c.say("ja")
    await c.say("ja")


async def after_hours_person(t: Trial, http, log) -> None:
    c = RestCitizen(http, f"h3-after-person-{time.time_ns()}", log, "Bürgermeisterin")
    await c.say("ist da jemand vom lpr der mir persönlich hilft?")
    await c.say("nein, nur die kontaktdaten")


PERSONAS = {
    "in_hours": citizen_in_hours, "matrix": matrix_citizen, "mayor": mayor_after_misunderstandings,
    "declined": consent_declined, "not_staff": not_staff_then_staff, "two": two_at_once,
    "timeout": nobody_answers, "delete": delete_after_handover, "join": join_sign_up,
    "join2": join_sign_up_variant, "cb_phone": callback_phone_only, "cb_email": callback_email,
    "cb_bad": callback_bad_contact, "after_person": after_hours_person,
}


async def play(names: list[str]) -> None:
    state = json.loads((STATE / "state.json").read_text())
    out = STATE / "transcripts"
    out.mkdir(exist_ok=True)
    async with aiohttp.ClientSession() as http:
        for name in names:
            log = Transcript(name)
            print(f"\n### {name}", flush=True)
            trial = Trial(http, state, log)
            try:
                await PERSONAS[name](trial, http, log)
            except Exception as error:  # noqa: BLE001 - a broken trial is a finding, the next one runs
                log.add("FEHLER", f"{type(error).__name__}: {error}")
            finally:
                await trial.close()
            (out / f"{name}.md").write_text("\n".join(log.lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "setup":
        setup()
    elif command == "stop":
        stop()
    elif command == "play":
        asyncio.run(play(sys.argv[2:] or list(PERSONAS)))
    else:
        print(__doc__)
        sys.exit(2)
