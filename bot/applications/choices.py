"""Choice lists the forms offer as buttons, read from knowledge/forms/ (with their source)."""
from __future__ import annotations

import re
from pathlib import Path

import yaml
from rapidfuzz import fuzz, process

from bot.communes.names import fold, name_key
from bot.knowledge.model import Source

OTHER = "Anderes Thema"


def handlungsfelder(knowledge_dir: Path) -> tuple[list[str], Source]:
    data = yaml.safe_load((knowledge_dir / "forms" / "handlungsfelder.yml").read_text(encoding="utf-8"))
    return list(data["choices"]), Source(**data["source"])


def match_choice(text: str, choices: list[str]) -> str | None:
    """'graffiti' → 'Graffiti und Sachbeschädigung'; a user's own topic → 'Anderes Thema: …'."""
    wanted = fold(text)
    if not wanted:
        return None
    folded = {fold(c): c for c in choices}
    if wanted in folded:
        return folded[wanted]
    hit = process.extractOne(wanted, list(folded), scorer=fuzz.partial_ratio, score_cutoff=85)
    if hit and len(wanted) >= 4:
        return folded[hit[0]]
    return None


def find_choice_in_text(text: str, choices: list[str]) -> str | None:
    """The one choice a longer message names by its first word: 'Graffiti-Projekt' →
    'Graffiti und Sachbeschädigung', 'Gewaltprävention' → 'Gewalt'; None for none or several."""
    words = fold(text).split()
    hits = []
    for choice in choices:
        if choice == OTHER:
            continue
        keyword = fold(choice).split()[0]
        if any(w.startswith(keyword) or (len(w) >= 5 and keyword.startswith(w)) for w in words):
            hits.append(choice)
    return hits[0] if len(hits) == 1 else None


# --------------------------------------------------------------------------- "Welche meinen Sie?"

_ORDINALS = {
    "erste": 0, "ersten": 0, "erstere": 0, "1": 0, "eins": 0, "zweite": 1, "zweiten": 1, "2": 1, "zwei": 1,
    "dritte": 2, "dritten": 2, "3": 2, "drei": 2, "vierte": 3, "vierten": 3, "4": 3, "fuenfte": 4, "5": 4,
    "sechste": 5, "6": 5, "letzte": -1, "letzten": -1, "letztere": -1,
}
_MAX_ORDINAL_WORDS = 4


# name_key writes "Oberlausitz" as Destatis does ("O.L."): too short to compare as words.
_SHORT_REGIONS = re.compile(r"\bo l\b")


def _tokens(text: str) -> set[str]:
    return {t for t in _SHORT_REGIONS.sub("oberlausitz", name_key(text)).split() if len(t) >= 3}


def _same_word(typed: str, known: str) -> bool:
    if typed == known:
        return True
    return len(typed) >= 5 and len(known) >= 5 and (known.startswith(typed) or typed.startswith(known))


def pick_offered(text: str, options: list[tuple[str, ...]]) -> int | None:
    """Which of the offered options a typed answer selects, by its position ("die zweite"),
    its region ("die im Vogtland", "die im erzgebirge natürlich") or its full name
    ("Oelsnitz im Erzgebirge"). Each option is given by its names (e.g. name and Landkreis).
    None when the answer fits none or several."""
    if not options:
        return None
    words = fold(text).split()
    if 0 < len(words) <= _MAX_ORDINAL_WORDS:
        positions = {_ORDINALS[w] for w in words if w in _ORDINALS}
        if len(positions) == 1:
            index = positions.pop()
            if -len(options) <= index < len(options):
                return index % len(options)
    option_tokens = [set().union(*(_tokens(name) for name in names)) for names in options]
    shared = set.intersection(*option_tokens) if len(options) > 1 else set()
    typed = _tokens(text)
    scores = [sum(1 for known in tokens - shared if any(_same_word(t, known) for t in typed))
              for tokens in option_tokens]
    best = max(scores)
    if best == 0 or scores.count(best) > 1:
        return None
    return scores.index(best)
