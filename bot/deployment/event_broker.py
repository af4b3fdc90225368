"""Rasa's RabbitMQ event broker, with an outage that is counted and said in the log.

Rasa 3.6's PikaEventBroker keeps events it could not publish in an unbounded list, logs each
one (its text included) as an error, and tries them again only at the moment the connection
comes back, once: an event that fails then waits for the next outage. Here:
- events wait in a bounded buffer (MAX_BUFFERED; beyond it the oldest are dropped and counted),
- every publish first sends what is waiting, so nothing stays behind after a reconnect,
- the log says when RabbitMQ is gone, how many events are buffered (at most every
  LOG_EVERY_S seconds), and when it is back how many were sent afterwards and how many dropped.
The bot goes on answering in all of this: the broker never blocks or fails a message.

Switched on in bot/deployment/endpoints.py (type: bot.deployment.event_broker.BufferingPikaEventBroker).
"""
from __future__ import annotations

import logging
import time
from collections import deque
from typing import Any, Deque, Dict, Optional, Text, Tuple

from rasa.core.brokers.pika import PikaEventBroker

log = logging.getLogger(__name__)

# About an hour of a busy day's events (a turn makes ~10); a Rasa process holds them in memory.
MAX_BUFFERED = 20_000
LOG_EVERY_S = 10.0

Waiting = Tuple[Dict[Text, Any], Optional[Dict[Text, Text]]]


class BufferingPikaEventBroker(PikaEventBroker):
    def __init__(self, *args: Any, max_buffered: int = MAX_BUFFERED, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._unpublished_events: Deque[Waiting] = deque(maxlen=max_buffered)  # type: ignore[assignment]
        self._outage_since: Optional[float] = None
        self._outage_buffered = 0
        self._outage_dropped = 0
        self._last_report = 0.0

    async def _publish(self, event: Dict[Text, Any], headers: Optional[Dict[Text, Text]] = None) -> None:
        if self._exchange is None:
            return
        if len(self._unpublished_events) == self._unpublished_events.maxlen:
            self._outage_dropped += 1  # append drops the oldest
        self._unpublished_events.append((event, headers))
        await self._send_waiting()

    async def _send_waiting(self) -> None:
        while self._unpublished_events:
            event, headers = self._unpublished_events.popleft()
            try:
                await self._exchange.publish(self._message(event, headers), "")
            except Exception as error:  # noqa: BLE001 - whatever the cause, the event waits
                self._unpublished_events.appendleft((event, headers))
                self._note_failure(error)
                return
        self._note_recovery()

    def _note_failure(self, error: Exception) -> None:
        now = time.monotonic()
        if self._outage_since is None:
            self._outage_since, self._outage_buffered, self._outage_dropped = now, 0, 0
            self._last_report = now
            log.warning("RabbitMQ nicht erreichbar (%s: %s): Ereignisse werden im Speicher gepuffert "
                        "(höchstens %d) und nachgesendet, sobald RabbitMQ wieder antwortet; der Bot antwortet weiter.",
                        type(error).__name__, error, self._unpublished_events.maxlen)
        self._outage_buffered += 1
        if now - self._last_report >= LOG_EVERY_S:
            self._last_report = now
            log.warning("RabbitMQ seit %.0f s nicht erreichbar: %d Ereignisse gepuffert, %d verworfen (Puffer voll).",
                        now - self._outage_since, len(self._unpublished_events), self._outage_dropped)

    def _note_recovery(self) -> None:
        if self._outage_since is None:
            return
        log.warning("RabbitMQ wieder erreichbar nach %.0f s: %d gepufferte Ereignisse nachgesendet, %d verworfen "
                    "(Puffer voll).", time.monotonic() - self._outage_since, self._outage_buffered,
                    self._outage_dropped)
        self._outage_since = None

    def _publish_unpublished_messages(self, *_: Any, **__: Any) -> None:
        # Rasa calls this when the connection is back.
        task = self._loop.create_task(self._send_waiting())
        self._background_tasks.add(task)
        task.add_done_callback(self._background_tasks.discard)

    async def close(self) -> None:
        if self._unpublished_events:
            log.error("Rasa endet, RabbitMQ nicht erreichbar: %d gepufferte Ereignisse verworfen.",
                      len(self._unpublished_events))
        await super().close()
