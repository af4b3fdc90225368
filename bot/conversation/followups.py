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
from dataclasses import dataclass
from typing import Optional

from bot.knowledge.store import KnowledgeBase

# Intents of follow-ups that name no topic, by the aspect they ask (data/nlu/followups.yml).
FOLLOWUP_ASPECTS = {
    "followup_what": "what",
    "followup_how": "how",
    "followup_cost": "cost",
    "followup_when": "when",
    "followup_duration": "duration",
    "followup_who": "who",
    "followup_funding": "funding",
    "followup_contact": "contact",
}
COMMUNE_TOPIC = "commune"
# What a follow-up asks about the commune just discussed (actions/communes.py answers it).
COMMUNE_QUESTIONS = {"when": "since", "what": "membership", "who": "membership", "count": "facts"}
# A follow-up about a commune that is not a commune question ("Was kostet das?" after "Ist
# Werdau dabei?") is about joining.
AFTER_COMMUNE_TOPIC = "joining"
# Aspects with one general answer when the current topic has none of its own
# ("Gibt es dafür Geld?" after the coaching: the funding answer).
GENERAL_ENTRIES = {"funding": "funding", "contact": "contact"}
# A question this short that names no topic is read as a follow-up of the current one even
# when the NLU put it under another topic ("Was kostet das?" is not always the study's cost).
MAX_FOLLOWUP_WORDS = 7


@dataclass(frozen=True)
class Resolution:
    entry_id: Optional[str] = None  # answer from this knowledge entry
    commune_question: Optional[str] = None  # answer this question about the current commune
    ask_aspect: Optional[str] = None  # the topic is unclear: ask which one is meant
    unanswered_topic: Optional[str] = None  # the sources say nothing on this aspect of the topic


def _is_short(text: str) -> bool:
    return len(re.findall(r"\w+", text)) <= MAX_FOLLOWUP_WORDS


def resolve_followup(kb: KnowledgeBase, aspect: str, current_topic: Optional[str]) -> Resolution:
    """The answer to a follow-up asking this aspect of the current topic."""
    topic = current_topic
    if topic == COMMUNE_TOPIC:
        if aspect in COMMUNE_QUESTIONS:
            return Resolution(commune_question=COMMUNE_QUESTIONS[aspect])
        topic = AFTER_COMMUNE_TOPIC
    entry = kb.entry_for(topic, aspect) if topic else None
    if entry is None and aspect in GENERAL_ENTRIES and (topic or aspect == "contact"):
        return Resolution(entry_id=GENERAL_ENTRIES[aspect])
    if entry is None and topic:
        return Resolution(unanswered_topic=topic)
    if entry is None:
        return Resolution(ask_aspect=aspect)
    return Resolution(entry_id=entry.id)


def resolve(kb: KnowledgeBase, intent: str, text: str, current_topic: Optional[str]) -> Resolution:
    """Which answer a knowledge question or follow-up gets in the current context."""
    if intent in FOLLOWUP_ASPECTS:
        return resolve_followup(kb, FOLLOWUP_ASPECTS[intent], current_topic)
    entry = kb.entry_for_intent(intent)
    if entry is None:
        return Resolution()
    if (current_topic and current_topic != entry.topic and _is_short(text)
            and not kb.topics_named(text)):
        # "Was kostet das?" taken for the study's cost while the joining was discussed
        for aspect in entry.aspects:
            in_context = resolve_followup(kb, aspect, current_topic)
            if in_context.entry_id or in_context.commune_question:
                return in_context
    return Resolution(entry_id=entry.id)


def entries_with_aspect(kb: KnowledgeBase, aspect: str) -> list[str]:
    """Entry ids that answer this aspect for some topic, for asking back which is meant."""
    return [entry.id for entry in kb.entries.values() if aspect in entry.aspects and entry.intent]


# An unsure follow-up ("und wie gründet man den?" below the NLU threshold) is still answered
# for the current topic when its best guess is a follow-up or a knowledge question this sure.
MIN_UNSURE_FOLLOWUP_CONFIDENCE = 0.2


def unsure_followup(kb: KnowledgeBase, ranking: list[dict], text: str,
                    current_topic: Optional[str]) -> Optional[Resolution]:
    """The answer to a message the NLU was unsure about, if the context makes it clear."""
    if not current_topic or not _is_short(text):
        return None
    guesses = [item for item in ranking if item.get("name") != "nlu_fallback"]
    if not guesses or (guesses[0].get("confidence") or 0) < MIN_UNSURE_FOLLOWUP_CONFIDENCE:
        return None
    intent = guesses[0]["name"]
    if intent not in FOLLOWUP_ASPECTS and kb.entry_for_intent(intent) is None:
        return None
    resolution = resolve(kb, intent, text, current_topic)
    return resolution if (resolution.entry_id or resolution.commune_question) else None
