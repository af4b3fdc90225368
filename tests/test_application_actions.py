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
import actions.faq as faq
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
    assert result["app_commune"] == GROSSHARTHAU


def test_an_existing_member_is_told_so_and_the_join_form_ends():
    result, messages = validate(forms.ValidateJoinForm(), "app_commune", "Werdau")
    assert result == {"app_commune": WERDAU, "app_already_member": True, "app_commune_options": None}
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
    assert result[slot] == expected and not messages


def in_form(text, form="funding_form", requested="app_email", intent="inform_commune", confidence=0.9,
            slots=None, earlier=()):
    """A tracker as the validation action sees it for a new message inside an active form."""
    events = [{"event": "user", "text": t} for t in earlier]
    events += [{"event": "active_loop", "name": form}, {"event": "user", "text": text},
               {"event": "slot", "name": "requested_slot", "value": requested}, {"event": "action", "name": form}]
    slots = {"requested_slot": requested, **(slots or {})}
    if requested not in ("app_commune", "app_resume") and intent not in ("cancel", "correct_field"):
        events.append({"event": "slot", "name": requested, "value": text})  # from_text: Rasa adds it last
        slots[requested] = text
    return tracker(text, intent=intent, confidence=confidence, slots=slots, events=events, loop=form)


def run_validation(form_validation, tracker_):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(form_validation.run(dispatcher, tracker_, DOMAIN))
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}, [m.get("text") or "" for m in
                                                                            dispatcher.messages]


def test_a_question_in_the_middle_of_a_form_is_answered_and_the_form_asks_whether_to_go_on():
    slots, messages = run_validation(forms.ValidateJoinForm(), in_form(
        "Was kostet der Beitritt?", form="join_form", intent="ask_join_cost", confidence=0.95))
    assert slots["app_email"] is None and slots["app_paused"] == "app_email"
    assert slots["requested_slot"] == "app_resume"  # "Möchten Sie mit der Anfrage weitermachen?"
    assert "Quelle" in messages[0]


def test_yes_goes_on_with_the_interrupted_question_and_no_leaves_without_saving():
    paused = {"app_paused": "app_email", "app_contact_name": "Anna Muster"}
    slots, _ = run_validation(forms.ValidateJoinForm(), in_form("ja", "join_form", "app_resume", "affirm",
                                                                slots=paused))
    assert slots["app_paused"] is None and slots.get("requested_slot") != "app_resume"
    slots, messages = run_validation(forms.ValidateJoinForm(), in_form("nein", "join_form", "app_resume", "deny",
                                                                       slots=paused))
    assert slots["requested_slot"] is None and slots["app_contact_name"] is None
    assert "nichts gespeichert" in messages[0]


def test_another_question_instead_of_yes_or_no_is_answered_and_the_form_asks_again():
    paused = {"app_paused": "app_email"}
    slots, messages = run_validation(forms.ValidateJoinForm(), in_form(
        "Was kostet der Beitritt?", "join_form", "app_resume", "ask_join_cost", 0.95, slots=paused))
    assert "Quelle" in messages[0] and slots["requested_slot"] == "app_resume"
    slots, _ = run_validation(forms.ValidateJoinForm(), in_form(
        "anna@werdau.de", "join_form", "app_resume", "inform_commune", slots=paused))
    assert slots["app_email"] == "anna@werdau.de" and slots["app_paused"] is None


def test_nur_infos_while_the_study_form_asks_for_the_degree_leaves_it_and_answers():
    slots, messages = run_validation(forms.ValidateStudyForm(), in_form(
        "nee ich will doch erstmal nur infos", "study_form", "app_degree", "deny"))
    assert slots["requested_slot"] is None and slots["app_degree"] is None
    assert "nichts gespeichert" in messages[0]
    assert any("Präventionsmanagement" in m and "Quelle" in m for m in messages)
    assert not any("Bachelor" in m and "Bitte wählen" in m for m in messages)


FUNDING = {"app_commune": WERDAU, "app_field": "Graffiti und Sachbeschädigung", "app_project": "Graffiti entfernen",
           "app_cost": "12000.00"}


