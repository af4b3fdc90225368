"""The rule and memoization policies read only the last few states of a conversation, but
Rasa 3.6 builds the state of every earlier turn at every prediction (and RulePolicy
deep-copies them all for a debug line), so a turn costs more the longer the conversation is:
about 2× after 100 turns (issue 12, bench/RESULTS.md). Here the policies get only the states
they can read, computed exactly as Rasa computes them:

- MemoizationPolicy looks up its last `max_history` states;
- RulePolicy matches rules from the end backwards; a state further back than its longest rule
  never decides (`RulePolicy._is_rule_applicable` accepts every turn beyond a rule's length).

Only the states of the window are built, and the replay of the session's events that gives the
tracker before each action is carried over from the conversation's last prediction
(bot/deployment/replay_cache.py), so a prediction no longer costs more the longer the
conversation is. tests/test_policy_window.py compares the window with Rasa's full computation
on real conversations, tests/test_replay_cache.py the carried-over replay."""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa.core.policies.memoization import MemoizationPolicy
from rasa.core.policies.policy import SupportedData
from rasa.core.policies.rule_policy import RULES, RULES_FOR_LOOP_UNHAPPY_PATH, RulePolicy
from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTIVE_LOOP, PREVIOUS_ACTION, SLOTS, USER
from rasa.shared.core.domain import Domain, State
from rasa.shared.core.trackers import DialogueStateTracker

from bot.deployment.replay_cache import PriorRecord, cache_applied_events, prior_records

# States beyond what a policy reads: the first state of the window must start a turn (see
# recent_states), and one more guards against an off-by-one in Rasa's slicing.
_SPARE = 2


def recent_states(
    domain: Domain,
    tracker: DialogueStateTracker,
    keep: Optional[int],
    ignore_rule_only_turns: bool = False,
    rule_only_data: Optional[Dict[Text, Any]] = None,
) -> List[State]:
    """The last `keep` (or more) states of `Domain.states_for_tracker_history`, equal to its
    tail; all states when `keep` is None or the conversation is short."""
    if keep is None:
        return domain.states_for_tracker_history(
            tracker, ignore_rule_only_turns=ignore_rule_only_turns, rule_only_data=rule_only_data
        )
    # The trackers before each action, as records carried over from the last prediction of this
    # conversation (bot/deployment/replay_cache.py).
    records = prior_records(tracker, domain, tracker.applied_events())
    if records is None:
        return domain.states_for_tracker_history(
            tracker, ignore_rule_only_turns=ignore_rule_only_turns, rule_only_data=rule_only_data
        )
    # Pass 1, cheap: which records become a state, and which of those follow action_listen. A
    # state that does not is given the user input of the state before it
    # (Domain._substitute_rule_only_user_input), so the window starts at one that does. Without
    # ignore_rule_only_turns (RulePolicy) every record is a state and none is substituted.
    if not ignore_rule_only_turns:
        first_index = max(0, len(records) - keep - _SPARE)
    else:
        visible: List[int] = []
        after_listen: List[bool] = []
        turn_was_hidden = False
        for index, prior in enumerate(records):
            if not prior.followup_action and not prior.latest_action_name == prior.active_loop_name:
                turn_was_hidden = prior.hide_rule_turn
            if turn_was_hidden:
                continue
            visible.append(index)
            after_listen.append(prior.latest_action_name in (ACTION_LISTEN_NAME, None))
        start = max(0, len(visible) - keep - _SPARE)
        while start > 0 and not after_listen[start]:
            start -= 1
        first_index = visible[start] if visible else len(records)
    if any(prior.state is None for prior in records[first_index:]):
        # further back than the states kept per conversation: Rasa's full computation
        return domain.states_for_tracker_history(
            tracker, ignore_rule_only_turns=ignore_rule_only_turns, rule_only_data=rule_only_data
        )

    # Pass 2: Rasa's loop (Domain.states_for_tracker_history), states only from first_index,
    # each a copy of the kept one (the featurizer changes the states it is given).
    states: List[State] = []
    last_ml_action_sub_state = None
    turn_was_hidden = False
    copies: Dict[int, Any] = {}
    for index, prior in enumerate(records):
        if ignore_rule_only_turns:
            if not turn_was_hidden:
                last_ml_action_sub_state = prior.latest_action
            if not prior.followup_action and not prior.latest_action_name == prior.active_loop_name:
                turn_was_hidden = prior.hide_rule_turn
            if turn_was_hidden:
                continue
        if index < first_index:
            continue
        state = _copy_state(domain, prior, copies)
        if ignore_rule_only_turns:
            domain._remove_rule_only_features(state, rule_only_data)
            if states:
                domain._substitute_rule_only_user_input(state, states[-1])
            if last_ml_action_sub_state:
                state[PREVIOUS_ACTION] = _copy_once(last_ml_action_sub_state, copies)
        states.append(domain._clean_state(state))
    return states


