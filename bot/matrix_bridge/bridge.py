"""The bridge itself: Matrix (matrix-nio) on one side, Rasa's REST channel on the other.

- accepts every invite, answers only m.text messages of others that arrive after it
  started or joined (sync token kept in the store directory; history shown on joining is
  skipped),
- one Rasa conversation per room and user: sender "matrix:<room_id>:<user_id>",
- each Rasa reply becomes one m.text message with plain `body` and HTML `formatted_body`;
  buttons become numbered options, and a reply that is only such a number sends the
  button's payload,
- Rasa unreachable → a polite German message; homeserver unreachable at start and sync
  errors → retried with back-off; a refused login ends the bridge (exit code 1),
- its state (starting, connected, homeserver unreachable, login refused) kept in the store
  directory for health checks (bot/matrix_bridge/health.py),
- with ASSKOMM_HANDOVER_ROOM: that room is the staff's, never answered by the bot; its
  threads carry handovers to a person (bot/matrix_bridge/handover.py).
"""
from __future__ import annotations

import asyncio
import html
import json
import logging
import os
import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import aiohttp
from nio import (
    AsyncClient,
    AsyncClientConfig,
    JoinError,
    LoginResponse,
    RoomGetStateResponse,
    RoomMemberEvent,
    RoomMessageText,
    RoomRedactResponse,
    RoomSendError,
    SyncError,
    SyncResponse,
    WhoamiResponse,
)

from bot.channels.formatting import markdown_to_html, markdown_to_plain
from bot.matrix_bridge import health
from bot.matrix_bridge.handover import HandoverRelay, StaffCheck, power_level_of

PROJECT_ROOT = Path(__file__).resolve().parents[2]

log = logging.getLogger("asskomm.matrix")

UNAVAILABLE = "Der Assistent ist gerade nicht erreichbar. Bitte versuchen Sie es später noch einmal."
# A homeserver that does not answer (yet) at start: retried, not fatal (in a cluster the
# bridge may start before it); a refused login is fatal.
UNREACHABLE_ERRORS = (aiohttp.ClientError, asyncio.TimeoutError, OSError)
_NUMBER = re.compile(r"^\s*(\d{1,2})\s*[.)]?\s*$")


@dataclass
class BridgeConfig:
    homeserver: str
    user: str
    password: str = ""
    access_token: str = ""
    store_dir: Path = Path("var/matrix")
    rasa_url: str = "http://localhost:5005"
    rasa_timeout_s: float = 120.0
    device_name: str = "asskomm-bridge"
    # Handover to staff: off without a room (closed by default).
    handover_room: str = ""
    database_url: str = ""
    handover_timeout_minutes: int = 5
    # Who may answer and end handovers in the staff room (bot/matrix_bridge/handover.py).
    handover_staff: StaffCheck = StaffCheck()

    @classmethod
    def from_env(cls, env: Optional[Dict[str, str]] = None) -> "BridgeConfig":
        env = os.environ if env is None else env
        missing = [name for name in ("ASSKOMM_MATRIX_HOMESERVER", "ASSKOMM_MATRIX_USER") if not env.get(name)]
        if not (env.get("ASSKOMM_MATRIX_PASSWORD") or env.get("ASSKOMM_MATRIX_ACCESS_TOKEN")):
            missing.append("ASSKOMM_MATRIX_PASSWORD oder ASSKOMM_MATRIX_ACCESS_TOKEN")
        if missing:
            raise ValueError("Es fehlt: " + ", ".join(missing))
        return cls(
            homeserver=env["ASSKOMM_MATRIX_HOMESERVER"].rstrip("/"),
            user=env["ASSKOMM_MATRIX_USER"],
            password=env.get("ASSKOMM_MATRIX_PASSWORD", ""),
            access_token=env.get("ASSKOMM_MATRIX_ACCESS_TOKEN", ""),
            store_dir=health.store_dir_from_env(env),
            rasa_url=(env.get("ASSKOMM_RASA_URL") or "http://localhost:5005").rstrip("/"),
            handover_room=env.get("ASSKOMM_HANDOVER_ROOM", "").strip(),
            # The same database as the bot (bot.config.Settings.database, which needs pydantic 1).
            database_url=env.get("DATABASE_URL")
            or f"sqlite:///{Path(env.get('ASSKOMM_VAR_DIR') or PROJECT_ROOT / 'var') / 'asskomm.db'}",
            handover_timeout_minutes=int(env.get("ASSKOMM_HANDOVER_TIMEOUT_MINUTES") or 5),
            handover_staff=StaffCheck.parse(env.get("ASSKOMM_HANDOVER_STAFF", ""),
                                            env.get("ASSKOMM_HANDOVER_STAFF_POWER_LEVEL", "")),
        )


