"""Two questions in one message ("Wie viele Einwohner hat Chemnitz und ist es dabei?") become
two turns, so that each gets its own answer, in order, and the second can refer to the first
("es" is Chemnitz: the commune and topic slots carry over). Channels call this before Rasa
sees the message (bot/channels/splitting.py).

Only clear seams are cut, because a wrong cut costs more than a missed one:
- after a question mark followed by another sentence,
- before "Außerdem", "Zudem", "Noch eine Frage", "Übrigens" …,
- at "und" when the text before it is a question and the text after it starts a new one
  ("… und wie gründet man den?", "… und ist es dabei?").
A statement ("Wir sind eine kleine Gemeinde und haben …") is never cut at "und".
"""
from __future__ import annotations

import re

MAX_PARTS = 3
# A part shorter than this stays with its neighbour ("Ist Werdau dabei? Danke!").
MIN_WORDS = 2
# After "und", a question of its own has a verb, so three words at least ("und ist es dabei"),
# except for these short questions ("Ist Großenhain Mitglied und seit wann?"); "und wer nicht"
# is part of the first question.
SHORT_QUESTIONS = {"seit wann", "bis wann", "ab wann", "wie lange", "wie viel", "wie viele", "wie teuer", "für wen"}

QUESTION_WORDS = {
    "wie", "was", "wann", "wer", "wen", "wem", "wessen", "wo", "woher", "wohin", "warum",
    "weshalb", "wieso", "welche", "welcher", "welches", "welchen", "welchem", "wieviel",
    "wieviele", "womit", "wofür", "wozu", "worauf", "ob", "seit", "bis",
}
# Verbs that open a yes/no question ("Ist Werdau dabei?", "Gibt es dafür Geld?").
QUESTION_VERBS = {
    "ist", "sind", "gibt", "gibts", "gibt's", "kann", "können", "koennen", "kann's", "muss",
    "müssen", "muessen", "darf", "dürfen", "duerfen", "hat", "haben", "wird", "werden",
    "bekommt", "bekommen", "kostet", "kosten", "macht", "machen", "braucht", "brauchen",
    "brauch", "soll", "sollen", "sollte", "sollten", "gilt", "läuft", "zahlt", "zahlen",
    "fördert", "fördern", "foerdert", "war", "waren", "wäre", "würde", "seid", "bin", "habt",
}
# Phrases that start a further question wherever they stand.
NEW_QUESTION_MARKERS = (
    "außerdem", "ausserdem", "zudem", "darüber hinaus", "noch eine frage", "noch ne frage",
    "noch 'ne frage", "eine frage noch", "und noch was", "noch etwas", "übrigens", "uebrigens",
    "und zweitens", "zweitens",
)
# Greetings before the first question do not make it a statement.
GREETING = re.compile(r"^(hallo|hi|hey|moin|servus|guten (tag|morgen|abend)|grüß gott|tach)\b[\s,!.:;-]*", re.I)

_MARKER = re.compile(
    r"(?<![\w-])(?:" + "|".join(re.escape(m) for m in NEW_QUESTION_MARKERS) + r")\b[\s,:;-]*", re.I
)
_AND = re.compile(r",?\s+und\s+", re.I)
# "Wann wurde ASSKomm gegründet, welche Städte waren dabei …": a comma before a question word.
_COMMA = re.compile(r",\s+(?=(?:" + "|".join(sorted(QUESTION_WORDS - {"bis", "seit", "ob"})) + r")\b)", re.I)
_AFTER_QUESTION_MARK = re.compile(r"(?<=\?)\s+")


def _words(text: str) -> list[str]:
    return re.findall(r"[\w'’]+", text.lower())


def _last_sentence(text: str) -> str:
    # "Drei Fragen: Wann wurde …": what follows a colon is a sentence of its own
    return re.split(r"(?<=[.!?:])\s+", text.strip())[-1]


def _opens_question(text: str, verbs: bool = True) -> bool:
    words = _words(GREETING.sub("", text.strip()))
    return bool(words) and (words[0] in QUESTION_WORDS or (verbs and words[0] in QUESTION_VERBS))


def _long_enough(text: str) -> bool:
    return len(_words(text)) >= MIN_WORDS


def _merge_short(parts: list[str]) -> list[str]:
    merged: list[str] = []
    for part in parts:
        part = part.strip(" ,;:-")
        if not part:
            continue
        if merged and not _long_enough(part):
            merged[-1] = f"{merged[-1]} {part}"
        elif merged and not _long_enough(merged[-1]):
            merged[-1] = f"{merged[-1]} {part}"
        else:
            merged.append(part)
    return merged


def _split_at_markers(text: str) -> list[str]:
    parts, start = [], 0
    for match in _MARKER.finditer(text):
        before = text[start:match.start()]
        if not before.strip():
            start = match.end()  # the marker opens the part: "Noch eine Frage: wer darf …?"
        elif _long_enough(before):
            parts.append(before)
            start = match.end()
    parts.append(text[start:])
    return parts


def _split_after_question_marks(text: str) -> list[str]:
    """"Frage A? Frage B?": a statement after a question stays with it ("… dabei? Wir sind Nachbarn.")."""
    pieces = _AFTER_QUESTION_MARK.split(text)
    parts = [pieces[0]]
    for piece in pieces[1:]:
        if _opens_question(piece) or piece.rstrip().endswith("?") or _MARKER.match(piece):
            parts.append(piece)
        else:
            parts[-1] = f"{parts[-1]} {piece}"
    return parts


def _split_at_and(text: str, seam: re.Pattern = _AND) -> list[str]:
    """"Frage A und Frage B": cut only where both sides are questions of their own. At a comma
    the first must be a w-question ("Können Sie mir sagen, wie …" is one question)."""
    parts, start = [], 0
    for match in seam.finditer(text):
        left, right = text[start:match.start()], text[match.end():]
        right_words = _words(right)
        right_is_question = _opens_question(right) and (
            len(right_words) >= 3 or " ".join(right_words) in SHORT_QUESTIONS)
        if (right_is_question and _opens_question(_last_sentence(left), verbs=seam is _AND)
                and _long_enough(left)):
            parts.append(left)
            start = match.end()
    parts.append(text[start:])
    return parts


def split_questions(text: str) -> list[str]:
    """The questions in a message, in order; a message with one question comes back whole."""
    stripped = text.strip()
    if not stripped or stripped.startswith("/") or len(stripped) > 1000:
        # payloads and commands are never cut; a very long text is one message to read whole
        return [text]
    parts = [stripped]
    for splitter in (_split_after_question_marks, _split_at_markers, _split_at_and,
                     lambda part: _split_at_and(part, _COMMA)):
        parts = [piece for part in parts for piece in splitter(part)]
    parts = _merge_short(parts)
    if len(parts) > MAX_PARTS:
        parts = parts[:MAX_PARTS - 1] + [" ".join(parts[MAX_PARTS - 1:])]
    return parts or [text]
