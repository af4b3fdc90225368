"""Which commune and which question a message is about, in the context of the conversation.

"Ist Großenhain dabei?" names both. "Und seit wann?", "Wie viele Einwohner hat die Stadt?" or
"Ist die dabei?" name no commune and mean the one talked about before; "Und Zwickau?" names
one and means the question asked before. The action (actions/communes.py) only passes the
message and the slots in and sends what comes out."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Optional

from bot.applications.choices import pick_offered
from bot.communes import answers
from bot.communes.matching import CommuneMatcher
from bot.communes.names import fold
from bot.communes.programme import ProgrammeFacts
from bot.communes.repository import CommuneInfo
from bot.knowledge import Reply

QUESTION_OF_INTENT = {
    "ask_commune_membership": "membership",
    "ask_commune_since": "since",
    "ask_commune_facts": "facts",
}
REPLIES: dict[str, Callable[[CommuneInfo, ProgrammeFacts], Reply]] = {
    "membership": answers.membership_reply,
    "since": answers.since_reply,
    "facts": answers.facts_reply,
}
DEFAULT_QUESTION = "membership"

# Words that point back to a place already named. "die"/"der" count only as a pronoun, i.e.
# when a word follows that cannot be a name ("Ist die dabei?", not "die Gemeinde Xyz").
_POINTERS = re.compile(r"\b(dort|dorthin|dortigen?|da|daselbst|deren|dieser|dieses)\b")
# Only in lower case: "Sie" and "Ihre" are mostly the polite form of address ("Wissen Sie, ob …").
_LOWER_CASE_POINTERS = re.compile(r"\b(sie|ihre?[nmrs]?)\b")
_PRONOUN_BEFORE = re.compile(
    r"\b(die|der|das)\s+(dabei|mit|schon|auch|noch|denn|eigentlich|bei|seit|wirklich|inzwischen|jetzt)\b"
    r"|\b(die|der|das)\s*$"
)
_PLACE_NOUN = re.compile(r"\b(die|diese|der|dieser|unsere|eure)\s+(stadt|gemeinde|kommune|ort)\b(\s+(\w+))?")


def refers_back(text: str, is_name_word: Callable[[str], bool]) -> bool:
    """Whether a message points to a commune named before ("dort", "sie", "die Stadt")."""
    folded = fold(text)
    if _LOWER_CASE_POINTERS.search(text) or _POINTERS.search(folded) or _PRONOUN_BEFORE.search(folded):
        return True
    for match in _PLACE_NOUN.finditer(folded):
        following = match.group(4)
        if following is None or not is_name_word(following):  # "die Stadt Pirna" names one
            return True
    return False


def asked_question(intent: Optional[str], said: Optional[str], pending: Optional[str],
                   last: Optional[str]) -> str:
    """What is asked about the commune: said in this message (a button's entity or the intent),
    else the question pending while the bot asked which commune, else the kind of the last
    commune question ("Und Zwickau?" after "Wie viele Einwohner hat Plauen?"), else membership."""
    for candidate in (said, QUESTION_OF_INTENT.get(intent or ""), pending, last):
        if candidate in REPLIES:
            return candidate
    return DEFAULT_QUESTION


@dataclass(frozen=True)
class Target:
    """The commune a message is about, or the reply that asks back instead."""

    ags: Optional[str] = None
    reply: Optional[Reply] = None
    # The communes the reply offers as buttons: a typed answer to it ("die im Vogtland",
    # "die zweite") selects one of them (pick_offered_commune).
    offered: tuple[str, ...] = ()


def find_target(matcher: CommuneMatcher, text: str, question: str, remembered_ags: Optional[str]) -> Target:
    """The commune named in the message; else the one of the conversation when the message
    names none or points back to it; else a reply that says the name was not found."""
    if text.startswith("/"):  # a button without a commune entity: nothing to read
        return Target(ags=remembered_ags)
    match = matcher.find_in_message(text)
    if match is not None and match.status == "found":
        return Target(ags=match.commune.ags)
    if match is not None and match.status == "ambiguous":
        return Target(reply=answers.ambiguous_reply(match, question),
                      offered=tuple(c.ags for c in match.communes[:answers.MAX_OFFERED]))
    words = matcher.candidate_words(text)
    if not words or refers_back(text, lambda word: word in fold(words).split()):
        return Target(ags=remembered_ags)
    if question == "since" and remembered_ags and not _looks_like_a_name(text, words):
        # "Seit wann genau?": a since-question is nearly always about the commune just discussed
        return Target(ags=remembered_ags)
    resolved = matcher.resolve(words)
    return Target(reply=answers.not_found_reply(resolved, words, question),
                  offered=tuple(c.ags for c in resolved.suggestions))


# A longer message is a question of its own ("Wer macht im Erzgebirgskreis noch mit?"), even
# when it names the region of an offered commune.
MAX_CHOICE_WORDS = 8


_QUESTION_WORDS = re.compile(r"\b(wer|was|wie|welche[rsmn]?|wo|wann|gibt|macht|machen|ist|sind)\b")


def asks_a_question(text: str) -> bool:
    """"Wer macht im Erzgebirgskreis mit?" asks; "die im Erzgebirge natürlich" chooses."""
    return bool(_QUESTION_WORDS.search(fold(text)))


def pick_offered_commune(matcher: CommuneMatcher, text: str, offered: list[str]) -> Optional[str]:
    """The commune a typed answer to "Welche meinen Sie?" selects among those offered: by
    position ("die zweite"), region ("die im Erzgebirge", "die in der Oberlausitz") or full
    name ("Oelsnitz im Erzgebirge"); None when it selects none or several."""
    if len(text.split()) > MAX_CHOICE_WORDS:
        return None
    options = [matcher.communes[ags] for ags in offered if ags in matcher.communes]
    picked = pick_offered(text, [(c.name_short, c.landkreis) for c in options])
    return options[picked].ags if picked is not None else None


# "Radeberg und Freiberg, sind die beide dabei?": each part of such a list names a commune.
_LIST_SEPARATOR = re.compile(r",|;|/(?=\s)|\s(?:und|oder|sowie|bzw\.?|&)\s", re.IGNORECASE)
MAX_COMMUNES_PER_MESSAGE = 5


# "is leipzig dabei, ach nee ich mein görlitz": what follows such words replaces what came before.
_SELF_CORRECTION = re.compile(
    r"\b(?:ich\s+mein(?:e|te)?|sondern|korrektur|quatsch|sorry|pardon|nee|nein),?\s", re.IGNORECASE)


def several_communes(matcher: CommuneMatcher, text: str) -> list[str]:
    """The communes a message asks about, in order, when that is not simply one: several in a
    list ("Markkleeberg und Glauchau?"), or the one a self-correction names ("… ach nee ich mein
    Görlitz"); empty otherwise."""
    if text.startswith("/"):
        return []
    corrections = list(_SELF_CORRECTION.finditer(text))
    if corrections:
        match = matcher.find_in_message(text[corrections[-1].end():])
        return [match.commune.ags] if match is not None and match.status == "found" else []
    found: list[str] = []
    for part in _LIST_SEPARATOR.split(text):
        match = matcher.find_in_message(part) if part.strip() else None
        if match is not None and match.status == "found" and match.commune.ags not in found:
            found.append(match.commune.ags)
    return found[:MAX_COMMUNES_PER_MESSAGE] if len(found) > 1 else []


def _looks_like_a_name(text: str, words: str) -> bool:
    """A capitalised word inside the sentence ("Seit wann ist Xyzabc dabei?"), not "genau"."""
    inside = set(text.split()[1:])
    return any(word[:1].isupper() and any(w.strip("?!.,;:") == word for w in inside) for word in words.split())


def answer(info: Optional[CommuneInfo], question: str, programme: ProgrammeFacts) -> Reply:
    if info is None:
        return answers.which_commune_reply()
    return REPLIES[question](info, programme)
