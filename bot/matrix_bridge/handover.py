"""The staff side of the handover (docs/handover.md): threads in ASSKOMM_HANDOVER_ROOM.

Polls the handover tables (bot/handover/store.py) every second: opens a thread for each new
request, posts what citizens wrote into their thread, delivers staff answers to citizens who
write over Matrix (the other channels get them from the Rasa process), closes requests no
staff member answered in time and redacts the events of deleted handovers. Staff replies in a
thread go to the tables; `!ende` ends the handover. Only staff may do either (StaffCheck);
anyone else in a thread gets a note and reaches nobody. The database is the only state, so a
restarted bridge carries on where it stopped.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Awaitable, Callable, Dict, FrozenSet, Optional

from sqlalchemy.orm import sessionmaker

from bot.db.engine import make_engine, make_session_factory
from bot.handover import store, texts

log = logging.getLogger("asskomm.matrix.handover")

Send = Callable[[str, Dict], Awaitable[Optional[str]]]  # room, content → event id or None
PowerLevel = Callable[[str, str], Awaitable[Optional[int]]]  # room, user → level or None (unknown)
# room, event → "done" (redacted, or nothing left to redact), "retry" (server unreachable)
Redact = Callable[[str, str], Awaitable[str]]
MATRIX_PREFIX = "matrix:"
# Moderator in Element's terms: room members with less are no staff unless listed.
DEFAULT_STAFF_POWER_LEVEL = 50


def matrix_room_of(sender_id: str) -> Optional[str]:
    """'matrix:!room:server:@user:server' → '!room:server' (the bridge's sender ids)."""
    if not sender_id.startswith(MATRIX_PREFIX):
        return None
    rest = sender_id[len(MATRIX_PREFIX):]
    room, _, _user = rest.rpartition(":@")
    return room or None


def thread_reply(root: str, text: str) -> Dict:
    # is_falling_back + m.in_reply_to: clients without threads show it as a reply to the root.
    return {"msgtype": "m.text", "body": text,
            "m.relates_to": {"rel_type": "m.thread", "event_id": root, "is_falling_back": True,
                             "m.in_reply_to": {"event_id": root}}}


def thread_root(content: Dict) -> Optional[str]:
    relates = content.get("m.relates_to") or {}
    return relates.get("event_id") if relates.get("rel_type") == "m.thread" else None


# Room versions 12 and later (and their test version) give the room's creators a level above
# every number, and leave them out of m.room.power_levels.
CREATOR_LEVEL = 2 ** 53 - 1


def _privileged_creators(version: str) -> bool:
    return version == "org.matrix.hydra.11" or (version.isdigit() and int(version) >= 12)


def power_level_of(state: list[Dict], user_id: str) -> int:
    """The user's power level from the room's state events (as /rooms/{id}/state returns them)."""
    create = next((e for e in state if e.get("type") == "m.room.create"), None) or {}
    content = create.get("content") or {}
    creators = {create.get("sender"), *(content.get("additional_creators") or [])}
    if user_id in creators and _privileged_creators(str(content.get("room_version") or "1")):
        return CREATOR_LEVEL
    levels = next((e.get("content") for e in state if e.get("type") == "m.room.power_levels"), None)
    if levels is None:  # no power levels at all: the creator 100, everyone else 0 (spec)
        return 100 if user_id == create.get("sender") else 0
    return int((levels.get("users") or {}).get(user_id, levels.get("users_default", 0)))


@dataclass(frozen=True)
class StaffCheck:
    """Who may answer or end a handover: the Matrix ids in ASSKOMM_HANDOVER_STAFF when that is
    set, else every member of the staff room with at least ASSKOMM_HANDOVER_STAFF_POWER_LEVEL
    (default 50, a moderator). Closed by default: an empty room setting lets nobody in below
    the level, and a level that cannot be read counts as too low."""
    allowed: FrozenSet[str] = frozenset()
    min_power_level: int = DEFAULT_STAFF_POWER_LEVEL

    @classmethod
    def parse(cls, users: str, level: str = "") -> "StaffCheck":
        allowed = frozenset(u.strip() for u in (users or "").split(",") if u.strip())
        bad = sorted(u for u in allowed if not (u.startswith("@") and ":" in u))
        if bad:
            raise ValueError(f"ASSKOMM_HANDOVER_STAFF: keine Matrix-Kennung: {', '.join(bad)} (Beispiel: @anna:lpr.de)")
        minimum = int(level) if str(level or "").strip() else DEFAULT_STAFF_POWER_LEVEL
        if minimum < 1:
            raise ValueError("ASSKOMM_HANDOVER_STAFF_POWER_LEVEL muss mindestens 1 sein (0 ließe jedes Mitglied zu).")
        return cls(allowed, minimum)

    async def admits(self, user_id: str, room_id: str, power_level: PowerLevel) -> bool:
        if self.allowed:
            return user_id in self.allowed
        level = await power_level(room_id, user_id)
        return level is not None and level >= self.min_power_level


async def _no_power(room_id: str, user_id: str) -> Optional[int]:
    return None


async def _cannot_redact(room_id: str, event_id: str) -> str:
    return "retry"


class HandoverRelay:
    def __init__(self, room_id: str, database_url: str, timeout: timedelta, send: Send,
                 poll_s: float = 1.0, staff: StaffCheck = StaffCheck(), power_level: PowerLevel = _no_power,
                 redact: Redact = _cannot_redact) -> None:
        self.room_id, self.timeout, self.send, self.poll_s = room_id, timeout, send, poll_s
        self.staff, self.power_level, self.redact = staff, power_level, redact
        self.sessions: sessionmaker = make_session_factory(make_engine(database_url))

    async def _db(self, function, *args, **kwargs):
        return await asyncio.to_thread(function, self.sessions, *args, **kwargs)

    async def _post(self, handover_id: int, content: Dict) -> Optional[str]:
        """Posts into the staff room and remembers the event for a later deletion."""
        event_id = await self.send(self.room_id, content)
        if event_id:
            await self._db(store.posted, handover_id, self.room_id, event_id)
        return event_id

    # --- staff → tables ---
    async def on_staff_message(self, sender: str, content: Dict, event_id: Optional[str] = None) -> None:
        root = thread_root(content)
        if root is None:
            return  # staff talking among themselves in the room, not in a handover thread
        text = (content.get("body") or "").strip()
        handover = await self._db(store.by_thread, root)
        if handover is None:
            return
        if event_id:  # what staff wrote in the thread goes with the handover when it is deleted
            await self._db(store.posted, handover.id, self.room_id, event_id)
        if not await self.staff.admits(sender, self.room_id, self.power_level):
            log.warning("Übergabe %s: Nachricht von %s nicht zugestellt (keine Mitarbeiterin/kein Mitarbeiter).",
                        handover.id, sender)
            await self._post(handover.id, thread_reply(root, texts.THREAD_NOT_STAFF))
            return
        if text.lower() == texts.END_COMMAND:
            ended = await self._db(store.end, handover.id, sender, texts.ENDED, asks_helped=True)
            await self._post(handover.id, thread_reply(root, texts.THREAD_ENDED if ended
                                                       else texts.THREAD_ALREADY_ENDED))
            return
        if not text:
            return
        outcome = await self._db(store.from_staff, root, sender, text)
        if outcome is store.StaffMessage.ENDED:
            await self._post(handover.id, thread_reply(root, texts.THREAD_ALREADY_ENDED))

    # --- tables → Matrix ---
    async def poll_once(self) -> None:
        for handover in await self._db(store.awaiting_thread):
            event_id = await self._post(handover.id, {"msgtype": "m.text", "body": texts.thread_opening(
                handover.channel, handover.requested_at, handover.transcript)})
            if event_id:
                await self._db(store.thread_opened, handover.id, event_id)
                log.info("Übergabe %s: Thread im Mitarbeiterraum eröffnet.", handover.id)
        done = []
        for message in await self._db(store.undelivered, store.TO_STAFF):
            root = message.handover.thread_event_id
            if root is None:
                continue  # the thread opens first (next round)
            if await self._post(message.handover.id, thread_reply(root, f"{texts.CITIZEN_PREFIX} {message.text}")):
                done.append(message.id)
        for message in await self._db(store.undelivered, store.TO_USER, channels={"matrix"}):
            room = matrix_room_of(message.handover.sender_id)
            if room is None or await self.send(room, {"msgtype": "m.text",
                                                      "body": texts.for_user(message.author, message.text)}):
                done.append(message.id)
        await self._db(store.delivered, done)
        for handover in await self._db(store.expire, self.timeout, texts.EXPIRED):
            if handover.thread_event_id:
                await self._post(handover.id, thread_reply(handover.thread_event_id, texts.THREAD_EXPIRED))
        await self.redact_deleted()

    async def redact_deleted(self) -> int:
        """Redacts the staff-room events of handovers deleted on request or by retention."""
        finished = []
        for event in await self._db(store.redactions_due):
            if await self.redact(event.room_id, event.event_id) == "done":
                finished.append(event.id)
        await self._db(store.redacted, finished)
        if finished:
            log.info("Übergabe: %s Nachrichten gelöschter Gespräche im Mitarbeiterraum entfernt.", len(finished))
        return len(finished)

    async def run(self) -> None:
        log.info("Übergabe an Mitarbeitende: Raum %s, Zeitlimit %s.", self.room_id, self.timeout)
        while True:
            try:
                await self.poll_once()
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - the database restarting must not stop the bridge
                log.exception("Übergabe: Fehler beim Abgleich mit der Datenbank")
            await asyncio.sleep(self.poll_s)
