"""The policies predict from a window of the last states (bot/deployment/policy_window.py):
on real conversations of the running bot (forms, corrections, digressions, out of scope), at
every point where Rasa predicted an action, the window gives the states and predictions of
Rasa's full computation."""
import json
import sqlite3
from contextlib import contextmanager

import pytest
import requests

from tests.conftest import bot_running

pytestmark = pytest.mark.integration

# One long conversation: questions, a commune with a choice, the funding enquiry with
# corrections and a question mid-form, the study form left, out of scope, small talk.
MESSAGES = [
    "hallo", "Was ist ASSKomm?", "Ist Oelsnitz dabei?", "die im erzgebirge", "und seit wann?",
    "Was wird gefördert?", "Ich möchte eine Förderung anfragen", "Werdau", "Graffiti-Projekt an der Schule",
    "was heißt eigentlich sachkosten?", "ja weiter", "12.000 Euro", "moment, die kosten sind 23.000 euro",
    "2027", "abbrechen", "Ich will Präventionsmanagement studieren", "nee doch nur infos",
    "Was kostet das Studium?", "Wie melde ich mich beim Finanzamt an?", "danke", "Woher haben Sie das?",
    "/stop", "Wie tritt eine Gemeinde bei?", "ok", "tschüss",
]


@pytest.fixture(scope="module")
def long_conversation(trained_model, tmp_path_factory):
    state = tmp_path_factory.mktemp("window")
    with bot_running(trained_model, state, rate_limit_per_sender=0) as (settings, _):
        url = f"http://localhost:{settings.rasa_port}/webhooks/rest/webhook"
        for _ in range(2):  # 50 turns: the window is far shorter than the conversation
            for text in MESSAGES:
                reply = requests.post(url, json={"sender": "window-test", "message": text}, timeout=120)
                assert reply.status_code == 200, (text, reply.text)
    with sqlite3.connect(state / "tracker.db") as db:
        rows = db.execute("SELECT data FROM events WHERE sender_id = ? ORDER BY id", ("window-test",)).fetchall()
    return [json.loads(data) for (data,) in rows]


@pytest.fixture(scope="module")
def agent(trained_model):
    from rasa.core.agent import Agent

    return Agent.load(str(trained_model))


def _policies(agent):
    from rasa.core.policies.memoization import MemoizationPolicy

    nodes = agent.processor.graph_runner._instantiated_nodes.values()
    found = [node._component for node in nodes if isinstance(node._component, MemoizationPolicy)]
    assert {type(p).__name__ for p in found} == {"RulePolicy", "MemoizationPolicy"}
    return found


def _prefixes(agent, events):
    """The tracker before every action Rasa predicted (what the policies saw)."""
    from rasa.shared.core.events import ActionExecuted, Event
    from rasa.shared.core.trackers import DialogueStateTracker

    parsed = [Event.from_parameters(e) for e in events]
    for end, event in enumerate(parsed):
        if isinstance(event, ActionExecuted) and end > 3:
            yield DialogueStateTracker.from_events("window-test", parsed[:end], agent.domain.slots)


@contextmanager
def _prediction_states(function):
    """MemoizationPolicy (and RulePolicy, which inherits it) predicts with `function`."""
    from rasa.core.policies.memoization import MemoizationPolicy

    before = MemoizationPolicy.__dict__.get("_prediction_states")
    MemoizationPolicy._prediction_states = function
    try:
        yield
    finally:
        if before is None:
            del MemoizationPolicy._prediction_states
        else:
            MemoizationPolicy._prediction_states = before


def test_the_window_gives_rasas_states_and_predictions(agent, long_conversation):
    """Also with the replay carried over between predictions (bot/deployment/replay_cache.py),
    which is dropped now and then: the conversation is then resumed from its start."""
    from rasa.core.policies.policy import Policy
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot.deployment import replay_cache
    from bot.deployment.policy_window import _windowed_prediction_states, states_read

    rasas = Policy._prediction_states
    policies = _policies(agent)
    rule_policy = next(p for p in policies if type(p).__name__ == "RulePolicy")
    assert 0 < states_read(rule_policy) < 40
    assert sum(1 for e in long_conversation if e["event"] == "user") >= 48
    compared = shortened = 0
    rule_only = rule_policy._get_rule_only_data()
    replay_cache.forget_all()
    cached = DialogueStateTracker.applied_events, DialogueStateTracker.copy
    DialogueStateTracker.applied_events = replay_cache.applied_events
    DialogueStateTracker.copy = replay_cache.copy_tracker
    for number, tracker in enumerate(_prefixes(agent, long_conversation)):
        if number % 17 == 16:
            replay_cache.forget_all()
        for policy in policies:
            for use_text in (False, True):
                with replay_cache.rasas_own():
                    full = rasas(policy, tracker, agent.domain, use_text, rule_only_data=rule_only)
                window = _windowed_prediction_states(policy, tracker, agent.domain, use_text, rule_only_data=rule_only)
                assert window, "no states"
                assert full[-len(window):] == window, (type(policy).__name__, len(tracker.events))
                if type(policy).__name__ == "RulePolicy":
                    shortened += len(window) < len(full)
                if type(policy).__name__ == "MemoizationPolicy":
                    assert full == window
            with _prediction_states(rasas), replay_cache.rasas_own():
                reference = policy.predict_action_probabilities(tracker, agent.domain, rule_only_data=rule_only)
            with _prediction_states(_windowed_prediction_states):
                windowed = policy.predict_action_probabilities(tracker, agent.domain, rule_only_data=rule_only)
            assert windowed.probabilities == reference.probabilities
            assert windowed.events == reference.events
            compared += 1
    DialogueStateTracker.applied_events, DialogueStateTracker.copy = cached
    replay_cache.forget_all()
    assert compared > 200
    # for RulePolicy (2 comparisons per tracker, compared counts 2 per tracker too), most
    # were where the window is shorter than the conversation
    assert shortened > compared / 2


def test_the_running_bot_predicts_from_the_window():
    from rasa.core.policies.memoization import MemoizationPolicy
    from rasa.core.policies.rule_policy import RulePolicy
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot.deployment import rasa_process, replay_cache

    with _prediction_states(MemoizationPolicy._prediction_states), replay_cache.rasas_own():
        rasa_process.apply_fixes()
        assert getattr(RulePolicy._prediction_states, "windowed", False)
        assert DialogueStateTracker.applied_events is replay_cache.applied_events
        assert DialogueStateTracker.copy is replay_cache.copy_tracker
        patched = MemoizationPolicy._prediction_states
        rasa_process.apply_fixes()  # a second call changes nothing
        assert MemoizationPolicy._prediction_states is patched