def test_a_cost_correction_during_the_period_question_is_applied_and_said():
    slots, messages = run_validation(forms.ValidateFundingForm(), in_form(
        "moment, die kosten stimmen nicht, der kämmerer sagt 23.000 euro", requested="app_period",
        intent="nlu_fallback", slots=FUNDING))
    assert slots["app_cost"] == "23000.00" and slots["app_period"] is None
    assert "23.000 €" in messages[0] and "12.000 €" in messages[0]


def test_two_corrections_in_one_message():
    slots, messages = run_validation(forms.ValidateFundingForm(), in_form(
        "die kosten sind 23 tsd und die mail ist anna@beispiel.de", requested="app_period", intent="correct_field",
        slots={**FUNDING, "app_email": "alt@beispiel.de"}))
    assert slots["app_cost"] == "23000.00" and slots["app_email"] == "anna@beispiel.de"
    assert "anna@beispiel.de" in messages[0] and "23.000 €" in messages[0]


def test_a_field_named_as_wrong_without_a_value_is_asked_again():
    slots, messages = run_validation(forms.ValidateFundingForm(), in_form(
        "Die Kosten stimmen nicht", requested="app_period", intent="correct_field", slots=FUNDING))
    assert slots["app_cost"] is None and "Geschätzte Kosten" in messages[0]


def test_a_project_description_naming_costs_is_not_a_correction():
    text = "Wir wollen Graffiti am Bahnhof entfernen, die Kosten liegen bei 5000 euro"
    slots, messages = run_validation(forms.ValidateFundingForm(), in_form(
        text, requested="app_project", slots={**FUNDING, "app_cost": None}))
    assert slots["app_project"] == text and slots.get("app_cost") is None and not messages


def test_hab_ich_doch_schon_gesagt_takes_the_earlier_value():
    slots, _ = run_validation(forms.ValidateFundingForm(), in_form(
        "graffiti hab ich doch schon gesagt", requested="app_field", intent="nlu_fallback",
        slots={"app_commune": WERDAU}))
    assert slots["app_field"] == "Graffiti und Sachbeschädigung"
    slots, _ = run_validation(forms.ValidateFundingForm(), in_form(
        "hab ich doch schon gesagt", requested="app_field", intent="nlu_fallback",
        earlier=["Wir wollen Fördermittel für ein Graffiti-Projekt in Werdau"],
        slots={"app_commune": WERDAU}))
    assert slots["app_field"] == "Graffiti und Sachbeschädigung"


@pytest.mark.parametrize("typed, expected", [
    ("die im Vogtland", "Oelsnitz/Vogtl."), ("die im erzgebirge natürlich", "Oelsnitz/Erzgeb."),
    ("die zweite", None), ("Oelsnitz im Erzgebirge", "Oelsnitz/Erzgeb."),
])
def test_a_typed_answer_to_welche_meinen_sie_selects_the_offered_commune(typed, expected, seeded_repository):
    result, messages = validate(forms.ValidateFundingForm(), "app_commune", "Oelsnitz")
    assert "Welche meinen Sie" in messages[0]
    options = result["app_commune_options"]
    names = [seeded_repository.matcher().communes[a].name_short for a in options]
    result, messages = validate(forms.ValidateFundingForm(), "app_commune", typed,
                                slots={"app_commune_options": options})
    chosen = seeded_repository.matcher().communes[result["app_commune"]].name_short
    assert chosen == (expected or names[1]) and not messages and result["app_commune_options"] is None


def test_a_planned_start_after_the_deadline_is_told_and_noted_for_the_summary(monkeypatch):
    monkeypatch.setattr(forms, "today", lambda: __import__("datetime").date(2026, 11, 30))
    slots, messages = run_validation(forms.ValidateFundingForm(), in_form(
        "wir wollen im märz 2027 starten", requested="app_period", intent="ask_capabilities", confidence=0.49,
        slots=FUNDING))
    assert slots["app_period"] == "wir wollen im märz 2027 starten"
    assert "15.10.2026" in messages[0] and "2028" in messages[0] and "15.10.2027" in messages[0]
    assert "2027" in slots["app_deadline_note"]
    summary, _ = run(apps.ActionApplicationSummary(), tracker(slots={
        **FUNDING, "app_period": "März 2027", "app_contact_name": "Anna Muster", "app_email": "a@b.de",
        "app_consent": True, "app_consent_at": "2026-11-30T10:00:00+00:00",
        "app_deadline_note": slots["app_deadline_note"]},
        events=[{"event": "active_loop", "name": "funding_form"}, {"event": "active_loop", "name": None}]))
    assert "Hinweis" in summary[0]["text"] and "abgelaufen" in summary[0]["text"]


