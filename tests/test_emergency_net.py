"""The emergency net at the end of the NLU pipeline (bot/nlp/emergency_net.py)."""
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
