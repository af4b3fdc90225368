"""Finds the commune a user means, from a name or from a whole message, with rapidfuzz.

Three outcomes, because a wrong commune would give a wrong membership answer:
found (one commune), ambiguous (ask back), none (say so and offer the closest names).
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterable

from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.communes.names import base_name, fold, name_key, sorbian_name

# Similarity (0–100, optimal string alignment: a swapped letter is one edit) at which a
# spelling counts as the name: one typo in six letters ("Werdua", "Dresdn") still does.
FOUND = 80.0
# Candidates this close to the best are equally likely: ask back instead of guessing.
TIE = 3.0
# Below FOUND but at least this similar: offered as "Meinten Sie …?".
SUGGEST = 60.0
# Shorter keys are only taken when spelled exactly ("Aue", "Thum"), never guessed.
MIN_FUZZY_LENGTH = 5
MAX_WORDS = 4

# Words of questions about communes that must never be read as a commune name.
_DOMAIN_WORDS = {
    "asskomm", "allianz", "sichere", "saechsische", "saechsischen", "kommunen", "kommune", "gemeinde",
    "gemeinden", "stadt", "staedte", "landkreis", "landkreise", "kreis", "mitglied", "mitglieder",
    "mitgliedschaft", "mitmachen", "macht", "mit", "dabei", "beitreten", "beigetreten", "teilnehmen",
    "teil", "netzwerk", "lpr", "sachsen", "kooperationsvereinbarung", "vereinbarung", "praeventionsrat",
    "einwohner", "status", "seit", "wann", "unterschrieben", "unterzeichnet", "buergermeister",
    "landespraeventionsrat", "verbund", "ist", "sind", "unsere", "unser", "wir", "mir", "ooch",
    "auch", "noch", "schon", "bei", "im", "nu", "gugge", "mal", "ja", "nein", "bitte", "danke",
    "hallo", "wie", "viele", "welche", "liegt", "hat", "gehoert", "angemeldet", "mitgemacht",
    # fillers spaCy's list lacks: "sind wir eigentlich schon dabei?" names no commune (persona trial 2026-11-30)
    "eigentlich", "inzwischen", "mittlerweile", "tatsaechlich", "momentan", "aktuell", "derzeit", "ueberhaupt",
    "wirklich", "bereits", "jetzt",
}


@dataclass(frozen=True)
class CommuneName:
    ags: str
    name_short: str
    official_name: str = ""
    landkreis: str = ""


@dataclass
class Match:
    status: str  # found | ambiguous | none
    query: str  # what the user wrote for the name
    communes: list[CommuneName] = field(default_factory=list)  # found: one; ambiguous: several
    suggestions: list[CommuneName] = field(default_factory=list)  # none: the closest names
    score: float = 0.0

    @property
    def commune(self) -> CommuneName | None:
        return self.communes[0] if self.status == "found" else None


class CommuneMatcher:
    def __init__(self, communes: Iterable[CommuneName], stop_words: Iterable[str] = ()):
        self.communes = {c.ags: c for c in communes}
        self._keys: dict[str, set[str]] = defaultdict(set)
        for commune in self.communes.values():
            official = commune.official_name.split(" / ")[0]
            # "Aue-Bad Schlema" is also asked for as "Aue" or "Bad Schlema".
            parts = commune.name_short.split("-") if "-" in commune.name_short else []
            for name in (commune.name_short, base_name(commune.name_short), sorbian_name(commune.official_name),
                         official, *parts):
                if name and name_key(name):
                    self._keys[name_key(name)].add(commune.ags)
        self._choices = list(self._keys)
        self._stop_words = {fold(w) for w in stop_words} | _DOMAIN_WORDS
        # A commune whose name is a common word ("Thum"?) must stay findable.
        self._stop_words -= set(self._keys)

    def resolve(self, text: str) -> Match:
        """The commune meant by a name as typed ("Werdua", "Stadt Frankenberg", "Floeha")."""
        query = " ".join(text.split())
        key = name_key(query)
        if not key:
            return Match("none", query)
        if key in self._keys:
            return self._result(query, [(c, 100.0) for c in self._keys[key]])
        qualified = self._qualified(query, key)
        if qualified is not None:
            return qualified
        if len(key) < MIN_FUZZY_LENGTH:
            return Match("none", query, suggestions=self._closest(key))
        return self._result(query, self._scored(key))

    def find_in_message(self, message: str) -> Match | None:
        """The commune named somewhere in a message, or None if it names none.

        Every run of up to four words is tried; the best-scoring one wins and, at equal
        score, a unique one over an ambiguous one and then the longer one ("Oelsnitz im
        Erzgebirge" over "Oelsnitz")."""
        words = [w.strip("?!.,;:()\"'»«„“”") for w in message.split()]
        words = [w for w in words if w]
        best: tuple[float, bool, int, Match] | None = None
        for start in range(len(words)):
            for end in range(start + 1, min(start + MAX_WORDS, len(words)) + 1):
                gram = words[start:end]
                exact = name_key(" ".join(gram)) in self._keys  # "Groß Düben" although "groß" is common
                if not exact and (fold(gram[0]) in self._stop_words or fold(gram[-1]) in self._stop_words):
                    continue
                match = self.resolve(" ".join(gram))
                if match.status == "none":
                    continue
                rank = (match.score, match.status == "found", end - start)
                if best is None or rank > best[:3]:
                    best = (*rank, match)
        return best[3] if best else None

    def candidate_words(self, message: str) -> str:
        """The words of a message that could be a name, for "… nicht gefunden" replies."""
        words = [w.strip("?!.,;:()\"'»«„“”") for w in message.split()]
        return " ".join(w for w in words if w and fold(w) not in self._stop_words)

    def _scored(self, key: str) -> list[tuple[str, float]]:
        scored: dict[str, float] = {}
        for choice, score, _ in process.extract(
            key, self._choices, scorer=OSA.normalized_similarity, limit=20, score_cutoff=SUGGEST / 100
        ):
            for ags in self._keys[choice]:
                scored[ags] = max(scored.get(ags, 0.0), score * 100)
        return sorted(scored.items(), key=lambda item: -item[1])

    def _qualified(self, query: str, key: str) -> Match | None:
        """'Bernsdorf Landkreis Zwickau', 'Auerbach im Erzgebirge': a name narrowed by its region."""
        words = key.split()
        for cut in range(len(words) - 1, 0, -1):
            name, region = " ".join(words[:cut]), " ".join(words[cut:])
            if name not in self._keys:
                continue
            region = re.sub(r"^(landkreis|lkr|kreis)\s+", "", region)
            landkreise = _REGIONS.get(region, [region])
            hits = [a for a in self._keys[name]
                    if any(fold(self.communes[a].landkreis).startswith(lk) for lk in landkreise)]
            if hits:
                return self._result(query, [(a, 100.0) for a in hits])
        return None

    def _keys_of(self, commune: CommuneName) -> list[str]:
        return [k for k, ags in self._keys.items() if commune.ags in ags]

    def _closest(self, key: str) -> list[CommuneName]:
        return [self.communes[ags] for ags, _ in self._scored(key)[:3]]

    def _result(self, query: str, scored: list[tuple[str, float]]) -> Match:
        if not scored:
            return Match("none", query)
        scored = sorted(scored, key=lambda item: (-item[1], self.communes[item[0]].name_short))
        best = scored[0][1]
        if best < FOUND:
            return Match("none", query, suggestions=[self.communes[a] for a, _ in scored[:3]], score=0.0)
        close = [self.communes[a] for a, s in scored if s >= FOUND and best - s <= TIE]
        if len(close) > 1:
            # Swapped letters are the commonest typo: "Werdua" is Werdau, not Werda.
            letters = sorted(name_key(query).replace(" ", ""))
            same = [c for c in close if any(sorted(k.replace(" ", "")) == letters for k in self._keys_of(c))]
            close = same if len(same) == 1 else close
        return Match("found" if len(close) == 1 else "ambiguous", query, communes=close, score=best)


# Regions users add to a name, as the Landkreise they cover (folded).
_REGIONS = {
    "erzgeb": ["erzgebirgskreis", "mittelsachsen", "saechsische schweiz"],
    "vogtl": ["vogtlandkreis"],
    "o l": ["bautzen", "goerlitz"],
    "lausitz": ["bautzen", "goerlitz"],
    "sa": [""],
}

_LANDKREIS_ALIASES = {
    "erzgebirge": "Erzgebirgskreis",
    "vogtland": "Vogtlandkreis",
    "saechsische schweiz": "Sächsische Schweiz-Osterzgebirge",
    "osterzgebirge": "Sächsische Schweiz-Osterzgebirge",
    "ssoe": "Sächsische Schweiz-Osterzgebirge",
    "leipziger land": "Leipzig",
}


def find_landkreis(message: str, landkreise: Iterable[str]) -> str | None:
    """The Landkreis a message names ("im Landkreis Zwickau", "im Erzgebirge", "Vogtlandkreis")."""
    text = fold(message)
    names = {fold(lk): lk for lk in landkreise if lk}
    names.update({alias: lk for alias, lk in _LANDKREIS_ALIASES.items() if lk in names.values()})
    # Longest first, so "saechsische schweiz osterzgebirge" wins over "erzgebirge".
    for key in sorted(names, key=len, reverse=True):
        if re.search(rf"\b{re.escape(key)}\b", text):
            return names[key]
    words = text.split()
    best = None
    for size in (1, 2, 3):
        for i in range(len(words) - size + 1):
            gram = " ".join(words[i:i + size])
            if len(gram) < 6:
                continue
            hit = process.extractOne(gram, list(names), scorer=OSA.normalized_similarity, score_cutoff=FOUND / 100)
            if hit and (best is None or hit[1] > best[1]):
                best = hit
    return names[best[0]] if best else None
