"""Rasa 3.6 recomputes a conversation's history from its first event several times per message:
`DialogueStateTracker.applied_events()` walks every event (and is called by the processor,
both policies and the actions), and the policies replay every applied event into a fresh
tracker to get the state before each action. Both grow with the conversation (issue 12: a
300-turn conversation answered 3.8× slower than a fresh one). Here both are carried forward
from the previous call of the same conversation instead, and give what Rasa's loops give:

- `applied_events(tracker)`: Rasa's loop (`DialogueStateTracker.applied_events`) run only over
  the events added since the last call. Its only state is the list built so far, and the set of
  form names, which Rasa takes from all events: when a new event names a form not seen before,
  everything is recomputed.
- `prior_records(tracker, domain, applied)`: what `DialogueStateTracker.generate_all_prior_trackers`
  yields, as records (the attributes `Domain.states_for_tracker_history` reads, and the state),
  continued from the replay tracker of the last call. When the applied events shrank (a form's
  happy path drops its earlier turns, a rewind), the replay restarts from a copy of the replay
  tracker kept at one of the last actions; further back, everything is replayed.

A call continues only from events that are the very same objects as last time (compared by
identity, in order, from the first event): a tracker read again from the database (another
replica answered in between, a restart of this process, the LRU dropped it) or one whose oldest
events were cut off has new objects and is computed from its start, as Rasa does. Restarts and
new sessions are events like any other (Rasa's loop empties the applied list there). At most
`KEPT_CONVERSATIONS` conversations are kept per cache (least recently used dropped), and per
conversation only the last `KEPT_STATES` states and `KEPT_SNAPSHOTS` replay copies.

Only plain `DialogueStateTracker`s of real conversations are cached (not rule or training
trackers), and only without the events whose `apply_to` changes an event object in place
(`EntitiesAdded`, `DefinePrevUserUtteredFeaturization`: a replay would apply them again) or
writes a file (`StoryExported`); the bot uses none of them.
tests/test_replay_cache.py checks equality with Rasa's own computation."""
from __future__ import annotations

import copy
import operator
import threading
from collections import OrderedDict, deque
from contextlib import contextmanager
from itertools import islice
from typing import Any, Dict, Iterable, Iterator, List, Optional, Text