def test_consent_no_ends_the_enquiry_with_nothing_stored_and_yes_is_timestamped():
    result, messages = validate(forms.ValidateStudyForm(), "app_consent", "nein")
    assert result == {"app_consent": None, "requested_slot": None}
    assert "Einwilligung" in messages[0] and "nichts gespeichert" in messages[0]
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
    # "nur Infos" read as cancel: the form ends and the question is answered
    messages, _ = run(apps.ActionCancelApplication(), tracker("ich will doch erstmal nur infos", "cancel",
                                                              slots=STUDY_SLOTS, loop="study_form"))
    assert "nichts gespeichert" in messages[0]["text"] and "Quelle" in messages[1]["text"]


def test_correction_asks_that_field_again():
    slots = {**STUDY_SLOTS, "app_submission_key": "k"}
    messages, events = run(forms.ActionCorrectApplication(), tracker("Die E-Mail ist falsch", "correct_field",
                                                                    slots=slots, events=STUDY_DONE))
    assert {"event": "slot", "timestamp": None, "name": "app_email", "value": None} in events
    assert {"event": "followup", "timestamp": None, "name": "study_form"} in events
    messages, events = run(forms.ActionCorrectApplication(), tracker("Korrigieren", "correct_field",
                                                                    slots=slots, events=STUDY_DONE))
    assert [b["title"] for b in messages[0]["buttons"]] == ["Abschluss", "Name", "E-Mail", "Frage"]


@pytest.mark.parametrize("slot, stored", [
    ("app_commune", GROSSHARTHAU), ("app_email", "anna@example.org"), ("app_phone", "+4937615940"),
    ("app_phone", ""), ("app_cost", "12000.00"), ("app_field", "Anderes Thema: Verkehrssicherheit"),
    ("app_field", "Gewalt"), ("app_degree", "M.A."), ("app_contact_name", "Dr. Anna Muster"),
])
def test_stored_values_pass_again_when_a_form_resumes(slot, stored):
    """A correction re-activates the form, and Rasa validates the filled slots again."""
    result, messages = validate(forms.ValidateFundingForm(), slot, stored, slots={slot: stored})
    assert result == {slot: stored} and not messages


def test_stored_consent_passes_again():
    dispatcher = CollectingDispatcher()
    result = forms.ValidateStudyForm().validate_app_consent(
        True, dispatcher, tracker(slots={"app_consent_at": "2026-11-25T10:00:00+00:00"}), DOMAIN)
    assert result == {"app_consent": True} and not dispatcher.messages


def offer(text, intent, slots=None, ranking=()):
    t = tracker(text, intent, slots=slots)
    t.latest_message["intent_ranking"] = list(ranking)
    messages, events = run(apps.ActionOfferApplication(), t)
    return [m.get("text") or "" for m in messages], {e["name"]: e["value"] for e in events if e["event"] == "slot"}


def test_an_explicit_request_starts_the_form_and_a_question_gets_an_offer():
    messages, slots = offer("Ich möchte eine Studienanfrage stellen", "request_study")
    assert slots["app_offer"] == "start_study_form" and slots["app_info_entry"] == "study"
    messages, slots = offer("Kann ich über den Chat eine Förderanfrage stellen?", "request_funding",
                            ranking=[{"name": "request_funding", "confidence": 0.7},
                                     {"name": "ask_funding_application", "confidence": 0.2}])
    assert slots["app_offer"] == "funding_form" and slots["app_info_entry"] == "funding_application"
    assert "Möchten Sie das jetzt tun" in messages[0]


