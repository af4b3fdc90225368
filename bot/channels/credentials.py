"""Which channels Rasa serves, from the settings (environment variables). The runner
writes the result to var/credentials.yml and starts Rasa with it, so a channel is switched
on by setting its variables and nothing else."""
from __future__ import annotations

from pathlib import Path

import yaml

from bot.config import Settings


def channel_credentials(settings: Settings) -> dict:
    channels: dict = {
        # POST /webhooks/rest/webhook {"sender": "...", "message": "..."}
        "rest": None,
        # The website widget: Rasa's socket.io protocol, with the conversation kept per
        # browser session (see bot/channels/socketio.py for the fix that makes it deliver).
        "bot.channels.socketio.SocketIOChannel": {
            "user_message_evt": "user_uttered",
            "bot_message_evt": "bot_uttered",
            "session_persistence": True,
        },
        # The website widget's files and demo page (/webhooks/widget/); messages go over socket.io.
        "bot.channels.web.WidgetChannel": {},
    }
    if settings.telegram_token:
        channels["bot.channels.telegram.TelegramChannel"] = {
            "access_token": settings.telegram_token,
            "verify": settings.telegram_bot_name,
            "webhook_url": settings.telegram_webhook_url,
            "api_url": settings.telegram_api_url,
        }
    return channels


def write_credentials(settings: Settings) -> Path:
    path = settings.var_dir / "credentials.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "# Written by bot/channels/credentials.py from the settings; edits here are overwritten.\n"
    path.write_text(text + yaml.safe_dump(channel_credentials(settings), sort_keys=False), encoding="utf-8")
    return path
