"""bot/deployment/replay_cache.py carries a conversation's applied events, its copy and the
trackers before each action over from one call to the next. On random conversations over the
bot's own domain (forms run, rejected, interrupted and ended; rewinds, undone actions, restarts,
new sessions, follow-up actions, hidden rule turns, the featurization flag Rasa sets on user
messages), after every event, the carried-over values must be Rasa's own:
`DialogueStateTracker.applied_events` (the same event objects), `copy()`, and the tail of
`Domain.states_for_tracker_history` (through the policy window), also when the cache was
dropped, the conversation was read again from its stored events (another replica), other
conversations pushed it out of the cache, or the processor's temporary copy with more events
came in between."""
import random

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActionExecutionRejected,
    ActionReverted,
    ActiveLoop,
    AllSlotsReset,
    BotUttered,
    DefinePrevUserUtteredFeaturization,
    FollowupAction,
    LoopInterrupted,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from bot.deployment import replay_cache
from bot.deployment.policy_window import recent_states
from tests.conftest import ROOT

RULE_ONLY = {"rule_only_slots": ["app_offer"], "rule_only_loops": ["status_form"]}


@pytest.fixture(scope="module")
def domain():
    return Domain.load(str(ROOT / "domain.yml"))


@pytest.fixture
def cached(monkeypatch):
    """applied_events and copy carried over, as in the running bot, with empty caches."""
    replay_cache.forget_all()
    monkeypatch.setattr(DialogueStateTracker, "applied_events", replay_cache.applied_events)
    monkeypatch.setattr(DialogueStateTracker, "copy", replay_cache.copy_tracker)
    yield
    replay_cache.forget_all()


def assert_same_tracker(copied: DialogueStateTracker, reference: DialogueStateTracker) -> None:
    """Every attribute equal; the events the same objects; the slots equal slot by slot."""
    assert vars(copied).keys() == vars(reference).keys()
    for name, value in vars(reference).items():
        if name == "events":
            assert list(map(id, copied.events)) == list(map(id, value))
            assert copied.events.maxlen == value.maxlen
        elif name == "slots":
            assert value.keys() == copied.slots.keys()
            for slot_name, slot in value.items():
                assert copied.slots[slot_name] is not slot
                assert vars(copied.slots[slot_name]) == vars(slot), slot_name
        else:
            assert getattr(copied, name) == value, name


