"""Rasa's endpoints, written from the settings to var/endpoints.yml at every start.

Defaults run on one machine with nothing else (SQLite tracker store, in-memory lock store, no
event broker). Production switches on by settings: PostgreSQL as tracker store
(ASSKOMM_TRACKER_STORE_URL), Redis as lock store (ASSKOMM_REDIS_URL, needed as soon as
several Rasa replicas serve the same conversations) and RabbitMQ as event broker
(ASSKOMM_RABBITMQ_URL, every conversation event for analytics or archiving)."""
from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote, urlsplit

import yaml

from bot.config import Settings

ATOMIC_REDIS_LOCK_STORE = "bot.deployment.redis_lock_store.AtomicRedisLockStore"
PRIVACY_TRACKER_STORE = "bot.privacy.tracker_store.PrivacyTrackerStore"
BUFFERING_EVENT_BROKER = "bot.deployment.event_broker.BufferingPikaEventBroker"


def lock_store(url: str) -> dict:
    """redis://:password@host:6379/2 → settings of our Redis lock store (Rasa's own one is not
    safe with several replicas, see bot/deployment/redis_lock_store.py)."""
    parts = urlsplit(url)
    config = {"type": ATOMIC_REDIS_LOCK_STORE, "url": parts.hostname or "localhost", "port": parts.port or 6379,
              "db": int(parts.path.strip("/") or 1), "key_prefix": "asskomm"}
    if parts.password:
        config["password"] = unquote(parts.password)
    return config


def event_broker(url: str, queue: str) -> dict:
    """amqp://user:password@host:5672 → settings of Rasa's Pika event broker, with our buffer
    and outage log (bot/deployment/event_broker.py)."""
    parts = urlsplit(url)
    return {"type": BUFFERING_EVENT_BROKER, "url": parts.hostname or "localhost", "port": parts.port or 5672,
            "username": unquote(parts.username or "guest"), "password": unquote(parts.password or "guest"),
            "queues": [queue],
            # Rasa's default fanout exchange "rasa-exchange" is shared by every bot on the same
            # RabbitMQ, so each queue got every bot's events (seen in tests on a shared machine).
            # An exchange named like the queue keeps each bot's events in its own queue.
            "exchange_name": queue}


def endpoint_config(settings: Settings) -> dict:
    values = settings.rasa_env()
    config: dict = {
        "action_endpoint": {"url": values["ACTION_ENDPOINT_URL"]},
        # Rasa's SQL store behind our redaction and deletion (bot/privacy/tracker_store.py).
        "tracker_store": {"type": PRIVACY_TRACKER_STORE, "dialect": values["TRACKER_STORE_DIALECT"],
                          "url": values["TRACKER_STORE_HOST"], "db": values["TRACKER_STORE_DB"]},
    }
    if settings.redis_url:
        config["lock_store"] = lock_store(settings.redis_url)
    if settings.rabbitmq_url:
        config["event_broker"] = event_broker(settings.rabbitmq_url, settings.rabbitmq_queue)
    return config


def write_generated(path: Path, data: dict, origin: str) -> Path:
    """A YAML file Rasa reads, made from the settings at every start. Readable by the owner
    only (0600): it holds tokens and passwords."""
    path.parent.mkdir(parents=True, exist_ok=True)
    header = f"# Written by {origin} from the settings; edits here are overwritten.\n"
    text = header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)  # a file from an older version may still be 0644
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
    return path


def write_endpoints(settings: Settings) -> Path:
    return write_generated(settings.var_dir / "endpoints.yml", endpoint_config(settings), "bot/deployment/endpoints.py")
