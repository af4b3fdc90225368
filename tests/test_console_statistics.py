"""Which messages the console counts as not understood, read from what Rasa's SQLTrackerStore wrote.

Found in the user trial (issue 13): a form's free-text answers (a name, a function, a project)
have no intent, so NLU says nlu_fallback, and the statistics listed "[Name]" and "[E-Mail]" as
questions the bot did not understand although the form took them as answers.
"""
from __future__ import annotations

import asyncio

from sqlalchemy import create_engine

from bot.console import conversations


def _user(text: str, intent: str):
    from rasa.shared.core.events import UserUttered
    return UserUttered(text, intent={"name": intent, "confidence": 0.4},
                       parse_data={"intent": {"name": intent, "confidence": 0.4}, "entities": [], "text": text},
                       input_channel="rest")


def _store(tmp_path, trackers) -> str:
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain
    path = tmp_path / "tracker.db"
    store = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(path))

    async def save_all():
        for tracker in trackers:
            await store.save(tracker)
    asyncio.run(save_all())
    return f"sqlite:///{path}"


def _tracker(sender: str, events: list):
    from rasa.shared.core.events import ActionExecuted, SessionStarted
    from rasa.shared.core.trackers import DialogueStateTracker
    start = [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")]
    return DialogueStateTracker.from_events(sender, start + events)


def test_a_free_text_answer_the_form_takes_is_understood_and_a_real_miss_is_not(tmp_path):
    from rasa.shared.core.events import ActionExecuted, ActiveLoop, BotUttered
    form_run = _tracker("mit-formular", [
        _user("Wir möchten beitreten", "request_join"), ActionExecuted("join_form"), ActiveLoop("join_form"),
        ActionExecuted("action_listen"),
        _user("Sabine Körner", "nlu_fallback"), ActionExecuted("join_form"), ActionExecuted("action_listen"),
        # inside the form, but the bot could not use it: still not understood
        _user("blubb wie bitte", "nlu_fallback"), ActionExecuted("action_default_fallback"),
        ActionExecuted("action_listen"),
        _user("ja", "affirm"), ActionExecuted("join_form"), ActiveLoop(None),
        ActionExecuted("action_submit_application"), ActionExecuted("action_listen"),
        # after the form: a name alone is no answer to anything
        _user("Julia Wendt", "nlu_fallback"), ActionExecuted("action_clarify"),
        BotUttered("Ich bin nicht sicher, ob ich Sie richtig verstanden habe."), ActionExecuted("action_listen"),
    ])
    url = _store(tmp_path, [form_run])
    engine = create_engine(url)

    stats = conversations.statistics(engine)
    assert (stats.messages, stats.fallbacks) == (5, 2)
    assert dict(stats.not_understood) == {"blubb wie bitte": 1, "Julia Wendt": 1}
    assert stats.forms_started == 1 and stats.forms_completed == 1
    [talk] = conversations.conversations(engine)
    assert talk.fallbacks == 2 and talk.outcome == "Formular abgeschickt"


def test_a_message_without_intent_outside_a_form_stays_not_understood(tmp_path):
    from rasa.shared.core.events import ActionExecuted
    lost = _tracker("ohne-formular", [
        _user("Schreiben Sie an max@example.org", "nlu_fallback"), ActionExecuted("action_clarify"),
        ActionExecuted("action_listen"),
    ])
    stats = conversations.statistics(create_engine(_store(tmp_path, [lost])))
    assert stats.fallbacks == 1 and stats.understood_share == 0
    assert stats.not_understood == [("Schreiben Sie an [E-Mail]", 1)]
