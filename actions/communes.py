"""Questions about one commune or a Landkreis, answered from the commune database."""
from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.communes import answers, dialogue
from bot.communes.matching import find_landkreis
from bot.communes.names import fold
from bot.communes.programme import shared_programme_facts
from bot.communes.service import shared_repository
from bot.conversation.followups import Resolution, resolve
from bot.knowledge import Reply, shared_knowledge_base

log = logging.getLogger(__name__)


def entity(tracker: Tracker, name: str) -> str | None:
    return next(tracker.get_latest_entity_values(name), None)


def asked_intent(tracker: Tracker) -> str | None:
    """The intent of the last message; when the NLU was unsure (nlu_fallback), its best guess."""
    intent = (tracker.latest_message.get("intent") or {}).get("name")
    if intent == "nlu_fallback":
        ranking = [i["name"] for i in tracker.latest_message.get("intent_ranking") or [] if i["name"] != intent]
        return ranking[0] if ranking else None
    return intent


def send(dispatcher: CollectingDispatcher, reply: Reply) -> None:
    dispatcher.utter_message(text=reply.text, buttons=reply.buttons)


def offered_communes(tracker: Tracker) -> list[str]:
    """The communes the bot offered in its reply to the message before ("Welche meinen Sie?").
    Only the very next message can choose among them: an older offer is no longer on screen."""
    users = 0
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            users += 1
            if users > 1:
                return []
        elif users == 1 and event.get("event") == "slot" and event.get("name") == "commune_options":
            return list(event.get("value") or [])
    return []


def typed_choice(tracker: Tracker) -> str | None:
    """The offered commune the last message selects ("die im Vogtland", "die zweite")."""
    offered = offered_communes(tracker)
    if not offered:
        return None
    return dialogue.pick_offered_commune(shared_repository().matcher(), tracker.latest_message.get("text") or "",
                                         offered)


def commune_in_play(tracker: Tracker) -> bool:
    """A commune or Landkreis is named in the message or offered just before, or a commune is
    what the conversation is about."""
    if entity(tracker, "commune_ags") or entity(tracker, "landkreis") or offered_communes(tracker):
        return True
    if tracker.get_slot("current_topic") == "commune":
        return True
    text = tracker.latest_message.get("text") or ""
    repository = shared_repository()
    if repository.matcher().find_in_message(text) is not None or find_landkreis(text, repository.landkreise()):
        return True
    # "und seit wann sind die dabei?": points back to the commune named before
    return bool(tracker.get_slot("commune_ags")) and dialogue.refers_back(
        text, lambda word: word in fold(repository.matcher().candidate_words(text)).split())


