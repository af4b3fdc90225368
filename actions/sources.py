"""Challenge questions ("Woher haben Sie das?", "Stimmt das noch?"): the source and Stand of
the answer just given (bot/conversation/challenge.py)."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.communes import send
from actions.faq import utter_entry
from bot.communes.answers import answer_sources
from bot.communes.dialogue import DEFAULT_QUESTION
from bot.communes.programme import shared_programme_facts
from bot.communes.service import shared_repository
from bot.conversation import challenge
from bot.conversation.followups import COMMUNE_TOPIC
from bot.knowledge import shared_knowledge_base


class ActionNameSource(Action):
    def name(self) -> str:
        return "action_name_source"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        kb = shared_knowledge_base().get()
        ags = tracker.get_slot("commune_ags")
        if tracker.get_slot("current_topic") == COMMUNE_TOPIC and ags:
            info = shared_repository().info(ags)
            question = tracker.get_slot("commune_last_question") or DEFAULT_QUESTION
            sources = answer_sources(info, question, shared_programme_facts().get()) if info else []
            if sources:
                send(dispatcher, challenge.sources_reply(f"zu {info.commune.name_short}", sources))
                return []  # the conversation stays on the answer just given
        entry = kb.entries.get(tracker.get_slot("last_knowledge_id") or "")
        if entry is not None:
            send(dispatcher, challenge.sources_reply(f"auf „{entry.title}“", entry.sources))
            return []
        dispatcher.utter_message(text=challenge.general_text(kb))
        return utter_entry(dispatcher, "contact", tracker)
