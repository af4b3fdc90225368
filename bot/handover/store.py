"""The one place that reads and writes handover state (tables in bot/handover/models.py).

The Rasa process (channel guard, delivery task), the action server and the Matrix bridge all
go through these functions, so a restart of any of them loses nothing: what is open and what
is still to be delivered is in the database. Every relayed message is addressed by its
handover row, never by "the latest conversation", so two citizens are never mixed up.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from enum import Enum
from typing import Optional

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from bot.applications.models import Application
from bot.handover.models import OPEN, Handover, HandoverMatrixEvent, HandoverMessage

TO_STAFF, TO_USER = "to_staff", "to_user"
# handovers.helped: asked with the end notice, then the user's answer (or none).
HELPED_ASKED, HELPED_YES, HELPED_NO, HELPED_NONE = "gefragt", "ja", "nein", "keine"


@dataclass(frozen=True)
class HandoverInfo:
    id: int
    sender_id: str
    channel: str
    status: str
    transcript: str
    thread_event_id: Optional[str]
    requested_at: datetime
    connected_at: Optional[datetime]
    ended_at: Optional[datetime]
    ended_by: Optional[str]
    helped: Optional[str] = None
    helped_comment: Optional[str] = None

    @property
    def is_open(self) -> bool:
        return self.status in OPEN


@dataclass(frozen=True)
class Relayed:
    id: int
    handover: HandoverInfo
    direction: str
    author: Optional[str]  # staff member for to_user; None for a notice of the bot itself
    text: str


class StaffMessage(Enum):
    QUEUED = "queued"  # will reach the citizen
    ENDED = "ended"  # the handover is over: the thread gets a note, nobody gets the message
    UNKNOWN = "unknown"  # not a handover thread


def _utc(moment: Optional[datetime]) -> Optional[datetime]:
    """Aware UTC; SQLite hands back naive datetimes that were stored as UTC."""
    if moment is None:
        return None
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def _now(at: Optional[datetime]) -> datetime:
    return _utc(at) if at else datetime.now(timezone.utc)


def _info(row: Handover) -> HandoverInfo:
    return HandoverInfo(row.id, row.sender_id, row.channel, row.status, row.transcript, row.thread_event_id,
                        _utc(row.requested_at), _utc(row.connected_at), _utc(row.ended_at), row.ended_by,
                        row.helped, row.helped_comment)


def _open_row(session, sender_id: str) -> Optional[Handover]:
    return session.execute(select(Handover).where(Handover.sender_id == sender_id, Handover.status.in_(OPEN))
                           ).scalar_one_or_none()


def request(sessions: sessionmaker, sender_id: str, channel: str, transcript: str,
            at: Optional[datetime] = None) -> tuple[HandoverInfo, bool]:
    """Opens a handover for the conversation; (the open one, False) when there is one already."""
    try:
        with sessions.begin() as session:
            existing = _open_row(session, sender_id)
            if existing:
                return _info(existing), False
            row = Handover(sender_id=sender_id, channel=channel, status="requested", transcript=transcript,
                           requested_at=_now(at))
            session.add(row)
            session.flush()
            return _info(row), True
    except IntegrityError:  # the same conversation asked twice at the same moment
        with sessions() as session:
            return _info(_open_row(session, sender_id)), False


def open_for(sessions: sessionmaker, sender_id: str) -> Optional[HandoverInfo]:
    with sessions() as session:
        row = _open_row(session, sender_id)
        return _info(row) if row else None


def get(sessions: sessionmaker, handover_id: int) -> Optional[HandoverInfo]:
    with sessions() as session:
        row = session.get(Handover, handover_id)
        return _info(row) if row else None


def awaiting_thread(sessions: sessionmaker) -> list[HandoverInfo]:
    """Requested handovers whose staff thread the bridge has not opened yet, oldest first."""
    with sessions() as session:
        rows = session.execute(select(Handover).where(Handover.status == "requested",
                                                      Handover.thread_event_id.is_(None))
                               .order_by(Handover.id)).scalars()
        return [_info(row) for row in rows]


def thread_opened(sessions: sessionmaker, handover_id: int, event_id: str) -> None:
    with sessions.begin() as session:
        session.execute(update(Handover).where(Handover.id == handover_id).values(thread_event_id=event_id))


def by_thread(sessions: sessionmaker, event_id: str) -> Optional[HandoverInfo]:
    with sessions() as session:
        row = session.execute(select(Handover).where(Handover.thread_event_id == event_id)).scalar_one_or_none()
        return _info(row) if row else None


def from_user(sessions: sessionmaker, sender_id: str, text: str, at: Optional[datetime] = None) -> bool:
    """Queues the citizen's message for the staff thread when a handover is open (the bot then
    stays silent); False when none is open and the bot answers as usual."""
    with sessions.begin() as session:
        row = _open_row(session, sender_id)
        if row is None:
            return False
        session.add(HandoverMessage(handover_id=row.id, direction=TO_STAFF, text=text, created_at=_now(at)))
        return True


def from_staff(sessions: sessionmaker, thread_event_id: str, author: str, text: str,
               at: Optional[datetime] = None) -> StaffMessage:
    """Queues a staff reply for the citizen; the first one connects the handover."""
    moment = _now(at)
    with sessions.begin() as session:
        row = session.execute(select(Handover).where(Handover.thread_event_id == thread_event_id)
                              .with_for_update()).scalar_one_or_none()
        if row is None:
            return StaffMessage.UNKNOWN
        if row.status not in OPEN:
            return StaffMessage.ENDED
        if row.status == "requested":
            row.status, row.connected_at = "connected", moment
        session.add(HandoverMessage(handover_id=row.id, direction=TO_USER, author=author, text=text,
                                    created_at=moment))
        return StaffMessage.QUEUED


def end(sessions: sessionmaker, handover_id: int, by: str, notice: str = "", status: str = "ended",
        at: Optional[datetime] = None, asks_helped: bool = False) -> Optional[HandoverInfo]:
    """Closes an open handover (None when it was not open) and queues `notice` for the citizen;
    `asks_helped`: the notice asks whether the conversation helped, the next message may answer."""
    moment = _now(at)
    with sessions.begin() as session:
        row = session.execute(select(Handover).where(Handover.id == handover_id).with_for_update()
                              ).scalar_one_or_none()
        if row is None or row.status not in OPEN:
            return None
        row.status, row.ended_at, row.ended_by = status, moment, by
        if asks_helped:
            row.helped = HELPED_ASKED
        if notice:
            session.add(HandoverMessage(handover_id=row.id, direction=TO_USER, text=notice, created_at=moment))
        session.flush()
        return _info(row)


def expire(sessions: sessionmaker, timeout: timedelta, notice: str = "",
           at: Optional[datetime] = None) -> list[HandoverInfo]:
    """Ends the requested handovers no staff member answered within `timeout` (status expired)."""
    cutoff = _now(at) - timeout
    with sessions() as session:
        stale = session.execute(select(Handover.id).where(Handover.status == "requested",
                                                          Handover.requested_at < cutoff)).scalars().all()
    ended = (end(sessions, handover_id, "zeitablauf", notice, status="expired", at=at) for handover_id in stale)
    return [info for info in ended if info is not None]


def undelivered(sessions: sessionmaker, direction: str, sender_id: Optional[str] = None,
                channels: Optional[set[str]] = None, limit: int = 100) -> list[Relayed]:
    """Messages still to be delivered, oldest first; optionally of one conversation or channels."""
    query = (select(HandoverMessage, Handover).join(Handover, Handover.id == HandoverMessage.handover_id)
             .where(HandoverMessage.direction == direction, HandoverMessage.delivered_at.is_(None))
             .order_by(HandoverMessage.id).limit(limit))
    if sender_id is not None:
        query = query.where(Handover.sender_id == sender_id)
    if channels is not None:
        query = query.where(Handover.channel.in_(sorted(channels)))
    with sessions() as session:
        return [Relayed(message.id, _info(handover), message.direction, message.author, message.text)
                for message, handover in session.execute(query)]


def delivered(sessions: sessionmaker, message_ids: list[int], at: Optional[datetime] = None) -> None:
    if not message_ids:
        return
    with sessions.begin() as session:
        session.execute(update(HandoverMessage).where(HandoverMessage.id.in_(message_ids),
                                                      HandoverMessage.delivered_at.is_(None))
                        .values(delivered_at=_now(at)))


def forget(sessions: sessionmaker, sender_id: str) -> int:
    """Deletes every handover of the conversation with its messages (the user's deletion
    request); a staff reply to its thread afterwards finds nothing and reaches nobody."""
    with sessions.begin() as session:
        ids = session.execute(select(Handover.id).where(Handover.sender_id == sender_id)).scalars().all()
        return _delete(session, ids)


def delete_ended_before(sessions: sessionmaker, cutoff: datetime) -> int:
    """Deletes handovers that ended before `cutoff` (retention, bot/privacy/retention.py)."""
    with sessions.begin() as session:
        ids = session.execute(select(Handover.id).where(Handover.status.not_in(OPEN),
                                                        Handover.ended_at < _utc(cutoff))).scalars().all()
        return _delete(session, ids)


def _delete(session, ids: list[int]) -> int:
    if ids:
        session.execute(delete(HandoverMessage).where(HandoverMessage.handover_id.in_(ids)))
        session.execute(delete(Handover).where(Handover.id.in_(ids)))
        # What the staff room shows of them is redacted by the bridge (redactions_due).
        session.execute(update(HandoverMatrixEvent).where(HandoverMatrixEvent.handover_id.in_(ids))
                        .values(handover_id=None, redact_requested_at=datetime.now(timezone.utc)))
    return len(ids)


# --- the answer to "Hat Ihnen das Gespräch geholfen?" ------------------------------------

def helped_asked(sessions: sessionmaker, sender_id: str, within: timedelta,
                 at: Optional[datetime] = None) -> Optional[int]:
    """The handover whose end notice asked this conversation whether it helped, no longer ago
    than `within` and not answered yet; None otherwise."""
    cutoff = _now(at) - within
    with sessions() as session:
        return session.execute(select(Handover.id).where(
            Handover.sender_id == sender_id, Handover.helped == HELPED_ASKED, Handover.ended_at >= cutoff)
            .order_by(Handover.id.desc()).limit(1)).scalar_one_or_none()


def record_helped(sessions: sessionmaker, handover_id: int, answer: str, comment: Optional[str] = None) -> bool:
    """Stores the answer (ja | nein | keine) once; False when it was answered before."""
    if answer not in (HELPED_YES, HELPED_NO, HELPED_NONE):
        raise ValueError(f"unbekannte Antwort {answer!r}")
    with sessions.begin() as session:
        done = session.execute(update(Handover).where(Handover.id == handover_id, Handover.helped == HELPED_ASKED)
                               .values(helped=answer, helped_comment=(comment or None) and comment[:300]))
        return done.rowcount == 1


# --- Matrix events of a handover, redacted when it is deleted ------------------------------

@dataclass(frozen=True)
class PostedEvent:
    id: int
    room_id: str
    event_id: str


def posted(sessions: sessionmaker, handover_id: int, room_id: str, event_id: str,
           at: Optional[datetime] = None) -> None:
    """Remembers an event in the staff room that belongs to the handover. Posted for a
    handover deleted meanwhile, it is due for redaction at once."""
    with sessions.begin() as session:
        if session.execute(select(HandoverMatrixEvent.id).where(HandoverMatrixEvent.event_id == event_id)).first():
            return
        gone = session.get(Handover, handover_id) is None
        session.add(HandoverMatrixEvent(handover_id=None if gone else handover_id, room_id=room_id,
                                        event_id=event_id, posted_at=_now(at),
                                        redact_requested_at=_now(at) if gone else None))


def events_of(sessions: sessionmaker, handover_id: int) -> list[PostedEvent]:
    with sessions() as session:
        rows = session.execute(select(HandoverMatrixEvent).where(HandoverMatrixEvent.handover_id == handover_id)
                               .order_by(HandoverMatrixEvent.id)).scalars()
        return [PostedEvent(r.id, r.room_id, r.event_id) for r in rows]


def redactions_due(sessions: sessionmaker, limit: int = 50) -> list[PostedEvent]:
    """Events of deleted handovers still to be redacted in Matrix, oldest first."""
    with sessions() as session:
        rows = session.execute(select(HandoverMatrixEvent).where(HandoverMatrixEvent.redact_requested_at.is_not(None))
                               .order_by(HandoverMatrixEvent.id).limit(limit)).scalars()
        return [PostedEvent(r.id, r.room_id, r.event_id) for r in rows]


def redacted(sessions: sessionmaker, ids: list[int]) -> None:
    """The events are redacted (or can never be): their ids are forgotten too."""
    if ids:
        with sessions.begin() as session:
            session.execute(delete(HandoverMatrixEvent).where(HandoverMatrixEvent.id.in_(ids)))


@dataclass(frozen=True)
class Statistics:
    requested: int
    connected: int  # a staff member answered
    expired: int
    average_minutes: Optional[float]  # from the first staff answer to the end
    callbacks: int  # callback requests stored (applications of kind rueckruf)
    helped_yes: int = 0  # "Hat Ihnen das Gespräch geholfen?" answered with yes
    helped_no: int = 0


def statistics(sessions: sessionmaker, since: datetime, until: Optional[datetime] = None) -> Statistics:
    until = _now(until)
    with sessions() as session:
        rows = session.execute(select(Handover).where(Handover.requested_at >= _utc(since),
                                                      Handover.requested_at < until)).scalars().all()
        callbacks = session.execute(select(func.count()).select_from(Application).where(
            Application.kind == "rueckruf", Application.created_at >= _utc(since),
            Application.created_at < until)).scalar_one()
    durations = [(_utc(r.ended_at) - _utc(r.connected_at)).total_seconds() / 60
                 for r in rows if r.connected_at and r.ended_at]
    return Statistics(
        requested=len(rows),
        connected=sum(1 for r in rows if r.connected_at),
        expired=sum(1 for r in rows if r.status == "expired"),
        average_minutes=round(sum(durations) / len(durations), 1) if durations else None,
        callbacks=callbacks,
        helped_yes=sum(1 for r in rows if r.helped == HELPED_YES),
        helped_no=sum(1 for r in rows if r.helped == HELPED_NO),
    )