class ActionAnswerCommune(Action):
    """Membership, joining date or basic facts of the commune the user names (or named before)."""

    def name(self) -> str:
        return "action_answer_commune"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        if entity(tracker, "commune_ags") is None and \
                (events := await _pointing_back(dispatcher, tracker, domain)) is not None:
            return events  # "welche denn" after the communes of a Landkreis
        intent = asked_intent(tracker)
        ags = entity(tracker, "commune_ags") or typed_choice(tracker)
        if ags is not None and entity(tracker, "commune_ags") is None:
            intent = None  # a typed choice answers the question asked before it, whatever the NLU read
        question = dialogue.asked_question(intent, entity(tracker, "commune_question"),
                                           tracker.get_slot("commune_question"),
                                           tracker.get_slot("commune_last_question"))
        repository = shared_repository()
        text = tracker.latest_message.get("text") or ""
        if ags is None and not commune_in_play(tracker):
            # "und ab wann darf ich einreichen" after the funding deadline, read as a commune question
            followup = resolve(shared_knowledge_base().get(), intent or "", text, tracker.get_slot("current_topic"))
            if followup != Resolution():
                from actions.faq import answer_resolution  # actions.faq imports this module

                return await answer_resolution(dispatcher, tracker, domain, followup)

        if ags is None and not any(c.isalpha() for c in text):
            # "123", "...", "😀": no name to look for, and no question either
            dispatcher.utter_message(response="utter_default")
            dispatcher.utter_message(response="utter_topics")
            return []
        several = dialogue.several_communes(repository.matcher(), text) if ags is None else []
        if several:  # "Radeberg und Freiberg, sind die beide dabei?": one answer each, in order
            facts = shared_programme_facts().get()
            for each in several:
                send(dispatcher, dialogue.answer(repository.info(each), question, facts))
            return [SlotSet("commune_ags", several[-1]), SlotSet("commune_question", None),
                    SlotSet("commune_last_question", question), SlotSet("current_topic", "commune"),
                    SlotSet("fallback_count", 0.0)]
        if ags is None:
            target = dialogue.find_target(repository.matcher(), text, question, tracker.get_slot("commune_ags"))
            if target.reply is not None:
                send(dispatcher, target.reply)
                return [SlotSet("commune_question", question), SlotSet("commune_options", list(target.offered) or None)]
            ags = target.ags
        info = repository.info(ags) if ags else None
        send(dispatcher, dialogue.answer(info, question, shared_programme_facts().get()))
        if info is None:
            return [SlotSet("commune_question", question)]
        # current_topic "commune": a short follow-up ("Und seit wann?") is
        # about this commune (bot/conversation/followups.py on main).
        return [SlotSet("commune_ags", info.commune.ags), SlotSet("commune_question", None),
                SlotSet("commune_last_question", question), SlotSet("current_topic", "commune"),
                SlotSet("commune_options", None), SlotSet("fallback_count", 0.0)]


class ActionAnswerDistrict(Action):
    """Which communes of a Landkreis take part, as far as the sources say."""

    def name(self) -> str:
        return "action_answer_district"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        if (events := await answer_typed_choice(dispatcher, tracker, domain)) is not None:
            return events
        if entity(tracker, "landkreis") is None and \
                (events := await _pointing_back(dispatcher, tracker, domain)) is not None:
            return events
        repository = shared_repository()
        landkreise = repository.landkreise()
        landkreis = entity(tracker, "landkreis")
        if landkreis not in landkreise:
            landkreis = find_landkreis(tracker.latest_message.get("text") or "", landkreise)
        if landkreis is None:
            match = repository.matcher().find_in_message(tracker.latest_message.get("text") or "")
            if match is not None and match.status == "found":
                # "Wer macht in Dresden mit?": a kreisfreie Stadt is its own district.
                info = repository.info(match.commune.ags)
                send(dispatcher, answers.membership_reply(info, shared_programme_facts().get()))
                return [SlotSet("commune_ags", info.commune.ags), SlotSet("commune_last_question", "membership")]
            send(dispatcher, answers.which_landkreis_reply(landkreise))
            return []
        return answer_district(dispatcher, landkreis)


def answer_district(dispatcher: CollectingDispatcher, landkreis: str) -> list[dict[str, Any]]:
    """The communes of a Landkreis that take part, as far as the sources say."""
    repository = shared_repository()
    members = repository.members_in(landkreis)
    total = sum(1 for c in repository.matcher().communes.values() if c.landkreis == landkreis)
    send(dispatcher, answers.district_reply(landkreis, members, total, shared_programme_facts().get()))
    return [SlotSet("landkreis", landkreis), SlotSet("fallback_count", 0.0)]


async def _pointing_back(dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list | None:
    from actions.pointing_back import answer_pointing_back  # it imports this module

    return await answer_pointing_back(dispatcher, tracker, domain)


async def answer_typed_choice(dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list | None:
    """The commune answer when the message, whatever intent the NLU gave it, chooses among the
    communes just offered ("die im Erzgebirge", "die zweite"); None otherwise. A question
    ("Wer macht im Erzgebirgskreis mit?") is not taken for a choice."""
    if dialogue.asks_a_question(tracker.latest_message.get("text") or "") or typed_choice(tracker) is None:
        return None
    return await ActionAnswerCommune().run(dispatcher, tracker, domain)
