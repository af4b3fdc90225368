"""Requests as a user makes them: over Rasa's REST channel with the real action server,
the SQLite database, and a real local SMTP server as the LPR's mailbox. The bot's clock is
set to 30.11.2026 (ASSKOMM_TODAY), so deadline answers are the same every day."""
import json
import shutil
import time
import urllib.request

import pytest
from sqlalchemy import select

from bot.applications.models import Application
from bot.config import Settings
from bot.db import make_engine, make_session_factory
from bot.runner import running_bot, start_rasa_server, stop, wait_until_ready
from tests.conftest import ROOT, free_port
from tests.test_application_mail import start_server

LPR_INBOX = "anfragen@lpr.example.org"
TODAY = "2026-11-30"


@pytest.fixture(scope="module")
def mailbox():
    controller, recorder = start_server(free_port())
    yield controller, recorder
    controller.stop()


@pytest.fixture(scope="module")
def bot(trained_model, tmp_path_factory, mailbox):
    controller, _ = mailbox
    state = tmp_path_factory.mktemp("state")
    shutil.copytree(ROOT / "knowledge", state / "knowledge")
    settings = Settings(rasa_port=free_port(), action_port=free_port(), var_dir=state,
                        knowledge_dir=state / "knowledge", applications_to=LPR_INBOX, smtp_host="127.0.0.1",
                        smtp_port=controller.port, smtp_starttls=False, smtp_from="bot@asskomm.example.org",
                        today=TODAY)
    with running_bot(settings, trained_model, log_dir=state) as started:
        processes = list(started)
        yield settings, trained_model, processes
    stop(*processes)  # a Rasa restarted by a test


