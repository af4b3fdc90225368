"""Follow-ups are answered for the topic just discussed (bot/conversation/followups.py)."""
import pytest

from bot.conversation.followups import Resolution, is_followup, resolve, unsure_followup
from bot.knowledge import KnowledgeBase
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def kb():
    return KnowledgeBase.from_directory(ROOT / "knowledge")


# The intent is the one the NLU gives the follow-up without context (data/nlu/followups.yml).
@pytest.mark.parametrize("intent,text,topic,entry", [
    ("ask_join_cost", "Was kostet das?", "study", "study_cost"),
    ("ask_study_cost", "Was kostet das?", "joining", "join_cost"),
    ("ask_study_duration", "Wie lange dauert das?", "study", "study_duration"),
    ("ask_funding_eligibility", "Und für Vereine?", "funding", "funding_eligibility"),
    ("ask_join_process", "Wie beantragt man das?", "funding", "funding_application"),
    ("ask_asskomm_start", "Bis wann?", "funding", "funding_deadline"),
    ("ask_what_is_asskomm", "Was heißt das genau?", "council", "prevention_council"),
    ("ask_join_process", "und wie gründet man den?", "council", "council_founding"),
    ("ask_contact", "An wen wende ich mich da?", "study", "study_contact"),
    # no entry of its own: the general answer
    ("ask_contact", "An wen wende ich mich da?", "joining", "contact"),
    ("ask_funding", "Gibt es dafür Geld?", "coaching", "funding"),
    ("ask_funding", "Gibt es dafür Geld?", "council", "council_founding"),
])
def test_a_follow_up_gets_the_entry_of_the_current_topic(kb, intent, text, topic, entry):
    assert resolve(kb, intent, text, topic) == Resolution(entry_id=entry)


@pytest.mark.parametrize("intent,text,question", [
    ("ask_asskomm_start", "Und seit wann?", "since"),
    ("ask_what_is_asskomm", "Was ist mit denen?", "membership"),
])
def test_a_follow_up_about_a_commune_asks_the_commune_question(kb, intent, text, question):
    assert resolve(kb, intent, text, "commune") == Resolution(commune_question=question)


def test_cost_after_a_commune_is_the_cost_of_joining(kb):
    assert resolve(kb, "ask_study_cost", "Was kostet das?", "commune") == Resolution(entry_id="join_cost")


def test_an_aspect_the_sources_do_not_cover_is_said_so(kb):
    assert resolve(kb, "ask_study_duration", "Wie lange dauert das?", "funding") == Resolution(
        unanswered_topic="funding")


@pytest.mark.parametrize("text", [
    "Was kostet das Studium?",  # names its topic
    "Ich möchte gern wissen, was mich das ganze Studium am Ende insgesamt kosten wird",  # long
])
def test_a_question_that_names_its_topic_or_is_long_keeps_its_own_answer(kb, text):
    assert resolve(kb, "ask_study_cost", text, "joining") == Resolution(entry_id="study_cost")


@pytest.mark.parametrize("payload,entry", [("/ask_study", "study"), ("/ask_study_cost", "study_cost"),
                                           ("/ask_funding_deadline", "funding_deadline")])
def test_a_button_chosen_after_another_topic_gets_its_own_answer(kb, payload, entry):
    """Found in the user trial (issue 13): after the contact answer, the button "Studium
    Präventionsmanagement" (/ask_study, one word) was taken for a follow-up and answered with contact."""
    assert not is_followup(kb, payload)
    assert resolve(kb, payload.lstrip("/"), payload, "contact") == Resolution(entry_id=entry)


def test_without_context_the_intent_decides(kb):
    assert resolve(kb, "ask_join_cost", "Was kostet das?", None) == Resolution(entry_id="join_cost")


@pytest.mark.parametrize("text,follows", [
    ("Was kostet das?", True), ("Und seit wann?", True), ("Gibt es dafür Geld?", True), ("Bis wann?", True),
    ("und wie gründet man den?", True), ("seit wan", True),
    ("Wer ist der Geschäftsführer des Landespräventionsrats?", False),  # names no pointer back
    ("Wie viele Kommunen machen mit?", False),  # names the topic
    ("Wie lange dauert das Studium?", False),
])
def test_what_counts_as_a_follow_up(kb, text, follows):
    assert is_followup(kb, text) is follows


def ranking(*pairs):
    return [{"name": "nlu_fallback", "confidence": 0.45}] + [{"name": n, "confidence": c} for n, c in pairs]


def test_an_unsure_follow_up_is_answered_when_the_context_makes_it_clear(kb):
    assert unsure_followup(kb, ranking(("ask_join_process", 0.4), ("ask_study", 0.2)), "und wie macht man das?",
                           "funding") == Resolution(entry_id="funding_application")


@pytest.mark.parametrize("pairs,text,topic", [
    ([("ask_join_process", 0.4)], "und wie macht man das?", None),  # no context
    ([("ask_join_process", 0.15)], "und wie macht man das?", "funding"),  # too unsure
    ([("greet", 0.6)], "moin", "funding"),  # not a question about a topic
    ([("ask_join_process", 0.6)], "ich hätte da mal eine ganz lange Frage zu etwas ganz anderem", "funding"),
])
def test_an_unsure_message_is_not_taken_for_a_follow_up_without_reason(kb, pairs, text, topic):
    assert unsure_followup(kb, ranking(*pairs), text, topic) is None


@pytest.mark.parametrize("intent,text,topic,expected", [
    # persona trial 2026-11-30: got the study's duration
    ("ask_study_duration", "wie lang dauert das bis man drin ist", "commune",
     Resolution(unanswered_topic="joining")),
    ("ask_study_duration", "wie lang dauert das bis man drin ist", None, Resolution(unanswered_topic="joining")),
    ("ask_study_cost", "was kostet es, bis wir dabei sind?", "study", Resolution(entry_id="join_cost")),
])
def test_being_in_means_joining_whatever_the_intent_and_the_topic(kb, intent, text, topic, expected):
    resolution = resolve(kb, intent, text, topic)
    assert resolution == expected
    if expected.unanswered_topic:
        assert resolution.unanswered_aspect == "duration"


def test_a_question_naming_the_study_keeps_its_own_topic(kb):
    assert resolve(kb, "ask_study_duration", "wie lange dauert das studium bis man drin ist", None) == Resolution(
        entry_id="study_duration")


def test_the_question_word_of_a_follow_up_picks_the_entry_within_the_topic(kb):
    # persona trial 2026-11-30, after the funding deadline: read as who may apply
    assert resolve(kb, "ask_funding_eligibility", "und ab wann darf ich einreichen", "funding") == Resolution(
        entry_id="funding_deadline")
    # an entry that answers no aspect of its topic is no mistaken aspect: the history of the count
    assert resolve(kb, "ask_member_history", "und wie viele waren es 2023", "asskomm") == Resolution(
        entry_id="member_history")
    # a question of its own (long, or naming its topic) keeps the NLU's entry
    assert resolve(kb, "ask_funding_eligibility", "Wer darf ab wann einen Förderantrag stellen?", "funding") == \
        Resolution(entry_id="funding_eligibility")
