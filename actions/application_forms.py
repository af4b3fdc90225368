"""Validation of the three application forms. Every answer is checked by
bot/applications/validation.py; a wrong answer gets a reply saying what is expected, and a
question about ASSKomm in the middle of a form is answered before the form asks again."""
from __future__ import annotations

import abc
from datetime import datetime, timezone
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction

from actions.faq import utter_entry
from bot.applications import validation
from bot.applications.choices import OTHER, handlungsfelder, match_choice
from bot.communes.answers import commune_button
from bot.communes.facts import SIGNED, german_date
from bot.communes.service import shared_repository
from bot.config import get_settings
from bot.knowledge import shared_knowledge_base

# A failed answer this sure to be a question about ASSKomm is answered as one.
DIGRESSION_CONFIDENCE = 0.7
# Intents that start a form: their message may already name the commune.
STARTING_INTENTS = {"request_join", "request_funding"}
NOT_AN_ANSWER = {"cancel", "correct_field"}


def _intent(tracker: Tracker) -> tuple[str | None, float]:
    intent = tracker.latest_message.get("intent") or {}
    return intent.get("name"), intent.get("confidence") or 0.0


class ApplicationFormValidation(FormValidationAction, abc.ABC):
    """Shared validators; each form's subclass only names its form."""

    @abc.abstractmethod
    def form(self) -> str: ...

    def name(self) -> str:
        return f"validate_{self.form()}"

    async def required_slots(self, domain_slots, dispatcher, tracker, domain) -> list[str]:
        # An existing member needs no join request: the form ends after the commune.
        if tracker.get_slot("app_already_member"):
            return []
        return domain_slots

    def _checked(self, slot: str, parsed: validation.Parsed, dispatcher: CollectingDispatcher,
                 tracker: Tracker) -> dict[str, Any]:
        if parsed.ok:
            return {slot: parsed.value}
        intent, confidence = _intent(tracker)
        entry = shared_knowledge_base().get().entry_for_intent(intent) if intent else None
        if entry is not None and confidence >= DIGRESSION_CONFIDENCE:
            utter_entry(dispatcher, entry.id, tracker)
            dispatcher.utter_message(text="Nun weiter mit Ihrer Anfrage.")
        else:
            dispatcher.utter_message(text=parsed.error)
        return {slot: None}

    # --- the commune: named in the first message or asked for -------------------------
    async def extract_app_commune(self, dispatcher, tracker, domain) -> dict[str, Any]:
        requested = tracker.get_slot("requested_slot")
        intent, _ = _intent(tracker)
        text = tracker.latest_message.get("text") or ""
        if requested == "app_commune" and intent not in NOT_AN_ANSWER:
            return {"app_commune": text}
        if requested is None and intent in STARTING_INTENTS and tracker.get_slot("app_commune") is None:
            match = shared_repository().matcher().find_in_message(text)
            if match is not None:
                return {"app_commune": text}
        return {}

    def validate_app_commune(self, value, dispatcher, tracker, domain) -> dict[str, Any]:
        repository = shared_repository()
        matcher = repository.matcher()
        text = str(value or "")
        if text in matcher.communes:  # an AGS stored before, validated again when a form resumes
            return {"app_commune": text}
        match = matcher.resolve(text)
        if match.status != "found":
            in_message = matcher.find_in_message(text)
            match = in_message if in_message is not None else match
        if match.status == "ambiguous":
            dispatcher.utter_message(
                text="Dazu passen mehrere sächsische Kommunen. Welche meinen Sie?",
                buttons=[{"title": b["title"], "payload": b["title"]} for b in
                         (commune_button(c, "membership") for c in match.communes[:6])],
            )
            return {"app_commune": None}
        if match.status != "found":
            hint = ", ".join(c.name_short for c in match.suggestions)
            dispatcher.utter_message(
                text="Diese Kommune habe ich unter den sächsischen Städten und Gemeinden nicht gefunden. "
                     "ASSKomm ist für Kommunen im Freistaat Sachsen. Bitte nennen Sie den Namen Ihrer Kommune"
                     + (f" (meinten Sie {hint}?)." if hint else ".")
            )
            return {"app_commune": None}
        info = repository.info(match.commune.ags)
        if self.form() == "join_form" and info.membership is not None and info.membership.status in SIGNED:
            m = info.membership
            when = f" am {german_date(m.agreement_date)}" if m.agreement_date else ""
            dispatcher.utter_message(
                text=f"{info.commune.name_short} nimmt laut meiner Quelle bereits an ASSKomm teil "
                     f"(Kooperationsvereinbarung{when}; Quelle: {m.source_title}). Eine Beitrittsanfrage ist "
                     "deshalb nicht nötig. Für alles Weitere wenden Sie sich bitte an den Landespräventionsrat.",
                buttons=[{"title": "Kontakt zum Landespräventionsrat", "payload": "/ask_contact"}],
            )
            return {"app_commune": info.commune.ags, "app_already_member": True}
        return {"app_commune": info.commune.ags}

    # --- everything else: one parser each -----------------------------------------------
    def validate_app_contact_name(self, value, dispatcher, tracker, domain):
        return self._checked("app_contact_name", validation.parse_person_name(str(value or "")), dispatcher, tracker)

    def validate_app_function(self, value, dispatcher, tracker, domain):
        return self._checked("app_function", validation.parse_function(str(value or "")), dispatcher, tracker)

    def validate_app_email(self, value, dispatcher, tracker, domain):
        return self._checked("app_email", validation.parse_email(str(value or "")), dispatcher, tracker)

    def validate_app_phone(self, value, dispatcher, tracker, domain):
        return self._checked("app_phone", validation.parse_phone(str(value or ""), optional=True), dispatcher, tracker)

    def validate_app_message(self, value, dispatcher, tracker, domain):
        parsed = validation.parse_free_text(str(value or ""), max_length=2000, optional=True)
        return self._checked("app_message", parsed, dispatcher, tracker)

    def validate_app_project(self, value, dispatcher, tracker, domain):
        parsed = validation.parse_free_text(str(value or ""), max_length=2000)
        return self._checked("app_project", parsed, dispatcher, tracker)

    def validate_app_question(self, value, dispatcher, tracker, domain):
        parsed = validation.parse_free_text(str(value or ""), max_length=2000)
        return self._checked("app_question", parsed, dispatcher, tracker)

    def validate_app_cost(self, value, dispatcher, tracker, domain):
        parsed = validation.parse_amount_eur(str(value or ""))
        if parsed.ok:
            parsed = validation.Parsed(value=str(parsed.value))  # slots hold JSON: a Decimal as text
        return self._checked("app_cost", parsed, dispatcher, tracker)

    def validate_app_period(self, value, dispatcher, tracker, domain):
        return self._checked("app_period", validation.parse_period(str(value or "")), dispatcher, tracker)

    def validate_app_degree(self, value, dispatcher, tracker, domain):
        return self._checked("app_degree", validation.parse_degree(str(value or "")), dispatcher, tracker)

    def validate_app_field(self, value, dispatcher, tracker, domain):
        choices, _ = handlungsfelder(get_settings().knowledge_dir)
        text = str(value or "").strip()
        if text in choices or text.startswith(f"{OTHER}: "):  # stored before
            return {"app_field": text}
        choice = match_choice(text, choices)
        if choice is None and validation.parse_function(text).ok:
            choice = f"{OTHER}: {text[:120]}"  # the user's own topic
        parsed = validation.Parsed(value=choice) if choice else validation.Parsed(
            error="Bitte wählen Sie ein Handlungsfeld aus der Liste oder nennen Sie Ihr Thema in wenigen Worten.")
        return self._checked("app_field", parsed, dispatcher, tracker)

    def validate_app_consent(self, value, dispatcher, tracker, domain):
        if value is True and tracker.get_slot("app_consent_at"):  # given before, form resumed
            return {"app_consent": True}
        parsed = validation.parse_consent(str(value or ""))
        if parsed.ok and parsed.value is False:
            dispatcher.utter_message(
                text="Ohne Ihre Einwilligung kann ich die Anfrage nicht speichern und nicht weitergeben. "
                     "Sie können zustimmen oder mit „abbrechen“ beenden; es wird dann nichts gespeichert.")
            return {"app_consent": None}
        if parsed.ok:
            return {"app_consent": True, "app_consent_at": datetime.now(timezone.utc).isoformat()}
        return self._checked("app_consent", parsed, dispatcher, tracker)


