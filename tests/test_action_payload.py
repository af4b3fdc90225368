"""bot/deployment/action_payload.py reuses the JSON of events sent to the action server: the
bytes that reach the action server are those aiohttp makes of Rasa's own request body, for a
long conversation as it grows, after events were changed in place, after the conversation was
read again from its stored events, and when a user typed the placeholder."""
import asyncio
import json

import pytest
from aiohttp import web
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bot.deployment import action_payload
from tests.conftest import ROOT, free_port
from tests.test_replay_cache import Conversation


@pytest.fixture(scope="module")
def domain():
    return Domain.load(str(ROOT / "domain.yml"))


@pytest.fixture
def reused(monkeypatch):
    action_payload._encoded.clear()
    monkeypatch.setattr(RemoteAction, "_action_call_format", action_payload._action_call_format)
    monkeypatch.setattr(EndpointConfig, "request", action_payload._request)
    yield
    action_payload._encoded.clear()


def _bodies(domain, tracker):
    """The body with reused texts, and Rasa's own."""
    action = RemoteAction("action_answer_from_knowledge", EndpointConfig("http://localhost"))
    return (action_payload._action_call_format(action, tracker, domain),
            action_payload._rasas_action_call_format(action, tracker, domain))


def test_the_body_is_the_text_rasa_sends(domain, reused):
    tracker = DialogueStateTracker("long", domain.slots)
    events = Conversation(domain, 5).events(120)
    assert len(events) > action_payload.LONG + 100
    reused_texts = 0
    for end, event in enumerate(events):
        tracker.update(event)
        if end % 13 and end != len(events) - 1:
            continue
        before = list(action_payload._encoded.get("long", []))
        mine, rasas = _bodies(domain, tracker)
        text = action_payload.body_text(mine)
        if len(tracker.events) < action_payload.LONG:
            assert text is None
            continue
        assert text == json.dumps(rasas)
        assert mine == rasas  # for all other code the body is Rasa's
        reused_texts += sum(1 for old, new in zip(before, action_payload._encoded["long"], strict=False) if old is new)
    assert reused_texts > 1000
    # changed in place: the slot value, the bot's text, a user message's metadata
    slot = next(e for e in tracker.events if isinstance(e, SlotSet))
    bot = next(e for e in tracker.events if isinstance(e, BotUttered))
    user = next(e for e in tracker.events if isinstance(e, UserUttered))
    slot.value, bot.text = "geändert", "Neuer Text"
    user.metadata["split"] = {"part": 2}
    before = list(action_payload._encoded["long"])
    mine, rasas = _bodies(domain, tracker)
    assert action_payload.body_text(mine) == json.dumps(rasas)
    assert "geändert" in json.dumps(rasas, ensure_ascii=False)
    assert sum(1 for old, new in zip(before, action_payload._encoded["long"], strict=True) if old is not new) == 3
    # read again from the stored events: new objects
    again = DialogueStateTracker.from_dict("long", [e.as_dict() for e in tracker.events], domain.slots)
    mine, rasas = _bodies(domain, again)
    assert action_payload.body_text(mine) == json.dumps(rasas)


def test_a_user_typing_the_placeholder_gets_rasas_encoding(domain, reused):
    tracker = DialogueStateTracker("typed", domain.slots)
    for event in Conversation(domain, 6).events(80):
        tracker.update(event)
    tracker.update(UserUttered(action_payload._PLACEHOLDER, {"name": "greet", "confidence": 1.0}))
    mine, rasas = _bodies(domain, tracker)
    assert len(tracker.events) >= action_payload.LONG
    assert action_payload.body_text(mine) is None
    assert json.dumps(mine) == json.dumps(rasas)


def test_the_action_server_receives_the_same_bytes(domain, reused):
    """Through aiohttp to a server that records the request: the patched request and Rasa's."""
    tracker = DialogueStateTracker("wire", domain.slots)
    for event in Conversation(domain, 7).events(80):
        tracker.update(event)
    received = []

    async def record(request):
        received.append((await request.read(), request.headers.get("Content-Type")))
        return web.json_response({"events": [], "responses": []})

    async def run():
        app = web.Application()
        app.router.add_post("/webhook", record)
        runner = web.AppRunner(app)
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        try:
            endpoint = EndpointConfig(f"http://127.0.0.1:{port}/webhook")
            mine, rasas = _bodies(domain, tracker)
            assert isinstance(mine["tracker"]["events"], action_payload.EncodedEvents)
            await endpoint.request(json=mine, method="post")
            await action_payload._rasas_request(endpoint, json=rasas, method="post")
        finally:
            await runner.cleanup()

    asyncio.run(run())
    assert len(received) == 2
    assert received[0] == received[1]
    assert received[0][1] == "application/json"
