"""Tables of stored applications and their e-mail outbox."""
from __future__ import annotations

from sqlalchemy import JSON, Column, DateTime, ForeignKey, Integer, String, Text, func

from bot.db.models import Base


class Application(Base):
    __tablename__ = "applications"

    id = Column(Integer, primary_key=True)
    # ASK-2026-000042: year of submission and the row id, so it is unique without a counter.
    reference = Column(String(20), unique=True)
    kind = Column(String(20), nullable=False)  # beitritt | foerderung | studium
    fields = Column(JSON, nullable=False)
    email = Column(String(320), nullable=False)  # also in fields; kept apart for the status check
    consent_at = Column(DateTime(timezone=True), nullable=False)
    channel = Column(String(40), nullable=False)
    sender_id = Column(String(255), nullable=False, index=True)
    # The same confirmed summary submitted again (retry, double click, replayed message)
    # carries the same key and finds the stored application instead of a new one.
    submission_key = Column(String(64), unique=True, nullable=False)
    status = Column(String(30), nullable=False, default="eingegangen")
    created_at = Column(DateTime(timezone=True), nullable=False, server_default=func.now())
    status_changed_at = Column(DateTime(timezone=True))


class OutboxMessage(Base):
    __tablename__ = "outbox"

    id = Column(Integer, primary_key=True)
    application_id = Column(Integer, ForeignKey("applications.id", ondelete="CASCADE"), nullable=False)
    recipient = Column(String(320), nullable=False)
    subject = Column(String(300), nullable=False)
    body = Column(Text, nullable=False)
    created_at = Column(DateTime(timezone=True), nullable=False, server_default=func.now())
    claimed_at = Column(DateTime(timezone=True))  # a sender took it; retried after a timeout
    claim_token = Column(String(36))
    sent_at = Column(DateTime(timezone=True))
    attempts = Column(Integer, nullable=False, default=0)
    last_error = Column(Text)
