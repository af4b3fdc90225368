"""Switches the answers between standard German and Leichte Sprache (slot easy_language)."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.faq import utter_entry
from bot.knowledge import shared_knowledge_base

SWITCH_ON = "request_easy_language"


def answer_of_previous_turn(tracker: Tracker) -> str | None:
    """The knowledge entry the bot answered with right before this message, if it did.

    "Erklären Sie das in Leichter Sprache" refers to that answer; an answer from several
    turns ago is not repeated."""
    users_seen = 0
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            users_seen += 1
            if users_seen == 2:
                return None
        elif users_seen == 1 and event.get("event") == "slot" and event.get("name") == "last_knowledge_id":
            return event.get("value")
    return None


class ActionSetEasyLanguage(Action):
    def name(self) -> str:
        return "action_set_easy_language"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        switch_on = (tracker.latest_message.get("intent") or {}).get("name") == SWITCH_ON
        was_on = bool(tracker.get_slot("easy_language"))
        kb = shared_knowledge_base().get()
        if switch_on:
            dispatcher.utter_message(response="utter_easy_language_on")
            if not was_on and not kb.easy.all_checked:
                dispatcher.utter_message(response="utter_easy_language_not_checked")
        else:
            dispatcher.utter_message(response="utter_standard_language_on")
        events = [SlotSet("easy_language", switch_on)]
        entry_id = answer_of_previous_turn(tracker)
        if switch_on != was_on and entry_id in kb.entries:
            events += utter_entry(dispatcher, entry_id, easy_language=switch_on)
        return events
