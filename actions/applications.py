"""Around the forms: the offer before a form, summary, confirmation, storage with a reference
number, cancel, and the status question. Storage and mail live in bot/applications/; the
correction action lives with the form validation (actions/application_forms.py)."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction

from actions.faq import utter_entry
from bot.applications import store, validation
from bot.applications.corrections import wants_to_leave
from bot.applications.forms import FORM_KINDS, KIND_FORMS, LABELS, format_value
from bot.applications.offers import (
    DEFAULT_INFO_ENTRY,
    FORM_OF_INTENT,
    START_PHRASES,
    asks_to_be_signed_up,
    info_entry,
    starts_at_once,
)
from bot.applications.service import hand_over, shared_sessions
from bot.clock import now
from bot.communes.service import shared_repository
from bot.config import get_settings
from bot.handover.office_hours import german_moment
from bot.handover.service import availability
from bot.knowledge import shared_knowledge_base

FORM_SLOTS = [*LABELS, "app_consent_at", "app_already_member", "app_kind", "app_submission_key",
              "app_offer", "app_info_entry", "app_paused", "app_resume", "app_commune_options",
              "app_deadline_note"]
TOPICS = [{"title": "Themen anzeigen", "payload": "/ask_capabilities"}]
MAX_EMAIL_TRIES = 3


def form_slots(domain: dict, form: str) -> list[str]:
    return list((domain.get("forms") or {}).get(form, {}).get("required_slots", []))


def reset_form(tracker: Tracker) -> list[dict[str, Any]]:
    """Empties the form slots that hold something. Only those: a form validates every slot set
    just before it starts, and an emptied slot is no answer to check ("Bitte geben Sie Ihren
    Namen ein" before the first question)."""
    return [SlotSet(slot, None) for slot in FORM_SLOTS if tracker.get_slot(slot) is not None]


def displayed(slot: str, value) -> str:
    if slot == "app_commune" and value:
        info = shared_repository().info(value)
        return info.commune.name_short if info else str(value)
    return format_value(slot, value)



def channel_of(tracker: Tracker) -> str:
    return (tracker.get_latest_input_channel() or "unbekannt")[:40]


class ActionApplicationSummary(Action):
    """Shows everything before anything is stored and asks for explicit confirmation."""

    def name(self) -> str:
        return "action_application_summary"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list:
        form = last_form(tracker)
        if tracker.get_slot("app_already_member") or form is None or not _filled(tracker, domain, form):
            return reset_form(tracker)
        lines = [f"- **{LABELS[s]}:** {displayed(s, tracker.get_slot(s))}" for s in form_slots(domain, form)]
        note = tracker.get_slot("app_deadline_note")
        warning = f"\n\n**Hinweis:** {note}" if note else ""
        dispatcher.utter_message(
            text="Bitte prüfen Sie Ihre Angaben:\n" + "\n".join(lines) + warning
                 + "\n\nSoll ich die Anfrage so an den Landespräventionsrat senden?",
            buttons=[{"title": "Ja, absenden", "payload": "/affirm"},
                     {"title": "Korrigieren", "payload": "/correct_field"},
                     {"title": "Abbrechen", "payload": "/cancel"}],
        )
        # A new key for each summary: confirming the same summary twice stores it once.
        return [SlotSet("app_kind", FORM_KINDS[form]), SlotSet("app_submission_key", uuid.uuid4().hex)]


def last_form(tracker: Tracker) -> str | None:
    for event in reversed(tracker.events):
        if event.get("event") == "active_loop" and event.get("name") in FORM_KINDS:
            return event["name"]
    return None


def _filled(tracker: Tracker, domain: dict, form: str) -> bool:
    slots = form_slots(domain, form)
    optional = {"app_phone", "app_message"}
    if form == "callback_form" and tracker.get_slot("app_phone"):
        optional.add("app_email")  # a callback needs an e-mail address or a phone number
    return bool(slots) and all(tracker.get_slot(s) not in (None, "") or s in optional for s in slots)


def callback_expectation() -> str:
    """When staff can next read a callback request, from the office hours and the clock."""
    opening = availability().next_opening
    if opening is None:
        return "Der Landespräventionsrat meldet sich bei Ihnen."
    if opening <= now():
        return "Die Mitarbeitenden des Landespräventionsrats sind gerade im Dienst und melden sich bei Ihnen."
    return (f"Die Mitarbeitenden des Landespräventionsrats sind wieder ab {german_moment(opening)} im Dienst "
            "und melden sich dann bei Ihnen.")


class ActionSubmitApplication(Action):
    def name(self) -> str:
        return "action_submit_application"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list:
        kind, key = tracker.get_slot("app_kind"), tracker.get_slot("app_submission_key")
        if not kind or not key:
            dispatcher.utter_message(text="Gern. Wobei kann ich Ihnen helfen?", buttons=TOPICS)
            return []
        form = KIND_FORMS[kind]
        consent_at = tracker.get_slot("app_consent_at")
        if not consent_at:
            # The consent time is the moment of the consent, never the moment of sending: without
            # it nothing is stored, and the form asks for the consent again.
            dispatcher.utter_message(text="Ihre Einwilligung zur Weitergabe fehlt noch. Ohne sie kann ich die "
                                          "Anfrage nicht speichern.")
            return [SlotSet("app_consent", None), SlotSet("app_submission_key", None), FollowupAction(form)]
        fields = {LABELS[s]: displayed(s, tracker.get_slot(s)) for s in form_slots(domain, form)}
        draft = store.Draft(
            kind=kind, fields=fields, email=tracker.get_slot("app_email") or "",
            consent_at=datetime.fromisoformat(consent_at), channel=channel_of(tracker),
            sender_id=tracker.sender_id, submission_key=key,
        )
        sessions = shared_sessions()
        stored = store.submit(sessions, draft, recipient=get_settings().applications_to)
        hand_over(sessions)
        dispatcher.utter_message(
            text=f"Vielen Dank. Ihre {store.KINDS[kind]} ist gespeichert und wird an den Landespräventionsrat "
                 f"Sachsen weitergegeben.\n\nIhre Vorgangsnummer: **{stored.reference}**\n\n"
                 "Nach dem Stand können Sie mich jederzeit fragen, zum Beispiel: „Wie ist der Stand meines Antrags?“"
        )
        if kind == "rueckruf":
            dispatcher.utter_message(text=callback_expectation())
        return [*reset_form(tracker), SlotSet("app_reference", stored.reference)]


class ActionOfferApplication(Action):
    """A request for a form: started at once when the user asks for it, offered first when it
    came with a question; and the answer to that offer ("ja", "nur Infos", "später")."""

    def name(self) -> str:
        return "action_offer_application"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        text = tracker.latest_message.get("text") or ""
        offered = tracker.get_slot("app_offer") if tracker.get_slot("app_offer") in FORM_KINDS else None
        if offered and wants_to_leave(text):
            return self.decline(dispatcher, tracker, offered)
        if intent in FORM_OF_INTENT:
            form = FORM_OF_INTENT[intent]
            entry = info_entry(form, tracker.latest_message.get("intent_ranking") or [], _knowledge_topics())
            # A person asked for is never answered with a form at once: the callback is offered.
            if (starts_at_once(text) and intent != "request_human") or offered == form:
                return self.start(dispatcher, tracker, form, entry)
            if form == "join_form" and asks_to_be_signed_up(text):
                # "Bitte melden Sie uns an": the bot cannot sign a commune up; how joining
                # works (knowledge/) comes first, then the offer that the LPR gets in touch.
                events = utter_entry(dispatcher, entry or DEFAULT_INFO_ENTRY[form], tracker)
                dispatcher.utter_message(text=SIGN_UP_OFFER, buttons=SIGN_UP_BUTTONS)
                return [*events, SlotSet("app_offer", form), SlotSet("app_info_entry", entry)]
            dispatcher.utter_message(text=OFFERS[form], buttons=OFFER_BUTTONS)
            return [SlotSet("app_offer", form), SlotSet("app_info_entry", entry)]
        if offered is None:
            dispatcher.utter_message(text="Gern. Wobei kann ich Ihnen helfen?", buttons=TOPICS)
            return [SlotSet("app_offer", None)]
        answer = validation.parse_consent(text)
        if intent == "affirm" or (answer.ok and answer.value is True):
            return self.start(dispatcher, tracker, offered, tracker.get_slot("app_info_entry"))
        if intent == "deny" or answer.ok:
            return self.decline(dispatcher, tracker, offered)
        dispatcher.utter_message(text="Möchten Sie die Anfrage jetzt stellen? Bitte antworten Sie mit „ja“ oder "
                                      "„nein“.", buttons=OFFER_BUTTONS)
        return [SlotSet("app_offer", offered)]

    @staticmethod
    def start(dispatcher: CollectingDispatcher, tracker: Tracker, form: str, entry: str | None) -> list:
        dispatcher.utter_message(response=f"utter_{FORM_KINDS_INTRO[form]}_intro")
        return [*reset_form(tracker), SlotSet("app_offer", f"start_{form}"), SlotSet("app_info_entry", entry)]

    @staticmethod
    def decline(dispatcher: CollectingDispatcher, tracker: Tracker, form: str) -> list:
        entry = tracker.get_slot("app_info_entry") or DEFAULT_INFO_ENTRY[form]
        events: list = []
        if tracker.get_slot("last_knowledge_id") == entry:
            dispatcher.utter_message(text="In Ordnung.")  # the information came with the offer
        else:
            dispatcher.utter_message(text="Gern, dann zuerst die Informationen:")
            events = utter_entry(dispatcher, entry, tracker)
        dispatcher.utter_message(text=f"Wenn Sie später eine Anfrage stellen möchten, schreiben Sie einfach "
                                      f"„{START_PHRASES[form]}“.")
        return [*events, SlotSet("app_offer", None), SlotSet("app_info_entry", None)]


# The intro response of each form: utter_join_intro, utter_funding_intro, utter_study_intro.
FORM_KINDS_INTRO = {"join_form": "join", "funding_form": "funding", "study_form": "study",
                    "callback_form": "callback"}
OFFERS = {
    "join_form": "Ich kann hier im Chat eine Beitrittsanfrage Ihrer Kommune aufnehmen und an den "
                 "Landespräventionsrat Sachsen weitergeben. Möchten Sie das jetzt tun, oder möchten Sie zuerst "
                 "nur Informationen?",
    "funding_form": "Ich kann hier im Chat eine Förderanfrage aufnehmen und an den Landespräventionsrat Sachsen "
                    "weitergeben. Möchten Sie das jetzt tun, oder möchten Sie zuerst nur Informationen?",
    "study_form": "Ich kann hier im Chat eine Studienanfrage aufnehmen und an den Landespräventionsrat Sachsen "
                  "weitergeben. Möchten Sie das jetzt tun, oder möchten Sie zuerst nur Informationen?",
    "callback_form": "Ich kann eine Rückrufbitte aufnehmen: Eine Mitarbeiterin oder ein Mitarbeiter des "
                     "Landespräventionsrats meldet sich dann bei Ihnen. Möchten Sie das, oder möchten Sie zuerst "
                     "nur die Kontaktdaten?",
}
OFFER_BUTTONS = [{"title": "Ja, Anfrage stellen", "payload": "/affirm"},
                 {"title": "Nein, nur Informationen", "payload": "/deny"}]
SIGN_UP_OFFER = ("Anmelden kann ich Ihre Kommune hier nicht selbst. Ich kann aber eine Beitrittsanfrage aufnehmen: "
                 "Dann meldet sich der Landespräventionsrat Sachsen bei Ihnen. Möchten Sie das jetzt tun?")
SIGN_UP_BUTTONS = [{"title": "Ja, Anfrage stellen", "payload": "/affirm"},
                   {"title": "Nein, danke", "payload": "/deny"}]


def _knowledge_topics() -> dict[str, tuple[str, str | None]]:
    kb = shared_knowledge_base().get()
    return {intent: (kb.entry_for_intent(intent).id, kb.entry_for_intent(intent).topic) for intent in kb.intents}


class ActionCancelApplication(Action):
    def name(self) -> str:
        return "action_cancel_application"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list:
        running = tracker.active_loop.get("name") or tracker.get_slot("app_submission_key")
        form = tracker.active_loop.get("name") or tracker.get_slot("app_offer")
        answer: list = []
        if running:
            dispatcher.utter_message(text="Ich habe die Anfrage abgebrochen. Es wurde nichts gespeichert.",
                                     buttons=TOPICS)
        else:
            dispatcher.utter_message(text="In Ordnung. Wobei kann ich Ihnen helfen?", buttons=TOPICS)
        if form in DEFAULT_INFO_ENTRY and wants_to_leave(tracker.latest_message.get("text") or ""):
            # "ich will doch erstmal nur infos" read as cancel: the question is answered too
            answer = utter_entry(dispatcher, tracker.get_slot("app_info_entry") or DEFAULT_INFO_ENTRY[form], tracker)
        return [ActiveLoop(None), SlotSet("requested_slot", None), *reset_form(tracker), *answer,
                SlotSet("status_reference", None), SlotSet("status_email", None)]


class ActionApplicationStatus(Action):
    """The status of an application: shown in the conversation that submitted it, or after
    the e-mail address given in it; never any personal data."""

    def name(self) -> str:
        return "action_application_status"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list:
        sessions = shared_sessions()
        text = tracker.latest_message.get("text") or ""
        reference = (store.find_reference(text) or tracker.get_slot("status_reference")
                     or tracker.get_slot("app_reference") or store.latest_reference(sessions, tracker.sender_id))
        if reference is None:
            dispatcher.utter_message(text="Bitte nennen Sie Ihre Vorgangsnummer, zum Beispiel ASK-2026-000042.")
            return []
        view = store.status_of(sessions, reference, sender_id=tracker.sender_id,
                               email=tracker.get_slot("status_email") or "")
        if view is not None:
            dispatcher.utter_message(
                text=f"Ihre {view.kind} {view.reference} vom {view.created_at:%d.%m.%Y} hat den Status: "
                     f"**{view.status}**.")
            return [SlotSet("status_reference", None), SlotSet("status_email", None)]
        if tracker.get_slot("status_email"):
            dispatcher.utter_message(text="Zu dieser Vorgangsnummer und E-Mail-Adresse finde ich keine Anfrage.")
            return [SlotSet("status_reference", None), SlotSet("status_email", None)]
        return [SlotSet("status_reference", reference), FollowupAction("status_form")]


class ValidateStatusForm(FormValidationAction):
    def name(self) -> str:
        return "validate_status_form"

    def validate_status_email(self, value, dispatcher, tracker, domain) -> dict[str, Any]:
        parsed = validation.parse_email(str(value or ""))
        if parsed.ok:
            return {"status_email": parsed.value}
        tries = int(tracker.get_slot("status_tries") or 0) + 1
        if tries >= MAX_EMAIL_TRIES:
            dispatcher.utter_message(text="Ohne die E-Mail-Adresse aus der Anfrage kann ich keine Auskunft geben.")
            return {"status_email": "-", "status_tries": 0}
        dispatcher.utter_message(text=parsed.error)
        return {"status_email": None, "status_tries": tries}
