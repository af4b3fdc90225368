"""Validation of the three application forms. Every answer is checked by
bot/applications/validation.py. Besides answers, a message in a form may leave it ("nur
Infos", "später"), correct other fields ("die kosten stimmen nicht, 23.000 euro"), refer to
something said before ("hab ich doch schon gesagt") or be a question: the question is
answered and the form goes on only if the user wants (bot/applications/corrections.py)."""
from __future__ import annotations

import abc
import re
from datetime import datetime, timezone
from typing import Any, Callable

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction

from actions.applications import TOPICS, displayed, form_slots, last_form, reset_form
from actions.faq import utter_entry
from bot.applications import deadlines, validation
from bot.applications.choices import OTHER, find_choice_in_text, handlungsfelder, match_choice
from bot.applications.corrections import (
    FREE_TEXT,
    corrected_amount,
    implied_correction,
    read_corrections,
    refers_back,
    wants_to_leave,
)
from bot.applications.forms import FORM_KINDS, LABELS
from bot.applications.offers import DEFAULT_INFO_ENTRY, START_PHRASES
from bot.clock import today
from bot.communes.answers import MAX_OFFERED, commune_button
from bot.communes.dialogue import pick_offered_commune
from bot.communes.facts import SIGNED, german_date
from bot.communes.service import shared_repository
from bot.config import get_settings
from bot.conversation.emergency import looks_like_emergency
from bot.knowledge import shared_knowledge_base

# A failed answer this sure to be a question about ASSKomm is answered as one.
DIGRESSION_CONFIDENCE = 0.7
# A failed answer that is worded as a question ("wie lange geht der eigentlich?" asked for a
# name) is answered from the NLU's best knowledge guess down to this confidence: the NLU's own
# fallback threshold (config.yml) had made it "nlu_fallback", and the form's error message
# ("Der Name enthält unzulässige Zeichen") was all the user got (persona trial 2026-11-30).
QUESTION_CONFIDENCE = 0.3
_QUESTION = re.compile(
    r"\?\s*$|^(?:wie|was|wo|wann|wer|wen|wem|welche\w*|warum|wieso|weshalb|wieviel\w*|kann|können|muss|müssen|"
    r"gibt|geht|ist|sind|darf|dürfen|brauch\w*)\b", re.IGNORECASE)
# Intents that start a form: their message may already name the commune.
STARTING_INTENTS = {"request_join", "request_funding", "request_study"}
NOT_AN_ANSWER = {"cancel", "correct_field"}
RESUME = "app_resume"


def _intent(tracker: Tracker) -> tuple[str | None, float]:
    intent = tracker.latest_message.get("intent") or {}
    return intent.get("name"), intent.get("confidence") or 0.0


def fresh_message(tracker: Tracker, form: str) -> str | None:
    """The user's message when this validation runs for it inside the active form; None when
    the form was just started or restarted by another action (the message is not an answer)."""
    if (tracker.active_loop or {}).get("name") != form:
        return None
    actions = []
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            text = tracker.latest_message.get("text") or ""
            return text if actions == [form] and not text.startswith("/") else None
        if event.get("event") == "action":
            actions.append(event.get("name"))
    return None


# Slots whose answer is a question or a message for the LPR: a second question in the same
# message belongs to it.
MESSAGE_SLOTS = {"app_question", "app_message"}


def continued_message(tracker: Tracker) -> list[dict[str, Any]] | None:
    """The rest of a question for the LPR that the question splitter cut off ("kann man das mit
    vollzeitjob machen und gibts präsenzphasen in chemnitz?", bot/conversation/splitting.py): its
    second part was read as the answer to the consent (persona trial 2026-11-30). Returns the
    events that put it back, or None when the message is no such part."""
    users = [i for i, e in enumerate(tracker.events) if e.get("event") == "user"]
    if len(users) < 2:
        return None
    split = (tracker.events[users[-1]].get("metadata") or {}).get("split") or {}
    if int(split.get("part") or 1) < 2:
        return None
    stored = [e for e in tracker.events[users[-2] + 1:users[-1]]
              if e.get("event") == "slot" and e.get("name") in MESSAGE_SLOTS and e.get("value")]
    if not stored:
        return None
    text = tracker.events[users[-1]].get("text") or ""
    return [SlotSet(stored[-1]["name"], f"{stored[-1]['value']} {text}")]


