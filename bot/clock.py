"""The bot's one clock: today's date in Saxony, or the date ASSKOMM_TODAY sets (tests)."""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.config import Settings, get_settings

SAXONY = ZoneInfo("Europe/Berlin")


def today(settings: Settings | None = None) -> date:
    setting = (settings or get_settings()).today
    if setting:
        return date.fromisoformat(setting)
    return datetime.now(SAXONY).date()
