"""actions/out_of_scope.py and the safety net in action_clarify, with real rasa-sdk trackers
and the real knowledge base."""
import asyncio

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.fallback import ActionClarify
from actions.out_of_scope import ActionDetectOtherLand, ActionOutOfScope, ActionOutsideSaxony
from tests.conftest import make_tracker


def tracker(text, intent="out_of_scope", ranking=(), slots=None, loop=None):
    t = make_tracker(text, intent=intent, confidence=ranking[0][1] if ranking else 0.9, slots=slots, loop=loop)
    t.latest_message["intent_ranking"] = [{"name": n, "confidence": c} for n, c in ranking]
    return t


def run(action, t, domain=None):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, t, domain or {}))
    return dispatcher.messages, events


def slots_of(events) -> dict:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def test_an_emergency_gets_110_112_first_and_nothing_else():
    messages, _ = run(ActionOutOfScope(), tracker("Hilfe!!! vor meinem haus randaliert grad einer",
                                                  ranking=[("out_of_scope", 0.99)]))
    assert [m["response"] for m in messages] == ["utter_emergency"]
    assert not any(m.get("buttons") for m in messages)


def test_a_known_topic_is_asked_back_with_buttons():
    messages, events = run(ActionOutOfScope(), tracker("bis zu welcher entgeltgruppe?",
                                                       ranking=[("out_of_scope", 0.6), ("ask_funding_amount", 0.05)]))
    assert messages[0]["response"] == "utter_clarify"
    payloads = [b["payload"] for b in messages[0]["buttons"]]
    assert payloads[0] == "/ask_funding_amount" and payloads[-1] == "/nlu_fallback"
    assert slots_of(events) == {"fallback_count": 1.0}


def test_a_follow_up_uses_the_answer_just_given():
    messages, _ = run(ActionOutOfScope(), tracker("und die wand selber also bau der fläche, farben, gerüst?",
                                                  ranking=[("out_of_scope", 0.9)],
                                                  slots={"last_knowledge_id": "funding_fields"}))
    assert messages[0]["response"] == "utter_clarify"
    assert {"title": "Was wird gefördert?", "payload": "/ask_funding_fields"} in messages[0]["buttons"]


def test_real_out_of_scope_gets_the_out_of_scope_answer_and_topics():
    messages, events = run(ActionOutOfScope(), tracker("Wie beantrage ich Kindergeld?", ranking=[("out_of_scope", 0.99)]))
    assert [m["response"] for m in messages] == ["utter_out_of_scope", "utter_topics"]
    assert slots_of(events) == {"fallback_count": 0.0}


def test_asskomm_in_another_land_is_answered_as_outside_saxony():
    messages, _ = run(ActionOutOfScope(), tracker("Gibt es ASSKomm auch in Bayern?", ranking=[("out_of_scope", 0.7)]))
    assert messages[0]["response"] == "utter_outside_saxony" and messages[0]["other_land"] == "Bayern"


@pytest.mark.parametrize("text, responses", [
    ("/foo", ["utter_unknown_command", "utter_topics"]),
    ("/hilfe", ["utter_capabilities", "utter_topics"]),
])
def test_typed_commands(text, responses):
    messages, _ = run(ActionOutOfScope(), tracker(text, ranking=[("out_of_scope", 0.8)]))
    assert [m["response"] for m in messages] == responses


def test_stop_command_ends_a_running_form_without_saving():
    messages, events = run(ActionOutOfScope(), tracker("/stop", ranking=[("out_of_scope", 0.8)], loop="join_form"))
    assert "nichts gespeichert" in messages[0]["text"]
    assert any(e.get("event") == "active_loop" and e.get("name") is None for e in events)


def test_outside_saxony_names_the_land_from_the_message_or_the_slot():
    messages, _ = run(ActionOutsideSaxony(), tracker("Wir sind Gera in Thüringen, wie treten wir bei?",
                                                     intent="ask_join_process"))
    assert messages[0]["response"] == "utter_outside_saxony" and messages[0]["other_land"] == "Thüringen"
    messages, _ = run(ActionOutsideSaxony(), tracker("und wie geht das?", intent="ask_join_process",
                                                     slots={"other_land": "Bayern"}))
    assert messages[0]["other_land"] == "Bayern"