def leave_form(dispatcher: CollectingDispatcher, tracker: Tracker, form: str, answer: bool) -> list[dict[str, Any]]:
    """Ends the form without saving; answers the question it came from if the user wants information."""
    dispatcher.utter_message(text="In Ordnung, ich habe die Anfrage beendet. Es wurde nichts gespeichert.")
    events: list[dict[str, Any]] = []
    if answer:
        events = utter_entry(dispatcher, tracker.get_slot("app_info_entry") or DEFAULT_INFO_ENTRY[form], tracker)
    dispatcher.utter_message(text=f"Wenn Sie die Anfrage später stellen möchten, schreiben Sie einfach "
                                  f"„{START_PHRASES[form]}“.")
    return [*reset_form(tracker), *events, SlotSet("requested_slot", None)]


class ApplicationFormValidation(FormValidationAction, abc.ABC):
    """Shared validators; each form's subclass only names its form."""

    @abc.abstractmethod
    def form(self) -> str: ...

    def name(self) -> str:
        return f"validate_{self.form()}"

    async def get_validation_events(self, dispatcher, tracker, domain):
        # rasa-sdk validates every slot set just before the form ran; a slot emptied there
        # (a reset before the form starts) is no answer and gets no error message.
        trailing = len(tracker.events) - next((i + 1 for i in range(len(tracker.events) - 1, -1, -1)
                                               if tracker.events[i].get("event") != "slot"), 0)
        if trailing:
            tail = [e for e in tracker.events[-trailing:] if e.get("value") is not None]
            tracker.events = tracker.events[:-trailing] + tail
        return await super().get_validation_events(dispatcher, tracker, domain)

    async def required_slots(self, domain_slots, dispatcher, tracker, domain) -> list[str]:
        # An existing member needs no join request: the form ends after the commune.
        if tracker.get_slot("app_already_member"):
            return []
        # After a question in the middle the form asks whether to go on before anything else.
        if tracker.get_slot("app_paused"):
            return [RESUME, *domain_slots]
        return domain_slots

    async def run(self, dispatcher, tracker, domain):
        text = fresh_message(tracker, self.form())
        intent, _ = _intent(tracker)
        if text is not None and looks_like_emergency(text):
            # Danger comes first: 110/112 and nothing else; the form pauses, nothing is stored.
            dispatcher.utter_message(response="utter_emergency")
            return [ActiveLoop(None), SlotSet("requested_slot", None)]
        if text is not None and intent != "cancel":
            events = self.read_turn(text, dispatcher, tracker, domain)
            if events is not None:
                if any(e.get("name") == "requested_slot" and e.get("value") is None for e in events):
                    return events  # the form ends
                tracker.add_slots(events)
                next_slot = await self.next_requested_slot(dispatcher, tracker, domain)
                return events + ([next_slot] if next_slot else [])
        return await super().run(dispatcher, tracker, domain)

    # --- what a message means besides an answer ------------------------------------------
    def read_turn(self, text, dispatcher, tracker, domain) -> list[dict[str, Any]] | None:
        """Events for a message that is not a plain answer, or None to validate it as one."""
        requested = tracker.get_slot("requested_slot")
        continued = continued_message(tracker)
        if continued is not None:
            return [*continued, SlotSet(requested, None)] if requested else continued
        if requested == RESUME:
            return self.resume(text, dispatcher, tracker, domain)
        if wants_to_leave(text, requested):
            return leave_form(dispatcher, tracker, self.form(), answer=True)
        earlier = refers_back(text)
        if earlier is not None and requested:
            return self.take_earlier_value(requested, earlier, dispatcher, tracker, domain)
        events = self.apply_corrections(text, requested, dispatcher, tracker, domain)
        if events is None:
            events = self.apply_implied_correction(text, requested, dispatcher, tracker, domain)
        return events

    def resume(self, text, dispatcher, tracker, domain) -> list[dict[str, Any]]:
        """The answer to "Möchten Sie mit der Anfrage weitermachen?"."""
        paused = tracker.get_slot("app_paused")
        answer = validation.parse_consent(text)
        if wants_to_leave(text, RESUME) or (answer.ok and answer.value is False):
            return leave_form(dispatcher, tracker, self.form(), answer=False)
        go_on = [SlotSet(RESUME, None), SlotSet("app_paused", None)]
        if answer.ok:
            return go_on
        value = self.parsed_value(paused, text) if paused not in FREE_TEXT else None
        if value is not None:  # the answer to the interrupted question itself
            return [*go_on, *self.validated(paused, value, dispatcher, tracker, domain)]
        if self.answer_question(dispatcher, tracker):
            return [SlotSet(RESUME, None)]
        dispatcher.utter_message(text="Bitte antworten Sie mit „ja“ (weitermachen) oder „nein“ (beenden, "
                                      "es wird nichts gespeichert).")
        return [SlotSet(RESUME, None)]

    def take_earlier_value(self, slot, rest, dispatcher, tracker, domain) -> list[dict[str, Any]]:
        """'graffiti hab ich doch schon gesagt': the value in the message, else in an earlier one."""
        candidate = rest if rest and self._accepts(slot, rest) else self.earlier_answer(slot, tracker)
        if candidate is not None and slot not in FREE_TEXT:
            candidate = self.parsed_value(slot, candidate)
        if candidate is None:
            dispatcher.utter_message(text="Dazu finde ich in unserem Gespräch leider keine passende Angabe. "
                                          "Bitte nennen Sie sie noch einmal.")
            return [SlotSet(slot, None)]
        return self.validated(slot, candidate, dispatcher, tracker, domain)

    def earlier_answer(self, slot: str, tracker: Tracker) -> str | None:
        """The latest of the user's last twelve messages that answers the slot."""
        texts = [e.get("text") or "" for e in tracker.events if e.get("event") == "user"][:-1]
        for text in reversed(texts[-12:]):
            if text.startswith("/"):
                continue
            if slot == "app_project" and len(text.split()) >= 6:
                return text
            if slot not in FREE_TEXT and self._accepts(slot, text):
                return text
        return None

    def _accepts(self, slot: str, text: str) -> bool:
        parser = self.parser(slot)
        parsed = parser(text) if parser else validation.Parsed(value=text)
        return parsed.ok and parsed.value not in (None, "")

    def parsed_value(self, slot: str | None, text: str):
        """What the slot's parser makes of a text ('graffiti' → 'Graffiti und Sachbeschädigung'), or None."""
        parser = self.parser(slot)
        parsed = parser(text) if parser else validation.Parsed(error="kein Parser")
        return parsed.value if parsed.ok and parsed.value not in (None, "") else None

    def apply_corrections(self, text, requested, dispatcher, tracker, domain) -> list[dict[str, Any]] | None:
        reading = read_corrections(text, form_slots(domain, self.form()), requested,
                                   {slot: self.parser(slot) for slot in LABELS if self.parser(slot)})
        if not reading.corrections:
            return None
        events, changed, again = [], [], []
        for correction in reading.corrections:
            before = tracker.get_slot(correction.slot)
            if correction.value is None:
                events.append(SlotSet(correction.slot, None))
                again.append(LABELS[correction.slot])
                continue
            # values are parsed already: what the validator says now is news (a passed deadline, a member)
            result = self.validated(correction.slot, correction.value, dispatcher, tracker, domain)
            events += result
            new = next((e["value"] for e in result if e.get("name") == correction.slot), None)
            if new is None:
                again.append(LABELS[correction.slot])
            elif new != before:
                was = f" (vorher {displayed(correction.slot, before)})" if before not in (None, "") else ""
                changed.append(f"- {LABELS[correction.slot]}: {displayed(correction.slot, new)}{was}")
        if changed:
            dispatcher.utter_message(text="Ich habe geändert:\n" + "\n".join(changed))
        if again:
            dispatcher.utter_message(text="Dann frage ich noch einmal nach: " + ", ".join(again) + ".")
        value = self.parsed_value(requested, reading.rest) if requested not in FREE_TEXT else None
        if value is not None:  # the answer to the question asked, in the same message
            events += self.validated(requested, value, dispatcher, tracker, domain)
        elif requested:
            events.append(SlotSet(requested, None))
        return events

    def apply_implied_correction(self, text, requested, dispatcher, tracker, domain) -> list[dict[str, Any]] | None:
        """'ok dann eben ab januar 2028' while the name is asked: a new period, not a name
        (bot/applications/corrections.py, implied_correction); the name is asked again."""
        filled = [s for s in form_slots(domain, self.form()) if tracker.get_slot(s) not in (None, "")]
        correction = implied_correction(text, requested, filled,
                                        {slot: self.parser(slot) for slot in filled if self.parser(slot)})
        if correction is None:
            return None
        before = tracker.get_slot(correction.slot)
        events = self.validated(correction.slot, correction.value, dispatcher, tracker, domain)
        new = next((e["value"] for e in events if e.get("name") == correction.slot), None)
        if new is not None and new != before:
            dispatcher.utter_message(text=f"Ich habe geändert:\n- {LABELS[correction.slot]}: "
                                          f"{displayed(correction.slot, new)} (vorher {displayed(correction.slot, before)})")
        return [*events, SlotSet(requested, None)]

    def validated(self, slot, value, dispatcher, tracker, domain) -> list[dict[str, Any]]:
        """A value run through the slot's own validator, as SlotSet events."""
        result = getattr(self, f"validate_{slot}")(value, dispatcher, tracker, domain)
        return [SlotSet(name, v) for name, v in result.items()]

    def parser(self, slot: str | None) -> Callable[[str], validation.Parsed] | None:
        """The silent parser of a slot: what it would store, without messages."""
        simple = {
            "app_email": validation.parse_email,
            "app_phone": lambda t: validation.parse_phone(t, optional=True),
            "app_period": validation.parse_period,
            "app_degree": validation.parse_degree,
            "app_cost": lambda t: _as_text(corrected_amount(t)),
            "app_commune": self._commune_parser,
            "app_field": self._field_parser,
        }
        return simple.get(slot or "")

    def _commune_parser(self, text: str) -> validation.Parsed:
        matcher = shared_repository().matcher()
        match = matcher.resolve(text)
        if match.status != "found":
            match = matcher.find_in_message(text) or match
        if match.status == "found":
            return validation.Parsed(value=match.commune.ags)
        return validation.Parsed(error="Kommune nicht erkannt")

    def _field_parser(self, text: str) -> validation.Parsed:
        choices, _ = handlungsfelder(get_settings().knowledge_dir)
        choice = match_choice(text, choices) or find_choice_in_text(text, choices)
        return validation.Parsed(value=choice) if choice else validation.Parsed(error="kein Handlungsfeld")

    def answer_question(self, dispatcher, tracker) -> bool:
        """Answers the message as a question about ASSKomm if it surely is one, or if it is worded
        as a question and the NLU's best knowledge guess is fair."""
        kb = shared_knowledge_base().get()
        intent, confidence = _intent(tracker)
        entry = kb.entry_for_intent(intent) if intent else None
        if entry is None or confidence < DIGRESSION_CONFIDENCE:
            entry = None
            text = (tracker.latest_message.get("text") or "").strip()
            if _QUESTION.search(text):
                ranking = [i for i in tracker.latest_message.get("intent_ranking") or []
                           if i.get("name") != "nlu_fallback"]
                best = ranking[0] if ranking else {}
                if (best.get("confidence") or 0) >= QUESTION_CONFIDENCE:
                    entry = kb.entry_for_intent(best.get("name"))
        if entry is None:
            return False
        utter_entry(dispatcher, entry.id, tracker)
        return True

    def _checked(self, slot: str, parsed: validation.Parsed, dispatcher: CollectingDispatcher,
                 tracker: Tracker) -> dict[str, Any]:
        if parsed.ok:
            return {slot: parsed.value}
        if fresh_message(tracker, self.form()) is not None and self.answer_question(dispatcher, tracker):
            return {slot: None, "app_paused": slot}  # the form asks whether to go on
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
        options = [a for a in tracker.get_slot("app_commune_options") or [] if a in matcher.communes]
        if text in matcher.communes and not options and tracker.get_slot("app_commune") == text:
            return {"app_commune": text}  # stored before, validated again when a form resumes
        commune = matcher.communes.get(text)
        if commune is None and options:  # a typed answer to "Welche meinen Sie?"
            picked = pick_offered_commune(matcher, text, options)
            commune = matcher.communes[picked] if picked is not None else None
        if commune is None:
            match = matcher.resolve(text)
            if match.status != "found":
                in_message = matcher.find_in_message(text)
                match = in_message if in_message is not None else match
            if match.status == "ambiguous":
                offered = match.communes[:MAX_OFFERED]
                dispatcher.utter_message(
                    text="Dazu passen mehrere sächsische Kommunen. Welche meinen Sie?",
                    buttons=[{"title": b["title"], "payload": b["title"]} for b in
                             (commune_button(c, "membership") for c in offered)],
                )
                return {"app_commune": None, "app_commune_options": [c.ags for c in offered]}
            if match.status != "found":
                hint = ", ".join(c.name_short for c in match.suggestions)
                dispatcher.utter_message(
                    text="Diese Kommune habe ich unter den sächsischen Städten und Gemeinden nicht gefunden. "
                         "ASSKomm ist für Kommunen im Freistaat Sachsen. Bitte nennen Sie den Namen Ihrer Kommune"
                         + (f" (meinten Sie {hint}?)." if hint else ".")
                )
                return {"app_commune": None}
            commune = match.commune
        info = repository.info(commune.ags)
        if self.form() == "join_form" and info.membership is not None and info.membership.status in SIGNED:
            m = info.membership
            when = f" am {german_date(m.agreement_date)}" if m.agreement_date else ""
            dispatcher.utter_message(
                text=f"{info.commune.name_short} nimmt laut meiner Quelle bereits an ASSKomm teil "
                     f"(Kooperationsvereinbarung{when}; Quelle: {m.source_title}). Eine Beitrittsanfrage ist "
                     "deshalb nicht nötig. Für alles Weitere wenden Sie sich bitte an den Landespräventionsrat.",
                buttons=[{"title": "Kontakt zum Landespräventionsrat", "payload": "/ask_contact"}],
            )
            return {"app_commune": info.commune.ags, "app_already_member": True, "app_commune_options": None}
        return {"app_commune": info.commune.ags, "app_commune_options": None}

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
        parsed = _as_text(validation.parse_amount_eur(str(value or "")))
        return self._checked("app_cost", parsed, dispatcher, tracker)

    def validate_app_period(self, value, dispatcher, tracker, domain):
        result = self._checked("app_period", validation.parse_period(str(value or "")), dispatcher, tracker)
        if not result.get("app_period"):
            return result
        check = deadlines.check_planned_start(deadlines.load_rule(get_settings().knowledge_dir),
                                              result["app_period"], today())
        if check is not None and fresh_message(tracker, self.form()) is not None:
            dispatcher.utter_message(text=check.message)
        return {**result, "app_deadline_note": deadlines.summary_warning(check) if check and check.passed else None}

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
            # A "no" to the consent ends the enquiry: asking again would trap the user in the form.
            dispatcher.utter_message(
                text="Ohne Ihre Einwilligung kann ich die Anfrage nicht speichern und nicht weitergeben. "
                     "Ich habe sie deshalb beendet; es wurde nichts gespeichert. Wenn Sie es sich anders "
                     f"überlegen, schreiben Sie „{START_PHRASES[self.form()]}“.")
            return {"app_consent": None, "requested_slot": None}
        if parsed.ok:
            return {"app_consent": True, "app_consent_at": datetime.now(timezone.utc).isoformat()}
        return self._checked("app_consent", parsed, dispatcher, tracker)