class ActionAskAppConsent(Action):
    """The consent question with what happens to the data and the privacy notice link."""

    def name(self) -> str:
        return "action_ask_app_consent"

    async def run(self, dispatcher, tracker, domain):
        dispatcher.utter_message(
            text="Ihre Angaben werden gespeichert und per E-Mail an den Landespräventionsrat Sachsen "
                 "übermittelt, damit er Ihre Anfrage bearbeiten kann. "
                 f"[Datenschutzhinweise]({get_settings().privacy_url})\n\nSind Sie damit einverstanden?",
            buttons=[{"title": "Ja, einverstanden", "payload": "ja"}, {"title": "Nein", "payload": "nein"}],
        )
        return []


class ActionAskAppField(Action):
    """The Handlungsfelder of the knowledge base as buttons."""

    def name(self) -> str:
        return "action_ask_app_field"

    async def run(self, dispatcher, tracker, domain):
        choices, source = handlungsfelder(get_settings().knowledge_dir)
        dispatcher.utter_message(
            text="In welchem Handlungsfeld liegt Ihr Projekt? Wählen Sie eines oder nennen Sie Ihr Thema. "
                 f"(Beispiele laut {source.title}, Stand: {source.stand_german()})",
            buttons=[{"title": c, "payload": c} for c in choices],
        )
        return []


class ValidateJoinForm(ApplicationFormValidation):
    def form(self) -> str:
        return "join_form"


class ValidateFundingForm(ApplicationFormValidation):
    def form(self) -> str:
        return "funding_form"


class ValidateStudyForm(ApplicationFormValidation):
    def form(self) -> str:
        return "study_form"