def test_the_other_land_slot_is_set_and_cleared():
    _, events = run(ActionDetectOtherLand(), tracker("Wir aus dem Saarland wollen mitmachen", intent="ask_join_process"))
    assert slots_of(events) == {"other_land": "Saarland"}
    _, events = run(ActionDetectOtherLand(), tracker("Wie kann Werdau mitmachen?", intent="ask_join_process"))
    assert slots_of(events) == {"other_land": None}


def test_clarify_puts_an_unplaced_emergency_first():
    messages, events = run(ActionClarify(), tracker("Einbruch", intent="nlu_fallback",
                                                    ranking=[("nlu_fallback", 0.45), ("ask_join_process", 0.3)]))
    assert [m["response"] for m in messages] == ["utter_emergency"]


def test_clarify_still_counts_nichts_davon():
    messages, events = run(ActionClarify(), tracker("/nlu_fallback", intent="nlu_fallback", ranking=[("nlu_fallback", 1.0)],
                                                    slots={"fallback_count": 1.0}))
    assert messages[0]["response"] == "utter_clarify_failed"


def test_clarify_says_110_112_first_when_the_nlu_hints_at_an_emergency():
    messages, _ = run(ActionClarify(), tracker("er steht schon wieder vor der tür", intent="nlu_fallback",
                                               ranking=[("nlu_fallback", 0.45), ("emergency", 0.3), ("ask_join_process", 0.2)]))
    assert messages[0]["response"] == "utter_emergency"
    assert messages[1]["response"] == "utter_clarify"  # and then asks back as usual


def test_clarify_without_any_hint_of_an_emergency_does_not_mention_it():
    messages, _ = run(ActionClarify(), tracker("wegen dem geld", intent="nlu_fallback",
                                               ranking=[("nlu_fallback", 0.45), ("ask_funding", 0.3), ("emergency", 0.01)]))
    assert all(m.get("response") != "utter_emergency" for m in messages)


def test_a_commune_of_another_land_the_nlu_could_not_place_is_told_asskomm_is_saxon():
    import asyncio

    from rasa_sdk.executor import CollectingDispatcher

    from actions.fallback import ActionClarify
    from tests.conftest import make_tracker

    tracker = make_tracker("Wir sind die Stadt Gera in Thüringen, können wir bei ASSKomm mitmachen?", "nlu_fallback",
                           confidence=0.38)
    tracker.latest_message["intent_ranking"] = [{"name": "nlu_fallback", "confidence": 0.4},
                                                {"name": "ask_join_process", "confidence": 0.38}]
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionClarify().run(dispatcher, tracker, {}))
    assert [m.get("response") for m in dispatcher.messages] == ["utter_outside_saxony"]
    assert dispatcher.messages[0]["other_land"] == "Thüringen"


def test_an_unsure_message_whose_best_guess_is_out_of_scope_gets_the_scope_rule():
    ranking = [("nlu_fallback", 0.4), ("out_of_scope", 0.39), ("ask_funding_fields", 0.05)]
    messages, _ = run(ActionClarify(), tracker("Mein Fernseher geht nicht mehr an", intent="nlu_fallback",
                                               ranking=ranking))
    assert [m["response"] for m in messages] == ["utter_out_of_scope", "utter_topics"]
    # a message that names a topic the bot knows is still asked back
    messages, _ = run(ActionClarify(), tracker("gibt es förderung für meinen fernseher", intent="nlu_fallback",
                                               ranking=ranking))
    assert messages[0]["response"] == "utter_clarify"
    assert "/ask_funding_fields" in [b["payload"] for b in messages[0]["buttons"]]


def test_an_unsure_message_with_an_emergency_hint_gets_the_110_line_once():
    ranking = [("nlu_fallback", 0.4), ("out_of_scope", 0.32), ("emergency", 0.3)]
    messages, _ = run(ActionClarify(), tracker("da ist so ein komischer geruch im flur", intent="nlu_fallback",
                                               ranking=ranking))
    assert [m["response"] for m in messages].count("utter_emergency") == 1
