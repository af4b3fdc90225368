"""The commune actions with rasa-sdk trackers, over a real SQLite database seeded from the
repository's files."""
import asyncio

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

import actions.communes as commune_actions
from bot.communes.facts import MembershipFact
from tests.conftest import make_tracker

WERDAU, BERNSDORF_ZWICKAU = "14524300", "14524010"


@pytest.fixture(autouse=True)
def repository(seeded_repository, monkeypatch):
    monkeypatch.setattr(commune_actions, "shared_repository", lambda: seeded_repository)
    return seeded_repository


tracker = make_tracker


def run(action, tracker_):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker_, {}))
    return dispatcher.messages, {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def ask(text: str, intent: str = "ask_commune_membership", **kwargs):
    return run(commune_actions.ActionAnswerCommune(), tracker(text, intent, **kwargs))


def test_werdau_is_a_member_with_date_and_source():
    messages, slots = ask("Ist Werdau Mitglied bei ASSKomm?")
    text = messages[0]["text"]
    assert "Kooperationsvereinbarung" in text and "11.01.2022" in text
    assert "Quelle: " in text and "Stand: 11.01.2022" in text
    assert slots["commune_ags"] == WERDAU


def test_a_typo_still_finds_the_commune_and_unknown_status_is_said_plainly():
    messages, slots = ask("Macht Dresdn mit?")
    assert "Dresden" in messages[0]["text"] and "keine Angaben" in messages[0]["text"]
    assert "nicht teilnimmt" in messages[0]["text"]  # unknown is not "no"
    assert {"title": "Wie tritt eine Kommune bei?", "payload": "/ask_join_process"} in messages[0]["buttons"]
    assert slots["commune_ags"] == "14612000"


def test_the_follow_up_uses_the_commune_of_the_conversation():
    messages, _ = ask("Und seit wann?", "ask_commune_since", slots={"commune_ags": WERDAU})
    assert "Werdau" in messages[0]["text"] and "11.01.2022" in messages[0]["text"]


def test_a_follow_up_without_any_commune_asks_which():
    messages, _ = ask("Und seit wann?", "ask_commune_since")
    assert "Nach welcher Kommune" in messages[0]["text"]


def test_an_ambiguous_name_is_asked_back_with_buttons_that_keep_the_question():
    messages, slots = ask("Wie viele Einwohner hat Bernsdorf?", "ask_commune_facts")
    buttons = messages[0]["buttons"]
    assert len(buttons) == 2 and all("Bernsdorf" in b["title"] for b in buttons)
    assert all('"commune_question": "facts"' in b["payload"] for b in buttons)
    assert slots["commune_question"] == "facts"


def test_the_chosen_button_answers_the_question_asked_before():
    entities = [{"entity": "commune_ags", "value": BERNSDORF_ZWICKAU}]
    messages, _ = ask("/inform_commune", "inform_commune", slots={"commune_question": "facts"}, entities=entities)
    assert "Landkreis Zwickau" in messages[0]["text"] and "Einwohner" in messages[0]["text"]
    assert "Destatis" in messages[0]["text"]


def test_a_city_outside_saxony_is_told_asskomm_is_for_saxon_communes():
    messages, _ = ask("Ist München dabei?")
    assert "„München“" in messages[0]["text"] and "Freistaat Sachsen" in messages[0]["text"]


def test_a_commune_in_a_verband_answers_through_it():
    messages, _ = ask("Ist Grünhainichen dabei?")
    assert "Verwaltungsverband Wildenstein" in messages[0]["text"]


def test_members_of_a_landkreis_are_listed_with_sources():
    messages, slots = run(commune_actions.ActionAnswerDistrict(),
                          tracker("Welche Kommunen im Landkreis Erzgebirgskreis sind dabei?", "ask_members_in_district"))
    text = messages[0]["text"]
    assert "Erzgebirgskreis" in text and "Aue-Bad Schlema" in text and "Stand" in text
    assert text.count("\n- ") >= 5
    assert slots["landkreis"] == "Erzgebirgskreis"


def test_no_landkreis_named_asks_which_with_all_ten():
    messages, _ = run(commune_actions.ActionAnswerDistrict(), tracker("Welche sind dabei?", "ask_members_in_district"))
    assert len(messages[0]["buttons"]) == 10


def test_a_staff_change_is_answered_at_once(repository):
    dohna = repository.matcher().resolve("Dohna").commune.ags
    fact = MembershipFact(ags=dohna, status="kooperationsvereinbarung", agreement_date="2026-11-24",
                          source={"title": "Mitteilung des LPR", "stand": "2026-11-24"})
    repository.set_membership(fact, changed_by="Test")
    messages, _ = ask("Ist Dohna dabei?")
    assert "24.11.2026" in messages[0]["text"] and "Mitteilung des LPR" in messages[0]["text"]


def test_an_unsure_commune_question_is_still_answered_from_the_database():
    from actions.fallback import ActionClarify

    latest = {
        "text": "Ist Dohna bei ASSKomm dabei?",
        "intent": {"name": "nlu_fallback", "confidence": 0.45},
        "intent_ranking": [{"name": "nlu_fallback", "confidence": 0.45},
                           {"name": "ask_commune_membership", "confidence": 0.37},
                           {"name": "ask_member_count", "confidence": 0.27}],
        "entities": [],
    }
    messages, slots = run(ActionClarify(), Tracker("u", {}, latest, [], False, None, {}, "action_listen"))
    assert "Dohna" in messages[0]["text"]
    assert slots["commune_ags"]


def test_a_month_only_date_reads_im_not_am_and_the_note_links_its_source():
    text = ask("Ist Görlitz dabei?")[0][0]["text"]
    assert "im Juli 2020 unterzeichnet" in text and "am Juli" not in text
    assert "([Quelle](https://www.behoerden-spiegel.de/" in text and " (https://" not in text


def test_a_model_commune_answer_says_each_fact_once():
    answer, source = ask("Is Plauen scho dabei?")[0][0]["text"].split("\n\n")
    assert answer.count("Modellkommune") == 1 and source.startswith("Quelle")


@pytest.mark.parametrize("value, expected", [("2022-01-11", "am 11.01.2022"), ("2020-07", "im Juli 2020"),
                                             ("2020", "im Jahr 2020")])
def test_dates_carry_the_preposition_of_their_precision(value, expected):
    from bot.communes.facts import on_date

    assert on_date(value) == expected


@pytest.mark.parametrize("text", ["123", "...", "😀😀"])
def test_a_message_without_letters_is_not_taken_for_a_commune_name(text):
    messages, slots = ask(text, "inform_commune")
    assert [m["response"] for m in messages] == ["utter_default", "utter_topics"]
    assert slots == {}
