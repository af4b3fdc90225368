"""Whether a person can take over now, and the database the handover uses in each process."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Optional

from sqlalchemy.orm import sessionmaker

from bot.clock import now
from bot.config import Settings, get_settings
from bot.db import make_engine, make_session_factory, migrate
from bot.handover.office_hours import from_settings


@dataclass(frozen=True)
class Availability:
    live: bool  # someone can take over the chat now
    reason: str  # "" | "not_configured" | "closed"
    next_opening: Optional[datetime]


def availability(settings: Settings | None = None) -> Availability:
    settings = settings or get_settings()
    hours = from_settings(settings)
    moment = now(settings)
    opening = hours.next_opening(moment)
    if not settings.handover_room:
        return Availability(False, "not_configured", opening)
    if not hours.is_open(moment):
        return Availability(False, "closed", opening)
    return Availability(True, "", moment)


@lru_cache(maxsize=1)
def shared_sessions() -> sessionmaker:
    """This process's connection pool for the handover tables, migrated on first use."""
    url = get_settings().database
    migrate(url)
    return make_session_factory(make_engine(url))
