"""The audit log: every change made through the console or the user command, with its
author, time, and the values before and after."""
from __future__ import annotations

from typing import Any, Optional

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.db.models import AuditEntry


def record(session: Session, actor: str, action: str, target: str, before: Optional[dict[str, Any]] = None,
           after: Optional[dict[str, Any]] = None, note: str = "") -> None:
    """Adds an entry in the caller's transaction, so the change and its entry commit together."""
    session.add(AuditEntry(actor=actor, action=action, target=target, before=before, after=after,
                           note=note or None))


def entries(sessions: sessionmaker, target: str = "", limit: int = 200) -> list[AuditEntry]:
    with sessions() as session:
        query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
        if target:
            query = query.where(AuditEntry.target == target)
        return list(session.execute(query).scalars())
