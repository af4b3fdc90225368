"""Rasa's Redis lock store with every change of a lock made in one Redis transaction.

Rasa 3.6's RedisLockStore reads a conversation's ticket lock, changes it in Python and writes
it back. Two replicas that take a message of the same conversation at the same moment both
read the same lock: they draw the same ticket number, or one deletes the lock while the other
still waits. Then two turns run at once on one tracker and one user message is lost, or a
message fails with a LockError (seen in our two-replica test: 8 of 10 messages stored). Here
each read-modify-write runs under WATCH/MULTI and is retried when another replica changed the
lock in between, so tickets are unique and served in order across replicas."""
from __future__ import annotations

import json
import math
from typing import Callable, Optional, Tuple, TypeVar

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
