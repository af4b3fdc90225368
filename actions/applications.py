"""After a form: summary, confirmation, storage with a reference number, cancel, correction,
and the status question. Storage and mail live in bot/applications/."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction

from bot.applications import store, validation
from bot.applications.forms import FORM_KINDS, KIND_FORMS, LABELS, field_to_correct, format_value
from bot.applications.service import hand_over, shared_sessions
from bot.communes.service import shared_repository
from bot.config import get_settings

FORM_SLOTS = [*LABELS, "app_consent_at", "app_already_member", "app_kind", "app_submission_key"]
TOPICS = [{"title": "Themen anzeigen", "payload": "/ask_capabilities"}]
MAX_EMAIL_TRIES = 3


def form_slots(domain: dict, form: str) -> list[str]:
    return list((domain.get("forms") or {}).get(form, {}).get("required_slots", []))


def reset_form() -> list[dict[str, Any]]:
    return [SlotSet(slot, None) for slot in FORM_SLOTS]


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
            return reset_form()
        lines = [f"- **{LABELS[s]}:** {displayed(s, tracker.get_slot(s))}" for s in form_slots(domain, form)]
        dispatcher.utter_message(
            text="Bitte prüfen Sie Ihre Angaben:\n" + "\n".join(lines)
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
    return bool(slots) and all(tracker.get_slot(s) not in (None, "") or s in ("app_phone", "app_message")
                               for s in slots)


class ActionSubmitApplication(Action):
    def name(self) -> str:
        return "action_submit_application"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list:
        kind, key = tracker.get_slot("app_kind"), tracker.get_slot("app_submission_key")
        if not kind or not key:
            dispatcher.utter_message(text="Gern. Wobei kann ich Ihnen helfen?", buttons=TOPICS)
            return []
        form = KIND_FORMS[kind]
        fields = {LABELS[s]: displayed(s, tracker.get_slot(s)) for s in form_slots(domain, form)}
        consent_at = tracker.get_slot("app_consent_at") or datetime.now(timezone.utc).isoformat()
        draft = store.Draft(
            kind=kind, fields=fields, email=tracker.get_slot("app_email"),
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
        return [*reset_form(), SlotSet("app_reference", stored.reference)]


class ActionCancelApplication(Action):
    def name(self) -> str:
        return "action_cancel_application"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list:
        running = tracker.active_loop.get("name") or tracker.get_slot("app_submission_key")
        if running:
            dispatcher.utter_message(text="Ich habe die Anfrage abgebrochen. Es wurde nichts gespeichert.",
                                     buttons=TOPICS)
        else:
            dispatcher.utter_message(text="In Ordnung. Wobei kann ich Ihnen helfen?", buttons=TOPICS)
        return [ActiveLoop(None), SlotSet("requested_slot", None), *reset_form(),
                SlotSet("status_reference", None), SlotSet("status_email", None)]


class ActionCorrectApplication(Action):
    """'Die E-Mail ist falsch': asks that one field again, then shows the summary again."""

    def name(self) -> str:
        return "action_correct_application"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list:
        form = tracker.active_loop.get("name")
        if form is None and tracker.get_slot("app_submission_key"):  # at the summary
            form = last_form(tracker)
        if form not in FORM_KINDS:
            dispatcher.utter_message(text="Es gibt gerade keine Anfrage, die ich korrigieren könnte.", buttons=TOPICS)
            return []
        slots = [s for s in form_slots(domain, form) if s != "app_consent"]
        chosen = next(tracker.get_latest_entity_values("app_slot"), None)
        slot = chosen if chosen in slots else field_to_correct(tracker.latest_message.get("text") or "", slots)
        if slot is None:
            dispatcher.utter_message(
                text="Was möchten Sie korrigieren?",
                buttons=[{"title": LABELS[s], "payload": f'/correct_field{{"app_slot": "{s}"}}'} for s in slots],
            )
            return []
        events = [SlotSet(slot, None), SlotSet("app_submission_key", None)]
        if slot == "app_commune":
            events.append(SlotSet("app_already_member", None))
        return [*events, FollowupAction(form)]


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
