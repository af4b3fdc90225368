"""Rasa's Telegram channel, configured from the settings, that

- talks to a configurable Bot API address (ASSKOMM_TELEGRAM_API_URL; a local stand-in in
  tests, a Bot API server of one's own in production),
- starts even when registering the webhook fails (no internet, wrong token): Rasa's own
  channel would stop the whole server; here a log line says what failed and the other
  channels keep running,
- sends the bot's Markdown as Telegram HTML; buttons stay inline keyboards.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Dict, List, Optional, Text

from aiogram import Bot
from aiogram.bot.api import TELEGRAM_PRODUCTION, TelegramAPIServer
from rasa.core.channels.channel import InputChannel
from rasa.core.channels.telegram import TelegramInput, TelegramOutput
from sanic import Blueprint

from bot.channels.formatting import markdown_to_html
from bot.channels.handover import deliver_in_background
from bot.channels.splitting import OnNewMessage, answering_each_question

log = logging.getLogger(__name__)


class TelegramApiOutput(TelegramOutput):
    def __init__(self, access_token: Optional[Text], api_url: Optional[Text] = None) -> None:
        server = TelegramAPIServer.from_base(api_url) if api_url else TELEGRAM_PRODUCTION
        Bot.__init__(self, access_token, parse_mode="HTML", server=server)

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        for part in text.strip().split("\n\n"):
            await self.send_message(recipient_id, markdown_to_html(part))

    async def send_text_with_buttons(self, recipient_id: Text, text: Text, buttons: List[Dict[Text, Any]],
                                     button_type: Optional[Text] = "inline", **kwargs: Any) -> None:
        await super().send_text_with_buttons(recipient_id, markdown_to_html(text), buttons, button_type, **kwargs)


class TelegramChannel(TelegramInput):
    @classmethod
    def name(cls) -> Text:
        return "telegram"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        if not credentials:
            cls.raise_missing_credentials_exception()
        channel = cls(credentials.get("access_token"), credentials.get("verify"), credentials.get("webhook_url"))
        channel.api_url = credentials.get("api_url") or None
        return channel

    api_url: Optional[Text] = None

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        blueprint = super().blueprint(answering_each_question(on_new_message))
        output = TelegramApiOutput(self.access_token, self.api_url)

        async def deliver(message, text: Text, _marker: Optional[Text]) -> None:
            await output.send_text_message(message.handover.sender_id, text)

        deliver_in_background(blueprint, self.name(), deliver)
        return blueprint

    def get_output_channel(self) -> TelegramOutput:
        channel = TelegramApiOutput(self.access_token, self.api_url)
        if self.webhook_url:
            try:
                asyncio.run(self._register_webhook(channel))
                log.info("Telegram: Webhook %s registriert.", self.webhook_url)
            except Exception as error:  # the Bot API unreachable or refusing: keep serving the rest
                log.error("Telegram: Webhook konnte nicht registriert werden (%s: %s). Der Bot läuft weiter; "
                          "Telegram-Nachrichten kommen erst an, wenn der Webhook gesetzt ist "
                          "(GET /webhooks/telegram/set_webhook).", type(error).__name__, error)
        return channel

    async def _register_webhook(self, channel: TelegramApiOutput) -> None:
        try:
            await channel.set_webhook(url=self.webhook_url)
        finally:
            # The HTTP session belongs to this short-lived loop; the server's loop opens its own.
            if channel._session is not None:
                await channel._session.close()
