"""Out of scope only when it is: what to do with a message the NLU put out of scope (or could
not place), before the bot says "Dazu kann ich leider nichts sagen".

In order:
1. acute danger ("hier wird gerade eingebrochen") → 110/112 first (bot/conversation/emergency.py);
   where only the NLU's ranking hints at an emergency, one line with 110/112 precedes the answer
   (not for a plain question about rights, money or procedures without urgency);
2. a typed command ("/hilfe", "/stop", "/foo") → what the command asks for, or that it is unknown;
3. a question about ASSKomm from another Land → ASSKomm is Saxony's programme;
4. a message that names a topic the bot knows (one that speaks of prevention always does), or
   whose second guess is an answerable question with real confidence, or a follow-up ("und die
   Wand selber?") to the answer just given → ask back with the likely answers as buttons;
5. only then the out-of-scope answer.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum

from bot.conversation.emergency import looks_like_emergency, may_be_emergency
from bot.conversation.other_laender import OtherLand, other_land_named
from bot.knowledge.store import KnowledgeBase

# An answerable intent this confident is a real second guess, not noise. 0.10 until the second
# session of issue 10: 0.20 catches 31 of 40 held-out off-topic messages instead of 29 and keeps
# every on-topic one asked back that 0.10 did; 0.25 lost "hab beim handlungsfeld was falsches
# gewählt" (correct_field 0.24) to the out-of-scope answer (bench/RESULTS.md).
ON_TOPIC_CONFIDENCE = 0.20
# A message that names a topic ("Förderung für Solaranlagen", "Studienplatz Medizin") is still
# out of scope when the NLU, trained on such examples, is this sure of it.
CONFIDENT_OUT_OF_SCOPE = 0.90
# Prevention is the programme's whole subject: a message that speaks of it ("Geld für ein
# Gewaltpräventionsprojekt", "ein Präventionsprojekt gegen Vermüllung fördern lassen") is never
# out of scope, however sure the NLU is; nor is one that names a typical theme of the funding
# (knowledge/funding.yml: Graffiti, Vermüllung, Extremismus, Drogenmissbrauch, Kriminalität).
# Compounds count, so the words are searched inside words. Not "Sachbeschädigung": "wo zeige
# ich eine Sachbeschädigung an" is for the police, and the out-of-scope answer names it.
_PREVENTION = re.compile(r"pr(ä|ae|a)vention|kriminal|graffiti|vandal|verm(ü|ue|u)ll|extremis|drogen",
                         re.IGNORECASE)
# What a prevention message without a named topic is offered: what ASSKomm is, and its funding.
PREVENTION_TOPICS = ("asskomm", "funding")
# For a follow-up to the answer just given, a weaker guess within that topic is enough.
FOLLOW_UP_CONFIDENCE = 0.02
MAX_CHOICES = 3
# A message that starts like this continues the conversation rather than opening a new subject.
_FOLLOW_UP = re.compile(
    r"^\s*(und|aber|also|auch|ach|oder|dann|gilt|zählt|zählen|zaehlt|geht|gehen|dafür|dafuer|dazu|davon|"
    r"was ist mit|wie ist es mit|wie sieht es mit|wie siehts mit|wie wäre es mit|und wenn|wenn|"
    r"ist das|ist es|sind das|gibt es das|gibts das|geht das|kann man das|muss man das|wird das|"
    r"bis zu welche[rmn]?|ab welche[rmn]?|wie viel davon|wieviel davon)\b"
    r"|\b(dafür|dafuer|dazu|davon|darunter|darauf|damit)\b",
    re.IGNORECASE,
)
# Typed commands ("/hilfe") and what they mean. Rasa handles /restart itself (action_restart).
HELP_COMMANDS = {"hilfe", "help", "menu", "menü", "menue", "start", "themen", "info", "optionen"}
STOP_COMMANDS = {"stop", "stopp", "ende", "beenden", "abbrechen", "abbruch", "cancel", "exit", "quit"}
_COMMAND = re.compile(r"^\s*/(\w*)", re.UNICODE)


class Kind(str, Enum):
    EMERGENCY = "emergency"
    COMMAND = "command"
    OUTSIDE_SAXONY = "outside_saxony"
    CLARIFY = "clarify"
    OUT_OF_SCOPE = "out_of_scope"


@dataclass(frozen=True)
class Decision:
    kind: Kind
    entry_ids: list[str] = field(default_factory=list)  # CLARIFY: the answers to offer, best first
    command: str | None = None  # COMMAND: "help", "stop" or "unknown"
    land: OtherLand | None = None  # OUTSIDE_SAXONY
    # Not sure, but the NLU sees an emergency: say 110/112 in one line before the answer.
    possible_emergency: bool = False


def typed_command(text: str | None, intent: str | None = None) -> str | None:
    """'/hilfe' → 'help', '/stop' → 'stop', '/foo' → 'unknown'; None when it is no command.

    intent: the intent Rasa gave the message. A button payload ("/nlu_fallback" of "Nichts
    davon") is parsed by Rasa into that very intent and is no typed command."""
    match = _COMMAND.match(text or "")
    if not match or (intent and match.group(1) == intent):
        return None
    word = match.group(1).lower()
    if word in HELP_COMMANDS:
        return "help"
    if word in STOP_COMMANDS:
        return "stop"
    return "unknown"


# A message the NLU could not place goes through this scope rule (instead of the generic asking
# back) only when out_of_scope leads its guesses with at least this confidence: "Mein Handy geht
# nicht mehr an" (0.42) does, "Wie viel müssen wir selber tragen?" (0.16) does not.
MIN_UNPLACED_OUT_OF_SCOPE = 0.3


def unplaced_but_out_of_scope(ranking: list[dict]) -> bool:
    """The NLU fell back, but its best guess is out_of_scope with some confidence."""
    guesses = [i for i in ranking if i.get("name") != "nlu_fallback"]
    return bool(guesses) and guesses[0].get("name") == "out_of_scope" and \
        (guesses[0].get("confidence") or 0) >= MIN_UNPLACED_OUT_OF_SCOPE


def is_follow_up(text: str) -> bool:
    return bool(_FOLLOW_UP.search(text))


def decide(text: str | None, ranking: list[dict], kb: KnowledgeBase, current_entry_id: str | None = None,
           intent: str | None = None) -> Decision:
    """What to answer to a message the NLU called out of scope or could not place.

    ranking: Rasa's intent_ranking (name, confidence), best first; current_entry_id: the
    knowledge entry answered last (slot last_knowledge_id), the subject a follow-up is about;
    intent: the intent Rasa gave the message."""
    text = text or ""
    if looks_like_emergency(text):
        return Decision(Kind.EMERGENCY)
    command = typed_command(text, intent)
    if command:
        return Decision(Kind.COMMAND, command=command)
    possible = may_be_emergency(ranking, text)
    prevention = bool(_PREVENTION.search(text))
    named = kb.topics_named(text) \
        if prevention or _confidence(ranking, "out_of_scope") < CONFIDENT_OUT_OF_SCOPE else set()
    if prevention and not named:
        named = {topic for topic in PREVENTION_TOPICS if topic in kb.topics}
    land = other_land_named(text)
    if land and (named or _best_answerable(ranking, kb)):
        return Decision(Kind.OUTSIDE_SAXONY, land=land, possible_emergency=possible)
    choices = on_topic_choices(text, ranking, kb, named, current_entry_id)
    if choices:
        return Decision(Kind.CLARIFY, entry_ids=choices, possible_emergency=possible)
    return Decision(Kind.OUT_OF_SCOPE, possible_emergency=possible)


def on_topic_choices(text: str, ranking: list[dict], kb: KnowledgeBase, named: set[str],
                     current_entry_id: str | None) -> list[str]:
    """Knowledge entries the message may be asking for, best first (at most MAX_CHOICES)."""
    ranked = [(kb.entry_for_intent(i.get("name") or ""), i.get("confidence") or 0.0) for i in ranking]
    ranked = [(entry, confidence) for entry, confidence in ranked if entry is not None]
    choices: list[str] = []

    def add(entry_id: str | None) -> None:
        if entry_id and entry_id not in choices:
            choices.append(entry_id)

    # 1. The topics the message names: the best-ranked answer within them, else their overview.
    for topic in sorted(named, key=lambda t: (_topic_rank(t, ranked), t)):  # ties by id: the same order every run
        in_topic = [entry for entry, _ in ranked if entry.topic == topic]
        add(in_topic[0].id if in_topic else _overview(kb, topic))
    # 2. A follow-up to the answer just given: answers within that topic.
    current = kb.entries.get(current_entry_id) if current_entry_id else None
    if current is not None and current.topic and is_follow_up(text):
        in_topic = [entry for entry, c in ranked if entry.topic == current.topic and c >= FOLLOW_UP_CONFIDENCE]
        for entry in in_topic[:2] or [current]:
            add(entry.id)
    # 3. Answerable second guesses with real confidence.
    for entry, confidence in ranked:
        if confidence >= ON_TOPIC_CONFIDENCE:
            add(entry.id)
    return choices[:MAX_CHOICES]


def _confidence(ranking: list[dict], intent: str) -> float:
    return next((i.get("confidence") or 0.0 for i in ranking if i.get("name") == intent), 0.0)


def _best_answerable(ranking: list[dict], kb: KnowledgeBase) -> bool:
    return any(kb.entry_for_intent(i.get("name") or "") and (i.get("confidence") or 0) >= ON_TOPIC_CONFIDENCE
               for i in ranking)


def _topic_rank(topic: str, ranked: list) -> int:
    """Position of the topic's best answer in the ranking (unranked topics last)."""
    return next((n for n, (entry, _) in enumerate(ranked) if entry.topic == topic), len(ranked))


def _overview(kb: KnowledgeBase, topic: str) -> str | None:
    entry = kb.entry_for(topic, "what") or next((e for e in kb.entries.values() if e.topic == topic and e.intent), None)
    return entry.id if entry and entry.intent else None
