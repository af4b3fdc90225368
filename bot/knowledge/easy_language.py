"""Leichte Sprache: a text for each knowledge entry, in knowledge/leichte_sprache/<file>.yml.

A text says the same facts as its entry (never more) and keeps the entry's source line and
buttons. Whether a Prüfgruppe (readers with learning difficulties) has checked a file is
recorded in the file itself; until then the bot says that the texts are not checked.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import List, Optional

import yaml
from pydantic import BaseModel, Extra, ValidationError, validator

from bot.knowledge.model import Entry, KnowledgeError
from bot.knowledge.render import Reply, render_entry

EASY_DIR = "leichte_sprache"

# The buttons that start an application, in Leichte Sprache (render.FORM_BUTTONS has the others).
EASY_FORM_BUTTONS = {
    "request_join": "Beitritt anfragen",
    "request_funding": "Förder-Anfrage stellen",
    "request_study": "Frage zum Studium stellen",
}

# Said before the standard answer when an entry has no Leichte-Sprache text yet (a new entry
# added while the bot runs); tests/test_easy_language.py keeps every entry covered.
MISSING_TEXT = "Diesen Text gibt es noch nicht in Leichter Sprache. Hier ist der Text in normaler Sprache."


class Check(BaseModel, extra=Extra.forbid):
    """A Prüfgruppe read the texts of a file: when, and which group."""

    am: date
    von: str

    @validator("von")
    def _group_named(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("Prüfgruppe ohne Namen")
        return value.strip()


class EasyText(BaseModel, extra=Extra.forbid):
    id: str
    title: Optional[str] = None  # short label in Leichter Sprache for buttons to this entry
    text: str

    @validator("text")
    def _text_not_empty(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("leerer Text")
        return value.strip()


class EasyFile(BaseModel, extra=Extra.forbid):
    # null until a Prüfgruppe has checked the texts of this file
    geprueft: Optional[Check] = None
    texts: List[EasyText]


@dataclass(frozen=True)
class EasyLanguage:
    """The checked Leichte-Sprache texts of a knowledge base."""

    texts: dict[str, EasyText] = field(default_factory=dict)
    checks: dict[str, Optional[Check]] = field(default_factory=dict)  # file name -> check record

    @classmethod
    def from_directory(cls, directory: Path, entry_files: dict[str, str]) -> "EasyLanguage":
        """Loads directory/*.yml; entry_files maps each entry id to the name of its knowledge file.

        A text for an unknown entry, or in another file than its entry, is an error: it would
        never be shown, or hard to find. A missing text is not (see MISSING_TEXT)."""
        texts: dict[str, EasyText] = {}
        checks: dict[str, Optional[Check]] = {}
        for path in sorted(directory.glob("*.yml")) if directory.is_dir() else []:
            where = f"{EASY_DIR}/{path.name}"
            try:
                data = yaml.safe_load(path.read_text(encoding="utf-8"))
                easy_file = EasyFile.parse_obj(data if isinstance(data, dict) else {})
            except yaml.YAMLError as exc:
                raise KnowledgeError(f"{where}: kein gültiges YAML: {exc}") from exc
            except ValidationError as exc:
                raise KnowledgeError(f"{where}: {exc}") from exc
            checks[path.name] = easy_file.geprueft
            for text in easy_file.texts:
                if text.id not in entry_files:
                    raise KnowledgeError(f"{where}: Text für unbekannten Eintrag {text.id!r}")
                if entry_files[text.id] != path.name:
                    raise KnowledgeError(
                        f"{where}: {text.id!r} steht in {entry_files[text.id]}, "
                        f"sein Text gehört nach {EASY_DIR}/{entry_files[text.id]}"
                    )
                if text.id in texts:
                    raise KnowledgeError(f"{where}: Text für {text.id!r} kommt mehrfach vor")
                texts[text.id] = text
        return cls(texts, checks)

    @property
    def all_checked(self) -> bool:
        """True once a Prüfgruppe has checked every file (and there are texts at all)."""
        return bool(self.checks) and all(check is not None for check in self.checks.values())

    def missing(self, entry_ids) -> list[str]:
        return sorted(set(entry_ids) - set(self.texts))

    def render(self, entry: Entry, button_targets: dict[str, Entry]) -> Reply:
        """The entry in Leichter Sprache, with the entry's own source line and buttons."""
        text = self.texts.get(entry.id)
        answer = text.text if text else f"{MISSING_TEXT}\n\n{entry.answer}"
        titles = dict(EASY_FORM_BUTTONS)
        titles.update({target_id: easy.title for target_id, easy in self.texts.items() if easy.title})
        return render_entry(entry, button_targets, answer=answer, button_titles=titles)


# ---------------------------------------------------------------- rules a test can check

# Netzwerk Leichte Sprache: short sentences, no Passiv, no Konjunktiv, no Genitiv, no
# abbreviations, long words split with a hyphen. What a program can see of these rules:
MAX_SENTENCE_WORDS = 12
MAX_WORD_LETTERS = 15  # "Schwierigkeiten" still fits; "Landespräventionsrat" needs hyphens
PASSIVE = {"wird", "werden", "wurde", "wurden", "worden"}
SUBJUNCTIVE = {"würde", "würden", "könnte", "könnten", "hätte", "hätten", "wäre", "wären",
               "müsste", "müssten", "sollte", "sollten", "dürfte", "dürften"}
GENITIVE = {"des", "eines", "dessen", "deren"}
ABBREVIATIONS = re.compile(r"\b(z\. ?B\.|bzw\.|usw\.|d\. ?h\.|ca\.|ggf\.|u\. ?a\.|etc\.|evtl\.|inkl\.)|%|;")
_LINK = re.compile(r"\]\([^)]*\)|https?://\S+|\S+@\S+")
# An official name or address in „…“ is copied exactly and not checked as Leichte Sprache.
_QUOTED = re.compile(r"„[^“\n]*“")
_NUMBER_WORDS = {"zwei": "2", "drei": "3", "vier": "4", "fünf": "5", "sechs": "6", "sieben": "7",
                 "acht": "8", "neun": "9", "zehn": "10", "elf": "11", "zwölf": "12"}
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_LIST_NUMBER = re.compile(r"^\s*\d+\.\s", re.MULTILINE)


def style_problems(text: str) -> list[str]:
    """Breaches of the Leichte-Sprache rules that a program can find in a text."""
    plain = _QUOTED.sub("„“", _LINK.sub("]", text)).replace("**", "")
    problems = []
    for match in ABBREVIATIONS.finditer(plain):
        problems.append(f"Abkürzung oder Zeichen {match.group(0)!r}")
    for sentence in re.split(r"(?<=[.!?:])\s+|\n+", _LIST_NUMBER.sub("", plain)):
        words = re.findall(r"[\wÄÖÜäöüß-]+", sentence)
        if len(words) > MAX_SENTENCE_WORDS:
            problems.append(f"Satz mit {len(words)} Wörtern: {sentence.strip()!r}")
        for word in words:
            lower = word.lower()
            if lower in PASSIVE:
                problems.append(f"Passiv oder Futur {word!r}: {sentence.strip()!r}")
            if lower in SUBJUNCTIVE:
                problems.append(f"Konjunktiv {word!r}: {sentence.strip()!r}")
            if lower in GENITIVE:
                problems.append(f"Genitiv {word!r}: {sentence.strip()!r}")
            if any(len(part) > MAX_WORD_LETTERS for part in word.split("-")):
                problems.append(f"langes Wort ohne Binde-Strich {word!r}")
    return problems


def new_facts(easy_text: str, answer: str) -> list[str]:
    """Figures, web addresses and e-mail addresses of the easy text that its entry does not say."""
    def figures(text: str) -> set[str]:
        found = set(_NUMBER.findall(_LINK.sub(" ", _LIST_NUMBER.sub("", text))))
        return found | {_NUMBER_WORDS[w] for w in re.findall(r"\w+", text.lower()) if w in _NUMBER_WORDS}

    def addresses(text: str) -> set[str]:
        return {a.rstrip(".,)") for a in re.findall(r"https?://[^\s)]+|[\w.-]+@[\w.-]+", text)}

    return sorted((figures(easy_text) - figures(answer)) | (addresses(easy_text) - addresses(answer)))