def say(settings: Settings, sender: str, message: str) -> str:
    request = urllib.request.Request(
        f"http://localhost:{settings.rasa_port}/webhooks/rest/webhook",
        data=json.dumps({"sender": sender, "message": message}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=120) as response:
        return "\n".join(r.get("text", "") for r in json.loads(response.read()))


def applications(settings: Settings) -> list[Application]:
    sessions = make_session_factory(make_engine(settings.database))
    with sessions() as session:
        return list(session.execute(select(Application)).scalars())


def test_join_request_with_a_corrected_email_arrives_once(bot, mailbox):
    settings, _, _ = bot
    _, recorder = mailbox
    user = "grossharthau-1"
    assert "Wie ist Ihr Name" in say(settings, user, "Wir möchten als Gemeinde Großharthau beitreten")
    assert "Funktion" in say(settings, user, "Anna Muster")
    assert "E-Mail" in say(settings, user, "Bürgermeisterin")
    assert "E-Mail-Adresse" in say(settings, user, "anna.muster(at)grossharthau")  # not an address
    assert "Telefon" in say(settings, user, "anna.muster@grosharthau.de")  # typo, noticed later
    assert "mitteilen" in say(settings, user, "keine")
    assert "einverstanden" in say(settings, user, "nein")
    summary = say(settings, user, "ja")
    assert "Großharthau" in summary and "anna.muster@grosharthau.de" in summary

    assert "E-Mail" in say(settings, user, "Die E-Mail ist falsch")
    summary = say(settings, user, "anna.muster@grossharthau.de")
    assert "anna.muster@grossharthau.de" in summary and "Soll ich die Anfrage" in summary
    answer = say(settings, user, "/affirm")
    assert "ASK-" in answer
    reference = answer.split("**")[1]

    say(settings, user, "/affirm")  # a replayed confirmation
    stored = applications(settings)
    assert [a.reference for a in stored] == [reference]
    assert stored[0].email == "anna.muster@grossharthau.de" and stored[0].fields["Kommune"] == "Großharthau"

    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not recorder.messages():
        time.sleep(0.2)
    time.sleep(1)
    mails = recorder.messages()
    assert len(mails) == 1
    _, recipients, message = mails[0]
    assert recipients == [LPR_INBOX] and reference in message["Subject"]
    assert "anna.muster@grossharthau.de" in message.get_content()

    assert "eingegangen" in say(settings, user, "Wie ist der Stand meines Antrags?")
    # another conversation must confirm the e-mail first and learns nothing without it
    asked = say(settings, "fremd-1", f"Wie ist der Stand von {reference}?")
    assert "E-Mail-Adresse" in asked and "eingegangen" not in asked
    assert "eingegangen" in say(settings, "fremd-1", "anna.muster@grossharthau.de")


def test_cancel_stores_nothing(bot):
    settings, _, _ = bot
    before = len(applications(settings))
    say(settings, "abbruch-1", "Ich möchte eine Förderanfrage stellen")
    assert "nichts gespeichert" in say(settings, "abbruch-1", "abbrechen")
    assert len(applications(settings)) == before


def test_a_form_goes_on_after_the_server_restarts(bot):
    settings, model, processes = bot
    user = "reload-1"
    say(settings, user, "Ich möchte eine Studienanfrage stellen")
    assert "Wie ist Ihr Name" in say(settings, user, "Master")
    rasa = processes[1]
    stop(rasa)
    processes[1] = start_rasa_server(settings, model, settings.var_dir / "rasa-2.log")
    wait_until_ready(f"http://localhost:{settings.rasa_port}/", processes[1], "Rasa")
    assert "E-Mail" in say(settings, user, "Anna Muster")  # the conversation continues where it was


def test_the_study_form_is_left_with_nur_infos_and_the_question_answered(bot):
    settings, _, _ = bot
    before = len(applications(settings))
    user = "nur-infos-1"
    assert "Bachelor" in say(settings, user, "Ich möchte eine Studienanfrage stellen")
    answer = say(settings, user, "nee ich will doch erstmal nur infos")
    assert "nichts gespeichert" in answer and "Präventionsmanagement" in answer and "Quelle" in answer
    assert "Bitte wählen Sie einen der beiden Abschlüsse" not in answer
    assert "Wie ist Ihr Name" not in say(settings, user, "Master")  # the form is gone
    assert len(applications(settings)) == before


def test_a_question_gets_an_offer_first(bot):
    settings, _, _ = bot
    offer = say(settings, "angebot-1", "Kann ich über den Chat eine Studienanfrage stellen?")
    assert "Möchten Sie das jetzt tun" in offer and "Bachelor" not in offer
    answer = say(settings, "angebot-1", "nur Infos")
    assert "Quelle" in answer and "Studienanfrage stellen" in answer
    say(settings, "angebot-2", "Kann ich über den Chat eine Studienanfrage stellen?")
    assert "Bachelor" in say(settings, "angebot-2", "ja")


def test_funding_enquiry_with_a_cost_correction_and_a_start_after_the_deadline(bot):
    settings, _, _ = bot
    user = "foerderung-1"
    assert "Kommune" in say(settings, user, "Ich möchte eine Förderanfrage stellen")
    assert "Handlungsfeld" in say(settings, user, "Werdau")
    assert "Projekt" in say(settings, user, "graffiti hab ich doch schon gesagt")
    assert "Kosten" in say(settings, user, "Wir wollen die Graffiti an der Bahnunterführung entfernen und die Wand "
                                           "mit Jugendlichen neu gestalten.")
    assert "Zeitraum" in say(settings, user, "12.000 euro")
    corrected = say(settings, user, "moment, die kosten stimmen nicht, der kämmerer sagt 23.000 euro")
    assert "23.000 €" in corrected and "12.000 €" in corrected and "Zeitraum" in corrected
    late = say(settings, user, "wir wollen im märz 2027 starten")
    assert "15.10.2026" in late and "abgelaufen" in late and "Förderjahr 2028" in late and "15.10.2027" in late
    assert "Wie ist Ihr Name" in late
    # a question in between is answered with today's deadline; the form goes on only if wanted
    too_late = say(settings, user, "heißt das wir sind jetzt schon zu spät??")
    assert "Stand heute (30.11.2026)" in too_late and "Förderjahr 2028" in too_late
    assert "Möchten Sie mit der Anfrage weitermachen?" in too_late
    assert "Wie ist Ihr Name" in say(settings, user, "ja")
    assert "E-Mail" in say(settings, user, "Anna Muster")
    assert "einverstanden" in say(settings, user, "anna.muster@werdau.de")
    summary = say(settings, user, "ja")
    assert "Graffiti und Sachbeschädigung" in summary and "23.000 €" in summary
    assert "Hinweis" in summary and "abgelaufen" in summary  # warned before it is sent
    assert "ASK-" in say(settings, user, "/affirm")
    stored = [a for a in applications(settings) if a.sender_id == user]
    assert len(stored) == 1 and stored[0].fields["Geschätzte Kosten"] == "23.000 €"
