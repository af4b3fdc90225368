"""Turns a knowledge entry into the reply the user sees: answer, source line, buttons."""
from __future__ import annotations

from dataclasses import dataclass, field

from bot.knowledge.model import Entry, Source


@dataclass(frozen=True)
class Reply:
    text: str
    buttons: list[dict] = field(default_factory=list)  # Rasa button dicts: title, payload


def source_line(sources: list[Source]) -> str:
    """'Quelle: [Titel](url), Stand: 14.09.2023'; several sources as a list under 'Quellen:'."""
    parts = []
    for source in sources:
        name = f"[{source.title}]({source.url})" if source.url else source.title
        parts.append(f"{name}, Stand: {source.stand_german()}")
    if len(parts) == 1:
        return f"Quelle: {parts[0]}"
    return "Quellen:\n" + "\n".join(f"- {part}" for part in parts)


def render_entry(entry: Entry, button_targets: dict[str, Entry]) -> Reply:
    """The entry's answer with its source line; follow-up buttons lead to the targets' intents."""
    buttons = []
    for target_id in entry.buttons:
        target = button_targets[target_id]
        if target.intent:
            buttons.append({"title": target.title, "payload": f"/{target.intent}"})
    return Reply(text=f"{entry.answer}\n\n{source_line(entry.sources)}", buttons=buttons)
