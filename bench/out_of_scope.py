"""Out of scope only when it is: how often the generic out-of-scope answer hits an on-topic
message, how often it catches a truly out-of-scope one, and how often an emergency gets
110/112 first. Messages from tests/nlu_heldout.yml (never trained on) and the trial messages
of issue 10.

    .venv/bin/python bench/out_of_scope.py                  # model for the current data
    .venv/bin/python bench/out_of_scope.py --model models/asskomm-….tar.gz

What the bot answers is decided as in the running bot: the NLU (with its FallbackClassifier)
names the intent; out_of_scope goes through bot.conversation.scope.decide
(action_out_of_scope), nlu_fallback through the emergency/command safety net and then asks
back (action_clarify). Figures go to bench/RESULTS.md by hand."""
from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.conversation.emergency import looks_like_emergency, may_be_emergency  # noqa: E402
from bot.conversation.scope import Kind, decide, typed_command, unplaced_but_out_of_scope  # noqa: E402
from bot.knowledge.store import KnowledgeBase  # noqa: E402
from bot.nlu_evaluation import load_examples  # noqa: E402

HELDOUT = ROOT / "tests" / "nlu_heldout.yml"
# Issue 10, as users wrote them: (message, the knowledge entry answered just before or None,
# what must happen: "on_topic" = anything but the generic out-of-scope answer, "emergency").
TRIAL = [
    ("und die wand selber also bau der fläche, farben, gerüst?", "funding_fields", "on_topic"),
    ("bis zu welcher entgeltgruppe?", "funding_amount", "on_topic"),
    ("bis zu welcher entgeltgruppe?", None, "on_topic"),
    ("ist das an der polizeihochschule in rothenburg?", "study", "on_topic"),
    ("ist das an der polizeihochschule in rothenburg?", None, "on_topic"),
    ("seid ihr die Polizei?", None, "on_topic"),
    ("Hilfe!!! vor meinem haus randaliert grad einer und schlägt autoscheiben ein", None, "emergency"),
    ("werde bedroht", None, "emergency"),
    ("Einbruch", None, "emergency"),
    ("hier wird gerade eingebrochen", None, "emergency"),
    ("Hilfe, hier wird gerade eingebrochen", None, "emergency"),
    ("Feuer", None, "emergency"),
    ("Unfall", None, "emergency"),
    ("es brennt", None, "emergency"),
]


LINE_FIRST = "110/112 line, then "


def outcome(parse: dict, kb: KnowledgeBase, current_entry_id: str | None = None) -> str:
    """What the bot answers: 'out_of_scope' (the generic text), 'emergency', 'clarify',
    'command', 'outside_saxony', or 'intent:<name>' when the intent is answered directly;
    '110/112 line, then …' when the NLU only hints at an emergency."""
    intent = parse["intent"]["name"]
    text = parse["text"]
    ranking = parse.get("intent_ranking") or []
    if intent == "out_of_scope":
        decision = decide(text, ranking, kb, current_entry_id, intent)
        return f"{LINE_FIRST}{decision.kind.value}" if decision.possible_emergency else decision.kind.value
    if intent == "emergency":
        return Kind.EMERGENCY.value
    if intent == "nlu_fallback":
        if looks_like_emergency(text):
            return Kind.EMERGENCY.value
        if typed_command(text, intent):
            return Kind.COMMAND.value
        if unplaced_but_out_of_scope(ranking):  # action_clarify lets the scope rule decide
            kind = decide(text, ranking, kb, current_entry_id, intent).kind.value
            return f"{LINE_FIRST}{kind}" if may_be_emergency(ranking, text) else kind
        return f"{LINE_FIRST}clarify" if may_be_emergency(ranking, text) else Kind.CLARIFY.value
    return f"intent:{intent}"


def share(hits: int, total: int) -> str:
    return f"{hits}/{total} ({hits / total:.1%})" if total else "0/0"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", type=Path)
    args = parser.parse_args()
    import logging

    from rasa.core.agent import Agent
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)  # one debug line per parsed message otherwise

    from bot.config import get_settings
    from bot.training import ensure_model

    model = args.model or ensure_model(get_settings())
    agent = Agent.load(str(model))
    kb = KnowledgeBase.from_directory(ROOT / "knowledge")
    loop = asyncio.new_event_loop()

    def parse(text: str) -> dict:
        return loop.run_until_complete(agent.parse_message(text))

    examples = load_examples(HELDOUT)
    on_topic = [(t, i) for t, i in examples if i not in ("out_of_scope", "emergency")]
    knowledge_topic = [(t, i) for t, i in on_topic if kb.entry_for_intent(i)]
    oos = [(t, i) for t, i in examples if i == "out_of_scope"]
    emergencies = [(t, i) for t, i in examples if i == "emergency"]
    results = {t: outcome(parse(t), kb) for t, _ in examples}

    intents = {t: parse(t)["intent"]["name"] for t, _ in examples}
    before = [t for t, _ in on_topic if intents[t] == "out_of_scope"]
    before_caught = [t for t, _ in oos if intents[t] == "out_of_scope"]
    wrongly_oos = [(t, i) for t, i in on_topic if results[t].endswith("out_of_scope")]
    wrongly_oos_kb = [(t, i) for t, i in knowledge_topic if results[t].endswith("out_of_scope")]
    caught = [t for t, _ in oos if results[t] in ("out_of_scope", f"{LINE_FIRST}out_of_scope")]
    emergency_sure = [t for t, _ in emergencies if results[t] == "emergency"]
    emergency_first = [t for t, _ in emergencies if results[t] == "emergency" or results[t].startswith(LINE_FIRST)]
    print(f"model: {model.name}")
    print(f"without the scope rule (every out_of_scope intent gets the generic answer): on-topic answered "
          f"as out of scope {share(len(before), len(on_topic))}, out of scope caught {share(len(before_caught), len(oos))}")
    print(f"on-topic held-out messages answered as out of scope: {share(len(wrongly_oos), len(on_topic))}")
    print(f"  of them questions answered from knowledge/: {share(len(wrongly_oos_kb), len(knowledge_topic))}")
    for text, intent in wrongly_oos:
        print(f"    {intent}: {text}")
    print(f"out-of-scope held-out messages caught: {share(len(caught), len(oos))}")
    for text, _ in oos:
        if results[text] != "out_of_scope":
            print(f"    not caught ({results[text]}): {text}")
    print(f"held-out emergencies with 110/112 first: {share(len(emergency_first), len(emergencies))}, "
          f"of them with the emergency answer alone: {share(len(emergency_sure), len(emergencies))}")
    for text, _ in emergencies:
        if results[text] != "emergency":
            print(f"    missed ({results[text]}): {text}")
    passed = 0
    print("trial messages of issue 10:")
    for text, current, expected in TRIAL:
        got = outcome(parse(text), kb, current)
        ok = got == "emergency" if expected == "emergency" else not got.endswith("out_of_scope")
        passed += ok
        print(f"  {'ok ' if ok else 'BAD'} {got:<28} after {current or '-':<16} {text}")
    print(f"trial messages handled right: {share(passed, len(TRIAL))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
