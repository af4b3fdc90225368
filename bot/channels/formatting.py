"""The bot writes a small Markdown subset (**fett**, [Text](URL), lists); channels that
want HTML (Telegram, Matrix) get it converted here, with everything else escaped."""
from __future__ import annotations

import html
import re

_LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^)\s]+|mailto:[^)\s]+)\)")
_BOLD = re.compile(r"\*\*(.+?)\*\*")


def markdown_to_html(text: str) -> str:
    escaped = html.escape(text or "", quote=False)
    escaped = _LINK.sub(lambda m: f'<a href="{html.escape(m.group(2))}">{m.group(1)}</a>', escaped)
    return _BOLD.sub(r"<b>\1</b>", escaped)


def markdown_to_plain(text: str) -> str:
    """'[ASSKomm](https://…)' → 'ASSKomm (https://…)', bold markers removed."""
    return _BOLD.sub(r"\1", _LINK.sub(r"\1 (\2)", text or ""))
