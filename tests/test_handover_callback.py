"""The callback request with an e-mail address or a phone number (issue 14): the contact
question takes either, a phone number alone is enough, the summary, the stored request and
the mail to the LPR say which way back was given, and the phone number never reaches the
stored conversation. And "Bitte melden Sie uns an": how joining works, then the offer that
the LPR gets in touch."""
import asyncio
import functools
from datetime import datetime, timezone

import pytest
import yaml
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

import actions.application_forms as forms
import actions.applications as apps
from bot.applications import store
from bot.applications.models import Application, OutboxMessage
from bot.privacy.redaction import redact_events
from tests.conftest import ROOT, make_tracker

DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
tracker = functools.partial(make_tracker, sender="chat-callback")


@pytest.fixture(autouse=True)
def databases(seeded_repository, monkeypatch):
    sessions = seeded_repository.sessions
    monkeypatch.setattr(forms, "shared_repository", lambda: seeded_repository)
    monkeypatch.setattr(apps, "shared_repository", lambda: seeded_repository)
    monkeypatch.setattr(apps, "shared_sessions", lambda: sessions)
    return sessions


def answer_contact(text, slots=None):
    """The validation of the callback form for `text` as the answer to the contact question."""
    events = [{"event": "active_loop", "name": "callback_form"}, {"event": "user", "text": text},
              {"event": "slot", "name": "requested_slot", "value": "app_email"},
              {"event": "action", "name": "callback_form"}, {"event": "slot", "name": "app_email", "value": text}]
    slots = {"app_contact_name": "Anna Muster", "requested_slot": "app_email", "app_email": text, **(slots or {})}
    dispatcher = CollectingDispatcher()
    result = asyncio.run(forms.ValidateCallbackForm().run(
        dispatcher, tracker(text, slots=slots, events=events, loop="callback_form"), DOMAIN))
    return ({e["name"]: e["value"] for e in result if e["event"] == "slot"},
            [m.get("text") or "" for m in dispatcher.messages])


def test_the_contact_question_names_both_ways():
    asked = DOMAIN["responses"]["utter_ask_callback_form_app_email"][0]["text"]
    assert "E-Mail-Adresse oder Ihre Telefonnummer" in asked


def test_a_phone_number_alone_is_enough_and_the_email_is_not_asked_again():
    slots, messages = answer_contact("0351 1234567")
    assert slots["app_email"] is None and slots["app_phone"] == "+493511234567"
    assert slots["requested_slot"] == "app_question" and not messages  # neither e-mail nor phone again


def test_an_email_address_is_taken_and_the_phone_stays_optional():
    slots, messages = answer_contact("Meine Adresse ist anna@werdau.de")
    assert slots["app_email"] == "anna@werdau.de" and "app_phone" not in slots and not messages


def test_neither_an_address_nor_a_number_says_both_are_possible():
    slots, messages = answer_contact("weiß ich nicht")
    assert slots["app_email"] is None and "app_phone" not in slots
    assert messages == [forms.CONTACT_ERROR]
    slots, messages = answer_contact("anna@werdau")  # an address with a mistake gets the e-mail hint
    assert slots["app_email"] is None and "Domain" in messages[0]


CALLBACK_DONE = [{"event": "active_loop", "name": "callback_form"}, {"event": "active_loop", "name": None}]
PHONE_ONLY = {"app_contact_name": "Anna Muster", "app_email": None, "app_phone": "+493511234567",
              "app_question": "Wir möchten ein Projekt in der Kita besprechen.", "app_consent": True,
              "app_consent_at": "2026-11-30T10:00:00+00:00"}


