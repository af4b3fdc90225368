"""Tables of the staff handover (docs/handover.md): one row per handover, one per relayed message."""
from __future__ import annotations

from sqlalchemy import Column, DateTime, ForeignKey, Index, Integer, String, Text, text

from bot.db.models import Base

OPEN = ("requested", "connected")
# The same condition as SQL, for the index that allows one open handover per conversation.
OPEN_SQL = "status IN ('requested', 'connected')"


class Handover(Base):
    __tablename__ = "handovers"

    id = Column(Integer, primary_key=True)
    sender_id = Column(String(255), nullable=False, index=True)  # the Rasa conversation
    channel = Column(String(40), nullable=False)  # rest | socketio | telegram | matrix (its output channel)
    # requested: thread asked for, no staff answer yet; connected: staff answered;
    # ended: closed by staff (!ende) or the user; expired: no staff answer in time.
    status = Column(String(20), nullable=False, default="requested")
    transcript = Column(Text, nullable=False, default="")  # redacted, as posted to the thread
    thread_event_id = Column(String(255), unique=True)  # root event of the staff room's thread
    requested_at = Column(DateTime(timezone=True), nullable=False)
    connected_at = Column(DateTime(timezone=True))
    ended_at = Column(DateTime(timezone=True))
    ended_by = Column(String(255))  # the staff member's Matrix id, "nutzer" or "zeitablauf"
    # The answer to "Hat Ihnen das Gespräch geholfen?" (asked when staff end it): "gefragt" until
    # the user's next message, then "ja", "nein" or "keine" (the message answered something else).
    helped = Column(String(10))
    helped_comment = Column(String(300))  # the rest of that answer, without e-mail or phone

    __table_args__ = (
        Index("one_open_handover_per_sender", "sender_id", unique=True,
              postgresql_where=text(OPEN_SQL), sqlite_where=text(OPEN_SQL)),
    )


class HandoverMessage(Base):
    __tablename__ = "handover_messages"

    id = Column(Integer, primary_key=True)
    handover_id = Column(Integer, ForeignKey("handovers.id", ondelete="CASCADE"), nullable=False, index=True)
    direction = Column(String(10), nullable=False)  # to_staff | to_user
    author = Column(String(255))  # the staff member's Matrix id for to_user
    text = Column(Text, nullable=False)
    created_at = Column(DateTime(timezone=True), nullable=False)
    delivered_at = Column(DateTime(timezone=True))


class HandoverMatrixEvent(Base):
    """A Matrix event the bridge posted for a handover (thread root, relayed lines, notes) or a
    staff reply in its thread. Deleting the handover (the user's request, retention) sets
    redact_requested_at; the bridge then redacts the event and deletes the row."""
    __tablename__ = "handover_matrix_events"

    id = Column(Integer, primary_key=True)
    handover_id = Column(Integer, index=True)  # no foreign key: outlives the handover until redacted
    room_id = Column(String(255), nullable=False)
    event_id = Column(String(255), nullable=False, unique=True)
    posted_at = Column(DateTime(timezone=True), nullable=False)
    redact_requested_at = Column(DateTime(timezone=True), index=True)
