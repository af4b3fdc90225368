"""The staff console as its own process (.venv-console, like `make console`), in Debian's
Chromium driven by Playwright: login, the applications inbox with status change and CSV
export, roles, CSRF, the conversations and statistics read from a tracker store that Rasa's
own SQLTrackerStore wrote, and axe on every page.

Nothing is skipped: without .venv-console, Chromium or Playwright the tests fail and say why."""
from __future__ import annotations

import asyncio
import json
import os
import subprocess
import time
import urllib.error
import urllib.request
import zipfile
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import pytest
import requests
from argon2 import PasswordHasher
from rasa_sdk.executor import CollectingDispatcher

from bot import clock
from bot.applications import store
from bot.communes import seed
from bot.config import Settings
from bot.console import accounts, audit, conversations
from bot.db import make_engine, make_session_factory, migrate
from tests.conftest import ROOT, free_port, service_answers

CONSOLE_PYTHON = ROOT / ".venv-console" / "bin" / "python"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
AXE = ROOT / "bot" / "channels" / "widget" / "test-support" / "axe.min.js"
SCREENSHOTS = ROOT / "results" / "screenshots"
PASSWORDS = {"sabine": "Sachbearbeitung-2026!", "armin": "Auswertung-2026-gut", "admin": "Administration-2026",
             "rita": "Redaktion-2026-Wissen"}
ROLES = {"sabine": "sachbearbeitung", "armin": "auswertung", "admin": "admin", "rita": "redaktion"}


def write_conversations(tracker_url: str) -> None:
    """Two conversations stored by Rasa's own SQL tracker store: one answered and then a form
    sent, one not understood (with an e-mail address that the console must mask)."""
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import (
        ActionExecuted,
        ActiveLoop,
        BotUttered,
        SessionStarted,
        UserUtteranceReverted,
        UserUttered,
    )
    from rasa.shared.core.trackers import DialogueStateTracker

    def user(text, intent, confidence):
        return UserUttered(text, intent={"name": intent, "confidence": confidence},
                           parse_data={"intent": {"name": intent, "confidence": confidence}, "entities": [],
                                       "text": text}, input_channel="rest")

    start = [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")]
    # "Hilfreich? Ja" in the widget, as bot/channels/socketio.py stores it: the click, then reverted.
    helpful = [UserUttered('/feedback{"feedback_wert":"ja"}', intent={"name": "feedback", "confidence": 1.0},
                           parse_data={"intent": {"name": "feedback", "confidence": 1.0}, "text": "",
                                       "entities": [{"entity": "feedback_wert", "value": "ja"}]}, input_channel="rest"),
               UserUtteranceReverted(), ActionExecuted("action_listen")]
    answered = DialogueStateTracker.from_events("gespraech-eins", start + [
        user("Was ist ASSKomm?", "ask_what_is_asskomm", 0.97), ActionExecuted("action_answer_knowledge"),
        BotUttered("ASSKomm ist die Allianz Sichere Sächsische Kommunen."), ActionExecuted("action_listen"),
        *helpful,
        user("Wir möchten beitreten", "request_join", 0.91), ActionExecuted("join_form"), ActiveLoop("join_form"),
        ActionExecuted("action_submit_application"), ActiveLoop(None), ActionExecuted("action_listen"),
    ])
    lost = DialogueStateTracker.from_events("gespraech-zwei", start + [
        user("Schreiben Sie an max@example.org wegen blubb", "nlu_fallback", 0.31),
        # Rasa's core fallback after the NLU fallback: still one message not understood, not two.
        ActionExecuted("action_default_fallback"),
        ActionExecuted("action_clarify"), BotUttered("Das habe ich nicht verstanden."), ActionExecuted("action_listen"),
    ])
    # As bot/deployment/endpoints.py configures it: a full URL in `host` for PostgreSQL.
    if tracker_url.startswith("sqlite:///"):
        trackers = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=tracker_url.removeprefix("sqlite:///"))
    else:
        trackers = SQLTrackerStore(Domain.empty(), dialect="postgresql", host=tracker_url)
    async def save_all():
        for tracker in (answered, lost):
            await trackers.save(tracker)

    # In a thread of its own: Playwright's sync API keeps an event loop running in this one.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, save_all()).result()


