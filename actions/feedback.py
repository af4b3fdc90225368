""""Hilfreich? Ja / Nein" from the widget (the message is described in bot/feedback.py).

The feedback is stored by Rasa itself: the user event with its entities stays in the tracker
store, where the staff console counts it (bot/console/conversations.py). For the dialogue it
never happened: the action reverts the message (Rasa's UserUtteranceReverted, as its own
fallback actions do), so a form, an offer or a follow-up context goes on as before. It says
nothing; the widget thanks the user itself."""
from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher

from bot.feedback import FEEDBACK_ACTION


class ActionFeedback(Action):
    def name(self) -> str:
        return FEEDBACK_ACTION

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict]:
        # Reverting also removes the listen before the message, so the bot listens again at once
        # instead of predicting its last answer anew.
        return [UserUtteranceReverted(), FollowupAction("action_listen")]
