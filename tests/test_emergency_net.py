"""The emergency net at the end of the NLU pipeline (bot/nlp/emergency_net.py)."""
import pytest
from rasa.shared.nlu.training_data.message import Message

from bot.nlp.emergency_net import EmergencyNet


def parsed(text: str, intent: str, confidence: float) -> Message:
    guess = {"name": intent, "confidence": confidence}
    return Message(data={"text": text, "intent": dict(guess),
                         "intent_ranking": [dict(guess), {"name": "emergency", "confidence": 0.01}]})


def test_acute_danger_gets_the_intent_emergency_whatever_the_guess():
    message = EmergencyNet().process([parsed("jemand steigt grad bei uns durchs fenster ein",
                                             "ask_member_history", 0.43)])[0]
    assert message.get("intent") == {"name": "emergency", "confidence": 1.0}
    ranking = [i["name"] for i in message.get("intent_ranking")]
    assert ranking[0] == "emergency" and ranking.count("emergency") == 1 and "ask_member_history" in ranking


def test_a_prevention_question_about_burglaries_keeps_its_intent():
    message = EmergencyNet().process([parsed("Wir haben viele Einbrüche in der Gemeinde, was können wir tun?",
                                             "ask_funding", 0.8)])[0]
    assert message.get("intent")["name"] == "ask_funding"


def classified(text: str, *ranking: tuple[str, float]) -> Message:
    """A message as the classifier and the FallbackClassifier left it (best guess first)."""
    guesses = [{"name": n, "confidence": c} for n, c in ranking]
    return Message(data={"text": text, "intent": dict(guesses[0]), "intent_ranking": guesses})


@pytest.mark.parametrize("text", [
    # the two false alarms of bench/out_of_scope_blind.yml (models of 2026-11-30)
    "Gibt es einen Zuschuss für den Austausch einer alten Ölheizung?",
    "Kann ich gegen den Bußgeldbescheid wegen 14 km/h zu schnell Einspruch einlegen?",
    "Hallo, wo ist die nächste Polizeiwache?",
])
def test_a_classifier_only_emergency_on_a_plain_information_question_goes_to_the_scope_rule(text):
    message = EmergencyNet().process([classified(text, ("emergency", 0.76), ("ask_study_contact", 0.10),
                                                 ("out_of_scope", 0.06))])[0]
    assert message.get("intent") == {"name": "out_of_scope", "confidence": 0.06}
    assert "emergency" not in [i["name"] for i in message.get("intent_ranking")]


def test_a_disbelieved_emergency_keeps_a_sure_next_guess():
    message = EmergencyNet().process([classified("Gibt es einen Zuschuss für die Fachtage?", ("emergency", 0.45),
                                                 ("ask_network_events", 0.41), ("ask_funding", 0.02))])[0]
    assert message.get("intent") == {"name": "ask_network_events", "confidence": 0.41}


@pytest.mark.parametrize("text", [
    "Die schlagen sich gerade vor dem Jugendclub",  # urgency: "gerade"
    "Ein Kind ist angefahren worden",  # a report, no question
    "da liegt einer blutend im park",
    "Wo ist das nächste Krankenhaus, mein Kind hat hohes Fieber",  # a second clause may report
    "Kann mir jemand helfen?",  # asks for help
    "Wer kann kommen, schnell!",
])
def test_a_classifier_only_emergency_with_urgency_or_a_report_stays_one(text):
    message = EmergencyNet().process([classified(text, ("emergency", 0.7), ("out_of_scope", 0.2))])[0]
    assert message.get("intent")["name"] == "emergency"


def test_the_thresholds_of_a_disbelieved_emergency_are_those_of_the_fallback_classifier():
    import yaml

    from bot.nlp import emergency_net
    from tests.conftest import ROOT

    config = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
    fallback = next(c for c in config["pipeline"] if c["name"] == "FallbackClassifier")
    assert (fallback["threshold"], fallback["ambiguity_threshold"]) == (
        emergency_net.FALLBACK_THRESHOLD, emergency_net.AMBIGUITY_THRESHOLD)
