"""Out of scope on messages nobody tuned against: bench/out_of_scope_blind.yml, 80 off-topic
and 80 on-topic messages written on 2026-11-30 by a helper who saw neither the training data
nor the held-out sets. The running bot's rule decides (bench/out_of_scope.py `outcome`).

    .venv/bin/python -m bench.out_of_scope_blind                 # model for the current data
    .venv/bin/python -m bench.out_of_scope_blind --model models/asskomm-….tar.gz
    .venv/bin/python -m bench.out_of_scope_blind --set bench/out_of_scope_blind_2.yml

bench/out_of_scope_blind_2.yml is a second set of the same kind (80/80), written blind by another
helper after the first set had been looked at and tuned against.

Off-topic counts as caught when the bot gives the out-of-scope answer (with or without a
110/112 line first); "Ich verstehe nur Deutsch" for an English message is listed apart, since
it is no wrong answer either. On-topic counts as wrong only where the out-of-scope text comes.
Once tuned against, the set is no longer blind: say so with the figures."""
from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections import Counter
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.out_of_scope import LINE_FIRST, outcome  # noqa: E402

BLIND = ROOT / "bench" / "out_of_scope_blind.yml"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", type=Path)
    parser.add_argument("--set", type=Path, default=BLIND, help="YAML with off_topic and on_topic lists")
    args = parser.parse_args()
    from rasa.core.agent import Agent
    from rasa.utils.log_utils import configure_structlog

    from bot.config import get_settings
    from bot.knowledge.store import KnowledgeBase
    from bot.training import ensure_model

    configure_structlog(logging.WARNING)
    model = args.model or ensure_model(get_settings())
    agent = Agent.load(str(model))
    kb = KnowledgeBase.from_directory(ROOT / "knowledge")
    loop = asyncio.new_event_loop()
    data = yaml.safe_load(args.set.read_text(encoding="utf-8"))

    def answer(text: str) -> str:
        return outcome(loop.run_until_complete(agent.parse_message(text)), kb)

    off = {text: answer(text) for text in data["off_topic"]}
    on = {text: answer(text) for text in data["on_topic"]}
    caught = [t for t, a in off.items() if a in ("out_of_scope", f"{LINE_FIRST}out_of_scope")]
    not_german = [t for t, a in off.items() if a == "intent:non_german"]
    wrongly = [t for t, a in on.items() if a.endswith("out_of_scope")]
    print(f"model: {model.name}; set: {args.set.name}")
    print(f"off-topic caught: {len(caught)}/{len(off)}; 'nur Deutsch' for English: {len(not_german)}")
    print("  what the others got:", dict(Counter(a for t, a in off.items() if t not in caught + not_german)))
    for text, got in off.items():
        if text not in caught and text not in not_german:
            print(f"    {got:<34} {text}")
    print(f"on-topic answered as out of scope: {len(wrongly)}/{len(on)}")
    for text in wrongly:
        print(f"    {text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
