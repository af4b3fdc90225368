"""The emergency net as the last step of the NLU pipeline, in both directions.

1. A message that speaks of acute danger ("jemand steigt grad durchs Fenster ein", "reagiert
   nicht") gets the intent `emergency` whatever the classifier guessed, so 110/112 come first
   on every path, not only where the message lands out of scope or unplaced.
2. The classifier's own `emergency`, without a word of the net, is not believed for a plain
   question about rights, money or procedures with no sign of urgency ("Kann ich gegen den
   Bußgeldbescheid Einspruch einlegen?", "Gibt es einen Zuschuss für eine neue Ölheizung?":
   false alarms of the blind out-of-scope set). Such a message keeps the classifier's next
   guess where that is sure enough (the FallbackClassifier's thresholds of config.yml), else it
   goes to the scope rule as `out_of_scope` (bot/conversation/scope.py), which asks back where
   the message names a topic or has a real second guess.

The words and signs are those of bot/conversation/emergency.py (read at run time: a change
there needs no new training)."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.conversation.emergency import classifier_emergency_believable, looks_like_emergency

EMERGENCY_INTENT = "emergency"
OUT_OF_SCOPE_INTENT = "out_of_scope"
FALLBACK_INTENT = "nlu_fallback"
# The FallbackClassifier's threshold and ambiguity_threshold in config.yml (a test keeps them
# equal): the next guess of a disbelieved emergency must pass what any guess must pass.
FALLBACK_THRESHOLD = 0.4
AMBIGUITY_THRESHOLD = 0.08


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class EmergencyNet(GraphComponent, IntentClassifier):
    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "EmergencyNet":
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT)
            if looks_like_emergency(text):
                sure = {INTENT_NAME_KEY: EMERGENCY_INTENT, PREDICTED_CONFIDENCE_KEY: 1.0}
                message.data[INTENT] = sure
                message.data[INTENT_RANKING_KEY] = [dict(sure)] + _without(message, EMERGENCY_INTENT)
            elif (message.get(INTENT) or {}).get(INTENT_NAME_KEY) == EMERGENCY_INTENT \
                    and not classifier_emergency_believable(text):
                _disbelieve(message)
        return messages


def _without(message: Message, intent: str) -> List[Dict[str, Any]]:
    return [i for i in message.data.get(INTENT_RANKING_KEY) or [] if i.get(INTENT_NAME_KEY) != intent]


def _disbelieve(message: Message) -> None:
    """The classifier's emergency is taken back: the next guess if it is sure, else the scope rule."""
    guesses = [i for i in _without(message, EMERGENCY_INTENT) if i.get(INTENT_NAME_KEY) != FALLBACK_INTENT]
    best = guesses[0] if guesses else None
    runner_up = (guesses[1].get(PREDICTED_CONFIDENCE_KEY) or 0.0) if len(guesses) > 1 else 0.0
    confidence = (best or {}).get(PREDICTED_CONFIDENCE_KEY) or 0.0
    if best is not None and confidence >= FALLBACK_THRESHOLD and confidence - runner_up >= AMBIGUITY_THRESHOLD:
        message.data[INTENT] = dict(best)
    else:
        scope = next((i for i in guesses if i.get(INTENT_NAME_KEY) == OUT_OF_SCOPE_INTENT), None)
        message.data[INTENT] = {INTENT_NAME_KEY: OUT_OF_SCOPE_INTENT,
                                PREDICTED_CONFIDENCE_KEY: (scope or {}).get(PREDICTED_CONFIDENCE_KEY) or 0.0}
    message.data[INTENT_RANKING_KEY] = guesses