@pytest.fixture(scope="module")
def console(tmp_path_factory):
    """The console process on a free port with its own var/: three users, one application
    stored through bot.applications, two conversations in the tracker store."""
    if not CONSOLE_PYTHON.exists():
        pytest.fail(f"{CONSOLE_PYTHON} fehlt: `make .venv-console/.installed` (oder make test) legt es an.")
    var = tmp_path_factory.mktemp("console-var")
    # A mail server that is down at first (test_failed_mail_is_sent_again starts it).
    settings = Settings(var_dir=var, console_port=free_port(), smtp_host="127.0.0.1", smtp_port=free_port(),
                        smtp_starttls=False, smtp_from="asskomm-bot@example.org",
                        console_suggestions_file=var / "review" / "trainingsvorschlaege.csv")
    migrate(settings.database)
    sessions = make_session_factory(make_engine(settings.database))
    seed.prepare(sessions, settings.knowledge_dir)  # as the action server does at its start
    with pytest.MonkeyPatch.context() as patch:  # cheap hashes: the real costs are tested in test_console_auth
        patch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
        for name, role in ROLES.items():
            accounts.create_user(sessions, name, role, PASSWORDS[name], actor="test")
    draft = store.Draft(kind="beitritt", fields={"Kommune": "Werdau", "Name": "Anna Muster", "Funktion": "Bürgermeisterin",
                                                 "E-Mail": "anna.muster@werdau.de"},
                        email="anna.muster@werdau.de", consent_at=datetime.now(timezone.utc), channel="rest",
                        sender_id="gespraech-eins", submission_key="konsole-test-1")
    reference = store.submit(sessions, draft, recipient="").reference  # no LPR address set: waits
    study = store.Draft(kind="studium", fields={"Name": "Jonas Beispiel", "E-Mail": "jonas@example.org",
                                                "Frage": "Wann beginnt der Master?"},
                        email="jonas@example.org", consent_at=datetime.now(timezone.utc), channel="socketio",
                        sender_id="gespraech-drei", submission_key="konsole-test-2")
    mailed = store.submit(sessions, study, recipient="antraege@lpr.example.org").reference
    write_conversations(conversations.tracker_url(settings))
    with console_running(settings) as url:
        yield {"url": url, "reference": reference, "mailed": mailed, "settings": settings}


@contextmanager
def console_running(settings: Settings):
    """`python -m bot.console` in .venv-console with these settings; yields its address."""
    env = {**os.environ, **settings.as_env(), "PYTHONPATH": str(ROOT)}
    log_path = settings.var_dir / "console.log"
    with log_path.open("w") as log:
        process = subprocess.Popen([str(CONSOLE_PYTHON), "-m", "bot.console"], cwd=ROOT, env=env,
                                   stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 30
            while not service_answers(settings.console_port):
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("Konsole startet nicht:\n" + log_path.read_text())
                time.sleep(0.2)
            yield f"http://127.0.0.1:{settings.console_port}"
        finally:
            process.terminate()
            process.wait(timeout=10)


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"Chromium fehlt: {CHROMIUM} gibt es nicht (Debian: apt-get install -y chromium).")
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()
    playwright.stop()


def log_in(page, console, name: str, start: str = "/") -> None:
    page.goto(console["url"] + start)
    page.get_by_label("Benutzername").fill(name)
    page.get_by_label("Passwort").fill(PASSWORDS[name])
    page.get_by_role("button", name="Anmelden").click()


def assert_accessible(page, name: str) -> None:
    """axe-core (WCAG 2.0/2.1/2.2 A and AA, best practices) finds nothing on this page."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"console-{name}.png"), full_page=True)
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate("""async () => {
      const r = await axe.run(document, {runOnly: {type: 'tag',
        values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']}});
      return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}));
    }""")
    assert not violations, (name, json.dumps(violations, ensure_ascii=False, indent=1))


def test_anonymous_request_gets_the_login_page(console):
    with urllib.request.urlopen(console["url"] + "/anfragen", timeout=10) as response:  # follows the redirect
        body = response.read().decode("utf-8")
        assert response.url.endswith("/anmelden?weiter=/anfragen")
    assert "<h1>Anmelden</h1>" in body and console["reference"] not in body
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(console["url"] + "/gibt-es-nicht", timeout=10)
    assert missing.value.code == 404 and "Diese Seite gibt es nicht." in missing.value.read().decode("utf-8")


def test_post_without_csrf_token_is_refused(console):
    client = requests.Session()
    page = client.get(console["url"] + "/anmelden", timeout=10).text
    token = page.split('name="csrftoken" value="', 1)[1].split('"', 1)[0]
    # The login form itself needs the token ...
    refused = client.post(console["url"] + "/anmelden", data={"name": "sabine", "passwort": PASSWORDS["sabine"]},
                          allow_redirects=False, timeout=10)
    assert refused.status_code == 403 and "Anfrage abgelehnt" in refused.text
    done = client.post(console["url"] + "/anmelden", timeout=10, allow_redirects=False,
                       data={"name": "sabine", "passwort": PASSWORDS["sabine"], "csrftoken": token})
    assert done.status_code == 303
    # ... and so does every change once logged in: the status stays as it was.
    target = f"{console['url']}/anfragen/{console['reference']}/status"
    assert client.post(target, data={"status": "abgelehnt"}, timeout=10).status_code == 403
    assert client.post(target, data={"status": "abgelehnt", "csrftoken": "gefälscht"}, timeout=10).status_code == 403
    assert "eingegangen" in client.get(f"{console['url']}/anfragen/{console['reference']}", timeout=10).text


def test_wrong_password_is_answered_without_saying_which_part_was_wrong(console):
    client = requests.Session()
    token = client.get(console["url"] + "/anmelden", timeout=10).text.split('name="csrftoken" value="', 1)[1].split('"', 1)[0]
    for name in ("armin", "niemand"):
        wrong = client.post(console["url"] + "/anmelden", timeout=10,
                            data={"name": name, "passwort": "falsch", "csrftoken": token})
        assert wrong.status_code == 401 and "Benutzername oder Passwort ist falsch" in wrong.text
    assert "<h1>Anmelden</h1>" in client.get(f"{console['url']}/anfragen/{console['reference']}", timeout=10).text


FORGE_SESSION = """
import base64, json, sys, time
from itsdangerous import TimestampSigner
secret, session, age = sys.argv[1], sys.argv[2], float(sys.argv[3])
class Signed(TimestampSigner):
    def get_timestamp(self):
        return int(time.time() - age)
