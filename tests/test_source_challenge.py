"""Challenge questions after an answer ("Woher haben Sie das?", "Stimmt das noch?"): the
action with real rasa-sdk trackers, the real knowledge base and a seeded commune database."""
import asyncio

import pytest
from rasa_sdk.executor import CollectingDispatcher

import actions.sources as source_actions
from bot.communes.programme import shared_programme_facts
from bot.knowledge import shared_knowledge_base
from tests.conftest import make_tracker


@pytest.fixture(autouse=True)
def repository(seeded_repository, monkeypatch):
    monkeypatch.setattr(source_actions, "shared_repository", lambda: seeded_repository)
    return seeded_repository


def challenge(text: str = "Woher haben Sie das?", **slots):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(source_actions.ActionNameSource().run(
        dispatcher, make_tracker(text, "challenge_source", slots=slots), {}))
    return dispatcher.messages, events


@pytest.mark.parametrize("entry_id", ["funding_amount", "contact", "member_count"])
def test_after_an_answer_its_sources_and_stand_are_named(entry_id):
    entry = shared_knowledge_base().get().entries[entry_id]
    messages, events = challenge("ist die Zahl aktuell?", last_knowledge_id=entry_id, current_topic=entry.topic)
    text = messages[0]["text"]
    assert f"„{entry.title}“" in text
    for source in entry.sources:
        assert source.title in text and f"Stand: {source.stand_german()}" in text
    assert "Landespräventionsrat" in text and messages[0]["buttons"][0]["payload"] == "/ask_contact"
    assert events == []  # the conversation stays on the answer just given


def test_after_a_membership_answer_the_commune_source_is_named(repository):
    niesky = repository.matcher().resolve("Niesky").commune.ags
    m = repository.info(niesky).membership
    messages, _ = challenge(commune_ags=niesky, current_topic="commune", commune_last_question="membership",
                            last_knowledge_id="funding_amount")
    text = messages[0]["text"]
    assert "zu Niesky" in text and m.source_title in text
    assert "RL KommPräv" not in text  # not the sources of the knowledge answer given before


def test_after_a_facts_answer_the_commune_register_is_named(repository):
    werdau = repository.matcher().resolve("Werdau").commune.ags
    messages, _ = challenge(commune_ags=werdau, current_topic="commune", commune_last_question="facts")
    assert shared_programme_facts().get().commune_register.title in messages[0]["text"]


def test_without_an_answer_before_the_bot_says_where_its_answers_come_from_and_whom_to_ask():
    messages, events = challenge("Quelle?")
    assert "keine Angabe genannt" in messages[0]["text"] and "asskomm.sachsen.de" in messages[0]["text"]
    contact = shared_knowledge_base().get().entries["contact"]
    assert messages[1]["text"].startswith(contact.answer)
    assert {"event": "slot", "name": "last_knowledge_id", "value": "contact", "timestamp": None} in events


def test_a_commune_without_known_membership_has_no_source_to_name(repository):
    dresden = repository.matcher().resolve("Dresden").commune.ags
    messages, _ = challenge(commune_ags=dresden, current_topic="commune", commune_last_question="membership")
    assert "keine Angabe genannt" in messages[0]["text"]