def test_phone_only_is_summarised_stored_and_mailed_as_a_callback_by_phone(databases, monkeypatch):
    monkeypatch.setenv("ASSKOMM_NOW", "2026-11-30T10:00")
    from bot.config import get_settings

    get_settings.cache_clear()
    try:
        dispatcher = CollectingDispatcher()
        events = asyncio.run(apps.ActionApplicationSummary().run(
            dispatcher, tracker(slots=PHONE_ONLY, events=CALLBACK_DONE), DOMAIN))
        summary = dispatcher.messages[0]["text"]
        assert "**Telefon:** +493511234567" in summary and "**E-Mail:** –" in summary
        slots = {**PHONE_ONLY, **{e["name"]: e["value"] for e in events if e["event"] == "slot"}}
        assert slots["app_kind"] == "rueckruf"

        dispatcher = CollectingDispatcher()
        asyncio.run(apps.ActionSubmitApplication().run(dispatcher, tracker("/affirm", "affirm", slots=slots), DOMAIN))
        reference = store.find_reference(dispatcher.messages[0]["text"])
        assert reference
    finally:
        get_settings.cache_clear()
    stored = next(a for a in store.all_applications(databases, "rueckruf") if a.reference == reference)
    assert stored.email == "" and stored.fields["Telefon"] == "+493511234567" and stored.fields["E-Mail"] == "–"
    assert store.contact_ways(stored.fields) == ["Telefon"]
    with databases() as session:
        body = session.execute(select(OutboxMessage.body).where(OutboxMessage.application_id == stored.id)).scalar_one()
    assert "Erreichbar per: Telefon" in body and "Rufen Sie sie bitte" in body
    assert "Antworten Sie bitte direkt an die oben genannte E-Mail-Adresse" not in body


def test_a_mail_for_a_request_with_an_email_still_says_to_answer_by_email():
    application = Application(kind="rueckruf", reference="ASK-2026-000001",
                                    fields={"Name": "A", "E-Mail": "a@b.de", "Telefon": "–"}, email="a@b.de",
                                    consent_at=datetime(2026, 11, 30, tzinfo=timezone.utc), channel="rest")
    body = store.mail_body(application)
    assert "Erreichbar per: E-Mail\n" in body and "an die oben genannte E-Mail-Adresse" in body


def test_a_phone_number_given_for_the_contact_question_is_not_stored_with_the_conversation():
    events = [
        {"event": "active_loop", "name": "callback_form"},
        {"event": "slot", "name": "requested_slot", "value": "app_email"},
        {"event": "user", "text": "0351 1234567", "parse_data": {"text": "0351 1234567"}},
        {"event": "slot", "name": "app_email", "value": None},
        {"event": "slot", "name": "app_phone", "value": "+493511234567"},
        {"event": "bot", "text": "Bitte prüfen Sie Ihre Angaben:\n- **Telefon:** +493511234567"},
    ]
    stored = str(redact_events(events))
    assert "1234567" not in stored and "[Telefon]" in stored


def offer(text, intent, slots=None):
    t = tracker(text, intent, slots=slots)
    t.latest_message["intent_ranking"] = [{"name": intent, "confidence": 0.8}]
    dispatcher = CollectingDispatcher()
    events = asyncio.run(apps.ActionOfferApplication().run(dispatcher, t, DOMAIN))
    return [m.get("text") or "" for m in dispatcher.messages], {e["name"]: e["value"] for e in events
                                                                 if e["event"] == "slot"}


def test_bitte_melden_sie_uns_an_gets_how_joining_works_and_the_offer_to_be_contacted():
    messages, slots = offer("Bitte melden Sie uns als neue Allianzkommune an", "request_join")
    assert "Quelle" in messages[0]  # the joining answer from knowledge/
    assert slots["last_knowledge_id"] == "join_process"
    assert messages[-1] == apps.SIGN_UP_OFFER and "meldet sich" in messages[-1]
    assert slots["app_offer"] == "join_form"
    # "nein" after that: nothing twice
    messages, slots = offer("nein danke", "deny", {"app_offer": "join_form", "app_info_entry": "join_process",
                                                   "last_knowledge_id": "join_process"})
    assert slots["app_offer"] is None and not any("Quelle" in m for m in messages)
    # "ja": the join request starts
    _, slots = offer("ja", "affirm", {"app_offer": "join_form", "app_info_entry": "join_process"})
    assert slots["app_offer"] == "start_join_form"


def test_other_join_wishes_are_unchanged():
    messages, slots = offer("Kann ich hier eine Beitrittsanfrage stellen?", "request_join")
    assert slots["app_offer"] == "join_form" and "Möchten Sie das jetzt tun" in messages[0]
    _, slots = offer("Ich möchte unsere Kommune anmelden", "request_join")
    assert slots["app_offer"] == "start_join_form"


def test_a_sentence_with_a_mobile_number_is_the_answer_not_a_correction():
    slots, messages = answer_contact("meine handynummer ist 0176 23456789")
    assert slots["app_phone"] == "+4917623456789" and slots["app_email"] is None
    assert slots["requested_slot"] == "app_question" and not messages
