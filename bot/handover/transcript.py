"""The conversation so far as the staff thread shows it: form answers replaced by placeholders
(bot/privacy/redaction.py), e-mail addresses and phone numbers removed from everything else,
only the last lines, each shortened."""
from __future__ import annotations

from typing import Iterable

from bot.privacy.redaction import redact_events, scrub_text

MAX_LINES = 20
MAX_LINE_CHARS = 400


def staff_transcript(events: Iterable[dict]) -> str:
    lines = []
    for event in redact_events(list(events)):
        text = (event.get("text") or "").strip()
        if event.get("event") not in ("user", "bot") or not text:
            continue
        if event["event"] == "user" and text.startswith("/"):
            continue  # a button's payload; the bot's answer shows what it meant
        who = "Nutzer" if event["event"] == "user" else "Bot"
        text = " ".join(scrub_text(text).split())
        lines.append(f"{who}: {text[:MAX_LINE_CHARS]}{'…' if len(text) > MAX_LINE_CHARS else ''}")
    return "\n".join(lines[-MAX_LINES:])