def _as_text(parsed: validation.Parsed) -> validation.Parsed:
    """Slots hold JSON: an amount as text ('23000.00')."""
    return validation.Parsed(value=str(parsed.value)) if parsed.ok else parsed


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


class ValidateCallbackForm(ApplicationFormValidation):
    """A callback needs one way back: the e-mail question takes an e-mail address or a phone
    number; with a phone number only, the e-mail is not asked for again."""

    def form(self) -> str:
        return "callback_form"

    async def required_slots(self, domain_slots, dispatcher, tracker, domain) -> list[str]:
        slots = await super().required_slots(domain_slots, dispatcher, tracker, domain)
        if not tracker.get_slot("app_email") and tracker.get_slot("app_phone"):
            return [s for s in slots if s != "app_email"]
        return slots

    def read_turn(self, text, dispatcher, tracker, domain):
        # "meine handynummer ist 0176 …" for the contact question is the answer, not a
        # correction of the phone field.
        if tracker.get_slot("requested_slot") == "app_email" and "@" not in text \
                and validation.parse_phone(text, optional=False).ok:
            return self.validated("app_email", text, dispatcher, tracker, domain)
        return super().read_turn(text, dispatcher, tracker, domain)

    def validate_app_email(self, value, dispatcher, tracker, domain):
        text = str(value or "")
        email = validation.parse_email(text)
        if email.ok:
            return {"app_email": email.value}
        phone = validation.parse_phone(text, optional=False)
        if phone.ok:
            return {"app_email": None, "app_phone": phone.value}
        either = validation.Parsed(error=CONTACT_ERROR if "@" not in text else email.error)
        return self._checked("app_email", either, dispatcher, tracker)