from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain, State
from rasa.shared.core.events import (
    ActionExecuted,
    ActionReverted,
    ActiveLoop,
    DefinePrevUserUtteredFeaturization,
    EntitiesAdded,
    Event,
    Restarted,
    SessionStarted,
    StoryExported,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

KEPT_CONVERSATIONS = 100
# States kept per conversation, from its end: the policies read at most the longest rule
# (bot/deployment/policy_window.py) plus a few; an older one is computed from the start again.
KEPT_STATES = 64
# Copies of the replay tracker at the last actions: a form's happy path and Rasa's rewinds take
# back at most the last turn of applied events (two or three actions).
KEPT_SNAPSHOTS = 8
# Events whose apply_to changes shared objects or the file system: never replayed from a cache.
# (DefinePrevUserUtteredFeaturization changes the user message too: see _FlagWrites.)
_UNCACHEABLE = (EntitiesAdded, StoryExported)

_rasas_applied_events = DialogueStateTracker.applied_events
_lock = threading.RLock()


class _LRU(OrderedDict):
    def get_fresh(self, key: Text) -> Any:
        value = self.get(key)
        if value is not None:
            self.move_to_end(key)
        return value

    def keep(self, key: Text, value: Any) -> None:
        self[key] = value
        self.move_to_end(key)
        while len(self) > KEPT_CONVERSATIONS:
            self.popitem(last=False)


def _cacheable(tracker: DialogueStateTracker) -> bool:
    return type(tracker) is DialogueStateTracker and not tracker.is_rule_tracker


def _slot_kinds(tracker: DialogueStateTracker) -> tuple:
    """What a replay tracker takes from the tracker it starts from (init_copy): the slots."""
    return tuple((name, type(slot), slot.initial_value) for name, slot in tracker.slots.items())


def _earlier_part(events: Any, seen: List[Event]) -> bool:
    """`events` look like the start of `seen` (a copy being built, a tracker of the same
    conversation's earlier events): computed apart, without replacing the cached entry, which the
    conversation's own tracker continues. Only decides what is cached, never a result."""
    return 0 < len(events) < len(seen) and events[0] is seen[0] and events[-1] is seen[len(events) - 1]


def _starts_with(items: Iterable[Any], prefix: List[Any]) -> bool:
    """`items` begins with the very objects of `prefix` (len(items) >= len(prefix))."""
    return all(map(operator.is_, items, prefix))


def _common_length(first: List[Any], second: List[Any]) -> int:
    """How many leading items are the same objects in both lists."""
    same = list(map(operator.is_, first, second))
    try:
        return same.index(False)
    except ValueError:
        return len(same)


# ---------------------------------------------------------------- applied events

class _Applied:
    __slots__ = ("seen", "loop_names", "applied")

    def __init__(self) -> None:
        self.seen: List[Event] = []  # the tracker's events this was computed from
        self.loop_names: set = set()
        self.applied: List[Event] = []


_applied_cache = _LRU()


def _apply(tracker: DialogueStateTracker, events: Iterable[Event], applied: List[Event], loop_names: set) -> None:
    """The body of Rasa's loop in DialogueStateTracker.applied_events (3.6.21), unchanged."""
    for event in events:
        if isinstance(event, (Restarted, SessionStarted)):
            applied.clear()
        elif isinstance(event, ActionReverted):
            tracker._undo_till_previous(ActionExecuted, applied)
        elif isinstance(event, UserUtteranceReverted):
            tracker._undo_till_previous(UserUttered, applied)
            tracker._undo_till_previous(ActionExecuted, applied)
        elif (
            isinstance(event, ActionExecuted)
            and event.action_name in loop_names
            and not tracker._first_loop_execution_or_unhappy_path(event.action_name, applied)
        ):
            tracker._undo_till_previous_loop_execution(event.action_name, applied)
        else:
            applied.append(event)


def applied_events(tracker: DialogueStateTracker) -> List[Event]:
    """DialogueStateTracker.applied_events, continued from the last call for this conversation."""
    if not _cacheable(tracker):
        return _rasas_applied_events(tracker)
    events = tracker.events
    with _lock:
        entry = _applied_cache.get_fresh(tracker.sender_id)
        if entry is not None and _earlier_part(events, entry.seen):
            return _rasas_applied_events(tracker)
        if entry is None or len(entry.seen) > len(events) or not _starts_with(events, entry.seen):
            entry = _Applied()
        new = list(islice(events, len(entry.seen), None))
        names = {event.name for event in new if isinstance(event, ActiveLoop) and event.name}
        if not names <= entry.loop_names:
            # A form appears for the first time: Rasa's loop would have treated its earlier
            # executions differently, so start over with all names known.
            if entry.seen:
                entry = _Applied()
                new = list(events)
            entry.loop_names = {event.name for event in new if isinstance(event, ActiveLoop) and event.name}
        _applied_cache.pop(tracker.sender_id, None)  # not kept if _apply fails half-way
        _apply(tracker, new, entry.applied, entry.loop_names)
        entry.seen.extend(new)
        _applied_cache.keep(tracker.sender_id, entry)
        return list(entry.applied)


class _FlagWrites:
    """DefinePrevUserUtteredFeaturization sets `use_text_for_featurization` on the user message
    object itself, which all trackers share, whenever a tracker applies it (the processor after
    the first prediction of a turn, and every replay of Rasa again). What a replay sees of a
    message is therefore that attribute as it is now, as long as every such event written to the
    message sets the value it has now: then writing them again changes nothing, and a carried-over
    replay equals a full one. Otherwise (two different values for one message: e2e predictions
    and rejected actions) the cache is not used."""
    __slots__ = ("written",)

    def __init__(self) -> None:
        self.written: Dict[int, tuple] = {}  # id(message) -> (message, set of values written)

    def note(self, replay: DialogueStateTracker, event: Event) -> None:
        """Before replay.update(event): what the event will write (DefinePrev…apply_to's test)."""
        if isinstance(event, DefinePrevUserUtteredFeaturization) and replay.latest_action_name == ACTION_LISTEN_NAME \
                and replay.latest_message:
            message = replay.latest_message
            self.written.setdefault(id(message), (message, set()))[1].add(event.use_text_for_featurization)

    def consistent(self) -> bool:
        return all(values == {message.use_text_for_featurization} for message, values in self.written.values())


# ---------------------------------------------------------------- copies

class _Copied:
    __slots__ = ("seen", "slot_kinds", "replay", "flags")

    def __init__(self, tracker: DialogueStateTracker) -> None:
        self.flags = _FlagWrites()
        self.seen: List[Event] = []
        self.slot_kinds = _slot_kinds(tracker)
        self.replay = tracker.init_copy()  # travel_back_in_time's tracker, after `seen`


_copy_cache = _LRU()
_rasas_copy = DialogueStateTracker.copy
_INFINITY = float("inf")


def copy_tracker(tracker: DialogueStateTracker) -> DialogueStateTracker:
    """DialogueStateTracker.copy (travel_back_in_time to infinity: init_copy, then update with
    every event), with the replay continued from the last copy of this conversation. Rasa's
    processor copies the tracker before every action it runs."""
    if not _cacheable(tracker):
        return _rasas_copy(tracker)
    events = tracker.events
    with _lock:
        entry = _copy_cache.pop(tracker.sender_id, None)
        if entry is not None and _earlier_part(events, entry.seen):
            _copy_cache.keep(tracker.sender_id, entry)
            return _rasas_copy(tracker)
        if entry is None or len(entry.seen) > len(events) or not _starts_with(events, entry.seen) \
                or entry.slot_kinds != _slot_kinds(tracker):
            entry = _Copied(tracker)
        new = list(islice(events, len(entry.seen), None))
        # travel_back_in_time stops at an event later than its target; infinity: only at NaN
        if any(isinstance(event, _UNCACHEABLE) or not event.timestamp <= _INFINITY for event in new):
            return _rasas_copy(tracker)
        for event in new:
            entry.flags.note(entry.replay, event)
            entry.replay.update(event)
        entry.seen.extend(new)
        if not entry.flags.consistent():
            return _rasas_copy(tracker)
        _copy_cache.keep(tracker.sender_id, entry)
        duplicate = _copy(entry.replay)
        duplicate.events = deque(entry.replay.events, entry.replay._max_event_history)
        return duplicate


# ---------------------------------------------------------------- prior trackers

class PriorRecord:
    """One tracker of `generate_all_prior_trackers`: what states_for_tracker_history reads of it.
    The user part of its state is made anew from `latest_message` at each use (see _FlagWrites)."""
    __slots__ = ("hide_rule_turn", "followup_action", "latest_action_name", "active_loop_name",
                 "latest_action", "latest_message", "state")

    def __init__(self, prior: DialogueStateTracker, hide_rule_turn: bool, state: Optional[State]) -> None:
        self.hide_rule_turn = hide_rule_turn
        self.followup_action = prior.followup_action
        self.latest_action_name = prior.latest_action_name
        self.active_loop_name = prior.active_loop_name
        self.latest_action = Domain._get_prev_action_sub_state(prior)
        self.latest_message = prior.latest_message
        # domain.get_active_state(prior, omit_unset_slots=False); None when not kept
        self.state = state


class _History:
    def __init__(self, domain: Domain, tracker: DialogueStateTracker) -> None:
        self.domain = domain
        self.slot_kinds = _slot_kinds(tracker)
        self.applied: List[Event] = []
        self.records: List[PriorRecord] = []
        self.positions: List[int] = []  # index in `applied` of the action after each record
        self.replay = _replay_tracker(tracker)  # the tracker after all of `applied`
        self.snapshots: Dict[int, DialogueStateTracker] = {}  # record index -> replay before it
        self.flags = _FlagWrites()  # of every applied event ever replayed here
        self.states_dropped = 0  # records before this index have no state


_history_cache = _LRU()


def _replay_tracker(tracker: DialogueStateTracker) -> DialogueStateTracker:
    """As generate_all_prior_trackers' `tracker.init_copy()`. Its events are not kept: no
    apply_to of an applied event reads them (Restarted, SessionStarted and the reverting events,
    which replay, never are applied events)."""
    replay = tracker.init_copy()
    replay.events = deque(maxlen=0)
    return replay


def _copy(replay: DialogueStateTracker) -> DialogueStateTracker:
    """A replay tracker's state, separate from the original: the slots (their values change in
    place) and the active loop (interrupt_loop, reject_action change it in place)."""
    duplicate = copy.copy(replay)
    duplicate.slots = {name: copy.copy(slot) for name, slot in replay.slots.items()}
    duplicate.active_loop = copy.copy(replay.active_loop)
    duplicate.events = deque(maxlen=0)
    return duplicate


def _replay(history: _History, applied: List[Event], start: int, total: Optional[int]) -> None:
    """Apply applied[start:] to history.replay (which is the tracker after applied[:start]),
    recording every tracker before an action. `total`: the number of actions in `applied` when
    the records are built from the first one (states and copies only for the last ones)."""
    domain, replay = history.domain, history.replay
    for index in range(start, len(applied)):
        event = applied[index]
        if isinstance(event, ActionExecuted):
            number = len(history.records)
            from_end = None if total is None else total - number
            keep_state = from_end is None or from_end <= KEPT_STATES
            state = domain.get_active_state(replay, omit_unset_slots=False) if keep_state else None
            history.records.append(PriorRecord(replay, event.hide_rule_turn, state))
            history.positions.append(index)
            if from_end is None or from_end <= KEPT_SNAPSHOTS:
                history.snapshots[number] = _copy(replay)
        history.flags.note(replay, event)
        replay.update(event)
    history.applied = applied
    count = len(history.records)
    for number in range(history.states_dropped, count - KEPT_STATES):
        history.records[number].state = None
    history.states_dropped = max(history.states_dropped, count - KEPT_STATES)
    for number in [n for n in history.snapshots if n < count - KEPT_SNAPSHOTS]:
        del history.snapshots[number]


def _rebuild(tracker: DialogueStateTracker, domain: Domain, applied: List[Event]) -> _History:
    history = _History(domain, tracker)
    total = sum(isinstance(event, ActionExecuted) for event in applied)
    _replay(history, applied, 0, total)
    return history


def _continue(history: _History, applied: List[Event]) -> bool:
    """Bring `history` to `applied`; False when it cannot (start over)."""
    common = _common_length(applied, history.applied)
    if common == len(history.applied):
        start = common
    else:
        # Rasa took back applied events: restart from the last copy before the divergence.
        restorable = [number for number in history.snapshots if history.positions[number] <= common]
        if not restorable:
            return False
        number = max(restorable)
        start = history.positions[number]
        history.replay = _copy(history.snapshots[number])
        del history.records[number:]
        del history.positions[number:]
        # the copy taken before record `number` is taken again if that record comes again
        for later in [n for n in history.snapshots if n >= number]:
            del history.snapshots[later]
    if any(isinstance(event, _UNCACHEABLE) for event in islice(applied, start, None)):
        return False
    _replay(history, applied, start, None)
    return True


def prior_records(tracker: DialogueStateTracker, domain: Domain, applied: List[Event]) -> Optional[List[PriorRecord]]:
    """generate_all_prior_trackers(tracker) as records, for `applied` = tracker.applied_events();
    the last record is the tracker after all applied events. None: Rasa's own loop must run
    (a user message was given two different featurizations, see _FlagWrites)."""
    with _lock:
        history = _history_cache.pop(tracker.sender_id, None) if _cacheable(tracker) else None
        if history is None or history.domain is not domain or history.slot_kinds != _slot_kinds(tracker) \
                or not _continue(history, applied):
            history = _rebuild(tracker, domain, applied)
            if not _cacheable(tracker) or any(isinstance(event, _UNCACHEABLE) for event in applied):
                history.domain = None  # used for this call only
        if not history.flags.consistent():
            return None
        if history.domain is not None:
            _history_cache.keep(tracker.sender_id, history)
    final = PriorRecord(history.replay, False, domain.get_active_state(history.replay, omit_unset_slots=False))
    return [*history.records, final]


def forget_all() -> None:
    """Drop every cached conversation (tests; a process keeps its caches bounded by itself)."""
    with _lock:
        _applied_cache.clear()
        _history_cache.clear()
        _copy_cache.clear()


def cache_applied_events() -> None:
    """Once per process: DialogueStateTracker.applied_events and copy continue from their last
    call for the conversation."""
    if getattr(DialogueStateTracker.applied_events, "cached", False):
        return
    applied_events.cached = True  # type: ignore[attr-defined]
    DialogueStateTracker.applied_events = applied_events
    DialogueStateTracker.copy = copy_tracker


@contextmanager
def rasas_own() -> Iterator[None]:
    """Rasa's own applied_events and copy while inside, whatever is patched outside: the
    reference computation the tests compare the carried-over replay with."""
    patched = DialogueStateTracker.applied_events, DialogueStateTracker.copy
    DialogueStateTracker.applied_events = _rasas_applied_events
    DialogueStateTracker.copy = _rasas_copy
    try:
        yield
    finally:
        DialogueStateTracker.applied_events, DialogueStateTracker.copy = patched
