"""The form validation and the actions around it, with rasa-sdk trackers and a real
SQLite database seeded from the repository's files."""
import asyncio
import functools

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

import actions.application_forms as forms
import actions.applications as apps
from bot.applications import store
from tests.conftest import ROOT, make_tracker

DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
GROSSHARTHAU, WERDAU = "14625170", "14524300"


@pytest.fixture(autouse=True)
def databases(seeded_repository, monkeypatch):
    sessions = seeded_repository.sessions
    monkeypatch.setattr(forms, "shared_repository", lambda: seeded_repository)
    monkeypatch.setattr(apps, "shared_repository", lambda: seeded_repository)
    monkeypatch.setattr(apps, "shared_sessions", lambda: sessions)
    return sessions


tracker = functools.partial(make_tracker, sender="chat-42")


def run(action, tracker_):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker_, DOMAIN))
    return dispatcher.messages, events


def validate(form_validation, slot, value, **kwargs):
    dispatcher = CollectingDispatcher()
    result = getattr(form_validation, f"validate_{slot}")(value, dispatcher, tracker(str(value), **kwargs), DOMAIN)
    return result, [m.get("text") or "" for m in dispatcher.messages]


def test_the_commune_is_taken_from_the_first_message():
    dispatcher = CollectingDispatcher()
    t = tracker("Wir möchten als Gemeinde Großharthau beitreten", intent="request_join")
    extracted = asyncio.run(forms.ValidateJoinForm().extract_app_commune(dispatcher, t, DOMAIN))
    assert extracted == {"app_commune": "Wir möchten als Gemeinde Großharthau beitreten"}
    result, _ = validate(forms.ValidateJoinForm(), "app_commune", extracted["app_commune"])
    assert result == {"app_commune": GROSSHARTHAU}


def test_an_existing_member_is_told_so_and_the_join_form_ends():
    result, messages = validate(forms.ValidateJoinForm(), "app_commune", "Werdau")
    assert result == {"app_commune": WERDAU, "app_already_member": True}
    assert "bereits" in messages[0] and "11.01.2022" in messages[0]


def test_a_commune_outside_saxony_is_refused_politely():
    result, messages = validate(forms.ValidateJoinForm(), "app_commune", "München")
    assert result == {"app_commune": None} and "Freistaat Sachsen" in messages[0]


@pytest.mark.parametrize("slot, bad, good, expected", [
    ("app_email", "anna at werdau", "Anna.Muster@Werdau.DE", "Anna.Muster@werdau.de"),
    ("app_phone", "123", "03761 5940", "+4937615940"),
    ("app_cost", "viel Geld", "12 Tsd.", "12000.00"),
    ("app_degree", "weiß nicht", "Bachelor", "B.A."),
    ("app_contact_name", "<b>x</b>", "Dr. Anna Muster", "Dr. Anna Muster"),
    ("app_period", "asdf", "März bis Dezember 2027", "März bis Dezember 2027"),
])
def test_each_field_says_what_is_wrong_and_accepts_a_good_answer(slot, bad, good, expected):
    result, messages = validate(forms.ValidateFundingForm(), slot, bad)
    assert result == {slot: None} and messages and "Bitte" in messages[0]
    result, messages = validate(forms.ValidateFundingForm(), slot, good)
    assert result == {slot: expected} and not messages


def test_a_question_in_the_middle_of_a_form_is_answered_and_the_form_goes_on():
    result, messages = validate(forms.ValidateJoinForm(), "app_email", "Was kostet der Beitritt?",
                                intent="ask_join_cost", confidence=0.95)
    assert result == {"app_email": None}
    assert "Quelle" in messages[0] and "weiter" in messages[-1]


def test_consent_no_is_explained_and_yes_is_timestamped():
    result, messages = validate(forms.ValidateStudyForm(), "app_consent", "nein")
    assert result == {"app_consent": None} and "Einwilligung" in messages[0]
    result, _ = validate(forms.ValidateStudyForm(), "app_consent", "ja, einverstanden")
    assert result["app_consent"] is True and result["app_consent_at"]


def test_a_handlungsfeld_from_the_list_or_an_own_topic():
    assert validate(forms.ValidateFundingForm(), "app_field", "graffiti")[0] == {
        "app_field": "Graffiti und Sachbeschädigung"}
    assert validate(forms.ValidateFundingForm(), "app_field", "Verkehrssicherheit")[0] == {
        "app_field": "Anderes Thema: Verkehrssicherheit"}