# --- Rasa replies → Matrix messages (pure functions, tested without a server) ------------

def _html_lines(text: str) -> str:
    return markdown_to_html(text).replace("\n", "<br>")


def render_replies(replies: List[Dict[str, Any]]) -> Tuple[List[Dict[str, str]], List[Dict[str, str]]]:
    """Rasa's REST replies → (Matrix message contents, the buttons offered, in numbering order)."""
    contents, buttons = [], []
    for reply in replies:
        text = (reply.get("text") or "").strip()
        plain, rich = markdown_to_plain(text), _html_lines(text)
        if reply.get("image"):
            url = str(reply["image"])
            plain = f"{plain}\n{url}".strip()
            rich = f'{rich}<br><a href="{html.escape(url)}">{html.escape(url)}</a>' if rich else \
                f'<a href="{html.escape(url)}">{html.escape(url)}</a>'
        offered = [b for b in reply.get("buttons") or [] if b.get("payload") or b.get("title")]
        if offered:
            first = len(buttons) + 1
            lines = [f"{first + i}. {markdown_to_plain(b.get('title') or b.get('payload'))}" for i, b in enumerate(offered)]
            items = "".join(f"<li>{markdown_to_html(b.get('title') or b.get('payload'))}</li>" for b in offered)
            hint = "Antworten Sie mit der Nummer einer Option."
            plain = "\n\n".join(p for p in (plain, "\n".join(lines), hint) if p)
            start = f' start="{first}"' if first != 1 else ""
            rich = (f"{rich}<br>" if rich else "") + f"<ol{start}>{items}</ol><i>{hint}</i>"
            buttons.extend({"title": b.get("title") or "", "payload": b.get("payload") or b.get("title")}
                           for b in offered)
        if plain:
            contents.append({"msgtype": "m.text", "body": plain,
                             "format": "org.matrix.custom.html", "formatted_body": rich})
    return contents, buttons


def choose(message: str, offered: List[Dict[str, str]]) -> str:
    """What to send to Rasa: the payload of button N for a message that is only 'N'."""
    match = _NUMBER.match(message or "")
    if match and offered and 1 <= int(match.group(1)) <= len(offered):
        return offered[int(match.group(1)) - 1]["payload"]
    return message


def _is_edit(event: RoomMessageText) -> bool:
    relates = (event.source.get("content") or {}).get("m.relates_to") or {}
    return relates.get("rel_type") == "m.replace"  # a corrected message is not a new question


def sender_id(room_id: str, user_id: str) -> str:
    return f"matrix:{room_id}:{user_id}"


# --- the bridge -------------------------------------------------------------------------

