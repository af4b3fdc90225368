"""A person of the LPR takes over (docs/handover.md): offered with the consent question when
someone can (room configured, office hours), else the callback request; with consent the
conversation is handed over and the bot stays silent until staff end it."""
from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.handover import store
from bot.handover.office_hours import german_moment
from bot.handover.service import availability, shared_sessions
from bot.handover.transcript import staff_transcript

CONSENT_BUTTONS = [{"title": "Ja, weitergeben", "payload": "/affirm"},
                   {"title": "Nein", "payload": "/deny"}]
MATRIX_SENDER = "matrix:"


def handover_channel(tracker: Tracker) -> str:
    """The channel staff answers go out on; Matrix users reach Rasa over REST through the bridge."""
    if tracker.sender_id.startswith(MATRIX_SENDER):
        return "matrix"
    return (tracker.get_latest_input_channel() or "rest")[:40]


def unavailable_text(reason: str, next_opening) -> str:
    if reason == "not_configured":
        text = "Eine direkte Verbindung zu den Mitarbeitenden des Landespräventionsrats gibt es in diesem Chat nicht."
    else:
        text = "Die Mitarbeitenden des Landespräventionsrats sind gerade nicht im Chat erreichbar."
    if next_opening is not None:
        text += f" Sie sind wieder da ab {german_moment(next_opening)}."
    return text


class ActionOfferHandover(Action):
    def name(self) -> str:
        return "action_offer_handover"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list:
        now = availability()
        if not now.live:
            dispatcher.utter_message(text=unavailable_text(now.reason, now.next_opening))
            return [SlotSet("handover_offer", "callback")]  # the rule offers the callback request next
        if store.open_for(shared_sessions(), tracker.sender_id):
            dispatcher.utter_message(text="Ihre Anfrage ist schon weitergeleitet. Eine Mitarbeiterin oder ein "
                                          "Mitarbeiter antwortet Ihnen hier.")
            return [SlotSet("handover_offer", None)]
        dispatcher.utter_message(
            text="Ich kann Ihr Gespräch an eine Mitarbeiterin oder einen Mitarbeiter des Landespräventionsrats "
                 "Sachsen weitergeben. Die Person sieht dann den bisherigen Verlauf, ohne E-Mail-Adressen, "
                 "Telefonnummern und Ihre Angaben in Formularen, und alles, was Sie ab dann schreiben. "
                 "Sind Sie damit einverstanden?",
            buttons=CONSENT_BUTTONS)
        return [SlotSet("handover_offer", "consent")]


class ActionStartHandover(Action):
    def name(self) -> str:
        return "action_start_handover"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list:
        now = availability()  # office hours may have ended while the user read the question
        if not now.live:
            dispatcher.utter_message(text=unavailable_text(now.reason, now.next_opening))
            dispatcher.utter_message(text="Sie können eine Rückrufbitte hinterlassen: Schreiben Sie dazu „Rückruf“.")
            return [SlotSet("handover_offer", None)]
        store.request(shared_sessions(), tracker.sender_id, handover_channel(tracker),
                      staff_transcript(tracker.events))
        dispatcher.utter_message(
            text="Vielen Dank. Ich habe Ihr Anliegen an den Landespräventionsrat weitergegeben. Eine Mitarbeiterin "
                 "oder ein Mitarbeiter antwortet Ihnen hier im Chat. Bis dahin antworte ich nicht: Was Sie jetzt "
                 "schreiben, liest die Person.")
        # Listen now: with the slot emptied no rule matches any more, and the policies' guess
        # after this action was the "nicht verstanden" fallback (persona trial, issue 14).
        return [SlotSet("handover_offer", None), FollowupAction("action_listen")]