STUDY_SLOTS = {"app_degree": "M.A.", "app_contact_name": "Anna Muster", "app_email": "anna@example.org",
               "app_question": "Gibt es den Master in Teilzeit?", "app_consent": True,
               "app_consent_at": "2026-11-25T10:00:00+00:00"}
STUDY_DONE = [{"event": "active_loop", "name": "study_form"}, {"event": "active_loop", "name": None}]


def test_summary_then_confirm_stores_once_and_a_replay_stores_nothing(databases):
    messages, events = run(apps.ActionApplicationSummary(), tracker(slots=STUDY_SLOTS, events=STUDY_DONE))
    assert "Anna Muster" in messages[0]["text"] and "M.A." in messages[0]["text"]
    slots = {**STUDY_SLOTS, **{e["name"]: e["value"] for e in events if e["event"] == "slot"}}
    assert slots["app_kind"] == "studium" and slots["app_submission_key"]

    messages, events = run(apps.ActionSubmitApplication(), tracker("/affirm", "affirm", slots=slots))
    reference = store.find_reference(messages[0]["text"])
    assert reference and {"event": "slot", "timestamp": None, "name": "app_reference", "value": reference} in events
    # the same confirmation again (double click before the slots were reset) stores nothing new
    run(apps.ActionSubmitApplication(), tracker("/affirm", "affirm", slots=slots))
    assert [a.reference for a in store.all_applications(databases)].count(reference) == 1
    # and after the reset there is nothing left to submit
    messages, _ = run(apps.ActionSubmitApplication(), tracker("ja", "affirm"))
    assert store.find_reference(messages[0]["text"]) is None


def test_status_in_the_same_conversation_and_with_the_email_elsewhere(databases):
    stored = store.submit(databases, store.Draft("beitritt", {"Kommune": "Dohna"}, "bm@dohna.de",
                                                  __import__("datetime").datetime.now(), "rest", "chat-42",
                                                  "status-key-1"), recipient="")
    messages, _ = run(apps.ActionApplicationStatus(), tracker("Wie ist der Stand meines Antrags?",
                                                              "ask_application_status"))
    assert stored.reference in messages[0]["text"] and "eingegangen" in messages[0]["text"]
    other = Tracker("someone-else", {}, {"text": f"Stand von {stored.reference}?", "intent": {}}, [], False,
                    None, {}, "action_listen")
    messages, events = run(apps.ActionApplicationStatus(), other)
    assert not messages and any(e.get("name") == "status_form" for e in events)  # asks for the e-mail first


def test_cancel_resets_everything_and_says_nothing_was_stored():
    messages, events = run(apps.ActionCancelApplication(), tracker("abbrechen", "cancel", slots=STUDY_SLOTS,
                                                                   loop="study_form"))
    assert "nichts gespeichert" in messages[0]["text"]
    assert {"event": "active_loop", "timestamp": None, "name": None} in events


def test_correction_asks_that_field_again():
    slots = {**STUDY_SLOTS, "app_submission_key": "k"}
    messages, events = run(apps.ActionCorrectApplication(), tracker("Die E-Mail ist falsch", "correct_field",
                                                                    slots=slots, events=STUDY_DONE))
    assert {"event": "slot", "timestamp": None, "name": "app_email", "value": None} in events
    assert {"event": "followup", "timestamp": None, "name": "study_form"} in events
    messages, events = run(apps.ActionCorrectApplication(), tracker("Korrigieren", "correct_field",
                                                                    slots=slots, events=STUDY_DONE))
    assert [b["title"] for b in messages[0]["buttons"]] == ["Abschluss", "Name", "E-Mail", "Frage"]


@pytest.mark.parametrize("slot, stored", [
    ("app_commune", GROSSHARTHAU), ("app_email", "anna@example.org"), ("app_phone", "+4937615940"),
    ("app_phone", ""), ("app_cost", "12000.00"), ("app_field", "Anderes Thema: Verkehrssicherheit"),
    ("app_field", "Gewalt"), ("app_degree", "M.A."), ("app_contact_name", "Dr. Anna Muster"),
])
def test_stored_values_pass_again_when_a_form_resumes(slot, stored):
    """A correction re-activates the form, and Rasa validates the filled slots again."""
    result, messages = validate(forms.ValidateFundingForm(), slot, stored)
    assert result == {slot: stored} and not messages


def test_stored_consent_passes_again():
    dispatcher = CollectingDispatcher()
    result = forms.ValidateStudyForm().validate_app_consent(
        True, dispatcher, tracker(slots={"app_consent_at": "2026-11-25T10:00:00+00:00"}), DOMAIN)
    assert result == {"app_consent": True} and not dispatcher.messages
