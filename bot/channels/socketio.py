"""Rasa's socket.io channel with session persistence that delivers replies, accepts only
pages of configured websites, and answers a flood politely.

Rasa 3.6.21 calls python-socketio's `enter_room` without `await`. With python-socketio 5.x
(the version pip resolves for Rasa today) that call is a coroutine, so it never runs: the
browser's socket never joins the session's room and every bot reply is silently lost. This
channel registers the same `session_request` handler with the call awaited; everything else
(protocol, events, paths) is Rasa's own, so widgets such as rasa-webchat keep working.
Two questions in one message are answered one after the other (bot/channels/splitting.py).
The widget's "Hilfreich? Ja / Nein" (bot/feedback.py) is stored with the conversation here and
never reaches the dialogue.
WebSockets are not covered by the browser's CORS rules: any website could open one to the
bot in a visitor's name. So `connect` checks the page's Origin (bot/channels/guard.py), and
each user message passes the flood limits and a shape check before Rasa's handler sees it.
"""
from __future__ import annotations

import inspect
import logging
import uuid
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import ActionExecuted, UserUtteranceReverted, UserUttered
from sanic import Blueprint

from bot import feedback
from bot.channels.guard import (
    SLOW_DOWN,
    FloodGuard,
    canned_answer,
    client_address,
    origin_allowed,
    sender_problem,
)
from bot.channels.handover import deliver_in_background
from bot.channels.splitting import answering_each_question
from bot.config import get_settings

log = logging.getLogger(__name__)

UNREADABLE = "Diese Nachricht konnte ich nicht lesen. Bitte schreiben Sie Ihre Frage als Text."


class _Headers:
    """The WSGI-style environ of a socket.io connection, read like HTTP headers."""

    def __init__(self, environ: dict):
        self.environ = environ or {}

    def get(self, name: str, default=None):
        return self.environ.get("HTTP_" + name.upper().replace("-", "_"), default)


class SocketIOChannel(SocketIOInput):
    @classmethod
    def name(cls) -> Text:
        return "socketio"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        blueprint = super().blueprint(answering_each_question(on_new_message))
        sio = self.sio
        settings = get_settings()
        allowed, ip_header = settings.allowed_origins, settings.client_ip_header
        guard = FloodGuard(settings.rate_limit_per_sender, settings.rate_limit_per_ip)
        rasa_connect = sio.handlers[self.namespace or "/"]["connect"]
        rasa_message = sio.handlers[self.namespace or "/"][self.user_message_evt]

        async def connect(sid: Text, environ: Dict, auth: Optional[Dict] = None) -> bool:
            headers = _Headers(environ)
            if not origin_allowed(headers.get("Origin"), headers.get("Host"), allowed):
                log.warning("socket.io: Verbindung von nicht freigegebener Website %s abgewiesen",
                            headers.get("Origin"))
                return False
            return await rasa_connect(sid, environ, auth)

        async def session_request(sid: Text, data: Optional[Dict] = None, *_: Any) -> None:
            data = data if isinstance(data, dict) else {}
            session_id = data.get("session_id")
            if sender_problem(session_id):
                data["session_id"] = uuid.uuid4().hex
            if self.session_persistence:
                joined = sio.enter_room(sid, data["session_id"], namespace=self.namespace)
                if inspect.isawaitable(joined):  # python-socketio 5.x: a coroutine
                    await joined
            await sio.emit("session_confirm", data["session_id"], room=sid, namespace=self.namespace)
            log.debug("socket.io session %s for %s", data["session_id"], sid)

        async def handle_message(sid: Text, data: Any = None, *_: Any) -> None:
            if not _readable(data, self.metadata_key):
                await self._reply(sid, UNREADABLE)
                return
            canned = canned_answer(data.get("message", ""))
            if canned:
                await self._reply(sid, canned)
                return
            sender = data.get("session_id") or sid
            address = client_address(_peer(sio, sid), _Headers(_environ(sio, sid)), ip_header)
            if not guard.allow(str(sender), address):
                log.warning("socket.io: zu viele Nachrichten (Absender oder Adresse), Nachricht nicht verarbeitet")
                await self._reply(sid, SLOW_DOWN)
                return
            given = feedback.parse_payload(data.get("message", ""))
            if given:
                await self._store_feedback(sid, str(sender), *given)
                return
            await rasa_message(sid, data)

        async def deliver(message, text: Text, marker: Optional[Text]) -> None:
            # Session persistence puts each browser tab of a session in the room named by its
            # id; the message id lets the widget store a message once across tabs and reloads.
            payload = {"text": text, "message_id": f"handover-{message.id}", **({"handover": marker} if marker else {})}
            await sio.emit(self.bot_message_evt, payload, room=message.handover.sender_id, namespace=self.namespace)

        deliver_in_background(blueprint, self.name(), deliver)
        sio.on("connect", connect, namespace=self.namespace)
        sio.on("session_request", session_request, namespace=self.namespace)
        sio.on(self.user_message_evt, handle_message, namespace=self.namespace)
        return blueprint

    async def _store_feedback(self, sid: Text, sender: str, subject: str, value: str) -> None:
        """Appends the click to the stored conversation and takes it back for the dialogue
        (Rasa's UserUtteranceReverted, as its own fallback does), under the conversation's lock
        like any message. No reply: the widget thanks the user itself. The NLU and the dialogue
        model never see it, so it needs no intent in domain.yml and no training."""
        request = _environ(self.sio, sid).get("sanic.request")
        agent = getattr(getattr(getattr(request, "app", None), "ctx", None), "agent", None)
        if agent is None or agent.tracker_store is None:
            log.warning("socket.io: Rückmeldung nicht gespeichert (kein Tracker-Store)")
            return
        text = feedback.payload(subject, value)
        entities = [{"entity": name, "value": v} for name, v in feedback.entities(subject, value)]
        intent = {"name": feedback.FEEDBACK_INTENT, "confidence": 1.0}
        async with agent.lock_store.lock(sender):
            tracker = await agent.tracker_store.get_or_create_tracker(sender)
            tracker.update(UserUttered(text, intent=intent, entities=entities, input_channel=self.name(),
                                       parse_data={"text": text, "intent": intent, "entities": entities}))
            tracker.update(UserUtteranceReverted())
            # The revert also drops the listen before the click: listening again restores the
            # state the next message expects (as the processor does after a reverting action).
            tracker.update(ActionExecuted(ACTION_LISTEN_NAME))
            await agent.tracker_store.save(tracker)

    async def _reply(self, sid: Text, text: str) -> None:
        await self.sio.emit(self.bot_message_evt, {"text": text}, room=sid, namespace=self.namespace)


def _readable(data: Any, metadata_key: str) -> bool:
    """A message Rasa's handler takes without an exception: an object with text, an optional
    session id and optional metadata as an object (Rasa would json.loads a string)."""
    if not isinstance(data, dict) or not isinstance(data.get("message", ""), str):
        return False
    session_id = data.get("session_id")
    return ((session_id in (None, "") or sender_problem(session_id) is None)
            and isinstance(data.get(metadata_key) or {}, dict))


def _environ(sio, sid: Text) -> dict:
    try:
        return sio.get_environ(sid) or {}
    except Exception:  # an unknown or closed session has no environ
        return {}


def _peer(sio, sid: Text) -> str:
    # engineio's Sanic driver writes a fixed REMOTE_ADDR; the real one is on Sanic's request.
    request = _environ(sio, sid).get("sanic.request")
    return getattr(request, "ip", "") or ""
