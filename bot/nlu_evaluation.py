"""Intent accuracy and macro-F1 of a trained model on a held-out NLU file.

Used by the held-out test (a floor) and by bench/nlu_heldout.py (the full report)."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

import yaml


@dataclass
class Evaluation:
    accuracy: float
    macro_f1: float
    total: int
    errors: list[tuple[str, str, str, float]]  # text, expected, predicted, confidence
    report: str  # per-intent precision/recall/F1 (scikit-learn)


def load_examples(path: Path) -> list[tuple[str, str]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    pairs = []
    for block in data.get("nlu", []):
        for line in block["examples"].splitlines():
            line = line.strip()
            if line.startswith("- "):
                pairs.append((line[2:].strip(), block["intent"]))
    return pairs


class IntentPredictor:
    """A trained model, loaded once, that names the intent of a text."""

    def __init__(self, model: Path):
        from rasa.core.agent import Agent

        self._agent = Agent.load(str(model))
        self._loop = asyncio.new_event_loop()

    def predict(self, text: str) -> tuple[str, float]:
        intent = self._loop.run_until_complete(self._agent.parse_message(text))["intent"]
        return intent["name"], intent["confidence"]


def evaluate(predictor: IntentPredictor, examples: list[tuple[str, str]]) -> Evaluation:
    from sklearn.metrics import accuracy_score, classification_report, f1_score

    texts = [t for t, _ in examples]
    expected = [i for _, i in examples]
    predictions = [predictor.predict(text) for text in texts]
    predicted = [p for p, _ in predictions]
    labels = sorted(set(expected))
    return Evaluation(
        accuracy=accuracy_score(expected, predicted),
        # over the intents of the held-out set; nlu_fallback predictions count as errors
        macro_f1=f1_score(expected, predicted, labels=labels, average="macro", zero_division=0),
        total=len(examples),
        errors=[(t, e, p, c) for t, e, (p, c) in zip(texts, expected, predictions, strict=True) if e != p],
        report=classification_report(expected, predicted, labels=labels, zero_division=0),
    )
