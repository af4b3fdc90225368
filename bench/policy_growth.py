"""How the time of one policy prediction grows with the length of a conversation (issue 12:
"p50 after 300 turns at most 1.2× that of a fresh conversation"), with Rasa's own state
computation and with the window of bot/deployment/policy_window.py. In-process, no server, so
the figures do not depend on HTTP or the tracker store.

    .venv/bin/python -m bench.policy_growth                 # model for the current data
    .venv/bin/python -m bench.policy_growth --model models/asskomm-….tar.gz

The conversation is built by the policies themselves (each user message parsed by the NLU, the
predicted actions applied), so rules and forms are hit as in the running bot; custom actions are
not run. Figures go to bench/RESULTS.md by hand."""
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
    from bot.deployment.policy_window import _windowed_prediction_states
    from bot.training import ensure_model

    configure_structlog(logging.WARNING)
    model = args.model or ensure_model(get_settings())
    agent = Agent.load(str(model))
    processor, domain = agent.processor, agent.domain
    loop = asyncio.new_event_loop()

    def conversation(turns: int) -> DialogueStateTracker:
        tracker = DialogueStateTracker("growth", domain.slots)
        for event in (ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")):
            tracker.update(event)
        for turn in range(turns):
            parse = loop.run_until_complete(agent.parse_message(MESSAGES[turn % len(MESSAGES)]))
            tracker.update(UserUttered(parse["text"], parse["intent"], parse["entities"], parse))
            for _ in range(5):  # the actions of one turn, until the bot listens
                name = domain.action_names_or_texts[processor._predict_next_with_tracker(tracker).max_confidence_index]
                tracker.update(ActionExecuted(name))
                if name == "action_listen":
                    break
                tracker.update(BotUttered("…"))
        parse = loop.run_until_complete(agent.parse_message(MESSAGES[0]))
        tracker.update(UserUttered(parse["text"], parse["intent"], parse["entities"], parse))
        return tracker

    def p50(tracker: DialogueStateTracker) -> float:
        times = []
        for _ in range(REPEATS):
            start = time.perf_counter()
            processor._predict_next_with_tracker(tracker)
            times.append((time.perf_counter() - start) * 1000)
        return statistics.median(times)

    rasas = MemoizationPolicy.__dict__.get("_prediction_states")
    print(f"model: {model.name}")
    print("| turns | events | Rasa's states, p50 ms | window, p50 ms |")
    print("| --- | --- | --- | --- |")
    for turns in LENGTHS:
        tracker = conversation(turns)
        if rasas is not None:
            MemoizationPolicy._prediction_states = rasas
        elif "_prediction_states" in MemoizationPolicy.__dict__:
            del MemoizationPolicy._prediction_states
        full = p50(tracker)
        MemoizationPolicy._prediction_states = _windowed_prediction_states
        window = p50(tracker)
        print(f"| {turns} | {len(tracker.events)} | {full:.1f} | {window:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
