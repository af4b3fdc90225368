"""The deletion offer with a rasa-sdk tracker: inside a form only a message about one's data
is a deletion request."""
import asyncio

from rasa_sdk.executor import CollectingDispatcher

from actions.privacy import ActionOfferDataDeletion
from tests.conftest import make_tracker


def offer(text: str, loop: str | None, requested: str | None):
    tracker = make_tracker(text, "request_data_deletion", slots={"requested_slot": requested}, loop=loop)
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ActionOfferDataDeletion().run(dispatcher, tracker, {}))
    return dispatcher.messages, events


def test_a_project_that_removes_graffiti_is_the_answer_to_the_form_not_a_deletion_request():
    text = "Wir wollen die Graffiti an der Bahnunterführung entfernen und die Wand neu gestalten."
    messages, events = offer(text, "funding_form", "app_project")
    assert messages == []
    assert {"event": "slot", "name": "app_project", "value": text} in [
        {k: e.get(k) for k in ("event", "name", "value")} for e in events]
    assert any(e.get("event") == "followup" and e.get("name") == "funding_form" for e in events)


def test_asking_to_delete_ones_data_inside_a_form_is_asked_back_first():
    messages, events = offer("Bitte löschen Sie meine Daten", "funding_form", "app_project")
    assert "löschen" in messages[0]["text"] and "verworfen" in messages[0]["text"]
    assert any(e.get("event") == "active_loop" and e.get("name") is None for e in events)
