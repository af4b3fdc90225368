"""Privacy in the chat: the short privacy notice, and "Bitte löschen Sie meine Daten" with a
confirmation first. The rules live in bot/privacy/; deleting the stored conversation happens
in the tracker store when it sees action_delete_my_data (bot/privacy/tracker_store.py)."""
from __future__ import annotations

import re

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, AllSlotsReset, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.applications.service import hand_over, shared_sessions
from bot.config import get_settings
from bot.handover import store as handover_store
from bot.privacy.conversations import DELETE_ACTION
from bot.privacy.deletion import request_application_deletion
from bot.privacy.logs import install_log_redaction
from bot.privacy.notice import privacy_notice

install_log_redaction()  # the action server logs what it handles too

TOPICS = [{"title": "Themen anzeigen", "payload": "/ask_capabilities"}]
# Inside a form only a message about one's data is a deletion request; "Wir wollen die Graffiti
# entfernen …" is the project the form asked for.
_ABOUT_MY_DATA = re.compile(r"daten|lösch|loesch|gespräch|gespraech|angaben|vergess|speicher|dsgvo|datenschutz",
                            re.IGNORECASE)


class ActionPrivacyNotice(Action):
    def name(self) -> str:
        return "action_privacy_notice"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list:
        dispatcher.utter_message(text=privacy_notice(get_settings()), buttons=[
            {"title": "Meine Daten löschen", "payload": "/request_data_deletion"}, *TOPICS])
        return []


class ActionOfferDataDeletion(Action):
    """Asks before anything is deleted; a form in progress stops here (like "abbrechen")."""

    def name(self) -> str:
        return "action_offer_data_deletion"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list:
        form, requested = tracker.active_loop.get("name"), tracker.get_slot("requested_slot")
        text = tracker.latest_message.get("text") or ""
        if form and requested and not _ABOUT_MY_DATA.search(text):
            return [SlotSet(requested, text), FollowupAction(form)]  # the answer to the form's question
        in_form = bool(form or tracker.get_slot("app_submission_key"))
        text = "Soll ich dieses Gespräch und alle Angaben, die Sie noch nicht abgeschickt haben, jetzt löschen?"
        if in_form:
            text += " Die begonnene Anfrage wird dabei verworfen."
        dispatcher.utter_message(text=text, buttons=[{"title": "Ja, löschen", "payload": "/affirm"},
                                                     {"title": "Nein, behalten", "payload": "/deny"}])
        return [ActiveLoop(None)]


class ActionDeleteMyData(Action):
    def name(self) -> str:
        return DELETE_ACTION

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list:
        settings = get_settings()
        sessions = shared_sessions()
        references = request_application_deletion(sessions, tracker.sender_id, settings.applications_to)
        handover_store.forget(sessions, tracker.sender_id)  # what was relayed to staff is part of the conversation
        text = ("Erledigt: Ich habe dieses Gespräch und Ihre noch nicht abgeschickten Angaben gelöscht. "
                "Gespeichert bleibt nur diese Bestätigung.")
        if references:
            hand_over(sessions)
            listed = ", ".join(f"**{r}**" for r in references)
            text += (f"\n\nIhre abgeschickte Anfrage {listed} liegt bereits beim Landespräventionsrat Sachsen. "
                     "Ich lösche sie nicht selbst, sondern habe Ihren Löschwunsch mit der Vorgangsnummer an die "
                     "zuständigen Mitarbeitenden weitergegeben. Sie erhalten die Antwort über die E-Mail-Adresse "
                     f"oder Telefonnummer aus Ihrer Anfrage. Mehr dazu: [Datenschutzhinweise]({settings.privacy_url})")
        dispatcher.utter_message(text=text, buttons=TOPICS)
        return [AllSlotsReset(), ActiveLoop(None)]


class ActionKeepMyData(Action):
    def name(self) -> str:
        return "action_keep_my_data"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list:
        dispatcher.utter_message(text="In Ordnung, ich habe nichts gelöscht. Wobei kann ich Ihnen helfen?",
                                 buttons=TOPICS)
        return []
