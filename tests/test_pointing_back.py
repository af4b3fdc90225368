"""Follow-ups that point at the answer just given: "welche denn", "welche waren das", "und 2022?"
(bot/conversation/pointing_back.py, actions/pointing_back.py). Persona trial 2026-11-30: such
messages were asked back or got an unrelated answer (Grünhainichen again, the study)."""
import asyncio

import pytest
from rasa_sdk.executor import CollectingDispatcher

import actions.communes as commune_actions
import actions.pointing_back as pointing_back_actions
from actions.communes import ActionAnswerCommune
from actions.fallback import ActionClarify
from actions.faq import ActionAnswerFromKnowledge
from actions.out_of_scope import ActionOutOfScope
from bot.conversation.pointing_back import PointingBack, pointing_back
from bot.knowledge import shared_knowledge_base
from tests.conftest import make_tracker


@pytest.fixture(autouse=True)
def repository(seeded_repository, monkeypatch):
    monkeypatch.setattr(commune_actions, "shared_repository", lambda: seeded_repository)
    monkeypatch.setattr(pointing_back_actions, "shared_repository", lambda: seeded_repository)
    return seeded_repository


def after(answered: dict, text: str, intent: str, ranking=(), slots=None):
    """A tracker whose message before was answered with these slot values (what the actions set)."""
    events = [{"event": "user", "text": "die Frage davor"}, {"event": "action", "name": "action_answer"}]
    events += [{"event": "slot", "name": name, "value": value} for name, value in answered.items()]
    events += [{"event": "action", "name": "action_listen"}, {"event": "user", "text": text}]
    t = make_tracker(text, intent=intent, confidence=ranking[0][1] if ranking else 0.9,
                     slots={**answered, **(slots or {})}, events=events)
    t.latest_message["intent_ranking"] = [{"name": n, "confidence": c} for n, c in ranking]
    return t


def run(action, tracker):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, {}))
    return dispatcher.messages, {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def answer_of(entry_id: str) -> str:
    return shared_knowledge_base().get().entries[entry_id].answer


@pytest.mark.parametrize("text,expected", [
    ("welche denn", PointingBack("which")), ("welche waren das", PointingBack("which")),
    ("und welche?", PointingBack("which")), ("Welche Kommunen genau?", PointingBack("which")),
    ("und 2022?", PointingBack("year", "2022")), ("was ist mit 2023", PointingBack("year", "2023")),
    ("welche Förderung gibt es", None), ("Wer leitet das?", None), ("wer denn", None),
    ("und wie viele waren es 2023?", None), ("Was war 2022 beim Fachtag los?", None),
])
def test_what_points_back(text, expected):
    assert pointing_back(text) == expected


def test_welche_waren_das_after_the_model_communes_names_them():
    messages, slots = run(ActionClarify(), after(
        {"last_knowledge_id": "asskomm_start", "current_topic": "asskomm"}, "welche waren das", "nlu_fallback",
        ranking=[("nlu_fallback", 0.4), ("ask_what_is_asskomm", 0.18)]))
    assert "Chemnitz, Freital, Görlitz" in messages[0]["text"] and slots["last_knowledge_id"] == "asskomm_start"


def test_welche_denn_after_the_funding_fields_gives_them_again_whatever_the_intent():
    messages, _ = run(ActionAnswerFromKnowledge(), after(
        {"last_knowledge_id": "funding_fields", "current_topic": "funding"}, "welche denn", "ask_what_is_asskomm"))
    assert messages[0]["text"].startswith(answer_of("funding_fields"))


def test_welche_denn_after_the_communes_of_a_landkreis_lists_them_not_the_last_commune():
    messages, slots = run(ActionAnswerCommune(), after(
        {"landkreis": "Erzgebirgskreis"}, "welche denn", "ask_commune_membership",
        slots={"current_topic": "commune", "commune_ags": "14521290"}))
    assert messages[0]["text"].startswith("Im Landkreis Erzgebirgskreis") and slots["landkreis"] == "Erzgebirgskreis"


def test_welche_denn_after_the_number_of_communes_asks_for_the_landkreis():
    messages, _ = run(ActionAnswerFromKnowledge(), after(
        {"last_knowledge_id": "member_count", "current_topic": "asskomm"}, "welche denn", "ask_what_is_asskomm"))
    assert messages[0]["text"] == "Welchen Landkreis meinen Sie?"
    assert any(b["title"] == "Erzgebirgskreis" for b in messages[0]["buttons"])


def test_welche_after_an_answer_without_a_list_says_the_sources_name_none():
    messages, _ = run(ActionClarify(), after(
        {"last_knowledge_id": "council_count", "current_topic": "council"}, "welche denn", "nlu_fallback",
        ranking=[("nlu_fallback", 0.4), ("ask_what_is_asskomm", 0.2)]))
    assert messages[0]["response"] == "utter_no_answer_on_topic" and "lpr@smi.sachsen.de" in messages[1]["text"]


def test_a_bare_year_after_the_funding_budget_gives_that_year_with_the_source():
    messages, slots = run(ActionClarify(), after(
        {"last_knowledge_id": "funding_amount", "current_topic": "funding"}, "und 2022?", "nlu_fallback",
        ranking=[("nlu_fallback", 0.4), ("ask_member_history", 0.11)]))
    text = messages[0]["text"]
    assert text.startswith("Zu 2022 steht in meinen Quellen:") and "1,3 Millionen Euro" in text
    assert "Förderquote" not in text and "Quelle" in text and slots["last_knowledge_id"] == "funding_amount"


def test_a_year_the_answer_does_not_name_is_said_so_without_a_figure():
    messages, _ = run(ActionOutOfScope(), after(
        {"last_knowledge_id": "funding_amount", "current_topic": "funding"}, "und 2019?", "out_of_scope",
        ranking=[("out_of_scope", 0.6)]))
    assert messages[0]["response"] == "utter_nothing_for_year" and messages[0]["year"] == "2019"
    assert "lpr@smi.sachsen.de" in messages[1]["text"]


def test_an_older_answer_is_not_pointed_at():
    # the list was two messages ago; "welche denn" now is asked back as usual
    t = after({"last_knowledge_id": "asskomm_start"}, "welche denn", "nlu_fallback",
              ranking=[("nlu_fallback", 0.4), ("ask_what_is_asskomm", 0.3)])
    t.events.insert(3, {"event": "user", "text": "danke"})
    messages, _ = run(ActionClarify(), t)
    assert "Chemnitz" not in (messages[0].get("text") or "")
