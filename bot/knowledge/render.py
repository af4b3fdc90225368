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


# Buttons that start an application in the chat instead of leading to another entry, so that
# an answer about a procedure offers the next step ("So beantragen Sie …" → "Förderanfrage stellen").
FORM_BUTTONS = {
    "request_join": "Beitritt anfragen",
    "request_funding": "Förderanfrage stellen",
    "request_study": "Studienanfrage stellen",
}


def render_entry(entry: Entry, button_targets: dict[str, Entry], answer: str | None = None,
                 button_titles: dict[str, str] | None = None) -> Reply:
    """The entry's answer with its source line; follow-up buttons lead to the targets' intents.

    answer and button_titles (by target id) replace the entry's own, e.g. in Leichter Sprache."""
    titles = button_titles or {}
    buttons = []
    for target_id in entry.buttons:
        if target_id in FORM_BUTTONS:
            buttons.append({"title": titles.get(target_id, FORM_BUTTONS[target_id]), "payload": f"/{target_id}"})
            continue
        target = button_targets[target_id]
        if target.intent:
            buttons.append({"title": titles.get(target_id, target.title), "payload": f"/{target.intent}"})
    text = entry.answer if answer is None else answer
    return Reply(text=f"{text}\n\n{source_line(entry.sources)}", buttons=buttons)
