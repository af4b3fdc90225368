"""How the time of one policy prediction grows with the length of a conversation (issue 12:
"p50 after 300 turns at most 1.2× that of a fresh conversation"), with Rasa's own state
computation, with the window of bot/deployment/policy_window.py recomputed from the session's
start (cache dropped before each prediction) and with the window carried over from the last
prediction of the conversation (bot/deployment/replay_cache.py, as the running bot does). In-process,
no server, so the figures do not depend on HTTP or the tracker store.

    .venv/bin/python -m bench.policy_growth                 # model for the current data
    .venv/bin/python -m bench.policy_growth --model models/asskomm-….tar.gz

The conversation is built by the policies themselves (each user message parsed by the NLU, the
predicted actions applied), so rules and forms are hit as in the running bot; custom actions are
not run. "as built" is the median of the predictions made while the last 5 turns were added
(events added between predictions, as in the bot); the other columns repeat one prediction on
the finished conversation. Figures go to bench/RESULTS.md by hand."""
from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MESSAGES = ["Was ist ASSKomm?", "Ist Werdau Mitglied?", "danke", "Wie tritt eine Gemeinde bei?",
            "Was wird gefördert?", "und wie viel?", "ok"]
LENGTHS = (5, 100, 300)
REPEATS = 20


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", type=Path)
    args = parser.parse_args()
    from rasa.core.agent import Agent
    from rasa.core.policies.memoization import MemoizationPolicy
    from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker
    from rasa.utils.log_utils import configure_structlog

    from bot.config import get_settings
    from bot.deployment import replay_cache
    from bot.deployment.policy_window import _windowed_prediction_states
    from bot.training import ensure_model

    configure_structlog(logging.WARNING)
    model = args.model or ensure_model(get_settings())
    agent = Agent.load(str(model))
    processor, domain = agent.processor, agent.domain
    loop = asyncio.new_event_loop()

    rasas_applied = DialogueStateTracker.applied_events
    rasas_states = MemoizationPolicy.__dict__.get("_prediction_states")

    def use(window: bool) -> None:
        if window:
            MemoizationPolicy._prediction_states = _windowed_prediction_states
            DialogueStateTracker.applied_events = replay_cache.applied_events
            return
        DialogueStateTracker.applied_events = rasas_applied
        if rasas_states is not None:
            MemoizationPolicy._prediction_states = rasas_states
        elif "_prediction_states" in MemoizationPolicy.__dict__:
            del MemoizationPolicy._prediction_states

    def predict(tracker: DialogueStateTracker, times: list) -> str:
        start = time.perf_counter()
        prediction = processor._predict_next_with_tracker(tracker)
        times.append((time.perf_counter() - start) * 1000)
        return domain.action_names_or_texts[prediction.max_confidence_index]

    def conversation(turns: int) -> tuple[DialogueStateTracker, list]:
        """A conversation built with the carried-over window; the times of the predictions
        made while its last 5 turns were added."""
        use(window=True)
        replay_cache.forget_all()
        tracker = DialogueStateTracker("growth", domain.slots)
        for event in (ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")):
            tracker.update(event)
        late = []
        for turn in range(turns):
            parse = loop.run_until_complete(agent.parse_message(MESSAGES[turn % len(MESSAGES)]))
            tracker.update(UserUttered(parse["text"], parse["intent"], parse["entities"], parse))
            for _ in range(5):  # the actions of one turn, until the bot listens
                name = predict(tracker, late if turn >= turns - 5 else [])
                tracker.update(ActionExecuted(name))
                if name == "action_listen":
                    break
                tracker.update(BotUttered("…"))
        parse = loop.run_until_complete(agent.parse_message(MESSAGES[0]))
        tracker.update(UserUttered(parse["text"], parse["intent"], parse["entities"], parse))
        return tracker, late

    def p50(tracker: DialogueStateTracker, cold: bool = False) -> float:
        times: list = []
        for _ in range(REPEATS):
            if cold:
                replay_cache.forget_all()
            predict(tracker, times)
        return statistics.median(times)

    print(f"model: {model.name}")
    print("| turns | events | Rasa's states, p50 ms | window from the start, p50 ms "
          "| window carried over, p50 ms | as built, p50 ms |")
    print("| --- | --- | --- | --- | --- | --- |")
    for turns in LENGTHS:
        tracker, late = conversation(turns)
        use(window=False)
        full = p50(tracker)
        use(window=True)
        cold = p50(tracker, cold=True)
        warm = p50(tracker)
        print(f"| {turns} | {len(tracker.events)} | {full:.1f} | {cold:.1f} | {warm:.1f} | {statistics.median(late):.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