print(Signed(secret).sign(base64.b64encode(session.encode())).decode())
"""


def session_cookie(console, user_id: int, signed_ago: float, logged_in_ago: float) -> str:
    """A session cookie as Starlette writes it, signed with the console's key some time ago."""
    secret = (console["settings"].var_dir / "console-secret").read_text().strip()
    session = json.dumps({"uid": user_id, "since": int(time.time() - logged_in_ago)})
    return subprocess.run([str(CONSOLE_PYTHON), "-c", FORGE_SESSION, secret, session, str(signed_ago)],
                          capture_output=True, text=True, check=True).stdout.strip()


def test_sessions_expire_when_idle_and_after_a_working_day(console):
    client = requests.Session()
    token = client.get(console["url"] + "/anmelden", timeout=10).text.split('name="csrftoken" value="', 1)[1].split('"', 1)[0]
    login = client.post(console["url"] + "/anmelden", timeout=10, allow_redirects=False,
                        data={"name": "armin", "passwort": PASSWORDS["armin"], "csrftoken": token})
    cookie = login.headers["set-cookie"].lower()
    assert "asskomm_konsole=" in cookie and "httponly" in cookie and "samesite=strict" in cookie
    user_id = next(u.id for u in accounts.all_users(make_session_factory(make_engine(console["settings"].database)))
                   if u.name == "armin")
    idle = console["settings"].console_session_minutes * 60

    def opens_statistics(cookie_value: str) -> bool:
        response = requests.get(console["url"] + "/statistik", cookies={"asskomm_konsole": cookie_value},
                                allow_redirects=False, timeout=10)
        return response.status_code == 200

    assert opens_statistics(session_cookie(console, user_id, signed_ago=0, logged_in_ago=60))
    assert not opens_statistics(session_cookie(console, user_id, signed_ago=idle + 60, logged_in_ago=idle + 60))
    assert not opens_statistics(session_cookie(console, user_id, signed_ago=0, logged_in_ago=11 * 3600))


