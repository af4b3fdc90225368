"""The staff side of the handover (docs/handover.md): threads in ASSKOMM_HANDOVER_ROOM.

Polls the handover tables (bot/handover/store.py) every second: opens a thread for each new
request, posts what citizens wrote into their thread, delivers staff answers to citizens who
write over Matrix (the other channels get them from the Rasa process) and closes requests no
staff member answered in time. Staff replies in a thread go to the tables; `!ende` ends the
handover. The database is the only state, so a restarted bridge carries on where it stopped.
"""
from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Awaitable, Callable, Dict, Optional

from sqlalchemy.orm import sessionmaker

from bot.db.engine import make_engine, make_session_factory
from bot.handover import store, texts

log = logging.getLogger("asskomm.matrix.handover")

Send = Callable[[str, Dict], Awaitable[Optional[str]]]  # room, content → event id or None
MATRIX_PREFIX = "matrix:"


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


class HandoverRelay:
    def __init__(self, room_id: str, database_url: str, timeout: timedelta, send: Send,
                 poll_s: float = 1.0) -> None:
        self.room_id, self.timeout, self.send, self.poll_s = room_id, timeout, send, poll_s
        self.sessions: sessionmaker = make_session_factory(make_engine(database_url))

    async def _db(self, function, *args, **kwargs):
        return await asyncio.to_thread(function, self.sessions, *args, **kwargs)

    # --- staff → tables ---
    async def on_staff_message(self, sender: str, content: Dict) -> None:
        root = thread_root(content)
        if root is None:
            return  # staff talking among themselves in the room, not in a handover thread
        text = (content.get("body") or "").strip()
        handover = await self._db(store.by_thread, root)
        if handover is None:
            return
        if text.lower() == texts.END_COMMAND:
            ended = await self._db(store.end, handover.id, sender, texts.ENDED)
            await self.send(self.room_id, thread_reply(root, texts.THREAD_ENDED if ended
                                                       else texts.THREAD_ALREADY_ENDED))
            return
        if not text:
            return
        outcome = await self._db(store.from_staff, root, sender, text)
        if outcome is store.StaffMessage.ENDED:
            await self.send(self.room_id, thread_reply(root, texts.THREAD_ALREADY_ENDED))

    # --- tables → Matrix ---
    async def poll_once(self) -> None:
        for handover in await self._db(store.awaiting_thread):
            event_id = await self.send(self.room_id, {"msgtype": "m.text", "body": texts.thread_opening(
                handover.channel, handover.requested_at, handover.transcript)})
            if event_id:
                await self._db(store.thread_opened, handover.id, event_id)
                log.info("Übergabe %s: Thread im Mitarbeiterraum eröffnet.", handover.id)
        done = []
        for message in await self._db(store.undelivered, store.TO_STAFF):
            root = message.handover.thread_event_id
            if root is None:
                continue  # the thread opens first (next round)
            if await self.send(self.room_id, thread_reply(root, f"{texts.CITIZEN_PREFIX} {message.text}")):
                done.append(message.id)
        for message in await self._db(store.undelivered, store.TO_USER, channels={"matrix"}):
            room = matrix_room_of(message.handover.sender_id)
            if room is None or await self.send(room, {"msgtype": "m.text",
                                                      "body": texts.for_user(message.author, message.text)}):
                done.append(message.id)
        await self._db(store.delivered, done)
        for handover in await self._db(store.expire, self.timeout, texts.EXPIRED):
            if handover.thread_event_id:
                await self.send(self.room_id, thread_reply(handover.thread_event_id, texts.THREAD_EXPIRED))

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