def _copy_once(sub_state: Any, copies: Dict[int, Any]) -> Any:
    """A copy of a sub-state, the same copy for the same original within one computation: in
    Rasa's loop the previous action of several states is one tracker's dict."""
    copied = copies.get(id(sub_state))
    if copied is None:
        copied = copies[id(sub_state)] = dict(sub_state)
    return copied


def _copy_state(domain: Domain, prior: PriorRecord, copies: Dict[int, Any]) -> State:
    """The state Domain.get_active_state gives for the record's tracker: the user part made
    anew from its message (whose featurization flag may have been set since), the others copied
    from the kept state (the featurizer changes the states it is given), the previous action
    once per original (in Rasa's loop it is the prior tracker's own latest_action)."""
    kept = prior.state
    state = {
        USER: domain._get_user_sub_state(prior),
        SLOTS: dict(kept.get(SLOTS, {})),
        PREVIOUS_ACTION: _copy_once(kept[PREVIOUS_ACTION], copies) if kept.get(PREVIOUS_ACTION) else None,
        ACTIVE_LOOP: dict(kept.get(ACTIVE_LOOP, {})),
    }
    return domain._clean_state(state)


def states_read(policy: MemoizationPolicy) -> Optional[int]:
    """How many of the last states the policy can read: its max_history, or for RulePolicy
    the length of its longest rule (None: all, as before)."""
    if isinstance(policy, RulePolicy):
        window = getattr(policy, "_asskomm_states_read", None)
        if window is None:
            keys = [*policy.lookup.get(RULES, {}), *policy.lookup.get(RULES_FOR_LOOP_UNHAPPY_PATH, {})]
            window = max((len(policy._rule_key_to_state(key)) for key in keys), default=0)
            policy._asskomm_states_read = window
        return window
    return policy.featurizer.max_history if policy.featurizer else None


def _windowed_prediction_states(
    self: MemoizationPolicy,
    tracker: DialogueStateTracker,
    domain: Domain,
    use_text_for_last_user_input: bool = False,
    rule_only_data: Optional[Dict[Text, Any]] = None,
) -> List[State]:
    # As Policy._prediction_states → MaxHistoryTrackerFeaturizer.prediction_states for one tracker.
    ml_data = self.supported_data() == SupportedData.ML_DATA
    states = recent_states(domain, tracker, states_read(self), ignore_rule_only_turns=ml_data,
                           rule_only_data=rule_only_data)
    featurizer = self.featurizer
    if ml_data:
        states = featurizer._remove_action_unlikely_intent_from_states(states)
    states = featurizer.slice_state_history(states, featurizer.max_history)
    featurizer._choose_last_user_input([states], use_text_for_last_user_input)
    return states


def limit_policy_states() -> None:
    """Once per process: the rule and memoization policies predict from the window, and
    applied events are continued from the last call (also for the processor and actions)."""
    cache_applied_events()
    if getattr(MemoizationPolicy._prediction_states, "windowed", False):
        return
    _windowed_prediction_states.windowed = True
    MemoizationPolicy._prediction_states = _windowed_prediction_states
