"""The Rasa process's side of the handover (docs/handover.md).

- While a person has the conversation, a user's message goes to the handover tables for the
  staff thread and Rasa never sees it: the bot is silent (every channel, through
  bot/channels/splitting.py).
- Staff answers reach socket.io and Telegram users from a delivery task that polls the
  tables; REST cannot push, so a REST user gets them with the reply to their next message.
  Matrix users get them from the bridge, which holds their rooms.
- After staff ended it, the end notice asks "Hat Ihnen das Gespräch geholfen?": the user's next
  message, when it is a yes or no, is stored with the handover and thanked for here; anything
  else goes to Rasa as usual (bot/handover/helped.py).
Without ASSKOMM_HANDOVER_ROOM no handover can be opened, and none of this runs.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Awaitable, Callable, Optional

from rasa.core.channels.channel import OutputChannel, UserMessage
from sanic import Blueprint

from bot.config import get_settings
from bot.handover import helped, store, texts
from bot.handover.service import shared_sessions

log = logging.getLogger(__name__)

OnNewMessage = Callable[[UserMessage], Awaitable[None]]
# the message (its handover says to whom), its text for the user, widget marker
# ("connected" | "ended" | None)
Deliver = Callable[[store.Relayed, str, Optional[str]], Awaitable[None]]
POLL_S = 1.0
MATRIX_SENDER = "matrix:"


def enabled() -> bool:
    return bool(get_settings().handover_room)


def marker(message: store.Relayed) -> Optional[str]:
    """What the widget announces with a message: a person answers, or the person has gone."""
    if message.author:
        return "connected"
    return None if message.handover.is_open else "ended"


def silent_during_handover(on_new_message: OnNewMessage) -> OnNewMessage:
    if not enabled():
        return on_new_message

    async def handle(message: UserMessage) -> None:
        sessions = shared_sessions()
        sender = message.sender_id or ""
        just_shown = False
        if message.input_channel == "rest" and not sender.startswith(MATRIX_SENDER):
            just_shown = await _deliver_pending(sessions, sender, message.output_channel)
        if await asyncio.to_thread(store.from_user, sessions, sender, message.text or ""):
            return  # a person has the conversation
        # A REST user sees the end notice with the reply to this message: no answer to it yet.
        if not just_shown and await _answered_helped(sessions, message):
            return
        await on_new_message(message)

    return handle


async def _answered_helped(sessions, message: UserMessage) -> bool:
    """True when the message answered "Hat Ihnen das Gespräch geholfen?" and was thanked for."""
    sender = message.sender_id or ""
    handover_id = await asyncio.to_thread(store.helped_asked, sessions, sender, helped.WINDOW)
    if handover_id is None:
        return False
    answer = helped.read_answer(message.text or "")
    if answer is None:  # something else: asked once, not again
        await asyncio.to_thread(store.record_helped, sessions, handover_id, store.HELPED_NONE)
        return False
    await asyncio.to_thread(store.record_helped, sessions, handover_id, answer.answer, answer.comment)
    if answer.comment and "?" in answer.comment:
        return False  # "Ja, aber wie beantrage ich …?": the question still gets its answer
    await message.output_channel.send_text_message(sender, helped.THANKS)
    return True


async def _deliver_pending(sessions, sender: str, output: OutputChannel) -> bool:
    pending = await asyncio.to_thread(store.undelivered, sessions, store.TO_USER, sender)
    for message in pending:
        await output.send_text_message(sender, texts.for_user(message.author, message.text))
    await asyncio.to_thread(store.delivered, sessions, [m.id for m in pending])
    return bool(pending)


def deliver_in_background(blueprint: Blueprint, channel: str, deliver: Deliver) -> None:
    """Starts the delivery of staff answers for `channel` with the server (when enabled)."""
    if not enabled():
        return

    @blueprint.listener("after_server_start")
    async def start(app, _loop) -> None:
        app.add_task(_deliver_forever(channel, deliver))


async def _deliver_forever(channel: str, deliver: Deliver) -> None:
    sessions = shared_sessions()
    log.info("Übergabe: Zustellung an %s läuft.", channel)
    while True:
        try:
            await deliver_once(sessions, channel, deliver)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - a database restart must not end the delivery
            log.exception("Übergabe: Zustellung an %s fehlgeschlagen", channel)
        await asyncio.sleep(POLL_S)


async def deliver_once(sessions, channel: str, deliver: Deliver) -> int:
    pending = await asyncio.to_thread(store.undelivered, sessions, store.TO_USER, None, {channel})
    done = []
    for message in pending:
        try:
            await deliver(message, texts.for_user(message.author, message.text), marker(message))
            done.append(message.id)
        except Exception as error:  # noqa: BLE001 - one unreachable user must not hold up the others
            log.warning("Übergabe: Nachricht %s nicht zugestellt (%s)", message.id, type(error).__name__)
    await asyncio.to_thread(store.delivered, sessions, done)
    return len(done)
