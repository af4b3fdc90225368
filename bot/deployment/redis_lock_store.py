"""Rasa's Redis lock store with every change of a lock made in one Redis transaction.

Rasa 3.6's RedisLockStore reads a conversation's ticket lock, changes it in Python and writes
it back. Two replicas that take a message of the same conversation at the same moment both
read the same lock: they draw the same ticket number, or one deletes the lock while the other
still waits. Then two turns run at once on one tracker and one user message is lost, or a
message fails with a LockError (seen in our two-replica test: 8 of 10 messages stored). Here
each read-modify-write runs under WATCH/MULTI and is retried when another replica changed the
lock in between, so tickets are unique and served in order across replicas.

A waiting ticket also stays alive while its waiter waits. Rasa counts a ticket's lifetime from
when it was drawn: a message that waits behind the ticket of a crashed replica, drawn less than
a polling interval after it, expired together with it and failed with a LockError, so the user
got an empty answer (tests/test_faults.py, replica killed under load)."""
from __future__ import annotations

import asyncio
import json
import math
import time
from contextlib import asynccontextmanager
from typing import AsyncIterator, Callable, Optional, Tuple, TypeVar

import redis
from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

Result = TypeVar("Result")
Change = Callable[[Optional[TicketLock]], Tuple[Result, Optional[TicketLock]]]


class AtomicRedisLockStore(RedisLockStore):
    """Loaded by Rasa from endpoints.yml (`type: bot.deployment.redis_lock_store.AtomicRedisLockStore`)."""

    def __init__(self, endpoint_config: EndpointConfig) -> None:
        super().__init__(host=endpoint_config.url or "localhost", **endpoint_config.kwargs)

    def _change(self, conversation_id: str, change: Change) -> Result:
        key = self.key_prefix + conversation_id

        def transaction(pipe: redis.client.Pipeline) -> Result:
            stored = pipe.get(key)
            lock = TicketLock.from_dict(json.loads(stored)) if stored else None
            result, changed = change(lock)
            pipe.multi()
            if changed is None or not changed.is_someone_waiting():
                pipe.delete(key)
            else:
                # the key outlives its last ticket by a second, so a crashed replica leaves nothing behind
                last_expiry = max(ticket.expires for ticket in changed.tickets)
                pipe.set(key, changed.dumps(), exat=math.ceil(last_expiry) + 1)
            return result

        return self.red.transaction(transaction, key, value_from_callable=True)

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        def issue(lock: Optional[TicketLock]) -> Tuple[int, TicketLock]:
            lock = lock or self.create_lock(conversation_id)
            return lock.issue_ticket(lock_lifetime), lock

        try:
            return self._change(conversation_id, issue)
        except redis.RedisError as error:
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error

    @asynccontextmanager
    async def lock(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME,
                   wait_time_in_seconds: float = 1) -> AsyncIterator[TicketLock]:
        ticket = self.issue_ticket(conversation_id, lock_lifetime)
        try:
            yield await self._wait_for_turn(conversation_id, ticket, lock_lifetime, wait_time_in_seconds)
        finally:
            self.cleanup(conversation_id, ticket)

    async def _wait_for_turn(self, conversation_id: str, ticket: int, lifetime: float, wait_s: float) -> TicketLock:
        """Rasa's _acquire_lock, except that each look at the lock renews this ticket."""
        while True:
            lock = self._renew(conversation_id, ticket, lifetime)
            if lock is None:
                break
            if not lock.is_locked(ticket):
                return lock
            await asyncio.sleep(wait_s)
        raise LockError(f"Could not acquire lock for conversation_id '{conversation_id}'.")

    def _renew(self, conversation_id: str, ticket: int, lifetime: float) -> Optional[TicketLock]:
        """Drops expired tickets and gives this one a full lifetime from now; None if it is gone."""
        def renew(lock: Optional[TicketLock]) -> Tuple[Optional[TicketLock], Optional[TicketLock]]:
            if lock is None:
                return None, None
            lock.remove_expired_tickets()
            mine = next((t for t in lock.tickets if t.number == ticket), None)
            if mine is None:
                return None, lock
            mine.expires = time.time() + lifetime
            return lock, lock

        try:
            return self._change(conversation_id, renew)
        except redis.RedisError as error:
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error

    def update_lock(self, conversation_id: str) -> None:
        def drop_expired(lock: Optional[TicketLock]) -> Tuple[None, Optional[TicketLock]]:
            if lock:
                lock.remove_expired_tickets()
            return None, lock

        self._change(conversation_id, drop_expired)

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        def finish(lock: Optional[TicketLock]) -> Tuple[None, Optional[TicketLock]]:
            if lock:
                lock.remove_ticket_for(ticket_number)
            return None, lock

        self._change(conversation_id, finish)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        # finishing and deleting the empty lock are one step, so no ticket issued in between is lost
        self.finish_serving(conversation_id, ticket_number)
