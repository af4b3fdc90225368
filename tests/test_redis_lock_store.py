"""The lock store that keeps several Rasa replicas from serving one conversation at once, on the
local Redis. Each "replica" is its own store object with its own connection, as in production."""
import asyncio
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from rasa.core.lock_store import LockStore
from rasa.utils.endpoints import EndpointConfig

from bot.config import Settings
from bot.deployment.endpoints import endpoint_config
from bot.deployment.redis_lock_store import AtomicRedisLockStore
from tests.conftest import require_service

REDIS_URL = "redis://127.0.0.1:6379/5"


@pytest.fixture
def replicas():
    require_service("Redis", 6379)
    config = endpoint_config(Settings(redis_url=REDIS_URL))["lock_store"]
    # created the way Rasa creates it from endpoints.yml
    stores = [LockStore.create(EndpointConfig.from_dict(config)) for _ in range(6)]
    yield stores
    for store in stores:
        store.red.close()


def test_rasa_loads_our_store_from_the_generated_endpoints(replicas):
    assert all(type(store) is AtomicRedisLockStore for store in replicas)
    assert replicas[0].key_prefix == "asskomm:lock:"


def test_tickets_drawn_at_once_on_several_replicas_are_unique(replicas):
    conversation = f"tickets-{uuid.uuid4().hex}"
    with ThreadPoolExecutor(12) as pool:
        tickets = list(pool.map(lambda i: replicas[i % len(replicas)].issue_ticket(conversation, 30), range(120)))
    assert sorted(tickets) == list(range(120))
    lock = replicas[0].get_lock(conversation)
    assert [ticket.number for ticket in lock.tickets] == list(range(120))

    for i, ticket in enumerate(tickets):
        replicas[i % len(replicas)].cleanup(conversation, ticket)
    assert replicas[0].get_lock(conversation) is None
    assert not replicas[0].red.exists(replicas[0].key_prefix + conversation)


def test_turns_of_one_conversation_never_overlap_across_replicas(replicas):
    conversation = f"turns-{uuid.uuid4().hex}"
    inside, overlaps, served = [0], [], []
    guard = threading.Lock()

    async def turn(store, number):
        async with store.lock(conversation, lock_lifetime=30, wait_time_in_seconds=0.01):
            with guard:
                inside[0] += 1
                overlaps.append(inside[0])
            await asyncio.sleep(0.02)
            with guard:
                inside[0] -= 1
                served.append(number)

    with ThreadPoolExecutor(len(replicas)) as pool:
        list(pool.map(lambda i: asyncio.run(turn(replicas[i % len(replicas)], i)), range(30)))

    assert sorted(served) == list(range(30)), "a turn was lost (LockError)"
    assert max(overlaps) == 1, "two turns of one conversation ran at the same time"
    assert replicas[0].get_lock(conversation) is None


def test_a_crashed_replica_leaves_no_lock_behind(replicas):
    conversation = f"crash-{uuid.uuid4().hex}"
    replicas[0].issue_ticket(conversation, lock_lifetime=1)  # never cleaned up
    key = replicas[0].key_prefix + conversation
    assert 0 < replicas[0].red.ttl(key) <= 3
    time.sleep(3.1)
    assert not replicas[0].red.exists(key)
    assert replicas[1].issue_ticket(conversation) == 0
    replicas[1].cleanup(conversation, 0)


def test_a_message_waiting_behind_a_crashed_replica_outlives_its_ticket(replicas):
    """Drawn 0.1 s after the crashed holder's ticket with the same lifetime: Rasa's own store let
    both expire in the same polling interval and raised LockError (an empty answer for the user)."""
    conversation = f"wait-{uuid.uuid4().hex}"
    crashed = replicas[0].issue_ticket(conversation, lock_lifetime=2)  # its holder never finishes
    time.sleep(0.1)

    async def next_message() -> float:
        started = time.monotonic()
        async with replicas[1].lock(conversation, lock_lifetime=2, wait_time_in_seconds=1.5):
            return time.monotonic() - started

    waited = asyncio.run(next_message())
    assert crashed == 0 and 1.8 <= waited <= 4.5  # served once the crashed ticket expired
    assert not replicas[1].red.exists(replicas[1].key_prefix + conversation)  # nothing left behind
