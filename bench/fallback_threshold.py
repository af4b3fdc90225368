"""How the NLU fallback threshold trades wrong answers against asking back, on the held-out set.

    .venv/bin/python bench/fallback_threshold.py                    # tests/nlu_heldout.yml
    .venv/bin/python bench/fallback_threshold.py old_heldout.yml    # another held-out file

For each threshold the rule of Rasa's FallbackClassifier is applied to the model's ranking:
below the threshold, or with the second intent closer than the ambiguity threshold, the bot
asks back; otherwise it answers with its best intent, rightly or wrongly. Figures go to
bench/RESULTS.md by hand."""
from __future__ import annotations

import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.config import get_settings  # noqa: E402
from bot.nlu_evaluation import load_examples  # noqa: E402
from bot.training import ensure_model  # noqa: E402

HELDOUT = Path(__file__).resolve().parent.parent / "tests" / "nlu_heldout.yml"
THRESHOLDS = (0.25, 0.3, 0.35, 0.4, 0.45)
AMBIGUITY = 0.08  # config.yml, FallbackClassifier.ambiguity_threshold


def main(argv: list[str]) -> int:
    from rasa.core.agent import Agent

    examples = load_examples(Path(argv[0]) if argv else HELDOUT)
    agent = Agent.load(str(ensure_model(get_settings())))
    loop = asyncio.new_event_loop()
    ranked = []
    for text, expected in examples:
        ranking = [i for i in loop.run_until_complete(agent.parse_message(text))["intent_ranking"]
                   if i["name"] != "nlu_fallback"]
        second = ranking[1]["confidence"] if len(ranking) > 1 else 0.0
        ranked.append((expected, ranking[0]["name"], ranking[0]["confidence"], second))
    print(f"{len(ranked)} held-out messages")
    print("threshold | accuracy | wrong answers | ask-backs")
    for threshold in THRESHOLDS:
        right = wrong = back = 0
        for expected, best, confidence, second in ranked:
            if confidence < threshold or confidence - second < AMBIGUITY:
                back += 1
            elif best == expected:
                right += 1
            else:
                wrong += 1
        print(f"{threshold:.2f} | {right / len(ranked):.3f} | {wrong} | {back}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
