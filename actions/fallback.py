"""Asking back when the NLU is unsure, and handing over to people when it stays unsure."""
from __future__ import annotations

from dataclasses import replace

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.communes import ActionAnswerCommune, ActionAnswerDistrict, commune_in_play
from actions.faq import answer_resolution, utter_entry
from actions.out_of_scope import ActionOutOfScope, reply_before_clarifying, scope_decision
from actions.pointing_back import answer_previous_turn
from bot.conversation.followups import unsure_followup
from bot.conversation.scope import unplaced_but_out_of_scope
from bot.knowledge import KnowledgeBase, shared_knowledge_base

MAX_SUGGESTIONS = 3
# Below this an intent is noise, not a guess worth offering.
MIN_SUGGESTION_CONFIDENCE = 0.05
# "Nichts davon" counts as a second misunderstanding and leads to the contact.
NONE_OF_THESE = {"title": "Nichts davon", "payload": "/nlu_fallback"}
HUMAN = {"title": "Mit einem Menschen sprechen", "payload": "/request_human"}
# Unsure questions that look like commune questions go to the commune actions: they check
# the name against the database themselves and ask back there if needed.
COMMUNE_ACTIONS = {
    "ask_commune_membership": ActionAnswerCommune,
    "ask_commune_since": ActionAnswerCommune,
    "ask_commune_facts": ActionAnswerCommune,
    "inform_commune": ActionAnswerCommune,
    "ask_members_in_district": ActionAnswerDistrict,
}
MIN_COMMUNE_CONFIDENCE = 0.25


# Asking back during a subject ("und die Wand selber, Farben, Gerüst?" after the funding
# answer) offers at least this many questions of that subject.
MIN_TOPIC_SUGGESTIONS = 2


def suggestions(tracker: Tracker, kb: KnowledgeBase) -> list[str]:
    """The most likely answerable intents of the last message, best first; questions of the
    subject just discussed come first, and some of them are offered even when the NLU did
    not rank them."""
    ranking = tracker.latest_message.get("intent_ranking") or []
    picked = [
        item["name"]
        for item in ranking
        if item.get("name") in kb.intents and (item.get("confidence") or 0) >= MIN_SUGGESTION_CONFIDENCE
    ]
    topic = tracker.get_slot("current_topic")
    of_topic = [e.intent for e in kb.entries.values() if topic and e.topic == topic and e.intent]
    ranked_of_topic = [i for i in picked if i in of_topic]
    added = [i for i in of_topic if i not in picked][:max(0, MIN_TOPIC_SUGGESTIONS - len(ranked_of_topic))]
    ordered = ranked_of_topic + added + [i for i in picked if i not in of_topic]
    return ordered[:MAX_SUGGESTIONS]


class ActionClarify(Action):
    def name(self) -> str:
        return "action_clarify"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list:
        # An emergency or a typed command the NLU could not place is answered as such first.
        if (events := await reply_before_clarifying(dispatcher, tracker, domain)) is not None:
            return events
        if (events := await answer_previous_turn(dispatcher, tracker, domain)) is not None:
            return events  # a typed choice, or "welche waren das" after the model communes
        ranking = [i for i in tracker.latest_message.get("intent_ranking") or [] if i.get("name") != "nlu_fallback"]
        # "und wie macht man das?" just below the threshold: the topic just discussed decides.
        followup = unsure_followup(shared_knowledge_base().get(), ranking, tracker.latest_message.get("text") or "",
                                   tracker.get_slot("current_topic"))
        if ranking and ranking[0]["name"] in COMMUNE_ACTIONS and ranking[0]["confidence"] >= MIN_COMMUNE_CONFIDENCE \
                and (followup is None or commune_in_play(tracker)):
            # a commune question; not "und ab wann darf ich einreichen" after the funding deadline
            # when no commune is named or discussed (then the follow-up is answered below)
            return await COMMUNE_ACTIONS[ranking[0]["name"]]().run(dispatcher, tracker, domain)
        if followup is not None:
            return await answer_resolution(dispatcher, tracker, domain, followup)
        if unplaced_but_out_of_scope(ranking):
            # "Mein Handy geht nicht mehr an" just below the threshold: decided as a sure
            # out_of_scope is (asked back only for a named topic or a real second guess).
            decision = replace(scope_decision(tracker), possible_emergency=False)  # said above already
            return await ActionOutOfScope.answer(decision, dispatcher, tracker, domain)
        failures = int(tracker.get_slot("fallback_count") or 0) + 1
        if failures >= 2:
            dispatcher.utter_message(response="utter_clarify_failed")
            events = utter_entry(dispatcher, "contact", tracker)
            # Two failed answers in a row: a person is offered (actions/handover.py decides how).
            dispatcher.utter_message(text="Möchten Sie lieber mit einem Menschen sprechen?", buttons=[HUMAN])
            return events

        kb = shared_knowledge_base().get()
        buttons = [
            {"title": kb.entry_for_intent(intent).title, "payload": f"/{intent}"}
            for intent in suggestions(tracker, kb)
        ]
        if buttons:
            dispatcher.utter_message(response="utter_clarify", buttons=buttons + [NONE_OF_THESE])
        else:
            dispatcher.utter_message(response="utter_default")
            dispatcher.utter_message(response="utter_topics")
        return [SlotSet("fallback_count", float(failures))]
