"""Whether a message names one of the 15 other Länder (by name, capital or adjective).

ASSKomm is the Free State of Saxony's programme: a commune from Thuringia or Bavaria is told so
instead of being walked through the joining steps. The names come from
knowledge/communes/other_laender.yml (Destatis GV100AD)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from bot.communes.names import fold

DATA_FILE = Path(__file__).resolve().parents[2] / "knowledge" / "communes" / "other_laender.yml"
_PLAIN_VOWELS = str.maketrans({"ä": "a", "ö": "o", "ü": "u"})
# Answers about taking part (topics of knowledge/topics.yml, and the entry "offers"): asked for a
# commune of another Land they would walk it through what only Saxon communes get ("wir sind die
# gemeinde … in thüringen und würden gern mitmachen" got the coaching text, persona trial 2026-11-30).
SAXON_ONLY_TOPICS = frozenset({"joining", "agreement", "pre_agreement", "funding", "coaching", "security_analysis",
                               "training", "material"})
SAXON_ONLY_ENTRIES = frozenset({"offers"})


@dataclass(frozen=True)
class OtherLand:
    name: str  # "Thüringen"
    words: tuple[str, ...]  # folded whole words or phrases that name it

    def named_in(self, folded_text: str) -> bool:
        return any(re.search(rf"(?<![a-z0-9]){re.escape(w)}(?![a-z0-9])", folded_text) for w in self.words)


def _spellings(word: str) -> set[str]:
    """'Thüringen' → {'thueringen', 'thuringen'}: with Umlaut spelled out or just dropped."""
    return {fold(word), fold(word.lower().translate(_PLAIN_VOWELS))}


@lru_cache(maxsize=1)
def other_laender(path: Path = DATA_FILE) -> tuple[OtherLand, ...]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    laender = []
    for raw in data["laender"]:
        words: set[str] = set()
        for word in [raw["name"], raw["capital"], *raw.get("also", [])]:
            words |= _spellings(word)
        laender.append(OtherLand(name=raw["name"], words=tuple(sorted(words, key=len, reverse=True))))
    return tuple(laender)


def only_for_saxon_communes(entry_id: str, topic: str | None) -> bool:
    """Whether a knowledge answer is about what Saxon communes get by taking part."""
    return entry_id in SAXON_ONLY_ENTRIES or topic in SAXON_ONLY_TOPICS


def other_land_named(text: str | None) -> OtherLand | None:
    """The first other Land the text names, or None (Saxony itself is never one)."""
    if not text:
        return None
    folded = fold(text)
    for land in other_laender():
        if land.named_in(folded):
            return land
    return None
