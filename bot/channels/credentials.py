"""Which channels Rasa serves, from the settings (environment variables). The runner
writes the result to var/credentials.yml and starts Rasa with it, so a channel is switched
on by setting its variables and nothing else."""
from __future__ import annotations

from pathlib import Path

from bot.config import Settings
from bot.deployment.endpoints import write_generated


def channel_credentials(settings: Settings) -> dict:
    channels: dict = {
        # POST /webhooks/rest/webhook {"sender": "...", "message": "..."}: Rasa's REST channel
        # behind our checks (bot/channels/rest.py: 400 for malformed bodies, origins, flood),
        # answering two questions in one message one after the other.
        "bot.channels.rest.RestChannel": None,
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
    return write_generated(settings.var_dir / "credentials.yml", channel_credentials(settings),
                           "bot/channels/credentials.py")
