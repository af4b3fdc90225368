"""Rasa's REST channel with the checks of bot/channels/guard.py in front of it.

Rasa 3.6 answers 500 to a body such as `[]` or `{"sender": 1}`, lets any website call it from
a visitor's browser, and takes the channel name from the request body. Here a malformed
request gets a 400 with a German reason, a page from a website that is not configured gets a
403, a message too long for a chat gets a polite answer, a flood a polite 429, and the channel name is always "rest". Valid requests go on
to Rasa's own handler, which answers two questions in one message one after the other
(bot/channels/splitting.py)."""
from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable, Text

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request

from bot.channels.guard import SLOW_DOWN, FloodGuard, canned_answer, client_address, origin_allowed, parse_rest_body
from bot.channels.splitting import answering_each_question
from bot.config import get_settings

log = logging.getLogger(__name__)


def refusal(status: int, reason: str, **headers: str):
    return response.json({"error": reason}, status=status, headers=headers or None)


class RestChannel(RestInput):
    @classmethod
    def name(cls) -> Text:
        return "rest"

    def _extract_input_channel(self, req: Request) -> Text:
        return self.name()  # never what the body claims (it is stored with applications)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        blueprint = super().blueprint(answering_each_question(on_new_message))
        settings = get_settings()
        allowed, ip_header = settings.allowed_origins, settings.client_ip_header
        guard = FloodGuard(settings.rate_limit_per_sender, settings.rate_limit_per_ip)

        @blueprint.middleware("request")
        async def check(request: Request):
            if request.method != "POST":
                return None
            if not origin_allowed(request.headers.get("origin"), request.host, allowed):
                log.warning("REST: Anfrage von nicht freigegebener Website %s abgewiesen",
                            request.headers.get("origin"))
                return refusal(403, "Diese Website darf den Chat nicht verwenden (ASSKOMM_CORS_ORIGINS).")
            message = parse_rest_body(request.body or b"")
            if isinstance(message, str):
                return refusal(400, message)
            canned = canned_answer(message.text)  # a chat user gets an answer, not an error
            if canned:
                return response.json([{"recipient_id": message.sender, "text": canned}])
            if not guard.allow(message.sender, client_address(request.ip, request.headers, ip_header)):
                log.warning("REST: zu viele Nachrichten (Absender oder Adresse), Nachricht nicht verarbeitet")
                return response.json([{"recipient_id": message.sender, "text": SLOW_DOWN}], status=429,
                                     headers={"Retry-After": "60"})
            return None

        return blueprint
