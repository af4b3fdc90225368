"""HTML a user types or pastes ("ist <b>werdau</b> dabei", "<img src=x onerror=…>was kostet der
beitritt") is no part of the question: with the tags in it the NLU gave such messages the
out-of-scope answer (persona trial of 2026-11-30). The tags are taken out before Rasa sees the
text; the bot never renders user text as HTML anyway, so this is about understanding, not safety."""
from __future__ import annotations

import re

# A script or style block with its content: "<script>alert('x')</script>" says nothing to the bot.
_BLOCK = re.compile(r"<(script|style)\b[^>]{0,500}>.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
# An opening, closing or empty tag of HTML: "<b>", "</b>", "<br/>", "<img src=x onerror=…>".
# Only HTML's own tag names, so "a < b", "<3" and "<Werdau>" stay.
_TAG_NAMES = (
    "a|abbr|audio|b|big|blockquote|body|br|button|center|code|del|details|div|em|embed|font|form|h[1-6]|head|hr|"
    "html|i|iframe|img|input|ins|label|li|link|mark|marquee|meta|object|ol|option|p|pre|s|select|small|source|"
    "span|strong|sub|summary|sup|svg|table|td|textarea|th|title|tr|u|ul|video"
)
_TAG = re.compile(rf"</?(?:{_TAG_NAMES})(?:\s[^<>]{{0,500}})?\s*/?>", re.IGNORECASE)


def without_markup(text: str) -> str:
    """The text without HTML tags; unchanged when it has none or when nothing but markup is left
    (then the message is handled as what it is)."""
    if not text or "<" not in text:
        return text
    cleaned = _TAG.sub(" ", _BLOCK.sub(" ", text))
    if cleaned == text:
        return text
    cleaned = re.sub(r"[ \t]+", " ", cleaned).strip()
    return cleaned or text
