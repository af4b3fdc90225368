"""Follow-ups that point at the answer just given rather than at a topic.

"welche denn" after "im Erzgebirgskreis belegen meine Quellen 11 Kommunen", "welche waren das"
after the eight model communes, "und 2022?" after the funding budget: the NLU cannot know what
"welche" or a bare year refers to, and in the persona trial of 2026-11-30 such messages were
asked back or answered with an unrelated entry. The answer comes from the previous answer:

- "which ones": that answer again when it lists them; where the answer gives only a count of
  ASSKomm communes, their list is in the commune database by Landkreis, so the bot asks which;
  where the sources list nothing, it says so.
- a bare year: the lines of that answer that name the year; none, and it says it has nothing.

Only rules on text live here; actions/pointing_back.py sends the replies."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

from bot.knowledge.model import Entry

# "welche denn", "und welche?", "welche waren das", "welche kommunen genau", "nennen Sie die
# mal": the whole message asks for the items, nothing else. Not "wer denn?": after "Wer steht
# dahinter?" that asks the person, and the usual follow-up rule answers it.
_WHICH = re.compile(
    r"^\W*(?:(?:und|ja|aha|ok|okay|na|achso|ach\s+so|hm+|aber)\W+)*"
    r"(?:welche|welcher|was\s+für\s+welche|nenn(?:en)?(?:\s+sie)?(?:\s+mir)?)"
    r"(?:\s+(?:denn|genau|sind|waren|war|ist|es|das|die|davon|alle|so|eigentlich|jetzt|noch|dann|konkret|mal|"
    r"bitte|zum\s+beispiel|z\.?\s?b\.?|kommunen|orte|städte|staedte|gemeinden|themen|felder|handlungsfelder|"
    r"fachtage|termine|projekte|leute|personen|namen|beispiele))*\s*[?!.]*\s*$",
    re.IGNORECASE)
# "und 2022?", "was ist mit 2023", "und im jahr 2021?": a year and only such words. A message
# with words of its own question ("und wie viele waren es 2023?") is left to the NLU: it asks
# for the history of the count, not for the lines of the count that name 2023 (held-out
# conversation "folge-anzahl-historie", 2026-11-30).
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d\d)(?!\d)")
_YEAR_FILLERS = {"und", "aber", "was", "ist", "mit", "es", "im", "jahr", "in", "für", "fuer", "denn", "da",
                 "damals", "so", "dem", "von", "auch", "noch", "bitte"}
MAX_YEAR_WORDS = 7
# Answers that count ASSKomm communes without naming them: the names are in the commune
# database, by Landkreis (actions/communes.py, ActionAnswerDistrict).
COMMUNES_BY_DISTRICT = {"member_count", "member_history"}
# A bullet that starts with a date or a year ("- 2020: 13 Analysen", "- Februar 2024: …") is a
# point in time, not an item.
_MONTHS = r"januar|februar|märz|april|mai|juni|juli|august|september|oktober|november|dezember|anfang|ende|mitte"
_DATED_BULLET = re.compile(rf"^\s*(?:[-*]|\d+\.)\s+(?:\*\*)?\s*(?:\d|(?:{_MONTHS})\b)", re.IGNORECASE)
_BULLET = re.compile(r"^\s*(?:[-*]|\d+\.)\s+")
# "Am Anfang standen acht Modellkommunen: Chemnitz, Freital, …": a colon, then at least three
# short items.
MIN_INLINE_ITEMS = 3
MAX_ITEM_WORDS = 4


@dataclass(frozen=True)
class PointingBack:
    kind: str  # "which" or "year"
    year: Optional[str] = None


def pointing_back(text: str) -> Optional[PointingBack]:
    """Whether the message asks for the items or one year of the answer just given."""
    text = (text or "").strip()
    if not text or text.startswith("/"):
        return None
    if _WHICH.match(text):
        return PointingBack("which")
    years = _YEAR.findall(text)
    words = re.findall(r"[^\W\d_]+", text.lower())
    if len(years) == 1 and len(words) + 1 <= MAX_YEAR_WORDS and all(w in _YEAR_FILLERS for w in words):
        return PointingBack("year", years[0])
    return None


def lists_items(entry: Entry) -> bool:
    """Whether an answer lists things: two bullets that are no dates, or a short list after a colon."""
    lines = entry.answer.splitlines()
    if sum(1 for line in lines if _BULLET.match(line) and not _DATED_BULLET.match(line)) >= 2:
        return True
    return any(_inline_list(line) for line in lines if not _BULLET.match(line))


def _inline_list(line: str) -> bool:
    if ":" not in line:
        return False
    items = re.split(r",|\bund\b|\boder\b", line.split(":", 1)[1].strip().rstrip("."))
    return len(items) >= MIN_INLINE_ITEMS and all(0 < len(item.split()) <= MAX_ITEM_WORDS for item in items)


def lines_of_year(entry: Entry, year: str) -> Optional[str]:
    """The lines of an answer that name the year, or None."""
    found = [line for line in entry.answer.splitlines() if re.search(rf"(?<!\d){year}(?!\d)", line)]
    return "\n".join(found) if found else None
