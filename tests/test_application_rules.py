"""The rules behind the forms, without Rasa: leaving, corrections, earlier values, typed
choices, when a form is only offered, today's date and the funding deadline."""
from datetime import date

import pytest
import yaml

from bot.applications import deadlines, validation
from bot.applications.choices import find_choice_in_text, handlungsfelder, pick_offered
from bot.applications.corrections import corrected_amount, read_corrections, refers_back, wants_to_leave
from bot.applications.offers import info_entry, starts_at_once
from bot.clock import today
from bot.config import Settings
from tests.conftest import ROOT

KNOWLEDGE = ROOT / "knowledge"
FUNDING_SLOTS = ["app_commune", "app_field", "app_project", "app_cost", "app_period", "app_contact_name",
                 "app_email", "app_consent"]


def cost(text):
    parsed = corrected_amount(text)
    return validation.Parsed(value=str(parsed.value)) if parsed.ok else parsed


PARSERS = {"app_cost": cost, "app_period": validation.parse_period, "app_email": validation.parse_email}


# --------------------------------------------------------------------------- leaving

@pytest.mark.parametrize("text, slot", [
    ("nee ich will doch erstmal nur infos", "app_degree"), ("nur Infos", "app_email"), ("doch nicht", "app_cost"),
    ("später", "app_degree"), ("vielleicht später", "app_resume"), ("Nein, nur Informationen", "app_commune"),
    ("Ich will keine Anfrage stellen", "app_project"), ("nur Infos", "app_question"), ("jetzt nicht", "app_email"),
])
def test_leaving_a_form(text, slot):
    assert wants_to_leave(text, slot)


@pytest.mark.parametrize("text, slot", [
    ("Master", "app_degree"), ("nein", "app_phone"), ("keine", "app_message"), ("ja", "app_consent"),
    ("ab später im Jahr 2027", "app_period"), ("Ich möchte nur Infos zum Master, gibt es ein Infoblatt?", "app_question"),
    ("Wir wollen später auch Schulen einbeziehen und die Eltern informieren", "app_project"), ("", "app_email"),
])
def test_answers_that_do_not_leave(text, slot):
    assert not wants_to_leave(text, slot)


# --------------------------------------------------------------------------- corrections

def test_the_cost_correction_while_the_period_is_asked():
    reading = read_corrections("moment, die kosten stimmen nicht, der kämmerer sagt 23.000 euro", FUNDING_SLOTS,
                               "app_period", PARSERS)
    assert [(c.slot, c.value) for c in reading.corrections] == [("app_cost", "23000.00")]
    assert not validation.parse_period(reading.rest).ok  # the period is asked again


def test_several_corrections_and_the_answer_in_one_message():
    reading = read_corrections("die kosten sind 23 tsd, die mail ist anna@beispiel.de und der zeitraum märz bis "
                               "dezember 2027", FUNDING_SLOTS, "app_period", PARSERS)
    assert {c.slot: c.value for c in reading.corrections} == {"app_cost": "23000.00", "app_email": "anna@beispiel.de"}
    assert validation.parse_period(reading.rest).value.endswith("märz bis dezember 2027")


@pytest.mark.parametrize("text, amount", [
    ("23.000 euro", "23000.00"), ("23 tsd", "23000.00"), ("nicht 12.000, sondern 23.000 euro", "23000.00"),
    ("23.000 statt 12.000", "23000.00"), ("der kämmerer sagt 23.000 euro", "23000.00"), ("1,5 Mio", "1500000.00"),
])
def test_amounts_in_corrections(text, amount):
    assert str(corrected_amount(text).value) == amount


def test_a_field_called_wrong_without_a_value_is_asked_again_and_plain_answers_are_not_corrections():
    reading = read_corrections("Die Kosten stimmen nicht", FUNDING_SLOTS, "app_period", PARSERS)
    assert [(c.slot, c.value) for c in reading.corrections] == [("app_cost", None)]
    assert not read_corrections("März bis Dezember 2027", FUNDING_SLOTS, "app_period", PARSERS).corrections
    project = "Wir wollen Graffiti entfernen, die Kosten liegen doch bei 5000 euro"
    assert not read_corrections(project, FUNDING_SLOTS, "app_project", PARSERS).corrections