def test_answers_to_an_offer():
    pending = {"app_offer": "study_form", "app_info_entry": "study_admission"}
    _, slots = offer("ja", "affirm", pending)
    assert slots["app_offer"] == "start_study_form"
    for text, intent in (("nur Infos", "nlu_fallback"), ("Nein, nur Informationen", "deny"), ("später", "deny"),
                         ("nee ich will doch erstmal nur infos", "request_study")):
        messages, slots = offer(text, intent, pending)
        assert slots["app_offer"] is None and any("Quelle" in m for m in messages), text
    messages, slots = offer("hm", "nlu_fallback", pending)
    assert slots["app_offer"] == "study_form" and "ja" in messages[0]


def test_the_deadline_answer_in_a_form_carries_todays_deadline(monkeypatch):
    monkeypatch.setattr(faq, "today", lambda: __import__("datetime").date(2026, 11, 30))
    slots, messages = run_validation(forms.ValidateFundingForm(), in_form(
        "heißt das wir sind jetzt schon zu spät??", requested="app_contact_name", intent="ask_funding_deadline",
        confidence=0.9, slots=FUNDING))
    assert slots["app_paused"] == "app_contact_name"
    assert any("Förderjahr 2027 ist am 15.10.2026 abgelaufen" in m and "2028" in m for m in messages)


def test_nothing_is_stored_without_the_time_of_the_consent(databases):
    slots = {**STUDY_SLOTS, "app_consent_at": None, "app_kind": "studium", "app_submission_key": "no-consent-time"}
    before = len(store.all_applications(databases))
    messages, events = run(apps.ActionSubmitApplication(), tracker("/affirm", "affirm", slots=slots))
    assert len(store.all_applications(databases)) == before and "Einwilligung" in messages[0]["text"]
    assert {"event": "followup", "timestamp": None, "name": "study_form"} in events
    assert {"event": "slot", "timestamp": None, "name": "app_consent", "value": None} in events


def test_a_corrected_period_is_measured_against_the_deadline_too(monkeypatch):
    monkeypatch.setattr(forms, "today", lambda: __import__("datetime").date(2026, 11, 30))
    slots, messages = run_validation(forms.ValidateFundingForm(), in_form(
        "moment, der zeitraum stimmt nicht, wir starten im märz 2027", requested="app_email", intent="correct_field",
        slots={**FUNDING, "app_period": "2028", "app_contact_name": "Anna Muster"}))
    assert slots["app_period"].endswith("märz 2027") and slots["app_deadline_note"]
    assert any("15.10.2026" in m for m in messages) and any("Zeitraum" in m and "vorher 2028" in m for m in messages)


def test_a_commune_corrected_to_a_member_in_the_join_form_is_told_so():
    slots, messages = run_validation(forms.ValidateJoinForm(), in_form(
        "falsche Gemeinde, wir sind aus Werdau", form="join_form", requested="app_email", intent="correct_field",
        slots={"app_commune": GROSSHARTHAU, "app_contact_name": "Anna Muster", "app_function": "Bürgermeisterin"}))
    assert slots["app_commune"] == WERDAU and slots["app_already_member"] is True
    assert any("bereits" in m for m in messages) and any("Großharthau" in m and "Werdau" in m for m in messages)


def test_slots_emptied_just_before_a_form_starts_are_not_checked_as_answers(domain):
    """The offer that starts the study form empties the form slots: no error messages follow."""
    import asyncio

    from rasa_sdk.executor import CollectingDispatcher

    from actions.application_forms import ValidateStudyForm

    events = [{"event": "action", "name": "action_offer_application"},
              *({"event": "slot", "name": s, "value": None} for s in ("app_contact_name", "app_email", "app_degree",
                                                                     "app_question", "app_consent")),
              {"event": "slot", "name": "app_offer", "value": "start_study_form"}]
    tracker = make_tracker("Studienanfrage stellen", "request_study", events=events, loop="study_form")
    dispatcher = CollectingDispatcher()
    asyncio.run(ValidateStudyForm().get_validation_events(dispatcher, tracker, domain))
    assert dispatcher.messages == []


