"""Switching to Leichte Sprache and back, with real rasa-sdk trackers and the real knowledge base."""
import asyncio
import shutil

import pytest
import yaml
from rasa_sdk.executor import CollectingDispatcher

import actions.easy_language
from actions.easy_language import ActionSetEasyLanguage
from actions.faq import ActionAnswerFromKnowledge
from bot.knowledge import ReloadingKnowledgeBase, shared_knowledge_base
from bot.knowledge.easy_language import EASY_DIR, style_problems
from tests.conftest import ROOT, make_tracker


def run(action, tracker):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, {}))
    return dispatcher.messages, events


def slots(events) -> dict:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def user(text: str, intent: str) -> dict:
    return {"event": "user", "text": text, "parse_data": {"intent": {"name": intent, "confidence": 0.9}}}


def answered(text: str, intent: str, entry_id: str) -> list[dict]:
    """A turn in which the bot answered from a knowledge entry."""
    return [user(text, intent), {"event": "action", "name": "action_answer_from_knowledge"},
            {"event": "bot", "text": "…"}, {"event": "slot", "name": "last_knowledge_id", "value": entry_id},
            {"event": "action", "name": "action_listen"}]


def switch(intent: str, history: list[dict], easy_language: bool | None = None, text: str = "…"):
    slots_now = {"easy_language": easy_language}
    tracker = make_tracker(text, intent=intent, slots=slots_now, events=history + [user(text, intent)])
    return run(ActionSetEasyLanguage(), tracker)


def kb():
    return shared_knowledge_base().get()


def test_switching_on_right_after_an_answer_repeats_it_in_leichte_sprache():
    history = answered("Bis wann muss der Antrag da sein?", "ask_funding_deadline", "funding_deadline")
    messages, events = switch("request_easy_language", history, text="das versteh ich nicht, geht das einfacher?")
    assert [m.get("response") for m in messages[:2]] == ["utter_easy_language_on", "utter_easy_language_not_checked"]
    repeated = messages[2]["text"]
    assert repeated.startswith(kb().easy.texts["funding_deadline"].text)
    assert "Quelle: [ASSKomm: Fördermittel](https://www.asskomm.sachsen.de/foerdermittel-4045.html)" in repeated
    assert len(messages) == 4 and messages[3]["text"].startswith("Stand heute")  # the deadline seen from today
    assert slots(events) == {"easy_language": True, "last_knowledge_id": "funding_deadline", "current_topic": "funding",
                             "fallback_count": 0.0}


def test_switching_on_without_an_answer_just_before_only_confirms():
    greeted = [user("Hallo", "greet"), {"event": "action", "name": "utter_greet"}]
    messages, events = switch("request_easy_language", greeted)
    assert [m.get("response") for m in messages] == ["utter_easy_language_on", "utter_easy_language_not_checked"]
    assert slots(events) == {"easy_language": True}
    # an answer two turns ago is not what "das" refers to
    older = answered("Was ist ASSKomm?", "ask_what_is_asskomm", "asskomm_what") + greeted
    messages, _ = switch("request_easy_language", older)
    assert len(messages) == 2


def test_asking_again_while_on_neither_repeats_the_note_nor_the_answer():
    history = answered("Was ist ASSKomm?", "ask_what_is_asskomm", "asskomm_what")
    messages, events = switch("request_easy_language", history, easy_language=True)
    assert [m.get("response") for m in messages] == ["utter_easy_language_on"]
    assert slots(events) == {"easy_language": True}


def test_switching_back_repeats_the_last_answer_in_standard_language():
    history = answered("Was kostet der Beitritt?", "ask_join_cost", "join_cost")
    messages, events = switch("request_standard_language", history, easy_language=True, text="normal weiter")
    assert messages[0]["response"] == "utter_standard_language_on"
    assert messages[1]["text"].startswith(kb().entries["join_cost"].answer)
    assert slots(events)["easy_language"] is False


def test_no_note_once_a_pruefgruppe_has_checked_every_file(tmp_path, monkeypatch):
    shutil.copytree(ROOT / "knowledge", tmp_path / "k", ignore=shutil.ignore_patterns("communes", "forms", "sources"))
    for path in (tmp_path / "k" / EASY_DIR).glob("*.yml"):
        path.write_text(path.read_text(encoding="utf-8").replace(
            "\ngeprueft: null", '\ngeprueft: {am: 2027-01-15, von: "Prüfgruppe Musterstadt"}'), encoding="utf-8")
    checked = ReloadingKnowledgeBase(tmp_path / "k")
    assert checked.get().easy.all_checked
    monkeypatch.setattr(actions.easy_language, "shared_knowledge_base", lambda: checked)
    messages, _ = switch("request_easy_language", [])
    assert [m.get("response") for m in messages] == ["utter_easy_language_on"]


@pytest.mark.parametrize("intent", sorted(shared_knowledge_base().get().intents))
def test_with_the_slot_on_every_knowledge_answer_is_in_leichte_sprache_with_source(intent):
    entry = kb().entry_for_intent(intent)
    tracker = make_tracker("…", intent=intent, slots={"easy_language": True})
    messages, events = run(ActionAnswerFromKnowledge(), tracker)
    text = messages[0]["text"]
    assert text.startswith(kb().easy.texts[entry.id].text)
    assert "Stand: " in text and ("Quelle: " in text or "Quellen:" in text)
    assert slots(events)["last_knowledge_id"] == entry.id


def test_the_join_answer_offers_its_buttons_with_easy_titles():
    messages, _ = run(ActionAnswerFromKnowledge(),
                      make_tracker("…", intent="ask_join_process", slots={"easy_language": True}))
    assert {"title": "Was kostet der Beitritt?", "payload": "/ask_join_cost"} in messages[0]["buttons"]
    assert {"title": "Kooperations-Vereinbarung", "payload": "/ask_cooperation_agreement"} in messages[0]["buttons"]


def test_the_responses_in_leichter_sprache_follow_the_rules(domain):
    for name in ("utter_easy_language_on", "utter_easy_language_not_checked"):
        for variant in domain["responses"][name]:
            assert not style_problems(variant["text"]), (name, style_problems(variant["text"]))
    topics = domain["responses"]["utter_topics"][0]["buttons"]
    assert {"title": "Leichte Sprache", "payload": "/request_easy_language"} in topics
    assert domain["slots"]["easy_language"]["type"] == "bool"
    assert domain["slots"]["easy_language"]["influence_conversation"] is False


def test_the_rules_run_the_switch_for_both_intents():
    rules = yaml.safe_load((ROOT / "data" / "rules" / "easy_language.yml").read_text(encoding="utf-8"))["rules"]
    pairs = {(r["steps"][0]["intent"], r["steps"][1]["action"]) for r in rules}
    assert pairs == {("request_easy_language", "action_set_easy_language"),
                     ("request_standard_language", "action_set_easy_language")}
