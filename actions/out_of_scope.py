"""Out of scope only when it is; emergencies first; outside Saxony; typed commands.

The rules live in bot/conversation/ (scope.py, emergency.py, other_laender.py); these actions
only turn a decision into replies."""
from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.conversation.emergency import looks_like_emergency, may_be_emergency
from bot.conversation.other_laender import other_land_named
from bot.conversation.scope import Decision, Kind, decide, typed_command
from bot.knowledge import shared_knowledge_base

# "Nichts davon" counts as a misunderstanding (action_clarify), the second one leads to the contact.
NONE_OF_THESE = {"title": "Nichts davon", "payload": "/nlu_fallback"}


def utter_emergency(dispatcher: CollectingDispatcher) -> list:
    """110/112 first, that the bot is not the police, and nothing else: no buttons, no topics."""
    dispatcher.utter_message(response="utter_emergency")
    return [SlotSet("fallback_count", 0.0)]


async def answer_command(command: str, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list:
    if command == "help":
        dispatcher.utter_message(response="utter_capabilities")
        dispatcher.utter_message(response="utter_topics")
        return []
    if command == "stop":
        from actions.applications import ActionCancelApplication  # ends a running form, too

        return await ActionCancelApplication().run(dispatcher, tracker, domain)
    dispatcher.utter_message(response="utter_unknown_command")
    dispatcher.utter_message(response="utter_topics")
    return []


async def reply_before_clarifying(dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list | None:
    """The safety net of the fallback path: an emergency, a typed command or a commune of another
    Land the NLU could not place is answered as such; None when the message is none of them (then, if the NLU hints at an
    emergency, the 110/112 line has been said and the caller asks back as usual)."""
    text = tracker.latest_message.get("text") or ""
    if looks_like_emergency(text):
        return utter_emergency(dispatcher)
    command = typed_command(text, (tracker.latest_message.get("intent") or {}).get("name"))
    if command:
        return await answer_command(command, dispatcher, tracker, domain)
    if other_land_named(text) is not None:  # "Gera in Thüringen …" the NLU could not place
        return await ActionOutsideSaxony().run(dispatcher, tracker, domain)
    if may_be_emergency(tracker.latest_message.get("intent_ranking") or [], text):
        dispatcher.utter_message(response="utter_emergency")  # "Bei Gefahr …": fits as a preface
    return None


def scope_decision(tracker: Tracker) -> Decision:
    """What the scope rule (bot/conversation/scope.py) makes of the last message."""
    return decide(
        tracker.latest_message.get("text"),
        tracker.latest_message.get("intent_ranking") or [],
        shared_knowledge_base().get(),
        tracker.get_slot("last_knowledge_id"),
        (tracker.latest_message.get("intent") or {}).get("name"),
    )


class ActionOutOfScope(Action):
    """Says "Dazu kann ich leider nichts sagen" only when the message really is out of scope."""

    def name(self) -> str:
        return "action_out_of_scope"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list:
        if not looks_like_emergency(tracker.latest_message.get("text") or ""):
            from actions.pointing_back import answer_previous_turn  # it imports actions.faq

            if (events := await answer_previous_turn(dispatcher, tracker, domain)) is not None:
                return events  # "die im Vogtland" after "Welche meinen Sie?", "und 2022?" after the budget
        return await self.answer(scope_decision(tracker), dispatcher, tracker, domain)

    @staticmethod
    async def answer(decision: Decision, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list:
        if decision.kind is Kind.EMERGENCY:
            return utter_emergency(dispatcher)
        if decision.kind is Kind.COMMAND:
            return await answer_command(decision.command, dispatcher, tracker, domain)
        if decision.possible_emergency:
            dispatcher.utter_message(response="utter_emergency")  # "Bei Gefahr …": fits as a preface
        if decision.kind is Kind.OUTSIDE_SAXONY:
            dispatcher.utter_message(response="utter_outside_saxony", other_land=decision.land.name)
            return []
        if decision.kind is Kind.CLARIFY:
            kb = shared_knowledge_base().get()
            buttons = [{"title": kb.entries[i].title, "payload": f"/{kb.entries[i].intent}"} for i in decision.entry_ids]
            dispatcher.utter_message(response="utter_clarify", buttons=buttons + [NONE_OF_THESE])
            failures = int(tracker.get_slot("fallback_count") or 0) + 1
            return [SlotSet("fallback_count", float(failures))]
        dispatcher.utter_message(response="utter_out_of_scope")
        dispatcher.utter_message(response="utter_topics")
        return [SlotSet("fallback_count", 0.0)]


class ActionOutsideSaxony(Action):
    """A joining or funding question from another Land: ASSKomm is Saxony's programme."""

    def name(self) -> str:
        return "action_outside_saxony"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list:
        land = other_land_named(tracker.latest_message.get("text"))
        name = land.name if land else tracker.get_slot("other_land")
        if not name:  # the rule fired on a stale slot: nothing to say about another Land
            dispatcher.utter_message(response="utter_default")
            return []
        dispatcher.utter_message(response="utter_outside_saxony", other_land=name)
        return [SlotSet("last_knowledge_id", None)]


class ActionDetectOtherLand(Action):
    """Fills the slot other_land after each joining or funding question (custom slot mapping in
    domain.yml), so that a rule sends a commune from another Land to action_outside_saxony
    instead of the joining steps or the form."""

    def name(self) -> str:
        return "action_detect_other_land"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list:
        land = other_land_named(tracker.latest_message.get("text"))
        return [SlotSet("other_land", land.name if land else None)]