@pytest.mark.parametrize("text, rest", [
    ("graffiti hab ich doch schon gesagt", "graffiti"), ("hab ich doch schon gesagt", ""),
    ("wie gesagt: Werdau", "Werdau"), ("Das hatte ich oben schon geschrieben", ""), ("Graffiti", None),
])
def test_references_to_something_said_before(text, rest):
    assert refers_back(text) == rest


# --------------------------------------------------------------------------- choices

OELSNITZ = [("Oelsnitz/Erzgeb.", "Erzgebirgskreis"), ("Oelsnitz/Vogtl.", "Vogtlandkreis")]


@pytest.mark.parametrize("text, index", [
    ("die im Vogtland", 1), ("die im erzgebirge natürlich", 0), ("die zweite", 1), ("Oelsnitz im Erzgebirge", 0),
    ("die erste bitte", 0), ("Oelsnitz/Vogtl. (Vogtlandkreis)", 1), ("Oelsnitz", None), ("Werdau", None),
])
def test_typed_answers_to_welche_meinen_sie(text, index):
    assert pick_offered(text, OELSNITZ) == index


def test_a_handlungsfeld_named_inside_a_sentence():
    choices, _ = handlungsfelder(KNOWLEDGE)
    assert find_choice_in_text("Wir wollen Fördermittel für ein Graffiti-Projekt", choices) == \
        "Graffiti und Sachbeschädigung"
    assert find_choice_in_text("Gewaltprävention an Schulen", choices) == "Gewalt"
    assert find_choice_in_text("Verkehrssicherheit", choices) is None


# --------------------------------------------------------------------------- offers

@pytest.mark.parametrize("text, at_once", [
    ("Ich möchte eine Studienanfrage stellen", True), ("Wir möchten als Gemeinde Großharthau beitreten", True),
    ("/request_funding", True), ("Förderanfrage", True),
    ("Kann ich über den Chat eine Förderanfrage stellen?", False),
    ("Ich interessiere mich für den Master und möchte Infomaterial anfordern", False),
    ("Wir wollen für unser Graffiti-Projekt Fördergeld, wie geht das?", False),
])
def test_a_form_starts_at_once_only_when_asked_for(text, at_once):
    assert starts_at_once(text) is at_once


def test_the_information_for_a_declined_form_is_the_question_it_came_from():
    topics = {"ask_study_admission": ("study_admission", "study"), "ask_join_cost": ("join_cost", "joining")}
    ranking = [{"name": "request_study", "confidence": 0.6}, {"name": "ask_join_cost", "confidence": 0.2},
               {"name": "ask_study_admission", "confidence": 0.15}]
    assert info_entry("study_form", ranking, topics) == "study_admission"
    assert info_entry("funding_form", ranking, topics) == "funding"


# --------------------------------------------------------------------------- today and the deadline

def test_the_clock_is_the_setting_or_the_system_date():
    assert today(Settings(today="2026-11-30")) == date(2026, 11, 30)
    assert today(Settings(today="")) >= date(2026, 1, 1)
    with pytest.raises(ValueError):
        Settings(today="30.11.2026")


def test_the_deadline_comes_from_knowledge_and_agrees_with_the_answer():
    rule = deadlines.load_rule(KNOWLEDGE)
    assert rule.window(2027) == (date(2026, 8, 31), date(2026, 10, 15))
    entries = yaml.safe_load((KNOWLEDGE / "funding.yml").read_text(encoding="utf-8"))["entries"]
    answer = next(e for e in entries if e["id"] == "funding_deadline")["answer"]
    months = ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
              "November", "Dezember"]
    for month, day in (rule.opens, rule.closes):
        assert f"{day}. {months[month - 1]}" in answer


