"""HTML typed into a message is taken out before the NLU reads it (persona trial 2026-11-30:
"ist <b>werdau</b> dabei" and "<img …>was kostet der beitritt" got the out-of-scope answer)."""
import asyncio

import pytest
from rasa.core.channels.channel import UserMessage

from bot.channels.splitting import answering_each_question
from bot.conversation.markup import without_markup


@pytest.mark.parametrize("typed, seen", [
    ("ist <b>werdau</b> dabei", "ist werdau dabei"),
    ("<img src=x onerror=alert(1)>was kostet der beitritt", "was kostet der beitritt"),
    ("<script>alert('x')</script> Wie viele Kommunen sind dabei?", "Wie viele Kommunen sind dabei?"),
    ("Zeile eins<br/>Zeile zwei", "Zeile eins Zeile zwei"),
    ("<B>WAS KOSTET</B> der Beitritt", "WAS KOSTET der Beitritt"),
])
def test_tags_are_taken_out(typed, seen):
    assert without_markup(typed) == seen


@pytest.mark.parametrize("text", [
    "Ist a < b, wenn die Förderquote 90 % ist?",
    "Danke <3",
    "<<Werdau>> ist dabei?",
    "Ist <Werdau> dabei?",
    "Was kostet der Beitritt?",
    "/ask_join_cost",
    "",
])
def test_text_without_tags_is_left_as_it_is(text):
    assert without_markup(text) == text


def test_a_message_of_nothing_but_markup_stays_as_it_is():
    # Then the bot answers what was sent (it cannot place it) instead of an empty message.
    assert without_markup("<script>alert(1)</script>") == "<script>alert(1)</script>"


def test_every_channel_hands_rasa_the_text_without_tags():
    seen = []

    async def on_new_message(message: UserMessage) -> None:
        seen.append(message.text)

    handle = answering_each_question(on_new_message)
    asyncio.run(handle(UserMessage("ist <b>werdau</b> dabei", sender_id="markup-test")))
    assert seen == ["ist werdau dabei"]
