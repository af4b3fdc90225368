"""Times on the console's pages in Saxon local time: the databases store UTC, the staff read
the clock on their wall (CET/CEST)."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Optional

from bot.clock import SAXONY


def local_time(moment: Optional[datetime], seconds: bool = False) -> str:
    """'30.11.2026 11:05' for a stored moment; a naive one was stored as UTC."""
    if moment is None:
        return "–"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(SAXONY).strftime("%d.%m.%Y %H:%M:%S" if seconds else "%d.%m.%Y %H:%M")
