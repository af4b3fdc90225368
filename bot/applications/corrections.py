"""What a message in the middle of a form means besides an answer to the question asked.

- leaving: "nee ich will doch erstmal nur infos", "doch nicht", "später";
- corrections of other fields, several in one message: "moment, die kosten stimmen nicht,
  der kämmerer sagt 23.000 euro" while the form asks for the period;
- a reference to something said before: "graffiti hab ich doch schon gesagt".

Only rules on text live here; the actions supply the parsers (some need the database).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Iterable

from bot.applications.validation import Parsed, parse_amount_eur

Parser = Callable[[str], Parsed]

# Words users use for a field ("Die E-Mail ist falsch", "die kosten stimmen nicht").
FIELD_WORDS: dict[str, str] = {
    "app_email": r"e-?mail|\bmail|\badresse",
    "app_phone": r"telefon|handy|\bnummer|rufnummer|\btel\b|mobilnummer",
    "app_function": r"funktion|\bamt\b|\bposition|\brolle\b",
    "app_contact_name": r"\bname|\bnachname|\bvorname",
    # "halt, ich hab mich vertan, wir sind großrückerswalde" names the commune without the word
    "app_commune": r"\bkommune\b|\bgemeinde\b|\bstadt\b|\bort\b|\bwir\s+sind\b|\bwir\s+kommen\s+aus\b",
    "app_message": r"nachricht|mitteilung",
    "app_field": r"handlungsfeld|\bthema\b|\bbereich\b",
    "app_project": r"projekt(?!kosten|zeit|laufzeit|beginn|start|dauer)|beschreibung|vorhaben",
    "app_cost": r"kosten|kostet|betrag|\bsumme|\bpreis|budget",
    "app_period": r"zeitraum|\bzeit\b|\bdauer|\btermin|laufzeit|\bstart|beginn|\banfangen",
    "app_degree": r"abschluss|bachelor|master|\bb\.\s?a\.|\bm\.\s?a\.",
    "app_question": r"\bfrage\b",
}
# Fields whose answer is any text: a value for them cannot be told apart from the rest of a
# message, so a correction only asks them again.
FREE_TEXT = {"app_contact_name", "app_function", "app_project", "app_message", "app_question"}

# Words that say a field is wrong: enough to ask a named field again.
_STRONG_CUE = re.compile(
    r"stimm\w*\s+(?:so\s+)?nicht|falsch|verkehrt|korrigier|korrektur|\bänder|\baender|vertippt|vertan|fehler|"
    r"\bnicht\s+richtig|\bnicht\s+korrekt",
    re.IGNORECASE,
)
# "nur Infos" leaves any form; "später", "doch nicht" only as the whole (short) answer.
_LEAVE = re.compile(
    r"nur\s+(?:\w+\s+)?infos?\b|nur\s+(?:\w+\s+)?informationen|nur\s+(?:mal\s+)?(?:informieren|schauen|gucken|umsehen)|"
    r"\bkeine\s+anfrage|(?:anfrage|formular|antrag)\w*\s+(?:\w+\s+)?(?:doch\s+)?(?:nicht|später|spaeter)\b|"
    r"erst(?:mal|\s+mal|einmal)?\s+(?:nur\s+)?(?:infos?\b|informationen|informieren)",
    re.IGNORECASE,
)
# "ach wissense, lassen wir das, ich muss erst …" leaves in any answer, however long (not
# "wir lassen das Graffiti entfernen": the phrase must end there).
_LEAVE_FIRM = re.compile(
    r"\blassen\s+wir\s+(?:das|es)(?:\s+(?:lieber|erstmal|erst\s+mal|sein|bleiben))?\s*(?:[,.!;]|$)",
    re.IGNORECASE,
)
_LEAVE_SHORT = re.compile(
    r"^(?:(?:nee?|nein|nö|ach|hm+|äh)\W+)*(?:ich\s+will\s+|wir\s+wollen\s+|lieber\s+)?"
    r"(?:doch\s+nicht|(?:vielleicht\s+|lieber\s+|dann\s+|eher\s+|erst\s+)?(?:später|spaeter)|"
    r"jetzt\s+(?:noch\s+)?nicht|erst\s*mal\s+nicht|ein\s+ander(?:es\s+)?mal|"
    r"lass(?:\s+(?:mal|das|es))+(?:\s+(?:lieber|sein|gut))?)\b",
    re.IGNORECASE,
)
_MAX_LEAVE_WORDS = 8
# "nein danke" as the whole answer: asked for a name or a commune, it can only mean "not now".
# Where "nein" is an answer (an optional phone number or message, the consent) it stays one.
_REFUSAL = re.compile(r"^(?:nein|nee|ne|nö|noe)(?:\W+(?:danke|dankeschön|lieber\s+nicht|doch\s+nicht))?\W*$",
                      re.IGNORECASE)
_REFUSAL_IS_AN_ANSWER = {"app_phone", "app_message", "app_consent"}

_BACK_REFERENCE = re.compile(
    r"(?:hab|habe|hatte|hatten|haben)\s+(?:ich|wir)\s+(?:\w+\s+){0,3}?"
    r"(?:gesagt|geschrieben|erwähnt|erwaehnt|angegeben|genannt)|"
    r"wie\s+(?:schon\s+|bereits\s+)?(?:gesagt|geschrieben)|(?:steht|stand)\s+(?:doch\s+)?(?:schon\s+)?oben|"
    r"siehe\s+oben",
    re.IGNORECASE,
)
_FILLERS = re.compile(r"\b(?:doch|schon|bereits|ja|das|den|die|der|nu|na|eben|oben|wie|gesagt)\b", re.IGNORECASE)


def wants_to_leave(text: str, requested_slot: str | None = None) -> bool:
    """'nee ich will doch erstmal nur infos', 'doch nicht', 'später': the user leaves the form.

    In a free-text answer "nur Infos" may be part of a real question, so there it counts
    only in a short message without a question mark."""
    cleaned = " ".join((text or "").split())
    words = cleaned.split()
    if not words or len(words) > 40:
        return False
    if _LEAVE_FIRM.search(cleaned):
        return True
    if requested_slot and requested_slot.startswith("app_") and requested_slot not in _REFUSAL_IS_AN_ANSWER \
            and _REFUSAL.match(cleaned):
        return True
    if _LEAVE.search(cleaned):
        return requested_slot not in FREE_TEXT or (len(words) <= _MAX_LEAVE_WORDS and "?" not in cleaned)
    return len(words) <= 6 and not re.search(r"\d", cleaned) and bool(_LEAVE_SHORT.search(cleaned))


def refers_back(text: str) -> str | None:
    """'graffiti hab ich doch schon gesagt' → 'graffiti'; '' when only the reference is left;
    None when the message does not refer to something said before."""
    if not _BACK_REFERENCE.search(text or ""):
        return None
    rest = _BACK_REFERENCE.sub(" ", text)
    rest = _FILLERS.sub(" ", rest)
    return " ".join(rest.strip(" ,.;:!?-").split()).strip(" ,.;:!?-")


def corrected_amount(text: str) -> Parsed:
    """The amount a correction means: 'nicht 12.000, sondern 23.000' and '23.000 statt 12.000'
    → 23.000; with several amounts the last one is the new one."""
    cleaned = re.sub(r"\b(?:an)?statt\s+(?:\S+\s+){0,2}?\S*\d[\d.,]*\s*(?:tsd\.?|tausend|euro|eur|€|k)?", " ", text or "",
                     flags=re.IGNORECASE)
    parsed = parse_amount_eur(cleaned)
    if parsed.ok:
        return parsed
    parts = re.split(r"\b(?:sondern|jetzt|nun|eher|richtig\w*|neu\w*)\b|,|;", cleaned, flags=re.IGNORECASE)
    for part in reversed(parts):
        candidate = parse_amount_eur(part)
        if candidate.ok:
            return candidate
    return parsed


# "zeitraum ist september 2028 bis august 2029 und": the field word, a verb and a trailing "und"
# are no part of the value.
_LEADING_VERB = re.compile(r"^\W*(?:ist|sind|war|wäre|soll|sollte|lautet|beträgt|betragen|wird|=|:)\W*", re.IGNORECASE)
_TRAILING_JOIN = re.compile(r"\W*(?:\b(?:und|sowie|aber|außerdem|ausserdem)\b)?\W*$", re.IGNORECASE)


# A value that shows which field it belongs to without naming the field: a month or a year is a
# time, "@" an e-mail address, a currency an amount. Typed while a name or a function is asked,
# for a field answered before, it corrects that field ("ok dann eben ab januar 2028" after the
# deadline warning, persona trial 2026-11-30).
_MONTH_OR_YEAR = re.compile(
    r"\b(?:januar|jänner|februar|märz|maerz|april|mai|juni|juli|august|september|oktober|november|dezember|"
    r"jan|feb|mär|apr|jun|jul|aug|sep|sept|okt|nov|dez|quartal|halbjahr|20[2-4]\d)\b", re.IGNORECASE)
_CURRENCY = re.compile(r"€|\beur(?:o)?\b|\btsd\b|\btausend\b|\bmio\b", re.IGNORECASE)
VALUE_MARKS: dict[str, re.Pattern] = {
    "app_period": _MONTH_OR_YEAR,
    "app_email": re.compile(r"\S@\S"),
    "app_cost": _CURRENCY,
}
# "ok dann eben", "na gut, dann": words before the value that are no part of it.
_LEADING_FILLERS = re.compile(r"^\W*(?:(?:ok|okay|gut|na|naja|also|dann|eben|halt|doch|lieber|besser|ja|nee|nein|"
                              r"stattdessen|jetzt|neu)\b\W*)+", re.IGNORECASE)
# Fields whose answer never holds a time, an e-mail address or an amount.
PERSON_FIELDS = {"app_contact_name", "app_function"}


def implied_correction(text: str, requested_slot: str | None, filled: Iterable[str],
                       parsers: dict[str, Parser]) -> Correction | None:
    """The one field answered before that a message's value belongs to, while a name or a
    function is asked; None when it is not exactly one."""
    if requested_slot not in PERSON_FIELDS:
        return None
    found = []
    for slot in filled:
        mark, parser = VALUE_MARKS.get(slot), parsers.get(slot)
        if mark is None or parser is None or not mark.search(text or ""):
            continue
        parsed = parser(_LEADING_FILLERS.sub("", text) or text)
        if parsed.ok and parsed.value not in (None, ""):
            found.append(Correction(slot, parsed.value))
    return found[0] if len(found) == 1 else None


def _value_part(part: str, slot: str) -> str:
    word = re.match(rf"(?:{FIELD_WORDS[slot]})\w*", part, re.IGNORECASE) if slot in FIELD_WORDS else None
    rest = part[word.end():] if word else part
    rest = _TRAILING_JOIN.sub("", _LEADING_VERB.sub("", rest))
    return rest if rest.strip() else part


@dataclass(frozen=True)
class Correction:
    slot: str
    value: object = None  # None: the field is asked again


@dataclass
class Reading:
    corrections: list[Correction] = field(default_factory=list)
    rest: str = ""  # the message without the parts about other fields


def _named(text: str, slots: Iterable[str]) -> list[tuple[int, int, str]]:
    """(start, end, slot) of every field word, the first mention of each field only."""
    found = []
    for slot in slots:
        pattern = FIELD_WORDS.get(slot)
        match = re.search(pattern, text, re.IGNORECASE) if pattern else None
        if match:
            found.append((match.start(), match.end(), slot))
    return sorted(found)


def read_corrections(text: str, slots: list[str], requested_slot: str | None,
                     parsers: dict[str, Parser]) -> Reading:
    """Which other fields a message corrects, with their new values where it gives them.

    A field word with a value that parses counts as a correction; a field word without one
    only with a word that says it is wrong ("stimmt nicht", "falsch"), and so does any
    correction during a free-text answer ("Wir wollen Graffiti entfernen, die Kosten …" is a
    project description, not a correction)."""
    text = " ".join((text or "").split())
    cue = bool(_STRONG_CUE.search(text))
    if not text or (requested_slot in FREE_TEXT and not cue):
        return Reading(rest=text)
    named = _named(text, [s for s in slots if s != "app_consent"])
    others = [n for n in named if n[2] != requested_slot]
    if not others:
        return Reading(rest=text)
    reading = Reading()
    rest_parts, position = [], 0
    for index, (start, _end, slot) in enumerate(named):
        stop = named[index + 1][0] if index + 1 < len(named) else len(text)
        if slot == requested_slot:
            continue
        rest_parts.append(text[position:start])
        position = stop
        value = None
        parser = parsers.get(slot)
        if parser is not None and slot not in FREE_TEXT:
            parsed = parser(_value_part(text[start:stop], slot))
            if not parsed.ok and len(others) == 1:
                parsed = parser(text[:start])  # "23.000 euro sind die kosten"
            value = parsed.value if parsed.ok and parsed.value not in (None, "") else None
        if value is None and not cue:
            continue
        reading.corrections.append(Correction(slot, value))
    rest_parts.append(text[position:])
    reading.rest = " ".join(" ".join(rest_parts).split())
    if not reading.corrections:
        reading.rest = text
    return reading