def test_caseworker_changes_status_and_exports_csv(console, browser):
    context = browser.new_context(locale="de-DE", accept_downloads=True, bypass_csp=True)  # bypass: inject axe
    page = context.new_page()
    try:
        page.goto(console["url"] + "/anmelden")
        assert_accessible(page, "anmelden")
        log_in(page, console, "sabine", "/anfragen")
        row = page.get_by_role("row").filter(has_text=console["reference"])
        assert "Werdau" in row.inner_text() and "eingegangen" in row.inner_text()
        assert_accessible(page, "anfragen")
        page.get_by_label("Kommune").fill("Zwickau")
        page.get_by_role("button", name="Filtern").click()
        assert page.get_by_text("Keine Anfragen für diese Auswahl.").is_visible()
        page.get_by_label("Kommune").fill("werdau")
        page.get_by_role("button", name="Filtern").click()
        page.get_by_role("link", name=console["reference"]).click()
        assert page.get_by_text("Bürgermeisterin").is_visible()
        assert_accessible(page, "anfrage")
        page.get_by_label("Neuer Status").select_option(label="in Bearbeitung")
        page.get_by_label("Notiz").fill("Rückruf am Montag vereinbart")
        page.get_by_role("button", name="Status speichern").click()
        assert page.locator("#status-aktuell").inner_text() == "in Bearbeitung"
        assert "Rückruf am Montag vereinbart" in page.locator(".history").inner_text()
        assert_accessible(page, "anfrage-geaendert")
        # the conversation behind this application, read-only; other conversations stay closed
        page.get_by_role("link", name="Verlauf dieser Anfrage ansehen").click()
        assert "Was ist ASSKomm?" in page.locator("table").inner_text()
        assert page.get_by_role("button", name="als Trainingsbeispiel vorschlagen").count() == 0
        assert_accessible(page, "anfrage-verlauf")
        assert page.goto(console["url"] + "/gespraeche/verlauf?id=gespraech-zwei").status == 403
        assert page.goto(console["url"] + "/anfragen/ASK-0000-999999/verlauf").status == 404
        page.goto(console["url"] + "/anfragen")
        with page.expect_download() as download:
            page.get_by_role("link", name="CSV").click()
        lines = Path(download.value.path()).read_text(encoding="utf-8-sig").splitlines()
        assert lines[0].startswith("Vorgangsnummer;Art;Status")
        assert len(lines) == 3  # header and both applications (newest first)
        assert lines[2].startswith(f"{console['reference']};Beitrittsanfrage;in Bearbeitung;")
        assert lines[1].startswith(f"{console['mailed']};Studienanfrage;eingegangen;")
        with page.expect_download() as download:
            page.get_by_role("link", name="Excel (XLSX)").click()
        with zipfile.ZipFile(download.value.path()) as workbook:  # XLSX: zipped XML parts
            strings = "".join(workbook.read(name).decode("utf-8") for name in workbook.namelist()
                              if name.startswith("xl/") and name.endswith(".xml"))
        assert console["reference"] in strings and "Bürgermeisterin" in strings and "in Bearbeitung" in strings
        page.goto(console["url"] + "/postausgang")
        assert console["reference"] in page.locator("table").inner_text()
        assert_accessible(page, "postausgang")
    finally:
        context.close()


def test_failed_mail_is_sent_again_from_the_outbox(console, browser):
    from aiosmtpd.controller import Controller

    received = []

    class Inbox:
        async def handle_DATA(self, server, session, envelope):
            received.append(envelope.content.decode("utf-8", "replace"))
            return "250 OK"

    context = browser.new_context(locale="de-DE")
    page = context.new_page()
    server = None
    try:
        log_in(page, console, "sabine", "/postausgang")
        page.get_by_role("button", name="Erneut senden").click()  # the mail server is still down
        assert page.get_by_text("Gesendet: 0, fehlgeschlagen: 1.").is_visible()
        row = page.get_by_role("row").filter(has_text=console["mailed"])
        assert "ConnectionRefusedError" in row.inner_text() and "antraege@lpr.example.org" in row.inner_text()
        server = Controller(Inbox(), hostname="127.0.0.1", port=console["settings"].smtp_port)
        server.start()
        page.get_by_role("button", name="Erneut senden").click()
        assert page.get_by_text("Gesendet: 1, fehlgeschlagen: 0.").is_visible()
        assert console["mailed"] not in page.locator("table").inner_text()  # sent: no longer waiting
        assert console["reference"] in page.locator("table").inner_text()  # no recipient: still waiting
        assert len(received) == 1 and console["mailed"] in received[0]
    finally:
        if server:
            server.stop()
        context.close()


