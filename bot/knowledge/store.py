"""Loads knowledge/*.yml, checks it as a whole, and reloads it when a file changes."""
from __future__ import annotations

import logging
import threading
from pathlib import Path

import yaml
from pydantic import ValidationError

from bot.knowledge.model import Entry
from bot.knowledge.render import FORM_BUTTONS, Reply, render_entry

log = logging.getLogger(__name__)


class KnowledgeError(ValueError):
    """The knowledge files cannot be used; the message names file and entry."""


class KnowledgeBase:
    """An immutable, checked set of entries."""

    def __init__(self, entries: list[Entry]):
        self.entries = {}
        self._by_intent = {}
        for entry in entries:
            if entry.id in self.entries:
                raise KnowledgeError(f"id {entry.id!r} kommt mehrfach vor")
            self.entries[entry.id] = entry
            if entry.intent:
                if entry.intent in self._by_intent:
                    raise KnowledgeError(
                        f"Intent {entry.intent!r} hat zwei Einträge: "
                        f"{self._by_intent[entry.intent].id!r} und {entry.id!r}"
                    )
                self._by_intent[entry.intent] = entry
        for entry in entries:
            for target in entry.buttons:
                if target in FORM_BUTTONS:
                    continue
                if target not in self.entries:
                    raise KnowledgeError(f"{entry.id}: Button auf unbekannten Eintrag {target!r}")
                if not self.entries[target].intent:
                    raise KnowledgeError(f"{entry.id}: Button-Ziel {target!r} hat keinen Intent")

    @classmethod
    def from_directory(cls, directory: Path) -> "KnowledgeBase":
        entries: list[Entry] = []
        files = sorted(directory.glob("*.yml"))
        if not files:
            raise KnowledgeError(f"keine Wissensdateien (*.yml) in {directory}")
        for path in files:
            try:
                data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            except yaml.YAMLError as exc:
                raise KnowledgeError(f"{path.name}: kein gültiges YAML: {exc}") from exc
            raw_entries = data.get("entries") if isinstance(data, dict) else None
            if not isinstance(raw_entries, list):
                raise KnowledgeError(f"{path.name}: erwartet eine Liste 'entries:'")
            for index, raw in enumerate(raw_entries):
                try:
                    entries.append(Entry.parse_obj(raw))
                except ValidationError as exc:
                    name = raw.get("id", f"#{index + 1}") if isinstance(raw, dict) else f"#{index + 1}"
                    raise KnowledgeError(f"{path.name}, Eintrag {name}: {exc}") from exc
        return cls(entries)

    @property
    def intents(self) -> set[str]:
        return set(self._by_intent)

    def entry_for_intent(self, intent: str) -> Entry | None:
        return self._by_intent.get(intent)

    def render(self, entry_id: str) -> Reply:
        return render_entry(self.entries[entry_id], self.entries)


class ReloadingKnowledgeBase:
    """Gives the current KnowledgeBase, reloading when a knowledge file changed.

    A broken edit does not take the bot down: the error is logged and the last good
    version keeps answering until the file is fixed.
    """

    def __init__(self, directory: Path):
        self.directory = directory
        self._lock = threading.Lock()
        self._signature = self._current_signature()
        self._kb = KnowledgeBase.from_directory(directory)  # fails loudly at start-up
        self.last_error: str | None = None

    def _current_signature(self) -> tuple:
        return tuple(
            (p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in sorted(self.directory.glob("*.yml"))
        )

    def get(self) -> KnowledgeBase:
        signature = self._current_signature()
        if signature != self._signature:
            with self._lock:
                if signature != self._signature:
                    try:
                        self._kb = KnowledgeBase.from_directory(self.directory)
                        self.last_error = None
                        log.info("Wissensbasis neu geladen (%d Einträge)", len(self._kb.entries))
                    except KnowledgeError as exc:
                        self.last_error = str(exc)
                        log.error("Wissensbasis nicht neu geladen, alte Fassung bleibt aktiv: %s", exc)
                    self._signature = signature
        return self._kb


_shared: ReloadingKnowledgeBase | None = None


def shared_knowledge_base() -> ReloadingKnowledgeBase:
    """The process-wide knowledge base of the configured knowledge directory."""
    global _shared
    if _shared is None:
        from bot.config import get_settings

        _shared = ReloadingKnowledgeBase(get_settings().knowledge_dir)
    return _shared
