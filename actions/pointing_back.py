"""Answers to follow-ups that point at the answer just given ("welche denn", "und 2022?"),
from that answer (rules: bot/conversation/pointing_back.py). Asked first by the knowledge, clarify,
out-of-scope and commune actions, since the NLU gives such messages any intent."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.communes import answer_district, answer_typed_choice, send
from actions.faq import utter_entry
from bot.communes import answers
from bot.communes.service import shared_repository
from bot.conversation.pointing_back import COMMUNES_BY_DISTRICT, lines_of_year, lists_items, pointing_back
from bot.knowledge import shared_knowledge_base
from bot.knowledge.render import render_entry


def previous_answer(tracker: Tracker) -> tuple[str, str] | None:
    """What the bot answered to the message before: ("entry", id) of a knowledge entry or
    ("district", Landkreis); None for anything else (a commune, a form, an ask-back)."""
    users = 0
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            users += 1
            if users > 1:
                return None
        elif users == 1 and event.get("event") == "slot" and event.get("value"):
            if event.get("name") == "last_knowledge_id":
                return "entry", event["value"]
            if event.get("name") == "landkreis":
                return "district", event["value"]
    return None


async def answer_pointing_back(dispatcher: CollectingDispatcher, tracker: Tracker,
                               domain: dict) -> list[dict[str, Any]] | None:
    """The reply to "welche denn" or "und 2022?" from the answer just given; None when the
    message is no such follow-up or the answer before was none it can point at."""
    asked = pointing_back(tracker.latest_message.get("text") or "")
    previous = previous_answer(tracker) if asked is not None else None
    if previous is None:
        return None
    kind, value = previous
    if kind == "district":
        return answer_district(dispatcher, value) if asked.kind == "which" else None
    kb = shared_knowledge_base().get()
    entry = kb.entries.get(value)
    if entry is None:
        return None
    topic = kb.topics[entry.topic].title if entry.topic in kb.topics else entry.title
    if asked.kind == "year":
        lines = lines_of_year(entry, asked.year)
        if lines is None:
            dispatcher.utter_message(response="utter_nothing_for_year", year=asked.year, topic=topic)
            return utter_entry(dispatcher, "contact", tracker)
        if tracker.get_slot("easy_language"):
            return utter_entry(dispatcher, entry.id, tracker)
        reply = render_entry(entry, kb.entries, answer=f"Zu {asked.year} steht in meinen Quellen:\n{lines}")
        dispatcher.utter_message(text=reply.text, buttons=reply.buttons)
        return [SlotSet("last_knowledge_id", entry.id), SlotSet("current_topic", entry.topic),
                SlotSet("fallback_count", 0.0)]
    if entry.id in COMMUNES_BY_DISTRICT:
        # "Wie viele Kommunen machen mit?" – "welche denn": the names are listed by Landkreis
        send(dispatcher, answers.which_landkreis_reply(shared_repository().landkreise()))
        return [SlotSet("fallback_count", 0.0)]
    if lists_items(entry):
        return utter_entry(dispatcher, entry.id, tracker)  # the list is in that answer
    dispatcher.utter_message(response="utter_no_answer_on_topic", topic=topic)
    return utter_entry(dispatcher, "contact", tracker)


async def answer_previous_turn(dispatcher: CollectingDispatcher, tracker: Tracker,
                               domain: dict) -> list[dict[str, Any]] | None:
    """A message that only makes sense with the bot's last reply: a typed choice after "Welche
    meinen Sie?" ("die im Vogtland"), else a pointer at the answer just given ("welche denn",
    "und 2022?"). None when it is neither."""
    if (events := await answer_typed_choice(dispatcher, tracker, domain)) is not None:
        return events
    return await answer_pointing_back(dispatcher, tracker, domain)