def test_analyst_sees_statistics_and_transcripts_but_not_applications(console, browser):
    context = browser.new_context(locale="de-DE", accept_downloads=True, bypass_csp=True)
    page = context.new_page()
    try:
        log_in(page, console, "armin")
        assert_accessible(page, "start-auswertung")
        response = page.goto(console["url"] + f"/anfragen/{console['reference']}")
        assert response.status == 403 and page.get_by_role("heading", name="Keine Berechtigung").is_visible()
        assert "Werdau" not in page.content()
        page.goto(console["url"] + "/statistik")
        assert page.locator("#anzahl-gespraeche").inner_text() == "2"
        assert page.locator("#verstanden").inner_text() == "67 %"  # 2 of 3 messages understood
        assert "Schreiben Sie an [E-Mail] wegen blubb" in page.content()
        assert "1 / 1 / 0" in page.content()  # forms started / sent / cancelled
        # the click is no message (67 % above) but feedback on an answer
        assert page.locator("#rueckmeldung-antwort").inner_text() == "1 / 0, 100 % hilfreich"
        assert page.locator("#rueckmeldung-gespraech").inner_text() == "0 / 0"
        assert_accessible(page, "statistik")
        with page.expect_download() as download:
            page.get_by_role("link", name="Zahlen je Tag und Kanal als CSV herunterladen").click()
        table = Path(download.value.path()).read_text(encoding="utf-8-sig").splitlines()
        today = datetime.now(timezone.utc).date().isoformat()
        assert table == ["Tag;Kanal;Gespräche;Nachrichten;nicht verstanden;Formulare begonnen;Formulare abgeschickt;"
                         "Formulare abgebrochen;Antwort hilfreich;Antwort nicht hilfreich;Gespräch hat geholfen;"
                         "Gespräch hat nicht geholfen", f"{today};rest;2;3;1;1;1;0;1;0;0;0"]
        page.goto(console["url"] + "/gespraeche")
        page.get_by_label("Ergebnis").select_option("nicht verstanden")
        page.get_by_role("button", name="Anzeigen").click()
        assert page.locator("tbody tr").count() == 1 and "nicht verstanden" in page.locator("tbody").inner_text()
        page.get_by_label("Ergebnis").select_option("")
        page.get_by_role("button", name="Anzeigen").click()
        assert page.locator("tbody tr").count() == 2
        assert_accessible(page, "gespraeche")
        page.get_by_role("row").filter(has_text="Formular abgeschickt").get_by_role("link").click()
        transcript = page.locator("table").inner_text()
        assert "ask_what_is_asskomm" in transcript and "0,97" in transcript and "join_form" in transcript
        assert "Rückmeldung: Antwort hilfreich" in transcript
        assert_accessible(page, "gespraech")
        # The misunderstood message, suggested as a training example with the right intent.
        page.goto(console["url"] + "/gespraeche?ergebnis=nicht+verstanden")
        page.get_by_role("link", name="ansehen").click()
        assert page.get_by_label("Richtiger Intent für Nachricht 1").input_value() == ""  # nlu_fallback is no intent to train
        page.get_by_label("Richtiger Intent für Nachricht 1").select_option("ask_contact")
        page.get_by_role("button", name="als Trainingsbeispiel vorschlagen (Nachricht 1)").click()
        assert page.get_by_text("Als Trainingsbeispiel für „ask_contact“ vorgeschlagen").is_visible()
        suggested = console["settings"].console_suggestions_file.read_text(encoding="utf-8").splitlines()
        assert suggested[0].startswith("Zeitpunkt (UTC);vorgeschlagen von;Intent;Beispiel")
        assert suggested[1].endswith(";armin;ask_contact;Schreiben Sie an [E-Mail] wegen blubb;gespraech-zwei;nlu_fallback")
        assert len(suggested) == 2
    finally:
        context.close()


def test_admin_reads_the_audit_log(console, browser):
    context = browser.new_context(locale="de-DE", bypass_csp=True)
    page = context.new_page()
    try:
        log_in(page, console, "admin", "/protokoll")
        log = page.locator("table").last.inner_text()
        assert "benutzer.angelegt" in log and "anmeldung" in log
        assert_accessible(page, "protokoll")
    finally:
        context.close()


def test_every_page_fits_a_phone_screen(console, browser):
    """At 390 px (a phone) no page scrolls sideways; wide tables scroll in their own box. Found in the
    user trial (issue 13): hidden link texts in tables and the label lists of the statistics and of
    an application widened the whole page."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="de-DE")
    page = context.new_page()
    try:
        log_in(page, console, "admin")
        for path in ("/", "/anfragen", f"/anfragen/{console['reference']}", "/postausgang", "/gespraeche",
                     "/gespraeche/verlauf?id=gespraech-eins", "/statistik", "/wissen", "/kommunen", "/protokoll",
                     "/benutzer"):
            page.goto(console["url"] + path)
            assert page.evaluate("document.documentElement.scrollWidth") <= 390, path
        page.goto(console["url"] + "/statistik")
        assert page.get_by_text("Rückmeldungen zu Gesprächen (hilfreich / nicht hilfreich)").is_visible()
    finally:
        context.close()


def test_a_transcript_fits_a_desktop_screen_with_its_training_column(console, browser):
    """A link to a transcript leads there through the login, and at 1280 px the transcript needs no
    sideways scrolling to reach "als Trainingsbeispiel vorschlagen" (user trial, issue 13: the login
    dropped "?id=…", and long links and action names pushed the column off the screen)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="de-DE")
    page = context.new_page()
    try:
        log_in(page, console, "admin", "/gespraeche/verlauf?id=gespraech-eins")
        # the login keeps the query of the page asked for (it dropped "?id=…" before the trial)
        assert page.url.endswith("/gespraeche/verlauf?id=gespraech-eins")
        box = page.get_by_role("region", name="Verlauf")
        assert box.evaluate("e => e.scrollWidth <= e.clientWidth")
        assert page.get_by_role("cell", name="action_answer_knowledge", exact=True).is_visible()  # breaks only at "_"
        button = page.get_by_role("button", name="als Trainingsbeispiel vorschlagen (Nachricht 1)").bounding_box()
        assert button["x"] + button["width"] <= 1280
    finally:
        context.close()