def test_an_amount_taken_for_a_correction_while_the_cost_is_asked_is_the_answer():
    """"ca. 18 tsd" (the form's own example format) read as correct_field: the cost, no menu."""
    messages, events = run(forms.ActionCorrectApplication(), in_form(
        "ca. 18 tsd", requested="app_cost", intent="correct_field", slots=FUNDING, form="funding_form"))
    slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert slots["app_cost"] == "18000.00"
    assert {"event": "followup", "name": "funding_form"} in [{k: e.get(k) for k in ("event", "name")} for e in events]
    assert not any("Was möchten Sie korrigieren" in (m.get("text") or "") for m in messages)


def test_an_emergency_inside_a_form_gets_110_and_112_first_and_pauses_the_form():
    dispatcher = CollectingDispatcher()
    tracker_ = in_form("moment, am jugendclub brennts und da sind noch kinder drin!!", requested="app_cost",
                       intent="nlu_fallback", slots=FUNDING)
    events = asyncio.run(forms.ValidateFundingForm().run(dispatcher, tracker_, DOMAIN))
    assert [m.get("response") for m in dispatcher.messages] == ["utter_emergency"]
    assert {"event": "active_loop", "name": None} in [{k: e.get(k) for k in ("event", "name")} for e in events]


# --------------------------------------------------------------------------- persona trial 2026-11-30

def with_ranking(tracker_, ranking):
    tracker_.latest_message["intent_ranking"] = [{"name": n, "confidence": c} for n, c in ranking]
    return tracker_


def test_a_question_typed_for_the_name_is_answered_even_when_the_nlu_is_unsure():
    # "wie lange geht der eigentlich?" asked for the name: nlu_fallback 0.40, ask_study_duration 0.41
    t = with_ranking(in_form("wie lange geht der eigentlich?", "study_form", "app_contact_name", "nlu_fallback", 0.4,
                             slots={"app_degree": "B.A."}),
                     [("ask_study_duration", 0.41), ("nlu_fallback", 0.4), ("ask_asskomm_start", 0.34)])
    slots, messages = run_validation(forms.ValidateStudyForm(), t)
    assert slots["app_contact_name"] is None and slots["app_paused"] == "app_contact_name"
    assert slots["requested_slot"] == "app_resume"
    assert "Dauer" in messages[0] and not any("unzulässige Zeichen" in m for m in messages)


def test_a_question_in_a_choice_is_answered_and_a_weak_guess_without_question_is_not():
    t = with_ranking(in_form("welche unterlagen brauch ich eigentlich für den richtigen antrag?", "funding_form",
                             "app_field", "nlu_fallback", 0.4, slots={"app_commune": WERDAU}),
                     [("nlu_fallback", 0.4), ("ask_funding_application", 0.38), ("request_study", 0.13)])
    slots, messages = run_validation(forms.ValidateFundingForm(), t)
    assert slots["app_paused"] == "app_field" and "Finanzierungsplan" in messages[0]
    # a plain wrong answer, however the NLU ranks it, still gets the field's own message
    t = with_ranking(in_form("Straßenfest", "funding_form", "app_degree", "nlu_fallback", 0.4),
                     [("nlu_fallback", 0.4), ("ask_funding_fields", 0.35)])
    slots, messages = run_validation(forms.ValidateStudyForm(), t)
    assert "app_paused" not in slots and "Bachelor" in messages[0]


def test_nein_danke_for_the_name_leaves_the_form_without_saving():
    slots, messages = run_validation(forms.ValidateStudyForm(), in_form(
        "nein danke", "study_form", "app_contact_name", "deny", slots={"app_degree": "B.A."}))
    assert slots["requested_slot"] is None and slots["app_degree"] is None
    assert "nichts gespeichert" in messages[0]


def test_the_commune_corrected_while_the_name_is_asked():
    slots, messages = run_validation(forms.ValidateJoinForm(), in_form(
        "halt, ich hab mich vertan, wir sind großharthau", "join_form", "app_contact_name", "inform_commune", 0.42,
        slots={"app_commune": WERDAU}))
    assert slots["app_commune"] == GROSSHARTHAU and slots["app_contact_name"] is None
    assert "Großharthau" in messages[0] and not any("unzulässige Zeichen" in m for m in messages)