CONTACT_ERROR = ("Bitte nennen Sie eine E-Mail-Adresse (z. B. name@beispiel.de) oder eine Telefonnummer mit "
                 "Vorwahl (z. B. 03761 5940).")


VALIDATORS: dict[str, type[ApplicationFormValidation]] = {
    "join_form": ValidateJoinForm, "funding_form": ValidateFundingForm, "study_form": ValidateStudyForm,
    "callback_form": ValidateCallbackForm}


class ActionCorrectApplication(Action):
    """'Die E-Mail ist falsch': takes a new value given in the same message ("die kosten sind
    23.000 euro") or asks that field again, then shows the summary again."""

    def name(self) -> str:
        return "action_correct_application"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list:
        form = tracker.active_loop.get("name")
        if form is None and tracker.get_slot("app_submission_key"):  # at the summary
            form = last_form(tracker)
        if form not in FORM_KINDS:
            # Outside a form "das stimmt nicht", "warum antwortet ihr nicht richtig" is about the
            # last answer (persona trial 2026-11-30): an apology and a way on, not only "no form".
            dispatcher.utter_message(
                text="Es gibt gerade keine Anfrage, die ich korrigieren könnte. Wenn meine letzte Antwort nicht "
                     "gepasst hat, tut mir das leid: Formulieren Sie Ihre Frage gern anders, oder sprechen Sie "
                     "mit einem Menschen.",
                buttons=[*TOPICS, {"title": "Mit einem Menschen sprechen", "payload": "/request_human"}])
            return []
        slots = [s for s in form_slots(domain, form) if s != "app_consent"]
        chosen = next(tracker.get_latest_entity_values("app_slot"), None)
        restart = [SlotSet("app_submission_key", None), FollowupAction(form)]
        if chosen in slots:
            return [SlotSet(chosen, None), *self._commune_reset(chosen), *restart]
        validator = VALIDATORS[form]()
        text = tracker.latest_message.get("text") or ""
        requested = tracker.get_slot("requested_slot")
        if tracker.active_loop.get("name") and requested in slots and requested not in FREE_TEXT:
            value = validator.parsed_value(requested, text)
            if value is not None:  # "ca. 18 tsd" while the cost is asked: the answer, not a correction
                return [*validator.validated(requested, value, dispatcher, tracker, domain), FollowupAction(form)]
        corrections = validator.apply_corrections(text, None, dispatcher, tracker, domain)
        if corrections:
            changed = {e["name"] for e in corrections}
            return [*corrections, *(self._commune_reset("app_commune") if "app_commune" in changed else []),
                    *restart]
        dispatcher.utter_message(
            text="Was möchten Sie korrigieren?",
            buttons=[{"title": LABELS[s], "payload": f'/correct_field{{"app_slot": "{s}"}}'} for s in slots],
        )
        return []

    @staticmethod
    def _commune_reset(slot: str) -> list[dict[str, Any]]:
        return [SlotSet("app_already_member", None)] if slot == "app_commune" else []