def test_editor_sees_knowledge_with_old_sources_marked(console, browser):
    from bot.knowledge import KnowledgeBase

    entries = KnowledgeBase.from_directory(console["settings"].knowledge_dir).entries
    context = browser.new_context(locale="de-DE", bypass_csp=True)
    page = context.new_page()
    try:
        log_in(page, console, "rita", "/wissen")
        assert page.locator("tbody tr").count() == len(entries)
        first = sorted(entries)[0]
        assert page.locator("tbody tr").first.locator("code").inner_text() == first
        marked = page.locator("tr.review").count()
        assert page.get_by_text(f"{len(entries)} Einträge, davon {marked} zum Prüfen.").is_visible()
        assert page.locator("tr.review .badge").first.inner_text().startswith("prüfen:")
        assert_accessible(page, "wissen")
        assert page.goto(console["url"] + "/gespraeche").status == 403
    finally:
        context.close()


def test_knowledge_review_goes_by_the_bots_clock(console):
    """ASSKOMM_TODAY (bot/clock.py) decides which Stand is older than 24 months, not the host's date."""
    from bot.console import knowledge_view
    from bot.knowledge import KnowledgeBase

    entries = KnowledgeBase.from_directory(console["settings"].knowledge_dir).entries
    stands = [s.stand for e in entries.values() for s in e.sources if s.stand != "undatiert"]
    newest = max(knowledge_view.latest_day(s) for s in stands)
    settings = console["settings"].copy(update={"today": newest.replace(year=newest.year + 3).isoformat()})
    later = knowledge_view.entries(settings.knowledge_dir, clock.today(settings))
    assert all(row.needs_review for row in later)  # three years on, every source is due
    now = knowledge_view.entries(settings.knowledge_dir, newest)
    assert not all(row.needs_review for row in now)


def membership_answer(settings: Settings, question: str) -> str:
    """What the bot's commune action answers, reading the database the console wrote."""
    import actions.communes as commune_actions
    from bot.communes.service import open_repository
    from tests.conftest import make_tracker

    repository = open_repository(settings, prepare=False)
    dispatcher = CollectingDispatcher()
    action = commune_actions.ActionAnswerCommune().run(dispatcher, make_tracker(question, "ask_commune_membership"), {})
    with pytest.MonkeyPatch.context() as patch, ThreadPoolExecutor(1) as pool:  # Playwright's loop runs in this thread
        patch.setattr(commune_actions, "shared_repository", lambda: repository)
        pool.submit(asyncio.run, action).result()
    return dispatcher.messages[0]["text"]


def test_editor_changes_a_membership_and_the_bot_answers_with_it_at_once(console, browser):
    settings = console["settings"]
    assert "24.11.2026" not in membership_answer(settings, "Ist Dohna dabei?")
    context = browser.new_context(locale="de-DE", bypass_csp=True)
    page = context.new_page()
    try:
        log_in(page, console, "rita", "/kommunen")
        assert_accessible(page, "kommunen")
        page.get_by_label("Name der Kommune").fill("dohna")
        page.get_by_role("button", name="Suchen").click()
        page.get_by_role("link", name="Dohna", exact=True).click()
        page.get_by_label("Status", exact=True).select_option("kooperationsvereinbarung")
        page.get_by_label("Datum der Vereinbarung").fill("2026-11-24")
        page.get_by_label("Titel der Quelle").fill("Mitteilung des LPR an die Konsole")
        page.get_by_label("Stand der Quelle").fill("")
        page.locator("#source_stand").evaluate("e => e.removeAttribute('required')")  # the server checks too
        page.get_by_role("button", name="Status speichern").click()
        assert page.get_by_role("alert").is_visible() and "Stand" in page.get_by_role("alert").inner_text()
        assert "24.11.2026" not in membership_answer(settings, "Ist Dohna dabei?")  # nothing stored
        assert_accessible(page, "kommune-fehler")
        page.get_by_label("Stand der Quelle").fill("2026-11-24")
        page.get_by_label("Adresse (URL").fill("https://www.lpr.sachsen.de/")
        page.get_by_role("button", name="Status speichern").click()
        assert page.get_by_text("Der Bot antwortet ab sofort damit.").is_visible()
        assert "Kooperationsvereinbarung unterzeichnet" in page.locator(".history").inner_text()
        assert_accessible(page, "kommune")
        answer = membership_answer(settings, "Ist Dohna dabei?")  # no restart, no training
        assert "24.11.2026" in answer and "Mitteilung des LPR an die Konsole" in answer
        entry = next(e for e in audit.entries(make_session_factory(make_engine(settings.database)))
                     if e.action == "kommune.status")
        assert entry.actor == "rita" and entry.after["status"] == "kooperationsvereinbarung"
        assert entry.after["source_stand"] == "2026-11-24" and entry.before != entry.after

        page.get_by_role("button", name="Änderung zurücknehmen").click()  # as `bot.admin zuruecksetzen`
        assert page.get_by_text("Dohna: Es gilt wieder die Wissensdatei.").is_visible()
        assert "Änderung zurückgenommen" in page.locator(".history").inner_text()
        assert page.get_by_role("button", name="Änderung zurücknehmen").count() == 0
        assert "24.11.2026" not in membership_answer(settings, "Ist Dohna dabei?")
        reset = audit.entries(make_session_factory(make_engine(settings.database)), target=entry.target)[0]
        assert (reset.actor, reset.action, reset.after) == ("rita", "kommune.zurueckgesetzt", None)
        assert reset.before["source_title"] == "Mitteilung des LPR an die Konsole"
    finally:
        context.close()


