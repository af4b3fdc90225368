"""NLU quality on utterances never used for training (tests/nlu_heldout.yml)."""
import pytest

from bot.nlu_evaluation import IntentPredictor, evaluate, load_examples
from tests.conftest import ROOT

HELDOUT = ROOT / "tests" / "nlu_heldout.yml"
# Floors, a little under what bench/RESULTS.md records, so that a real regression fails.
# Accuracy 0.88 since the third session of issue 10: 19 harder messages were added (650 in all);
# main's model of that day scored 0.883 on them (0.900 on the 631 before), the merged one 0.885.
MIN_ACCURACY = 0.88
MIN_MACRO_F1 = 0.91


def training_examples() -> list[tuple[str, str]]:
    pairs = []
    for path in (ROOT / "data" / "nlu").glob("*.yml"):
        pairs += load_examples(path)
    return pairs


def normalise(text: str) -> str:
    return " ".join(text.lower().split()).strip(" ?!.")


def test_heldout_set_is_large_and_separate_from_training(domain):
    heldout = load_examples(HELDOUT)
    assert len(heldout) >= 150
    assert {i for _, i in heldout} == set(domain["intents"])
    training = {normalise(t) for t, _ in training_examples()}
    overlap = [t for t, _ in heldout if normalise(t) in training]
    assert not overlap, f"held-out utterances also in training data: {overlap}"


def test_every_intent_has_at_least_25_training_examples(domain):
    counts = {}
    for _, intent in training_examples():
        counts[intent] = counts.get(intent, 0) + 1
    thin = {i: counts.get(i, 0) for i in domain["intents"] if counts.get(i, 0) < 25}
    assert not thin


@pytest.fixture(scope="module")
def predictor(trained_model):
    return IntentPredictor(trained_model)


@pytest.fixture(scope="module")
def heldout_evaluation(predictor):
    return evaluate(predictor, load_examples(HELDOUT))


def test_heldout_accuracy_and_macro_f1(heldout_evaluation):
    ev = heldout_evaluation
    shown = "\n".join(f"  {e} -> {p} ({c:.2f}): {t}" for t, e, p, c in ev.errors)
    assert ev.accuracy >= MIN_ACCURACY, f"accuracy {ev.accuracy:.3f}\n{shown}"
    assert ev.macro_f1 >= MIN_MACRO_F1, f"macro-F1 {ev.macro_f1:.3f}\n{shown}"


@pytest.mark.parametrize(
    "text, intent",
    [
        ("Wie kann unsere Gemeinde bei ASSKomm mitmachen?", "ask_join_process"),
        ("Wie lange dauert das Studium Präventionsmanagement?", "ask_study_duration"),
        ("Wie wird das Wetter morgen?", "out_of_scope"),
        ("Wie beantrage ich einen Personalausweis?", "out_of_scope"),
        ("Sind Sie ein Mensch?", "bot_challenge"),
        ("Was können Sie?", "ask_capabilities"),
    ],
)
def test_the_questions_of_the_acceptance_check(predictor, text, intent):
    assert predictor.predict(text)[0] == intent
