"""The emergency keyword net as the last step of the NLU pipeline: a message that speaks of
acute danger ("jemand steigt grad durchs Fenster ein", "reagiert nicht") gets the intent
`emergency` whatever the classifier guessed, so 110/112 come first on every path, not only
where the message lands out of scope or unplaced. The words are those of
bot/conversation/emergency.py (read at run time: a change there needs no new training)."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.conversation.emergency import looks_like_emergency

EMERGENCY_INTENT = "emergency"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class EmergencyNet(GraphComponent, IntentClassifier):
    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "EmergencyNet":
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            if looks_like_emergency(message.get(TEXT)):
                sure = {INTENT_NAME_KEY: EMERGENCY_INTENT, PREDICTED_CONFIDENCE_KEY: 1.0}
                message.data[INTENT] = sure
                ranking = [i for i in message.data.get(INTENT_RANKING_KEY) or []
                           if i.get(INTENT_NAME_KEY) != EMERGENCY_INTENT]
                message.data[INTENT_RANKING_KEY] = [dict(sure)] + ranking
        return messages