class Conversation:
    """A random walk through plausible events of the bot's domain."""

    def __init__(self, domain: Domain, seed: int) -> None:
        self.random = random.Random(seed)
        self.domain = domain
        self.intents = sorted(domain.intents)
        self.utterances = sorted(name for name in domain.action_names_or_texts if name.startswith("utter_"))
        self.actions = sorted(domain.user_actions)
        self.forms = sorted(domain.form_names)
        self.slots = [slot for slot in domain.slots if slot.name != "requested_slot"]

    def _value(self, slot):
        values = getattr(slot, "values", None)
        if values:
            return self.random.choice([*values, None])
        if slot.type_name == "bool":
            return self.random.choice([True, False, None])
        if slot.type_name == "float":
            return self.random.choice([0.0, 1.0, 2.0, None])
        return self.random.choice(["Werdau", "12.000 Euro", "2027", None])

    def user(self) -> UserUttered:
        intent = self.random.choice(self.intents)
        entities = [{"entity": "commune", "value": "Werdau", "start": 0, "end": 6}] if self.random.random() < 0.2 else []
        return UserUttered(f"text {intent}", {"name": intent, "confidence": 0.9}, entities)

    def turn(self, form):
        """The events of one turn; `form` is the form running before it (or None)."""
        pick = self.random.random
        events = [self.user()]
        # as the processor logs it with the first prediction of a turn; rarely an end-to-end
        # prediction, or a second one after a rejected action (two values for one message)
        if pick() < 0.9:
            events.append(DefinePrevUserUtteredFeaturization(pick() < 0.03))
            if pick() < 0.02:
                events.append(DefinePrevUserUtteredFeaturization(pick() < 0.5))
        for _ in range(self.random.randint(0, 3)):
            if form and pick() < 0.6:
                events.append(ActionExecuted(form))
                if pick() < 0.15:
                    events.append(ActionExecutionRejected(form))
                elif pick() < 0.25:
                    events += [ActiveLoop(None), SlotSet("requested_slot", None)]
                    form = None
                else:
                    events += [SlotSet(self.random.choice(self.slots).name, "x"), BotUttered("Frage")]
                    break
            elif pick() < 0.2:
                form = self.random.choice(self.forms)
                events += [ActionExecuted(form), ActiveLoop(form), SlotSet("requested_slot", "app_name")]
                break
            else:
                name = self.random.choice(self.utterances + self.actions)
                events.append(ActionExecuted(name, hide_rule_turn=pick() < 0.2))
                if pick() < 0.4:
                    slot = self.random.choice(self.slots)
                    events.append(SlotSet(slot.name, self._value(slot)))
                events.append(BotUttered("Antwort"))
                if form and pick() < 0.3:
                    events.append(LoopInterrupted(True))
        extra = pick()
        if extra < 0.05:
            events.append(UserUtteranceReverted())
        elif extra < 0.08:
            events.append(ActionReverted())
        elif extra < 0.10:
            events += [Restarted(), ActionExecuted("action_listen")]
            form = None
        elif extra < 0.12:
            events += [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")]
        elif extra < 0.14:
            events.append(AllSlotsReset())
        elif extra < 0.16:
            events.append(FollowupAction(self.random.choice(self.utterances)))
        events.append(ActionExecuted("action_listen"))
        return events, form

    def events(self, turns: int):
        events = [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")]
        form = None
        for _ in range(turns):
            more, form = self.turn(form)
            events += more
        return events


def assert_as_rasa(domain: Domain, tracker: DialogueStateTracker, compared: dict) -> None:
    cached_applied = tracker.applied_events()
    copied = tracker.copy()
    windows = {(keep, ml): recent_states(domain, tracker, keep, ignore_rule_only_turns=ml,
                                         rule_only_data=RULE_ONLY if ml else None)
               for keep, ml in ((4, True), (2, True), (9, False), (25, False))}
    with replay_cache.rasas_own():
        applied = tracker.applied_events()
        assert_same_tracker(copied, tracker.copy())
        full = {ml: domain.states_for_tracker_history(tracker, ignore_rule_only_turns=ml,
                                                      rule_only_data=RULE_ONLY if ml else None)
                for ml in (True, False)}
    assert len(cached_applied) == len(applied)
    assert all(map(lambda a, b: a is b, cached_applied, applied))
    for (keep, ml), window in windows.items():
        assert len(window) >= min(keep, len(full[ml]))
        assert full[ml][len(full[ml]) - len(window):] == window, (keep, ml, len(tracker.events))
        compared["shorter"] += len(window) < len(full[ml])
    compared["events"] += 1


@pytest.mark.parametrize("seed", range(6))
def test_one_conversation_updated_in_place(domain, cached, seed):
    """As the running bot: the tracker store hands the same tracker back, events are added."""
    compared = {"events": 0, "shorter": 0}
    tracker = DialogueStateTracker("sender", domain.slots)
    for event in Conversation(domain, seed).events(60):
        tracker.update(event)
        assert_as_rasa(domain, tracker, compared)
    assert compared["shorter"] > compared["events"]  # the windows were shorter than the history


def test_dropped_cache_reloaded_tracker_and_other_conversations(domain, cached, monkeypatch):
    """The cache is dropped, the conversation comes back from the database as new objects (it
    moved to another replica and back), other conversations push it out of a small cache, and
    the processor's temporary copy with the predicted events comes in between."""
    monkeypatch.setattr(replay_cache, "KEPT_CONVERSATIONS", 1)
    compared = {"events": 0, "shorter": 0}
    chooser = random.Random(7)
    trackers = {name: DialogueStateTracker(name, domain.slots) for name in ("first", "second")}
    streams = {name: iter(Conversation(domain, seed).events(50)) for seed, name in enumerate(trackers)}
    reloaded = dropped = copies = 0
    for _ in range(400):
        name = chooser.choice(sorted(trackers))
        event = next(streams[name], None)
        if event is None:
            continue
        tracker = trackers[name]
        tracker.update(event)
        luck = chooser.random()
        if luck < 0.03:
            replay_cache.forget_all()
            dropped += 1
        elif luck < 0.06:
            tracker = trackers[name] = DialogueStateTracker.from_dict(
                name, [e.as_dict() for e in tracker.events], domain.slots)
            reloaded += 1
        elif luck < 0.12:
            temporary = tracker.copy()
            # changed in place: the active loop of the copy, its slots
            temporary.update_with_events([LoopInterrupted(True), ActionExecutionRejected(temporary.active_loop_name),
                                          SlotSet("app_offer", "join_form"), ActiveLoop("join_form")], domain)
            assert_as_rasa(domain, temporary, compared)
            copies += 1
        assert_as_rasa(domain, tracker, compared)
    assert dropped and reloaded and copies
    assert compared["shorter"] > 0


def test_restart_and_rewind_go_back(domain, cached):
    """After a rewind the applied events are shorter than at the last call, after a restart
    empty: both come out as Rasa computes them, then the conversation goes on."""
    tracker = DialogueStateTracker("rewind", domain.slots)
    conversation = Conversation(domain, 11)
    compared = {"events": 0, "shorter": 0}
    for event in conversation.events(30):
        tracker.update(event)
    assert_as_rasa(domain, tracker, compared)
    before = len(tracker.applied_events())
    tracker.update(UserUtteranceReverted())
    assert len(tracker.applied_events()) < before
    assert_as_rasa(domain, tracker, compared)
    tracker.update(Restarted())
    assert tracker.applied_events() == []
    assert_as_rasa(domain, tracker, compared)
    for event in conversation.events(5):
        tracker.update(event)
        assert_as_rasa(domain, tracker, compared)


def test_memory_stays_bounded(domain, cached):
    tracker = DialogueStateTracker("long", domain.slots)
    conversation = Conversation(domain, 3)
    for _ in range(150):
        for event in (conversation.user(), ActionExecuted("utter_greet"), BotUttered("Hallo"),
                      ActionExecuted("action_listen")):
            tracker.update(event)
            recent_states(domain, tracker, 4, ignore_rule_only_turns=True, rule_only_data=RULE_ONLY)
    history = replay_cache._history_cache["long"]
    assert len(history.snapshots) <= replay_cache.KEPT_SNAPSHOTS
    assert sum(record.state is not None for record in history.records) <= replay_cache.KEPT_STATES
    assert len(history.records) > replay_cache.KEPT_STATES
    for number in range(replay_cache.KEPT_CONVERSATIONS + 5):
        other = DialogueStateTracker(f"other-{number}", domain.slots)
        other.update(ActionExecuted("action_listen"))
        recent_states(domain, other, 4)
    assert len(replay_cache._history_cache) == replay_cache.KEPT_CONVERSATIONS
    assert len(replay_cache._applied_cache) == replay_cache.KEPT_CONVERSATIONS
    assert "long" not in replay_cache._history_cache
