"""Readiness of a Rasa server: `GET /ready` answers 200 "ok" only after a warm-up, 503 "not
ready" before. Rasa's `/` answers as soon as the model is loaded, but the first messages after
a start then pay for TensorFlow's warm-up (p95 about 3 s, issue 12). Here a few messages go
through the NLU and the dialogue policies first, in memory only (nothing is stored, no action
is run), and only then the server reports ready: `make run` and `make prod` wait for it, and
nginx gets only warm replicas.

The endpoint says ready or not and nothing else; no new data is exposed."""
from __future__ import annotations

import asyncio
import logging
import time

log = logging.getLogger(__name__)

READY_PATH = "/ready"
# Short and long, questions and a commune: different lengths make TensorFlow trace its shapes.
WARM_UP_MESSAGES = (
    "Hallo",
    "Was ist ASSKomm?",
    "Ist Werdau Mitglied bei ASSKomm?",
    "Wie kann unsere Gemeinde bei ASSKomm mitmachen und was kostet der Beitritt für uns?",
    "danke",
)


async def warm_up(agent, messages=WARM_UP_MESSAGES) -> int:
    """Parses the messages and predicts the next action for each on a throwaway tracker.
    Returns how many messages went through."""
    from rasa.shared.core.constants import ACTION_LISTEN_NAME
    from rasa.shared.core.events import ActionExecuted, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    domain = agent.processor.domain
    messages = list(messages)
    for text in messages:
        parsed = await agent.parse_message(text)
        tracker = DialogueStateTracker.from_events(
            "warm-up", [ActionExecuted(ACTION_LISTEN_NAME), UserUttered(text, parsed["intent"], parsed["entities"],
                                                                       parse_data=parsed)],
            slots=domain.slots)
        agent.processor.predict_next_with_tracker(tracker)
        await asyncio.sleep(0)  # let /ready and / answer in between
    return len(messages)


async def warm_up_then_ready(app, _loop=None) -> None:
    """Sanic's after_server_start listener: Rasa loaded the agent before the server started."""
    agent = getattr(app.ctx, "agent", None)
    if agent is None or not agent.is_ready():
        log.error("Aufwärmen nicht möglich: kein Modell geladen; der Server meldet sich nicht bereit.")
        return
    started = time.monotonic()
    count = await warm_up(agent)
    app.ctx.ready = True
    log.info("Aufgewärmt mit %d Nachrichten in %.1f s; bereit.", count, time.monotonic() - started)


def readiness_response(app):
    from sanic import response

    if getattr(app.ctx, "ready", False):
        return response.text("ok")
    return response.text("not ready", status=503)


def add_readiness(app) -> None:
    """The /ready route of a Sanic app, and the warm-up once the server is up."""
    app.ctx.ready = False
    app.add_route(lambda request: readiness_response(request.app), READY_PATH, methods=["GET"], name="ready")
    app.register_listener(warm_up_then_ready, "after_server_start")