@pytest.mark.parametrize("day, expected", [
    (date(2026, 11, 30), ["Förderjahr 2027 ist am 15.10.2026 abgelaufen", "Förderjahr 2028", "31.08.2027",
                          "15.10.2027"]),
    (date(2026, 9, 10), ["Förderjahr 2027 läuft gerade", "15.10.2026"]),
    (date(2026, 3, 1), ["Förderjahr 2027", "31.08.2026", "15.10.2026"]),
])
def test_the_next_deadline_measured_against_today(day, expected):
    sentence = deadlines.next_deadline_sentence(deadlines.load_rule(KNOWLEDGE), day)
    assert all(part in sentence for part in expected) and "Quelle" in sentence
    assert deadlines.today_note("funding_deadline", KNOWLEDGE, day) == sentence
    assert deadlines.today_note("funding", KNOWLEDGE, day) is None


@pytest.mark.parametrize("period, year, passed", [
    ("wir wollen im märz 2027 starten", 2027, True), ("März bis Dezember 2027", 2027, True),
    ("ab 01.03.2028", 2028, False), ("ab nächstem Jahr", 2027, True), ("ab März", 2027, True),
    ("Schuljahr 2028/29", 2028, False), ("6 Monate", None, None),
])
def test_a_planned_start_against_the_deadline(period, year, passed):
    check = deadlines.check_planned_start(deadlines.load_rule(KNOWLEDGE), period, date(2026, 11, 30))
    assert (check.funding_year, check.passed) == (year, passed) if year else check is None


def test_the_passed_deadline_message_names_the_next_possible_year():
    check = deadlines.check_planned_start(deadlines.load_rule(KNOWLEDGE), "wir wollen im märz 2027 starten",
                                          date(2026, 11, 30))
    assert "15.10.2026" in check.message and "abgelaufen" in check.message
    assert "Förderjahr 2028" in check.message and "15.10.2027" in check.message
    assert "2027" in deadlines.summary_warning(check)


@pytest.mark.parametrize("text", ["", "   ", "🙂👍", "<script>alert(1)</script>", "'; DROP TABLE applications;--",
                                  "x" * 20000, "kosten " * 3000, "hab ich doch schon gesagt " * 500, "Ünïcødé ß"],
                         ids=["empty", "blank", "emoji", "html", "sql", "huge", "field-words", "references", "unicode"])
def test_bad_input_never_crashes_the_rules(text):
    for slot in ("app_period", "app_project", "app_degree", None):
        wants_to_leave(text, slot)
        read_corrections(text, FUNDING_SLOTS, slot, PARSERS)
    refers_back(text)
    corrected_amount(text)
    pick_offered(text, OELSNITZ)
    starts_at_once(text)
    deadlines.planned_start_year(text, date(2026, 11, 30))


@pytest.mark.parametrize("text,leaves", [
    ("ach wissense, lassen wir das, ich muss erst mit dem bürgermeister reden", True),
    ("nee lass mal", True),
    ("wir lassen das Graffiti an der Schule entfernen", False),
])
def test_letting_it_be_leaves_the_form_from_any_answer(text, leaves):
    from bot.applications.corrections import wants_to_leave

    assert wants_to_leave(text, "app_function") is leaves


@pytest.mark.parametrize("text", ["wie hoch ist der eigenanteil nochmal", "ich muss erst den bürgermeister fragen",
                                  "Das ist eine sehr lange Antwort und bestimmt kein Name"])
def test_a_question_or_sentence_is_not_taken_as_a_name(text):
    from bot.applications.validation import parse_person_name

    assert not parse_person_name(text).ok


@pytest.mark.parametrize("text", ["Prof. Dr. Anna-Lena von der Heide", "de la Cruz", "Sabine Kretzschmar"])
def test_real_names_still_pass(text):
    from bot.applications.validation import parse_person_name

    assert parse_person_name(text).ok


@pytest.mark.parametrize("text, slot, leaves", [
    # persona trial 2026-11-30: "nein danke" asked for the name was taken as a name
    ("nein danke", "app_contact_name", True), ("nee", "app_commune", True), ("Nein, danke!", "app_email", True),
    # where "nein" answers the question it stays an answer
    ("nein danke", "app_phone", False), ("nein", "app_message", False), ("nein danke", "app_consent", False),
    ("nein danke", None, False), ("Neinhaus", "app_contact_name", False),
])
def test_a_plain_no_leaves_only_where_no_is_no_answer(text, slot, leaves):
    assert wants_to_leave(text, slot) is leaves
