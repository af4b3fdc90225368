"""The production set-up for real: PostgreSQL as tracker store and database, Redis as lock
store, RabbitMQ as event broker, and two Rasa replicas serving one conversation."""
import asyncio
import contextlib
import json
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.conftest import _throwaway_postgres, bot_running, drain, free_port, require_service


@pytest.fixture
def services():
    require_service("Redis", 6379)
    require_service("RabbitMQ", 5672)
    with contextlib.contextmanager(_throwaway_postgres)() as postgres_url:
        yield postgres_url


def say(port: int, sender: str, message: str) -> str:
    request = urllib.request.Request(f"http://localhost:{port}/webhooks/rest/webhook",
                                     data=json.dumps({"sender": sender, "message": message}).encode())
    with urllib.request.urlopen(request, timeout=120) as response:
        return "\n".join(r.get("text", "") for r in json.loads(response.read()))


def test_two_replicas_on_postgres_redis_and_rabbitmq(trained_model, tmp_path_factory, services):
    import redis
    from sqlalchemy import create_engine, text

    postgres_url = services
    queue = f"asskomm_test_{uuid.uuid4().hex[:8]}"
    store = redis.Redis(host="127.0.0.1", port=6379, db=5)
    store.config_set("notify-keyspace-events", "KA")
    watcher = store.pubsub()
    watcher.psubscribe("__keyspace@5__:*")
    settings = dict(tracker_store_url=postgres_url, database_url=postgres_url, redis_url="redis://127.0.0.1:6379/5",
                    rabbitmq_url="amqp://guest:guest@127.0.0.1:5672/", rabbitmq_queue=queue)
    replica_port = free_port()
    with bot_running(trained_model, tmp_path_factory.mktemp("prod"), replica_ports=(replica_port,), **settings) as (
            config, _):
        # one conversation, its turns served alternately by the two replicas
        assert "Quelle" in say(config.rasa_port, "prod-1", "Was ist ASSKomm?")
        assert "11.01.2022" in say(replica_port, "prod-1", "Ist Werdau Mitglied bei ASSKomm?")
        assert "11.01.2022" in say(config.rasa_port, "prod-1", "Und seit wann?")  # context from the other replica

        # ten messages of one conversation at once on both replicas: the Redis lock serves them
        # one after the other, and every one is answered and stored
        with ThreadPoolExecutor(10) as pool:
            replies = list(pool.map(lambda port: say(port, "prod-2", "Was kostet der Beitritt?"),
                                    [config.rasa_port, replica_port] * 5))
        assert all("Quelle" in reply for reply in replies), replies

    engine = create_engine(postgres_url, future=True)
    with engine.connect() as connection:
        counts = dict(connection.execute(text(
            "select sender_id, count(*) from events where type_name = 'user' group by sender_id")).all())
    engine.dispose()
    assert counts == {"prod-1": 3, "prod-2": 10}

    locked = [m for m in iter(lambda: watcher.get_message(timeout=0.1), None) if m["type"] == "pmessage"]
    watcher.close()
    assert any(b"asskomm" in m["channel"] for m in locked), "the Redis lock store was not used"

    events = asyncio.run(drain(queue))
    users = [e for e in events if e.get("event") == "user"]
    assert {e["sender_id"] for e in users} == {"prod-1", "prod-2"} and len(users) == 13
