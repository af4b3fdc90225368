"""Rasa's socket.io channel with session persistence that delivers replies.

Rasa 3.6.21 calls python-socketio's `enter_room` without `await`. With python-socketio 5.x
(the version pip resolves for Rasa today) that call is a coroutine, so it never runs: the
browser's socket never joins the session's room and every bot reply is silently lost. This
channel registers the same `session_request` handler with the call awaited; everything else
(protocol, events, paths) is Rasa's own, so widgets such as rasa-webchat keep working.
Two questions in one message are answered one after the other (bot/channels/splitting.py).
"""
from __future__ import annotations

import inspect
import logging
import uuid
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput
from sanic import Blueprint

from bot.channels.splitting import answering_each_question

log = logging.getLogger(__name__)


class SocketIOChannel(SocketIOInput):
    @classmethod
    def name(cls) -> Text:
        return "socketio"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        blueprint = super().blueprint(answering_each_question(on_new_message))
        sio = self.sio

        async def session_request(sid: Text, data: Optional[Dict]) -> None:
            data = data or {}
            if not data.get("session_id"):
                data["session_id"] = uuid.uuid4().hex
            if self.session_persistence:
                joined = sio.enter_room(sid, data["session_id"], namespace=self.namespace)
                if inspect.isawaitable(joined):  # python-socketio 5.x: a coroutine
                    await joined
            await sio.emit("session_confirm", data["session_id"], room=sid, namespace=self.namespace)
            log.debug("socket.io session %s for %s", data["session_id"], sid)

        sio.on("session_request", session_request, namespace=self.namespace)
        return blueprint
