"""The typed command /leichte_sprache and plain requests reach the two Leichte-Sprache intents."""
import pytest

from bot.nlu_evaluation import IntentPredictor


@pytest.fixture(scope="module")
def predictor(trained_model):
    return IntentPredictor(trained_model)


@pytest.mark.parametrize("text, intent", [
    ("/leichte_sprache", "request_easy_language"),
    ("/request_easy_language", "request_easy_language"),  # the payload of buttons and the widget toggle
    ("Erklären Sie das bitte in Leichter Sprache", "request_easy_language"),
    ("in Leichter Sprache bitte", "request_easy_language"),
    ("das versteh ich nich, gehts einfacher?", "request_easy_language"),
    ("/request_standard_language", "request_standard_language"),
    ("Bitte wieder in normaler Sprache antworten", "request_standard_language"),
    ("normal weiter", "request_standard_language"),
])
def test_requests_for_leichte_sprache_and_back(predictor, text, intent):
    assert predictor.predict(text)[0] == intent
