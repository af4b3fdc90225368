"""Held-out NLU evaluation: intent accuracy, macro-F1, per-intent report and the errors.

    .venv/bin/python bench/nlu_heldout.py            # uses the model for the current data

Figures go to bench/RESULTS.md by hand, with the date and the machine."""
from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.config import get_settings  # noqa: E402
from bot.nlp.pipeline_builder import read_info  # noqa: E402
from bot.nlu_evaluation import IntentPredictor, evaluate, load_examples  # noqa: E402
from bot.training import ensure_model  # noqa: E402

HELDOUT = Path(__file__).resolve().parent.parent / "tests" / "nlu_heldout.yml"


def main() -> int:
    settings = get_settings()
    model = ensure_model(settings)
    examples = load_examples(HELDOUT)
    predictor = IntentPredictor(model)
    started = time.monotonic()
    result = evaluate(predictor, examples)
    per_message_ms = (time.monotonic() - started) / len(examples) * 1000
    print(read_info(settings.spacy_pipeline_dir).describe())
    print(f"model: {model.name}")
    print(f"held-out utterances: {result.total}")
    print(f"intent accuracy: {result.accuracy:.3f}")
    print(f"intent macro-F1: {result.macro_f1:.3f}")
    print(f"parse time per message: {per_message_ms:.1f} ms")
    print(result.report)
    print("errors (expected -> predicted, confidence):")
    for text, expected, predicted, confidence in result.errors:
        print(f"  {expected} -> {predicted} ({confidence:.2f}): {text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