def test_analyst_may_not_change_memberships(console):
    client = requests.Session()
    token = client.get(console["url"] + "/anmelden", timeout=10).text.split('name="csrftoken" value="', 1)[1].split('"', 1)[0]
    client.post(console["url"] + "/anmelden", timeout=10, data={"name": "armin", "passwort": PASSWORDS["armin"],
                                                               "csrftoken": token})
    assert client.get(console["url"] + "/kommunen", timeout=10).status_code == 403
    refused = client.post(console["url"] + "/kommunen/14524300", timeout=10, data={
        "status": "unbekannt", "source_title": "Fälschung", "source_stand": "2026", "csrftoken": token})
    assert refused.status_code == 403 and "Keine Berechtigung" in refused.text
    assert "Fälschung" not in membership_answer(console["settings"], "Ist Werdau dabei?")
    assert "Kooperationsvereinbarung" in membership_answer(console["settings"], "Ist Werdau dabei?")


def test_lists_come_in_pages_that_keep_the_filters(console, browser):
    context = browser.new_context(locale="de-DE", bypass_csp=True)
    page = context.new_page()
    try:
        log_in(page, console, "admin")
        page.goto(console["url"] + "/anfragen?pro_seite=1&kommune=")
        pages = page.get_by_role("navigation", name="Seiten")
        assert "Seite 1 von 2 (1–1 von 2)" in pages.inner_text()
        assert page.locator("tbody tr").count() == 1 and console["mailed"] in page.locator("tbody").inner_text()
        assert_accessible(page, "anfragen-seiten")
        pages.get_by_role("link", name="Nächste Seite").click()
        assert console["reference"] in page.locator("tbody").inner_text()
        assert "seite=2" in page.url and "kommune=" in page.url  # the filter stays
        assert pages.get_by_role("link", name="Nächste Seite").count() == 0
        page.goto(console["url"] + "/anfragen?seite=99&pro_seite=1")  # past the end: the last page
        assert "Seite 2 von 2" in page.get_by_role("navigation", name="Seiten").inner_text()
        page.goto(console["url"] + "/anfragen")  # 2 of 50: one page, no navigation
        assert page.get_by_role("navigation", name="Seiten").count() == 0
        page.goto(console["url"] + "/gespraeche?pro_seite=1")
        assert "Seite 1 von 2" in page.get_by_role("navigation", name="Seiten").inner_text()
        assert page.locator("tbody tr").count() == 1
    finally:
        context.close()


