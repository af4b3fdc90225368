"""Loads knowledge/*.yml, checks it as a whole, and reloads it when a file changes."""
from __future__ import annotations

import logging
import threading
from pathlib import Path

import yaml
from pydantic import ValidationError

from bot.knowledge.easy_language import EASY_DIR, EasyLanguage
from bot.knowledge.model import Entry, KnowledgeError, Topic
from bot.knowledge.render import FORM_BUTTONS, Reply, render_entry

log = logging.getLogger(__name__)


class KnowledgeBase:
    """An immutable, checked set of entries."""

    def __init__(self, entries: list[Entry], topics: list[Topic] = (), easy: EasyLanguage | None = None):
        self.easy = easy or EasyLanguage()  # the Leichte-Sprache texts
        self.entries = {}
        self._by_intent = {}
        self.topics = {}
        for topic in topics:
            if topic.id in self.topics:
                raise KnowledgeError(f"Thema {topic.id!r} kommt mehrfach vor")
            self.topics[topic.id] = topic
        self._by_topic_aspect: dict[tuple[str, str], Entry] = {}
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
            if entry.topic is not None and entry.topic not in self.topics:
                raise KnowledgeError(f"{entry.id}: unbekanntes Thema {entry.topic!r} (topics.yml)")
            if entry.aspects and entry.topic is None:
                raise KnowledgeError(f"{entry.id}: Aspekte ohne Thema")
            for aspect in entry.aspects:
                key = (entry.topic, aspect)
                if key in self._by_topic_aspect:
                    raise KnowledgeError(
                        f"Thema {entry.topic!r}, Aspekt {aspect!r} hat zwei Einträge: "
                        f"{self._by_topic_aspect[key].id!r} und {entry.id!r}"
                    )
                self._by_topic_aspect[key] = entry
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
        topics: list[Topic] = []
        entry_files: dict[str, str] = {}  # entry id -> file name, for the Leichte-Sprache texts
        files = sorted(directory.glob("*.yml"))
        if not files:
            raise KnowledgeError(f"keine Wissensdateien (*.yml) in {directory}")
        for path in files:
            try:
                data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            except yaml.YAMLError as exc:
                raise KnowledgeError(f"{path.name}: kein gültiges YAML: {exc}") from exc
            if not isinstance(data, dict) or not ({"entries", "topics"} & set(data)):
                raise KnowledgeError(f"{path.name}: erwartet eine Liste 'entries:' (oder 'topics:')")
            for key, model, target in (("entries", Entry, entries), ("topics", Topic, topics)):
                raw_items = data.get(key, [])
                if not isinstance(raw_items, list):
                    raise KnowledgeError(f"{path.name}: '{key}:' muss eine Liste sein")
                for index, raw in enumerate(raw_items):
                    try:
                        target.append(model.parse_obj(raw))
                        if key == "entries":
                            entry_files[target[-1].id] = path.name
                    except ValidationError as exc:
                        name = raw.get("id", f"#{index + 1}") if isinstance(raw, dict) else f"#{index + 1}"
                        raise KnowledgeError(f"{path.name}, Eintrag {name}: {exc}") from exc
        return cls(entries, topics, EasyLanguage.from_directory(directory / EASY_DIR, entry_files))

    @property
    def intents(self) -> set[str]:
        return set(self._by_intent)

    def entry_for_intent(self, intent: str) -> Entry | None:
        return self._by_intent.get(intent)

    def entry_for(self, topic: str, aspect: str) -> Entry | None:
        """The entry that answers this aspect of this topic ("cost" of "study")."""
        return self._by_topic_aspect.get((topic, aspect))

    def topics_named(self, text: str) -> set[str]:
        """Topics whose keywords occur in the text (lower-cased): the message names them."""
        return {topic.id for topic in self.topics.values() if topic.named_in(text)}

    def render(self, entry_id: str, easy_language: bool = False) -> Reply:
        """The entry's answer with source line and buttons; in Leichter Sprache on request."""
        if easy_language:
            return self.easy.render(self.entries[entry_id], self.entries)
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
        files = sorted(self.directory.glob("*.yml")) + sorted((self.directory / EASY_DIR).glob("*.yml"))
        return tuple((str(p.relative_to(self.directory)), p.stat().st_mtime_ns, p.stat().st_size) for p in files)

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
