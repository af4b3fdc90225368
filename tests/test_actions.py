"""Custom actions with real rasa-sdk trackers and the real knowledge base."""
import asyncio

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.fallback import ActionClarify
from actions.faq import ActionAnswerFromKnowledge
from bot.knowledge import shared_knowledge_base


def tracker_with(intent: str, ranking: list[tuple[str, float]] | None = None, slots: dict | None = None) -> Tracker:
    latest = {
        "text": "…",
        "intent": {"name": intent, "confidence": 0.9},
        "intent_ranking": [{"name": n, "confidence": c} for n, c in (ranking or [])],
        "entities": [],
    }
    return Tracker("test-user", slots or {}, latest, [], False, None, {}, "action_listen")


def run(action, tracker):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, {}))
    return dispatcher.messages, events


def slot_events(events) -> dict:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


@pytest.mark.parametrize("intent", sorted(shared_knowledge_base().get().intents))
def test_every_knowledge_intent_is_answered_with_source(intent):
    messages, events = run(ActionAnswerFromKnowledge(), tracker_with(intent))
    entry = shared_knowledge_base().get().entry_for_intent(intent)
    # the deadline answer also says what today's date means for it (bot/applications/deadlines.py)
    assert len(messages) == (2 if intent == "ask_funding_deadline" else 1)
    assert intent != "ask_funding_deadline" or messages[1]["text"].startswith("Stand heute")
    assert messages[0]["text"].startswith(entry.answer)
    assert "Stand: " in messages[0]["text"] and ("Quelle: " in messages[0]["text"] or "Quellen:" in messages[0]["text"])
    assert slot_events(events) == {"last_knowledge_id": entry.id, "current_topic": entry.topic, "fallback_count": 0.0}


def tracker_in_context(intent: str, text: str, slots: dict) -> Tracker:
    latest = {"text": text, "intent": {"name": intent, "confidence": 0.9}, "intent_ranking": [], "entities": []}
    return Tracker("test-user", slots, latest, [], False, None, {}, "action_listen")


def test_a_follow_up_is_answered_for_the_current_topic():
    messages, events = run(ActionAnswerFromKnowledge(),
                           tracker_in_context("ask_join_cost", "Was kostet das?", {"current_topic": "study"}))
    assert messages[0]["text"].startswith(shared_knowledge_base().get().entries["study_cost"].answer)
    assert slot_events(events)["current_topic"] == "study"


def test_a_follow_up_on_a_commune_answers_for_that_commune(seeded_repository, monkeypatch):
    import actions.communes as commune_actions

    monkeypatch.setattr(commune_actions, "shared_repository", lambda: seeded_repository)
    messages, _ = run(ActionAnswerFromKnowledge(), tracker_in_context(
        "ask_asskomm_start", "Und seit wann?", {"current_topic": "commune", "commune_ags": "14524300"}))
    assert "Werdau" in messages[0]["text"] and "2022" in messages[0]["text"]


def test_a_follow_up_the_sources_do_not_answer_says_so_and_names_the_lpr():
    messages, events = run(ActionAnswerFromKnowledge(),
                           tracker_in_context("ask_join_cost", "Was kostet das?", {"current_topic": "network"}))
    assert messages[0]["response"] == "utter_no_answer_on_topic"
    assert messages[0]["topic"] == "Fachtage und Netzwerk der Koordinatoren"
    assert "lpr@smi.sachsen.de" in messages[1]["text"]


def test_a_duration_the_sources_do_not_give_is_said_so_with_the_known_steps_and_the_lpr():
    messages, events = run(ActionAnswerFromKnowledge(),
                           tracker_in_context("ask_study_duration", "Wie lange dauert das?", {"current_topic": "funding"}))
    assert messages[0]["response"] == "utter_no_duration_on_topic"
    assert messages[0]["topic"] == "Förderung nach der RL KommPräv"
    assert messages[1]["text"].startswith(shared_knowledge_base().get().entries["funding_application"].answer)
    assert "lpr@smi.sachsen.de" in messages[-1]["text"]


def test_join_answer_names_steps_and_buttons():
    messages, _ = run(ActionAnswerFromKnowledge(), tracker_with("ask_join_process"))
    text = messages[0]["text"]
    assert "Kooperationsvereinbarung" in text and "Präventionsrat" in text
    assert {"title": "Was kostet der Beitritt?", "payload": "/ask_join_cost"} in messages[0]["buttons"]


def test_intent_without_entry_says_so_and_gives_contact():
    messages, events = run(ActionAnswerFromKnowledge(), tracker_with("ask_something_new"))
    assert messages[0]["response"] == "utter_knowledge_missing"
    assert "lpr@smi.sachsen.de" in messages[1]["text"]
    assert slot_events(events)["last_knowledge_id"] == "contact"


