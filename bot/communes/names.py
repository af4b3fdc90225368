"""How commune names are compared: one folded form for what users type and what Destatis
writes ("Weißwasser/O.L." and "weisswasser oberlausitz" fold to the same key)."""
from __future__ import annotations

import re
import unicodedata

_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
# Spelled-out regional suffixes → the abbreviations Destatis uses.
_SUFFIXES = [
    (r"\berzgebirge\b", "erzgeb"),
    (r"\bvogtland\b", "vogtl"),
    (r"\bsachsen\b", "sa"),
    (r"\boberlausitz\b", "o l"),
    (r"\bsaechsische schweiz\b", "saechs schw"),
]
# Words around a name that say what it is, not which one it is.
_PREFIXES = re.compile(
    r"^(die |der )?(grosse kreisstadt|kreisfreie stadt|landeshauptstadt|stadt|gemeinde|kommune|"
    r"kurort|universitaetsstadt|messestadt)\s+"
)
_FILLERS = re.compile(r"\b(im|in|i|an|am|a|der|d|bei|b)\b")
# The part of a Destatis short name before its regional suffix: "Frankenberg/Sa." → "Frankenberg".
_BASE = re.compile(r"\s*(/|\bim\b|\bin\b|\bb\.|\ba\. d\.|\bi\.d\.|\bam\b).*$")


def fold(text: str) -> str:
    """Lower case, Umlaute spelled out, other accents dropped, punctuation as spaces."""
    text = text.lower().translate(_UMLAUTS)
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    text = re.sub(r"[^a-z0-9]+", " ", text)
    return " ".join(text.split())


def name_key(text: str) -> str:
    """The key a name is matched by: folded, suffixes normalised, prefixes and fillers dropped."""
    key = fold(text)
    for pattern, replacement in _SUFFIXES:
        key = re.sub(pattern, replacement, key)
    key = _PREFIXES.sub("", key)
    key = _FILLERS.sub(" ", key)
    return " ".join(key.split())


def base_name(name_short: str) -> str | None:
    """'Frankenberg/Sa.' → 'Frankenberg'; None when the name has no regional suffix."""
    base = _BASE.sub("", name_short).strip()
    return base if base and base != name_short else None


def sorbian_name(official_name: str) -> str | None:
    """'Bautzen / Budyšin, Stadt, …' → 'Budyšin'."""
    if " / " not in official_name:
        return None
    return official_name.split(" / ", 1)[1].split(",", 1)[0].strip() or None