class MatrixBridge:
    def __init__(self, config: BridgeConfig) -> None:
        self.config = config
        self.client: Optional[AsyncClient] = None
        self.http: Optional[aiohttp.ClientSession] = None
        self.buttons: Dict[Tuple[str, str], List[Dict[str, str]]] = {}
        self.locks: Dict[Tuple[str, str], asyncio.Lock] = {}
        self.tasks: set = set()
        self.relay: Optional[HandoverRelay] = None
        if config.handover_room:
            self.relay = HandoverRelay(config.handover_room, config.database_url,
                                       timedelta(minutes=config.handover_timeout_minutes), self.send,
                                       staff=config.handover_staff, power_level=self.power_level,
                                       redact=self.redact)

    # state kept between starts: the login (no new device per start) and the sync token
    @property
    def _session_file(self) -> Path:
        return self.config.store_dir / "session.json"

    def _load_session(self) -> Dict[str, str]:
        try:
            return json.loads(self._session_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def _save_session(self, **values: str) -> None:
        data = {**self._load_session(), **values}
        self.config.store_dir.mkdir(parents=True, exist_ok=True)
        tmp = self._session_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(data), encoding="utf-8")
        os.chmod(tmp, 0o600)
        tmp.replace(self._session_file)

    async def login_when_reachable(self) -> None:
        """Logs in, waiting with back-off while the homeserver cannot be reached."""
        delay = 1.0
        while True:
            try:
                await self.login()
                return
            except UNREACHABLE_ERRORS as error:
                detail = f"{self.config.homeserver}: {type(error).__name__}: {error}"
                health.report(self.config.store_dir, health.UNREACHABLE, detail)
                log.warning("Matrix: Homeserver nicht erreichbar (%s); neuer Versuch in %.0f s.", detail, delay)
                if self.client is not None:
                    await self.client.close()
                await asyncio.sleep(delay)
                delay = min(delay * 2, 60.0)
            except RuntimeError as error:
                health.report(self.config.store_dir, health.LOGIN_REFUSED, str(error))
                raise

    async def login(self) -> None:
        config = self.config
        config.store_dir.mkdir(parents=True, exist_ok=True)
        self.client = AsyncClient(config.homeserver, config.user, store_path=str(config.store_dir),
                                  config=AsyncClientConfig(request_timeout=60, max_timeouts=3))
        session = self._load_session()
        token = config.access_token or (session.get("access_token") if session.get("user") == config.user else "")
        if token:
            self.client.access_token = token
            who = await self.client.whoami()
            if isinstance(who, WhoamiResponse):
                self.client.restore_login(who.user_id, who.device_id or session.get("device_id", ""), token)
                log.info("Matrix: angemeldet als %s (gespeicherte Sitzung).", who.user_id)
                return
            if config.access_token or not config.password:
                raise RuntimeError(f"Matrix: Zugangstoken abgelehnt: {who}")
            log.info("Matrix: gespeicherte Sitzung ungültig, melde neu an.")
        response = await self.client.login(config.password, device_name=config.device_name)
        if not isinstance(response, LoginResponse):
            raise RuntimeError(f"Matrix: Anmeldung fehlgeschlagen: {response}")
        since = session.get("since", "") if session.get("user") == config.user else ""
        self._save_session(user=config.user, access_token=response.access_token, device_id=response.device_id,
                           since=since)
        log.info("Matrix: angemeldet als %s (Gerät %s).", response.user_id, response.device_id)

    # --- events ---
    async def join(self, room_id: str) -> None:
        result = await self.client.join(room_id)
        if isinstance(result, JoinError):
            log.warning("Matrix: Beitritt zu %s fehlgeschlagen: %s", room_id, result.message)
        else:
            log.info("Matrix: Raum %s beigetreten.", room_id)

    async def handle_sync(self, response: SyncResponse) -> None:
        for room_id in response.rooms.invite:
            await self.join(room_id)
        for room_id, info in response.rooms.join.items():
            events = list(info.timeline.events)
            # A room just joined shows some history first: answer only what follows our join.
            start = 0
            for index, event in enumerate(events):
                if isinstance(event, RoomMemberEvent) and event.state_key == self.client.user_id \
                        and event.membership == "join" and event.prev_membership != "join":
                    start = index + 1
            for event in events[start:]:
                if isinstance(event, RoomMessageText) and event.sender != self.client.user_id \
                        and not _is_edit(event):
                    if room_id == self.config.handover_room:
                        if self.relay is not None:
                            await self.relay.on_staff_message(event.sender, event.source.get("content") or {},
                                                              event.event_id)
                        continue  # the staff room is never answered by the bot
                    self.dispatch(room_id, event.sender, event.body or "")

    def dispatch(self, room_id: str, user_id: str, text: str) -> None:
        # Answer in a task, so one slow answer holds up neither the sync nor other rooms.
        task = asyncio.create_task(self.answer(room_id, user_id, text))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def answer(self, room_id: str, user_id: str, text: str) -> None:
        key = (room_id, user_id)
        async with self.locks.setdefault(key, asyncio.Lock()):  # one turn at a time per conversation
            message = choose(text, self.buttons.get(key, []))
            try:
                await self.client.room_typing(room_id, True, timeout=30000)
                replies = await self.ask_rasa(sender_id(room_id, user_id), message)
                contents, offered = render_replies(replies)
                self.buttons[key] = offered
            except Exception as error:  # noqa: BLE001 - whatever Rasa did, the room gets an answer
                log.error("Rasa nicht erreichbar (%s: %s)", type(error).__name__, error)
                contents = [{"msgtype": "m.text", "body": UNAVAILABLE}]
            finally:
                await self._typing_off(room_id)
            for content in contents:
                await self.send(room_id, content)

    async def _typing_off(self, room_id: str) -> None:
        try:
            await self.client.room_typing(room_id, False)
        except Exception:  # noqa: BLE001 - typing is cosmetic
            pass

    async def ask_rasa(self, sender: str, message: str) -> List[Dict[str, Any]]:
        url = f"{self.config.rasa_url}/webhooks/rest/webhook"
        async with self.http.post(url, json={"sender": sender, "message": message},
                                  timeout=aiohttp.ClientTimeout(total=self.config.rasa_timeout_s)) as response:
            if response.status != 200:
                raise RuntimeError(f"HTTP {response.status}")
            replies = await response.json(content_type=None)
        if not isinstance(replies, list):
            raise RuntimeError(f"unerwartete Antwort {replies!r:.200}")
        return replies

    async def send(self, room_id: str, content: Dict[str, Any]) -> Optional[str]:
        """Sends with retries; the event id, or None when it failed three times."""
        for attempt in range(3):
            try:
                result = await self.client.room_send(room_id, "m.room.message", content,
                                                     ignore_unverified_devices=True)
                if not isinstance(result, RoomSendError):
                    return result.event_id
                log.warning("Matrix: Senden in %s fehlgeschlagen: %s", room_id, result.message)
            except Exception as error:  # noqa: BLE001
                log.warning("Matrix: Senden in %s fehlgeschlagen: %s", room_id, error)
            await asyncio.sleep(1 + attempt * 2)
        return None

    async def power_level(self, room_id: str, user_id: str) -> Optional[int]:
        """The user's power level in the room as the server has it now; None when unreadable.
        The whole state, not only m.room.power_levels: in room version 12 the creators are not
        listed there."""
        response = await self.client.room_get_state(room_id)
        if not isinstance(response, RoomGetStateResponse):
            log.warning("Matrix: Berechtigungen in %s nicht lesbar: %s", room_id, getattr(response, "message", response))
            return None
        try:
            return power_level_of(response.events, user_id)
        except (TypeError, ValueError):
            return None

    async def redact(self, room_id: str, event_id: str) -> str:
        """"done" when the event is redacted or never can be (gone, not allowed), else "retry"."""
        try:
            result = await self.client.room_redact(room_id, event_id, reason="Gespräch gelöscht (Datenschutz)")
        except Exception as error:  # noqa: BLE001 - server unreachable: next round
            log.warning("Matrix: Entfernen von %s fehlgeschlagen: %s", event_id, error)
            return "retry"
        if isinstance(result, RoomRedactResponse):
            return "done"
        if result.status_code in ("M_FORBIDDEN", "M_NOT_FOUND", "M_BAD_JSON", "M_INVALID_PARAM"):
            # e.g. a staff reply while the bot may not redact others' messages (SECURITY.md)
            log.warning("Matrix: %s in %s kann nicht entfernt werden: %s %s", event_id, room_id,
                        result.status_code, result.message)
            return "done"
        log.warning("Matrix: Entfernen von %s fehlgeschlagen: %s %s", event_id, result.status_code, result.message)
        return "retry"

    # --- main loop ---
    async def run(self) -> None:
        self.http = aiohttp.ClientSession()
        health.report(self.config.store_dir, health.STARTING)
        try:
            await self.login_when_reachable()
            since = self._load_session().get("since") or await self._skip_history()
            health.report(self.config.store_dir, health.CONNECTED)
            log.info("Matrix: Brücke läuft (Rasa: %s).", self.config.rasa_url)
            if self.relay is not None:
                await self.join(self.config.handover_room)
                relay = asyncio.create_task(self.relay.run())
                self.tasks.add(relay)
            await self._sync_loop(since)
        finally:
            for task in list(self.tasks):
                task.cancel()
            if self.client is not None:
                await self.client.close()
            await self.http.close()

    async def _skip_history(self) -> str:
        """First start: one sync without callbacks, so nothing sent before is answered;
        invites that came meanwhile are accepted."""
        while True:
            try:
                response = await self.client.sync(timeout=0, full_state=True)
            except UNREACHABLE_ERRORS as error:
                response = SyncError(f"{type(error).__name__}: {error}")
            if not isinstance(response, SyncError):
                break
            health.report(self.config.store_dir, health.UNREACHABLE, f"Synchronisierung: {response.message}")
            log.warning("Matrix: erste Synchronisierung fehlgeschlagen (%s), neuer Versuch.", response.message)
            await asyncio.sleep(5)
        for room_id in list(self.client.invited_rooms):
            await self.join(room_id)
        self._save_session(since=response.next_batch)
        return response.next_batch

    async def _sync_loop(self, since: str) -> None:
        delay = 1.0
        while True:
            try:
                response = await self.client.sync(timeout=30000, since=since)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # noqa: BLE001 - connection lost, server restarting, ...
                response = SyncError(f"{type(error).__name__}: {error}")
            if isinstance(response, SyncError):
                health.report(self.config.store_dir, health.UNREACHABLE, f"Synchronisierung: {response.message}")
                log.warning("Matrix: Synchronisierung fehlgeschlagen (%s); neuer Versuch in %.0f s.",
                            response.message, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 60.0)
                continue
            delay = 1.0
            since = response.next_batch
            health.report(self.config.store_dir, health.CONNECTED)
            try:
                await self.handle_sync(response)
            except Exception:  # noqa: BLE001 - one odd event must not stop the bridge
                log.exception("Matrix: Fehler beim Verarbeiten einer Synchronisierung")
            self._save_session(since=since)