def test_admin_creates_resets_and_deactivates_users_in_the_browser(console, browser):
    new_password = "Neue-Redaktion-2026"
    admin_context, nina_context = browser.new_context(locale="de-DE", bypass_csp=True), browser.new_context(locale="de-DE")
    page, nina = admin_context.new_page(), nina_context.new_page()
    try:
        log_in(page, console, "admin", "/benutzer")
        assert_accessible(page, "benutzer")
        page.get_by_label("Benutzername").fill("Nina")
        page.get_by_label("Rolle").select_option("redaktion")
        page.get_by_label("Passwort", exact=True).fill(new_password)
        page.get_by_label("Passwort wiederholen").fill(new_password + "x")
        page.get_by_role("button", name="Benutzer anlegen").click()
        assert page.get_by_text("Nicht geändert: Die Passwörter stimmen nicht überein.").is_visible()
        page.get_by_label("Benutzername").fill("Nina")
        page.get_by_label("Rolle").select_option("redaktion")  # no default: an admin is never made by mistake
        page.get_by_label("Passwort", exact=True).fill(new_password)
        page.get_by_label("Passwort wiederholen").fill(new_password)
        page.get_by_role("button", name="Benutzer anlegen").click()
        assert page.get_by_text("Benutzer nina angelegt.").is_visible()
        assert "Redaktion" in page.get_by_role("row").filter(has_text="nina").inner_text()

        def nina_logs_in(password: str) -> bool:
            nina.goto(console["url"] + "/anmelden?weiter=/kommunen")
            nina.get_by_label("Benutzername").fill("nina")
            nina.get_by_label("Passwort").fill(password)
            nina.get_by_role("button", name="Anmelden").click()
            return nina.get_by_role("heading", name="Kommunen und ASSKomm-Status").count() == 1

        assert nina_logs_in(new_password)
        page.get_by_role("button", name="Deaktivieren (nina)").click()
        assert page.get_by_text("Benutzer nina deaktiviert.").is_visible()
        assert "<h1>Anmelden</h1>" in nina.goto(console["url"] + "/kommunen").text()  # her session ends too
        assert not nina_logs_in(new_password)
        row = page.get_by_role("row").filter(has_text="nina")
        row.get_by_label("Neues Passwort für nina").fill("Wieder-Da-2026-nina")
        row.get_by_label("Wiederholen", exact=True).fill("Wieder-Da-2026-nina")
        page.get_by_role("button", name="Passwort setzen für nina").click()
        assert page.get_by_text("Neues Passwort für nina gesetzt").is_visible()
        assert nina_logs_in("Wieder-Da-2026-nina")
        assert page.get_by_role("button", name="Deaktivieren (admin)").count() == 0  # not oneself
        page.goto(console["url"] + "/protokoll")
        log = page.locator("table").last.inner_text()
        for action in ("benutzer.angelegt", "benutzer.deaktiviert", "benutzer.passwort"):
            assert f"{action}\tbenutzer:nina" in log, action
        # role redaktion: no user management, not even by a forged POST with a valid token
        assert nina.goto(console["url"] + "/benutzer").status == 403
        token = nina.locator('input[name="csrftoken"]').first.input_value()
        refused = nina.request.post(console["url"] + "/benutzer/anlegen", form={
            "csrftoken": token, "name": "mallory", "rolle": "admin", "passwort": "x" * 20, "passwort2": "x" * 20})
        assert refused.status == 403
        assert "mallory" not in [u.name for u in accounts.all_users(
            make_session_factory(make_engine(console["settings"].database)))]
    finally:
        admin_context.close()
        nina_context.close()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_console_works_on_postgresql(database_url, tmp_path):
    """Production: applications, users and the tracker store in PostgreSQL (psycopg2 in .venv-console)."""
    settings = Settings(var_dir=tmp_path, console_port=free_port(), database_url=database_url,
                        tracker_store_url=database_url)
    migrate(database_url)
    sessions = make_session_factory(make_engine(database_url))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
        accounts.create_user(sessions, "admin", "admin", PASSWORDS["admin"], actor="test")
    draft = store.Draft(kind="foerderung", fields={"Kommune": "Zwickau", "Projekt": "Nachbarschaftshilfe"},
                        email="z@zwickau.de", consent_at=datetime.now(timezone.utc), channel="rest",
                        sender_id="pg-1", submission_key="konsole-pg-1")
    reference = store.submit(sessions, draft, recipient="").reference
    write_conversations(database_url)
    with console_running(settings) as url:
        client = requests.Session()
        token = client.get(url + "/anmelden", timeout=10).text.split('name="csrftoken" value="', 1)[1].split('"', 1)[0]
        client.post(url + "/anmelden", timeout=10, data={"name": "admin", "passwort": PASSWORDS["admin"], "csrftoken": token})
        client.post(f"{url}/anfragen/{reference}/status", timeout=10,
                    data={"status": "in_bearbeitung", "notiz": "auf PostgreSQL", "csrftoken": token})
        assert "in Bearbeitung" in client.get(f"{url}/anfragen?kommune=zwick", timeout=10).text
        statistics = client.get(url + "/statistik", timeout=10).text
        assert '<dd id="anzahl-gespraeche">2</dd>' in statistics and '<dd id="verstanden">67 %</dd>' in statistics
        assert "auf PostgreSQL" in client.get(url + "/protokoll", timeout=10).text
