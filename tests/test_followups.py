"""Follow-ups are answered for the topic just discussed (bot/conversation/followups.py)."""
import pytest

from bot.conversation.followups import Resolution, resolve
from bot.knowledge import KnowledgeBase
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def kb():
    return KnowledgeBase.from_directory(ROOT / "knowledge")


@pytest.mark.parametrize("intent,topic,entry", [
    ("followup_cost", "study", "study_cost"),
    ("followup_cost", "joining", "join_cost"),
    ("followup_duration", "study", "study_duration"),
    ("followup_who", "funding", "funding_eligibility"),
    ("followup_how", "funding", "funding_application"),
    ("followup_when", "funding", "funding_deadline"),
    ("followup_when", "asskomm", "asskomm_start"),
    ("followup_what", "council", "prevention_council"),
    ("followup_how", "council", "council_founding"),  # "und wie gründet man den?"
    ("followup_contact", "study", "study_contact"),
    # no entry of its own: the general answer
    ("followup_contact", "joining", "contact"),
    ("followup_funding", "coaching", "funding"),
])
def test_a_follow_up_gets_the_entry_of_the_current_topic(kb, intent, topic, entry):
    assert resolve(kb, intent, "Und?", topic) == Resolution(entry_id=entry)


@pytest.mark.parametrize("intent,question", [
    ("followup_when", "since"),
    ("followup_what", "membership"),
])
def test_a_follow_up_about_a_commune_asks_the_commune_question(kb, intent, question):
    assert resolve(kb, intent, "Und seit wann?", "commune") == Resolution(commune_question=question)


def test_cost_after_a_commune_is_the_cost_of_joining(kb):
    assert resolve(kb, "followup_cost", "Was kostet das?", "commune") == Resolution(entry_id="join_cost")


def test_an_aspect_the_sources_do_not_cover_is_said_so(kb):
    assert resolve(kb, "followup_duration", "Wie lange dauert das?", "funding") == Resolution(
        unanswered_topic="funding")


def test_a_follow_up_without_a_topic_asks_back(kb):
    assert resolve(kb, "followup_cost", "Was kostet das?", None) == Resolution(ask_aspect="cost")


def test_a_short_question_the_nlu_put_under_another_topic_follows_the_conversation(kb):
    # "Was kostet das?" classified as the study's cost while joining was discussed
    assert resolve(kb, "ask_study_cost", "Was kostet das?", "joining") == Resolution(entry_id="join_cost")


@pytest.mark.parametrize("text", [
    "Was kostet das Studium?",  # names its topic
    "Ich möchte gern wissen, was mich das ganze Studium am Ende insgesamt kosten wird",  # long
])
def test_a_question_that_names_its_topic_or_is_long_keeps_its_own_answer(kb, text):
    assert resolve(kb, "ask_study_cost", text, "joining") == Resolution(entry_id="study_cost")


def test_without_context_the_intent_decides(kb):
    assert resolve(kb, "ask_join_cost", "Was kostet das?", None) == Resolution(entry_id="join_cost")


def ranking(*pairs):
    return [{"name": "nlu_fallback", "confidence": 0.45}] + [{"name": n, "confidence": c} for n, c in pairs]


def test_an_unsure_follow_up_is_answered_when_the_context_makes_it_clear(kb):
    from bot.conversation.followups import unsure_followup

    assert unsure_followup(kb, ranking(("followup_how", 0.4), ("ask_study", 0.2)), "und wie macht man das?",
                           "funding") == Resolution(entry_id="funding_application")


@pytest.mark.parametrize("pairs,text,topic", [
    ([("followup_how", 0.4)], "und wie macht man das?", None),  # no context
    ([("followup_how", 0.15)], "und wie macht man das?", "funding"),  # too unsure
    ([("greet", 0.6)], "moin", "funding"),  # not a question about a topic
    ([("followup_how", 0.6)], "ich hätte da mal eine ganz lange Frage zu etwas ganz anderem", "funding"),
])
def test_an_unsure_message_is_not_taken_for_a_follow_up_without_reason(kb, pairs, text, topic):
    from bot.conversation.followups import unsure_followup

    assert unsure_followup(kb, ranking(*pairs), text, topic) is None
