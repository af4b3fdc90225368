"""The answer to "Hat Ihnen das Gespräch geholfen?", asked when staff end a handover
(texts.ENDED): yes or no, and what else the message says as a short comment. The comment is
stored without e-mail addresses and phone numbers and cut to COMMENT_CHARS."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Optional

from bot.privacy.redaction import scrub_text

# The next message counts as the answer only this soon after the end.
WINDOW = timedelta(hours=2)
COMMENT_CHARS = 200
THANKS = "Vielen Dank für Ihre Rückmeldung. Wobei kann ich Ihnen noch helfen?"

_NO = re.compile(
    r"^(?:nein|nö|noe|ne|nee|nicht\s+wirklich|eher\s+nicht|leider\s+(?:nicht|nein)|gar\s+nicht|"
    r"überhaupt\s+nicht|kaum|nicht\s+so|nicht\s+richtig)\b"
    r"|\bnicht\s+(?:sehr\s+|so\s+|wirklich\s+)?(?:geholfen|hilfreich|weitergeholfen)\b|\bnutzlos\b|\bunnütz\b",
    re.IGNORECASE)
_YES = re.compile(
    r"^(?:ja|jo|jap|jep|jawohl|klar|sehr|absolut|auf\s+jeden\s+fall|definitiv|doch|genau|👍)\b"
    r"|\b(?:geholfen|weitergeholfen|hilfreich)\b",
    re.IGNORECASE)
_LEADING = re.compile(r"^(?:ja|jo|jap|jep|jawohl|nein|nö|noe|ne|nee|klar|doch|genau)\b[\s,.!:;-]*", re.IGNORECASE)


@dataclass(frozen=True)
class Helped:
    answer: str  # "ja" | "nein"
    comment: Optional[str]


def read_answer(text: str) -> Optional[Helped]:
    """Helped("ja", "sehr freundlich") for "Ja, sehr freundlich!"; None when the message is no
    answer to the question (a new question goes to the bot as usual)."""
    cleaned = " ".join((text or "").split())
    if not cleaned or cleaned.startswith("/"):
        return None
    if _NO.search(cleaned):
        answer = "nein"
    elif _YES.search(cleaned):
        answer = "ja"
    else:
        return None
    comment = _LEADING.sub("", cleaned).strip(" ,.!")
    comment = scrub_text(comment)[:COMMENT_CHARS].strip()
    return Helped(answer, comment or None)
