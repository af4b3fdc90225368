"""Answers from the knowledge base: the one way a fact reaches the user. A question is
answered in the context of the conversation (bot/conversation/followups.py): "Was kostet
das?" after the study programme gets the study's cost."""
from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.communes import ActionAnswerCommune
from bot.applications import deadlines
from bot.clock import today
from bot.config import get_settings
from bot.conversation.followups import Resolution, resolve
from bot.conversation.other_laender import only_for_saxon_communes, other_land_named
from bot.knowledge import shared_knowledge_base

log = logging.getLogger(__name__)


def utter_entry(dispatcher: CollectingDispatcher, entry_id: str, tracker: Tracker | None = None,
                easy_language: bool | None = None) -> list[dict[str, Any]]:
    """Sends a knowledge entry with its source line and buttons, in Leichte Sprache when the
    conversation asked for it (or as `easy_language` says); returns the slot events."""
    kb = shared_knowledge_base().get()
    if easy_language is None:
        easy_language = bool(tracker and tracker.get_slot("easy_language"))
    reply = kb.render(entry_id, easy_language=easy_language)
    dispatcher.utter_message(text=reply.text, buttons=reply.buttons)
    # Where an answer depends on today's date (the next funding deadline), the computed sentence.
    note = deadlines.today_note(entry_id, get_settings().knowledge_dir, today())
    if note:
        dispatcher.utter_message(text=note)
    return [SlotSet("last_knowledge_id", entry_id), SlotSet("current_topic", kb.entries[entry_id].topic),
            SlotSet("fallback_count", 0.0)]


async def answer_resolution(dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict,
                            resolution: Resolution) -> list[dict[str, Any]]:
    """Says what the context resolved a question to (bot/conversation/followups.py)."""
    kb = shared_knowledge_base().get()
    if resolution.commune_question:
        tracker.slots["commune_question"] = resolution.commune_question
        return await ActionAnswerCommune().run(dispatcher, tracker, domain)
    if resolution.unanswered_topic:
        title = kb.topics[resolution.unanswered_topic].title
        steps = kb.entry_for(resolution.unanswered_topic, "how")
        if resolution.unanswered_aspect == "duration" and steps is not None and steps.intent:
            # "wie lange dauert das bis man drin ist": no duration in the sources, but the steps
            # are known; what they say, then whom to ask.
            dispatcher.utter_message(response="utter_no_duration_on_topic", topic=title)
            events = utter_entry(dispatcher, steps.id, tracker)
            utter_entry(dispatcher, "contact", tracker)
            return events  # the conversation stays with the steps, not the contact
        # Honest rather than a near miss: the sources say nothing on this; the LPR may know.
        dispatcher.utter_message(response="utter_no_answer_on_topic", topic=title)
        return utter_entry(dispatcher, "contact", tracker)
    return utter_entry(dispatcher, resolution.entry_id, tracker)


class ActionAnswerFromKnowledge(Action):
    def name(self) -> str:
        return "action_answer_from_knowledge"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list:
        from actions.pointing_back import answer_previous_turn  # it imports this module

        if (events := await answer_previous_turn(dispatcher, tracker, domain)) is not None:
            return events  # "die in der Oberlausitz" after "Welche meinen Sie?", "welche denn" after a list
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        kb = shared_knowledge_base().get()
        text = tracker.latest_message.get("text") or ""
        resolution = resolve(kb, intent, text, tracker.get_slot("current_topic")) if intent else Resolution()
        if resolution == Resolution():
            # Tests keep every ask_* intent covered; this only guards a half-edited knowledge base.
            log.error("Kein Wissenseintrag für Intent %r", intent)
            dispatcher.utter_message(response="utter_knowledge_missing")
            return utter_entry(dispatcher, "contact", tracker)
        entry = kb.entries.get(resolution.entry_id or "")
        land = other_land_named(text) if entry is not None and only_for_saxon_communes(entry.id, entry.topic) else None
        if land is not None:
            # a commune of another Land asking what it would get: ASSKomm is Saxony's programme
            dispatcher.utter_message(response="utter_outside_saxony", other_land=land.name)
            return [SlotSet("other_land", land.name), SlotSet("last_knowledge_id", None)]
        return await answer_resolution(dispatcher, tracker, domain, resolution)
