"""The bot's one clock: today's date and the time in Saxony, or what ASSKOMM_TODAY and
ASSKOMM_NOW set (tests)."""
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


def now(settings: Settings | None = None) -> datetime:
    """The current moment in Saxon time; ASSKOMM_NOW fixes it, ASSKOMM_TODAY only the date."""
    settings = settings or get_settings()
    if settings.now:
        moment = datetime.fromisoformat(settings.now)
        return moment.astimezone(SAXONY) if moment.tzinfo else moment.replace(tzinfo=SAXONY)
    current = datetime.now(SAXONY)
    if settings.today:
        return datetime.combine(date.fromisoformat(settings.today), current.timetz())
    return current
