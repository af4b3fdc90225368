"""Every channel hands a user's message to Rasa through this wrapper, so that a message with
two questions is answered as two turns, in order (bot/conversation/splitting.py says where a
message is cut), and HTML tags typed into it do not hide the question
(bot/conversation/markup.py). The parts keep the original message in their metadata for the record.
While a person of the LPR has the conversation, no message reaches Rasa (bot/channels/handover.py)."""
from __future__ import annotations

from typing import Any, Awaitable, Callable

from rasa.core.channels.channel import UserMessage

from bot.channels.handover import silent_during_handover
from bot.conversation.markup import without_markup
from bot.conversation.splitting import split_questions

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


def answering_each_question(on_new_message: OnNewMessage) -> OnNewMessage:
    async def handle(message: UserMessage) -> None:
        message.text = without_markup(message.text or "")
        parts = split_questions(message.text)
        if len(parts) < 2:
            await on_new_message(message)
            return
        for index, part in enumerate(parts, start=1):
            metadata = {**(message.metadata or {}), "split": {"part": index, "of": len(parts)}}
            await on_new_message(UserMessage(
                part, message.output_channel, message.sender_id, input_channel=message.input_channel,
                metadata=metadata,
            ))

    return silent_during_handover(handle)
