"""Rasa's REST channel (POST /webhooks/rest/webhook), with two questions in one message
answered one after the other (bot/channels/splitting.py)."""
from __future__ import annotations

from typing import Text

from rasa.core.channels.rest import RestInput
from sanic import Blueprint

from bot.channels.splitting import OnNewMessage, answering_each_question


class RestChannel(RestInput):
    @classmethod
    def name(cls) -> Text:
        return "rest"

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        return super().blueprint(answering_each_question(on_new_message))