def test_a_corrected_period_is_stored_without_the_words_around_it():
    slots, messages = run_validation(forms.ValidateFundingForm(), in_form(
        "korrektur: zeitraum ist september 2028 bis august 2029 und kosten 14.500", requested="app_contact_name",
        intent="correct_field", slots={**FUNDING, "app_period": "Juni 2028 bis Mai 2029"}))
    assert slots["app_period"] == "september 2028 bis august 2029"
    assert slots["app_cost"] == "14500.00"


def test_a_complaint_outside_a_form_gets_an_apology_and_a_way_to_a_person():
    messages, events = run(forms.ActionCorrectApplication(), tracker("😡 warum antwortet ihr nicht richtig",
                                                                       intent="correct_field"))
    assert events == [] and "tut mir das leid" in messages[0]["text"]
    assert "/request_human" in [b["payload"] for b in messages[0]["buttons"]]


def test_a_question_for_the_lpr_cut_in_two_by_the_splitter_is_put_back_together():
    # "kann man das mit vollzeitjob machen und gibts präsenzphasen in chemnitz?" became two turns;
    # the second part met the consent question
    events = [{"event": "active_loop", "name": "study_form"},
              {"event": "user", "text": "kann man das mit vollzeitjob machen", "metadata": {"split": {"part": 1, "of": 2}}},
              {"event": "slot", "name": "app_question", "value": "kann man das mit vollzeitjob machen"},
              {"event": "slot", "name": "requested_slot", "value": "app_consent"},
              {"event": "user", "text": "gibts präsenzphasen in chemnitz?", "metadata": {"split": {"part": 2, "of": 2}}},
              {"event": "action", "name": "study_form"}]
    t = tracker("gibts präsenzphasen in chemnitz?", intent="nlu_fallback", confidence=0.3, events=events,
                loop="study_form", slots={"requested_slot": "app_consent", "app_degree": "M.A.",
                                          "app_contact_name": "Lisa Krause", "app_email": "lisa@example.org",
                                          "app_question": "kann man das mit vollzeitjob machen"})
    slots, messages = run_validation(forms.ValidateStudyForm(), t)
    assert slots["app_question"] == "kann man das mit vollzeitjob machen gibts präsenzphasen in chemnitz?"
    assert slots["app_consent"] is None and not any("nicht eindeutig" in m for m in messages)


def test_an_unsplit_message_is_never_added_to_the_question():
    events = [{"event": "active_loop", "name": "study_form"},
              {"event": "user", "text": "Wie lange dauert das?"},
              {"event": "slot", "name": "app_question", "value": "Wie lange dauert das?"},
              {"event": "user", "text": "ja"}, {"event": "action", "name": "study_form"}]
    t = tracker("ja", intent="affirm", events=events)
    assert forms.continued_message(t) is None


def test_a_new_start_typed_while_the_name_is_asked_corrects_the_period(monkeypatch):
    # persona trial 2026-11-30: after the warning that 2027's deadline has passed, "ok dann eben
    # ab januar 2028" for the name question got "Ein Name enthält keine Ziffern"
    monkeypatch.setattr(forms, "today", lambda: __import__("datetime").date(2026, 11, 30))
    slots, messages = run_validation(forms.ValidateFundingForm(), in_form(
        "ok dann eben ab januar 2028", requested="app_contact_name", intent="nlu_fallback", confidence=0.4,
        slots={**FUNDING, "app_period": "ab januar 2027 für ein jahr"}))
    assert slots["app_period"] == "ab januar 2028" and slots["app_contact_name"] is None
    assert not slots.get("app_deadline_note")  # 2028's deadline (15.10.2027) is still ahead
    assert any("Zeitraum: ab januar 2028 (vorher ab januar 2027 für ein jahr)" in m for m in messages)
    assert not any("Ziffern" in m for m in messages)


@pytest.mark.parametrize("text,requested", [
    ("Anna Müller", "app_contact_name"),  # a plain answer
    ("Bürgermeisterin seit 2024", "app_function"),  # a year, but no period answered before: an answer
])
def test_a_plain_answer_to_a_person_field_is_no_implied_correction(text, requested):
    slots, _ = run_validation(forms.ValidateJoinForm(), in_form(text, form="join_form", requested=requested,
                                                                intent="inform_commune",
                                                                slots={"app_commune": GROSSHARTHAU}))
    assert slots[requested] == text
