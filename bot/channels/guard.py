"""Checks a message passes before Rasa sees it: which websites may talk to the bot, what a
REST request must look like, and how many messages one sender or one address may send.
Plain Python (no Rasa, no Sanic), so the rules are tested on their own; bot/channels/rest.py
and bot/channels/socketio.py apply them."""
from __future__ import annotations

import json
import re
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any, Optional
from urllib.parse import urlsplit

# A chat message is a sentence or a few; a long e-mail pasted in is still far below this.
MAX_MESSAGE_CHARS = 5000
MAX_SENDER_CHARS = 255

TOO_LONG = ("Ihre Nachricht ist zu lang für mich. Bitte stellen Sie Ihre Frage kürzer, in höchstens "
            f"{MAX_MESSAGE_CHARS} Zeichen – gern auch in mehreren Nachrichten.")
# Rasa's own commands (new session, undo) typed by a user: Rasa would obey in silence, so the
# user would get no answer. They are answered here instead and never reach Rasa. "/restart"
# does reach Rasa: it starts the conversation over and says so (utter_restart, issue 10).
INTERNAL_COMMAND = re.compile(r"\s*/(session_start|back)\b", re.IGNORECASE)
NOT_A_COMMAND = ("Diesen Befehl kenne ich nicht. Bitte schreiben Sie Ihre Frage als Text, zum Beispiel: "
                 "„Was ist ASSKomm?“")
SLOW_DOWN = ("Sie haben in kurzer Zeit sehr viele Nachrichten geschickt. Bitte warten Sie einen "
             "Moment und schreiben Sie dann noch einmal – ich antworte Ihnen gern.")


def origin_allowed(origin: Optional[str], host: Optional[str], allowed: list[str]) -> bool:
    """May a page from `origin` talk to the bot that answers at `host`?

    No Origin header: not a browser page (curl, the Matrix bridge, server-to-server), which
    the same-origin rules do not concern. A page of the bot itself (same host, e.g. the demo
    page, also behind a TLS proxy) is always allowed; other websites only when configured."""
    if not origin:
        return True
    origin = origin.strip().rstrip("/")
    if "*" in allowed or origin in allowed:
        return True
    return bool(host) and urlsplit(origin).netloc.lower() == host.strip().lower()


@dataclass(frozen=True)
class RestMessage:
    sender: str
    text: str
    metadata: Optional[dict]


def sender_problem(sender: Any) -> Optional[str]:
    """Why this cannot be a conversation's id (REST "sender", socket.io "session_id"), or None."""
    if not isinstance(sender, str) or not sender.strip():
        return "muss eine nicht leere Zeichenkette sein (die Kennung des Gesprächs)"
    if len(sender) > MAX_SENDER_CHARS:
        return f"ist zu lang (höchstens {MAX_SENDER_CHARS} Zeichen)"
    if any(ord(char) < 32 or ord(char) == 127 for char in sender):
        # PostgreSQL cannot store NUL in a text column: the tracker store would fail.
        return "darf keine Steuerzeichen enthalten"
    return None


def parse_rest_body(body: bytes) -> RestMessage | str:
    """The message of a REST request, or the German reason why the request is refused."""
    try:
        data: Any = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        return "Die Anfrage ist kein gültiges UTF-8."
    except ValueError:
        return 'Die Anfrage ist kein gültiges JSON. Erwartet: {"sender": "...", "message": "..."}.'
    if not isinstance(data, dict):
        return 'Erwartet wird ein JSON-Objekt: {"sender": "...", "message": "..."}.'
    # No default sender (Rasa's is "default"): every client without one would share one
    # conversation, its form answers and the status of its applications.
    sender, text, metadata = data.get("sender"), data.get("message"), data.get("metadata")
    problem = sender_problem(sender)
    if problem:
        return f'"sender" {problem}.'
    if not isinstance(text, str):
        return '"message" muss eine Zeichenkette sein (der Text der Nachricht).'
    if metadata is not None and not isinstance(metadata, dict):
        return '"metadata" muss ein JSON-Objekt sein, falls angegeben.'
    return RestMessage(sender, text, metadata)


# "/intent{...}" as the bot's buttons send it: entity values are short strings. Anything else
# typed by hand (lists, objects, numbers) would reach the slots and the actions unchecked.
# Rasa's own pattern (rasa.shared.constants.INTENT_MESSAGE_PATTERN, matched from the start).
SLASH_COMMAND = re.compile(r"^\/(?P<intent>[^{@]+)(?P<prob>@[0-9.]+)?(?P<entities>{.+})?")
MAX_ENTITY_CHARS = 200


def canned_answer(text: str) -> Optional[str]:
    """The answer for a message that must not reach Rasa (too long, a Rasa command, a command
    with entities no button sends), or None."""
    if len(text) > MAX_MESSAGE_CHARS:
        return TOO_LONG
    if INTERNAL_COMMAND.match(text):
        return NOT_A_COMMAND
    command = SLASH_COMMAND.match(text.strip())
    if command and command.group("entities") and not _button_entities(command.group("entities")):
        return NOT_A_COMMAND
    return None


def _button_entities(braces: str) -> bool:
    try:
        entities = json.loads(braces)
    except ValueError:
        return True  # not JSON: Rasa reads the whole line as text
    return isinstance(entities, dict) and all(
        isinstance(key, str) and isinstance(value, str) and len(value) <= MAX_ENTITY_CHARS
        for key, value in entities.items())


class RateLimiter:
    """At most `per_minute` events per key within any sliding minute; 0 means no limit.

    Thread-safe and bounded: keys idle for a minute are forgotten, so a flood of new senders
    does not grow memory without end. Counts are per process (each Rasa replica its own)."""

    WINDOW_S = 60.0

    def __init__(self, per_minute: int, clock=time.monotonic):
        self.per_minute = per_minute
        self.clock = clock
        self.events: dict[str, deque] = {}
        self.lock = threading.Lock()
        self.last_sweep = clock()

    def allow(self, key: str) -> bool:
        if self.per_minute <= 0:
            return True
        now = self.clock()
        with self.lock:
            self._sweep(now)
            stamps = self.events.setdefault(key, deque())
            while stamps and now - stamps[0] >= self.WINDOW_S:
                stamps.popleft()
            if len(stamps) >= self.per_minute:
                return False
            stamps.append(now)
            return True

    def _sweep(self, now: float) -> None:
        if now - self.last_sweep < self.WINDOW_S:
            return
        self.last_sweep = now
        for key in [k for k, stamps in self.events.items() if not stamps or now - stamps[-1] >= self.WINDOW_S]:
            del self.events[key]


class FloodGuard:
    """The two limits of the settings: per conversation and per client address."""

    def __init__(self, per_sender: int, per_ip: int):
        self.senders = RateLimiter(per_sender)
        self.addresses = RateLimiter(per_ip)

    def allow(self, sender: str, address: str) -> bool:
        # Checked in this order so that a sender over its limit does not also use up the
        # address's budget, which other people behind the same address share.
        return self.senders.allow(sender) and self.addresses.allow(address or "unbekannt")


def client_address(peer: str, headers, header_name: str) -> str:
    """The client's address: from the proxy's header when one is configured, else the peer."""
    if header_name:
        value = (headers.get(header_name) or "").split(",")[-1].strip()
        if value:
            return value
    return peer or ""