def test_first_misunderstanding_offers_likely_topics():
    ranking = [("nlu_fallback", 0.45), ("ask_funding", 0.30), ("greet", 0.2), ("ask_funding_amount", 0.25),
               ("ask_study", 0.01)]
    messages, events = run(ActionClarify(), tracker_with("nlu_fallback", ranking))
    assert messages[0]["response"] == "utter_clarify"
    payloads = [b["payload"] for b in messages[0]["buttons"]]
    # answerable intents only, best first, noise left out, and a way out
    assert payloads == ["/ask_funding", "/ask_funding_amount", "/nlu_fallback"]
    assert slot_events(events) == {"fallback_count": 1.0}


def test_first_misunderstanding_without_candidates_shows_the_topics():
    messages, _ = run(ActionClarify(), tracker_with("nlu_fallback", [("nlu_fallback", 0.4), ("greet", 0.3)]))
    assert [m["response"] for m in messages] == ["utter_default", "utter_topics"]


def test_second_misunderstanding_offers_the_lpr_contact_and_resets():
    messages, events = run(ActionClarify(), tracker_with("nlu_fallback", [], slots={"fallback_count": 1.0}))
    assert messages[0]["response"] == "utter_clarify_failed"
    assert "lpr@smi.sachsen.de" in messages[1]["text"]
    assert slot_events(events)["fallback_count"] == 0.0


def test_an_unsure_follow_up_is_answered_for_the_current_topic():
    tracker = tracker_in_context("nlu_fallback", "und wie macht man das?", {"current_topic": "funding"})
    tracker.latest_message["intent_ranking"] = [{"name": "nlu_fallback", "confidence": 0.45},
                                                {"name": "ask_join_process", "confidence": 0.41},
                                                {"name": "ask_study", "confidence": 0.2}]
    messages, events = run(ActionClarify(), tracker)
    assert messages[0]["text"].startswith(shared_knowledge_base().get().entries["funding_application"].answer)
    assert "fallback_count" not in slot_events(events) or slot_events(events)["fallback_count"] == 0.0


def test_asking_back_during_a_subject_offers_questions_of_that_subject_first():
    tracker = tracker_in_context("nlu_fallback", "und die wand selber also bau der fläche, farben, gerüst?",
                                 {"current_topic": "funding"})
    tracker.latest_message["intent_ranking"] = [{"name": "nlu_fallback", "confidence": 0.4},
                                                {"name": "ask_network_events", "confidence": 0.3},
                                                {"name": "ask_priorities", "confidence": 0.2}]
    messages, _ = run(ActionClarify(), tracker)
    payloads = [b["payload"] for b in messages[0]["buttons"]]
    assert payloads[0].startswith("/ask_funding") and payloads[1].startswith("/ask_funding")
    assert "/ask_network_events" in payloads


@pytest.mark.parametrize("intent, text", [
    ("ask_coaching", "wir sind die gemeinde hohenwarte in thüringen und würden gern bei asskomm mitmachen"),
    ("ask_offers", "Was bekommen wir als Stadt in Bayern von ASSKomm?"),
    ("ask_funding", "Gibt es die Förderung auch für Kommunen aus Brandenburg?"),
])
def test_a_commune_of_another_land_is_told_asskomm_is_saxonys_programme(intent, text):
    # persona trial 2026-11-30: the Thuringian commune got the coaching text
    messages, events = run(ActionAnswerFromKnowledge(), tracker_in_context(intent, text, {}))
    assert [m["response"] for m in messages] == ["utter_outside_saxony"]
    assert slot_events(events)["last_knowledge_id"] is None


def test_another_land_in_a_question_not_about_taking_part_is_answered_as_usual():
    messages, _ = run(ActionAnswerFromKnowledge(),
                      tracker_in_context("ask_study", "Kann ich das Studium auch aus Thüringen machen?", {}))
    assert messages[0]["text"].startswith(shared_knowledge_base().get().entries["study"].answer)


def test_how_long_until_a_commune_is_in_says_the_sources_do_not_tell_then_the_steps_and_whom_to_ask():
    # persona trial 2026-11-30: "wie lang dauert das bis man drin ist" got the study's duration
    messages, events = run(ActionAnswerFromKnowledge(), tracker_in_context(
        "ask_study_duration", "wie lang dauert das bis man drin ist", {"current_topic": "commune"}))
    assert messages[0]["response"] == "utter_no_duration_on_topic"
    assert messages[0]["topic"] == "Beitritt einer Kommune"
    kb = shared_knowledge_base().get()
    assert messages[1]["text"].startswith(kb.entries["join_process"].answer)
    assert messages[2]["text"].startswith(kb.entries["contact"].answer)
    assert not any("Studi" in (m.get("text") or "") for m in messages)
    assert slot_events(events)["current_topic"] == "joining"
