"""Follow-up questions refer to what was just discussed.

After an answer the conversation has a topic (slot `current_topic`: a topic of
knowledge/topics.yml, or "commune" after a commune answer). A short follow-up asks one aspect
of it: "Was kostet das?" after the study programme is the study's cost, "Und wie gründet man
den?" after the Kommunaler Präventionsrat is how one is founded, "Und seit wann?" after
Großenhain is Großenhain's joining date. Which entry answers which aspect of which topic is
written in the knowledge entries themselves (`topic`, `aspects`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Optional

from bot.knowledge.store import KnowledgeBase

COMMUNE_TOPIC = "commune"
# What a follow-up asks about the commune just discussed (actions/communes.py answers it).
COMMUNE_QUESTIONS = {"when": "since", "what": "membership", "who": "membership", "count": "facts"}
# A follow-up about a commune that is not a commune question ("Was kostet das?" after "Ist
# Werdau dabei?") is about joining.
AFTER_COMMUNE_TOPIC = "joining"
# A commune question's intent on a follow-up that names no commune, while the conversation is
# about another topic, asks this aspect of that topic: "und ab wann darf ich einreichen" after
# the funding deadline (ask_commune_since) is when funding applications may be sent, not the
# joining date of a commune called "einreichen" (persona trial 2026-11-30).
# Only where the topic has an answer for it: "und seit wann sind die dabei?" after the joining
# steps still means the commune named before. "sind wir eigentlich schon dabei?" is always a
# commune question.
COMMUNE_INTENT_ASPECTS = {"ask_commune_since": "when"}
# Aspects with one general answer when the current topic has none of its own
# ("Gibt es dafür Geld?" after the coaching: the funding answer).
GENERAL_ENTRIES = {"funding": "funding", "contact": "contact"}
# A follow-up is short, names no topic and points back: "Was kostet das?", "Und seit wann?",
# "Gibt es dafür Geld?", "Bis wann?". The NLU puts it under the intent that answers it when
# nothing was discussed before (data/nlu/followups.yml); after an answer, it is answered for
# the topic of that answer. "Wer ist der Geschäftsführer?" is a question of its own.
MAX_FOLLOWUP_WORDS = 7
_POINTS_BACK = re.compile(
    r"^\s*(?:und|aber|auch|also|ach|oder|na)\b"  # "Und für Vereine?"
    r"|\b(?:da|es|des|den|die|dem|der|denen|diese|diesen)\s*[?!.]*\s*$"  # "… gründet man den?"
    r"|\b(?:das|dies|dafür|dafuer|dazu|davon|dabei|darauf|damit|sowas|so was|dort)\b",  # "Was kostet das?"
    re.IGNORECASE)
MAX_BARE_WORDS = 3  # "Bis wann?", "seit wan", "wie lange"


@dataclass(frozen=True)
class Resolution:
    entry_id: Optional[str] = None  # answer from this knowledge entry
    commune_question: Optional[str] = None  # answer this question about the current commune
    unanswered_topic: Optional[str] = None  # the sources say nothing on this aspect of the topic
    unanswered_aspect: Optional[str] = field(default=None, compare=False)  # which aspect that is


def is_followup(kb: KnowledgeBase, text: str) -> bool:
    """Short, names no topic, and points back to what was said (or is bare: "Bis wann?")."""
    if text.lstrip().startswith("/"):
        return False  # a button's payload ("/ask_study"): the person chose the topic, the context does not
    words = re.findall(r"\w+", text)
    if not words or len(words) > MAX_FOLLOWUP_WORDS or kb.topics_named(text):
        return False
    return len(words) <= MAX_BARE_WORDS or bool(_POINTS_BACK.search(text))


def resolve_followup(kb: KnowledgeBase, aspect: str, current_topic: str) -> Resolution:
    """The answer to a follow-up asking this aspect of the current topic."""
    topic = current_topic
    if topic == COMMUNE_TOPIC:
        if aspect in COMMUNE_QUESTIONS:
            return Resolution(commune_question=COMMUNE_QUESTIONS[aspect])
        topic = AFTER_COMMUNE_TOPIC
    entry = kb.entry_for(topic, aspect)
    if entry is None and aspect in GENERAL_ENTRIES:
        return Resolution(entry_id=GENERAL_ENTRIES[aspect])
    if entry is None:
        return Resolution(unanswered_topic=topic, unanswered_aspect=aspect)
    return Resolution(entry_id=entry.id)


# Being "in" is joining, whatever the NLU makes of the rest: "wie lang dauert das bis man drin
# ist" got the study's duration (persona trial 2026-11-30), "was kostet es, bis wir dabei sind".
JOINING_TOPIC = "joining"
_BEING_IN = re.compile(
    r"\b(?:bis|wenn|ehe|bevor|damit|um)\s+(?:man|wir|ich|die\s+kommune|die\s+gemeinde|die\s+stadt|"
    r"unsere\s+(?:gemeinde|stadt|kommune))\s+(?:\w+\s+){0,2}(?:drin|dabei|mitglied|aufgenommen)\b",
    re.IGNORECASE)


# The question word of a follow-up names the aspect it asks, whatever entry the NLU chose within
# the topic: "und ab wann darf ich einreichen" after the deadline was read as who may apply.
_ASPECT_WORDS = {
    "when": re.compile(r"\b(?:ab|bis|seit)\s+wann\b|^\W*(?:und\s+|aber\s+)?wann\b", re.IGNORECASE),
    "duration": re.compile(r"\bwie\s+lange?\b", re.IGNORECASE),
    "cost": re.compile(r"\bwas\s+kostet\b|\bwie\s+teuer\b", re.IGNORECASE),
    "count": re.compile(r"\bwie\s*viele\b", re.IGNORECASE),
}


def asked_aspect(text: str) -> Optional[str]:
    """The one aspect the question words of a message ask, or None (none or several)."""
    asked = [aspect for aspect, words in _ASPECT_WORDS.items() if words.search(text or "")]
    return asked[0] if len(asked) == 1 else None


def implied_topic(text: str) -> Optional[str]:
    """The topic a message means without naming it ("bis man drin ist": joining), or None."""
    return JOINING_TOPIC if _BEING_IN.search(text or "") else None


def resolve(kb: KnowledgeBase, intent: str, text: str, current_topic: Optional[str]) -> Resolution:
    """Which answer a knowledge question gets in the current context."""
    entry = kb.entry_for_intent(intent)
    if entry is None:
        aspect = COMMUNE_INTENT_ASPECTS.get(intent)
        if aspect and current_topic not in (None, COMMUNE_TOPIC) and kb.entry_for(current_topic, aspect) \
                and is_followup(kb, text):
            return resolve_followup(kb, aspect, current_topic)
        return Resolution()
    implied = implied_topic(text)
    if implied and implied != entry.topic and entry.aspects and entry.topic not in kb.topics_named(text):
        answers = [resolve_followup(kb, aspect, implied) for aspect in entry.aspects]
        return next((a for a in answers if a.entry_id), answers[0])
    # only between entries that answer aspects: "und wie viele waren es 2023" is the history of the
    # count (member_history, no aspect), not the latest count
    aspect = asked_aspect(text) if current_topic == entry.topic and entry.aspects else None
    asked_entry = kb.entry_for(current_topic, aspect) if aspect and aspect not in entry.aspects else None
    if asked_entry is not None and is_followup(kb, text):
        return Resolution(entry_id=asked_entry.id)
    if current_topic and current_topic != entry.topic and entry.aspects and is_followup(kb, text):
        # "Was kostet das?" (the NLU: the cost of joining) while the study was discussed
        answers = [resolve_followup(kb, aspect, current_topic) for aspect in entry.aspects]
        return next((a for a in answers if a.entry_id or a.commune_question), answers[0])
    return Resolution(entry_id=entry.id)


# An unsure follow-up ("und wie gründet man den?" below the NLU threshold) is still answered
# for the current topic when its best guess is a knowledge question this sure.
MIN_UNSURE_FOLLOWUP_CONFIDENCE = 0.2


def unsure_followup(kb: KnowledgeBase, ranking: list[dict], text: str,
                    current_topic: Optional[str]) -> Optional[Resolution]:
    """The answer to a message the NLU was unsure about, if the context makes it clear."""
    if not current_topic:
        return None
    guesses = [item for item in ranking if item.get("name") != "nlu_fallback"]
    if not guesses or (guesses[0].get("confidence") or 0) < MIN_UNSURE_FOLLOWUP_CONFIDENCE:
        return None
    resolution = resolve(kb, guesses[0]["name"], text, current_topic)
    if resolution == Resolution() or not is_followup(kb, text):
        return None
    return resolution
