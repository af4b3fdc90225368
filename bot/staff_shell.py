"""`make shell`: the conversation in the terminal for LPR staff, with a debug view.

Commands: /debug (on/off: intent, confidence, entities, actions, knowledge entry and its
sources), /quelle (sources of the last answer), /neu (new conversation), /stop.
Buttons are shown numbered; typing the number chooses one."""
from __future__ import annotations

import asyncio
import os
import sys
import uuid
from pathlib import Path
from typing import TextIO

from bot.conversation.splitting import split_questions
from bot.knowledge import shared_knowledge_base
from bot.knowledge.render import source_line

HELP = ("Befehle: /debug (Analyse an/aus), /quelle (Quellen der letzten Antwort), /neu (neues Gespräch), "
        "/stop (beenden). Schaltflächen wählen Sie mit ihrer Nummer.")


class StaffShell:
    def __init__(self, agent, out: TextIO = sys.stdout, debug: bool = False):
        self.agent = agent
        self.out = out
        self.debug = debug
        self.sender = f"shell-{uuid.uuid4().hex[:8]}"
        self.buttons: list[dict] = []

    def say(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)

    async def handle(self, line: str) -> bool:
        """One line of input; False ends the shell."""
        text = line.strip()
        if text in ("/stop", "/exit", "/quit"):
            return False
        if text == "/debug":
            self.debug = not self.debug
            self.say(f"Analyse {'an' if self.debug else 'aus'}.")
            return True
        if text == "/neu":
            self.sender = f"shell-{uuid.uuid4().hex[:8]}"
            self.buttons = []
            self.say("Neues Gespräch begonnen.")
            return True
        if text == "/quelle":
            self.say(await self.last_source())
            return True
        if text in ("/hilfe", "/help"):
            self.say(HELP)
            return True
        if text.isdigit() and 1 <= int(text) <= len(self.buttons):
            button = self.buttons[int(text) - 1]
            self.say(f"(gewählt: {button['title']})")
            text = button["payload"]
        await self.ask(text)
        return True

    async def ask(self, text: str) -> None:
        # Two questions in one line are two turns, as in every channel (bot/channels/splitting.py).
        parts = split_questions(text)
        if len(parts) > 1:
            for part in parts:
                self.say(f"(Teilfrage: {part})")
                await self.ask(part)
            return
        parse = await self.agent.parse_message(text) if self.debug else None
        before = await self._events_count()
        replies = await self.agent.handle_text(text, sender_id=self.sender) or []
        self.buttons = []
        for reply in replies:
            if reply.get("text"):
                self.say(f"Bot: {reply['text']}")
            for button in reply.get("buttons") or []:
                self.buttons.append(button)
                self.say(f"  [{len(self.buttons)}] {button['title']}")
        if self.debug:
            await self.show_analysis(parse, before)

    async def _tracker(self):
        return await self.agent.tracker_store.retrieve(self.sender)

    async def _events_count(self) -> int:
        tracker = await self._tracker()
        return len(tracker.events) if tracker else 0

    async def show_analysis(self, parse: dict, before: int) -> None:
        intent = parse.get("intent") or {}
        ranking = ", ".join(f"{i['name']} {i['confidence']:.2f}" for i in (parse.get("intent_ranking") or [])[:3])
        entities = ", ".join(f"{e['entity']}={e['value']}" for e in parse.get("entities") or []) or "keine"
        tracker = await self._tracker()
        actions = [e.action_name for e in list(tracker.events)[before:]
                   if getattr(e, "action_name", None) not in (None, "action_listen")]
        self.say(f"  ┆ Intent: {intent.get('name')} ({(intent.get('confidence') or 0):.2f}); Rangfolge: {ranking}")
        self.say(f"  ┆ Entitäten: {entities}")
        self.say(f"  ┆ Aktionen: {', '.join(actions) or 'keine'}")
        if "action_answer_from_knowledge" in actions:
            entry_id = tracker.get_slot("last_knowledge_id")
            entry = shared_knowledge_base().get().entries.get(entry_id)
            if entry:
                self.say(f"  ┆ Wissenseintrag: {entry.id} (knowledge/, Intent {entry.intent})")
                self.say("  ┆ " + source_line(entry.sources).replace("\n", "\n  ┆ "))

    async def last_source(self) -> str:
        tracker = await self._tracker()
        entry_id = tracker.get_slot("last_knowledge_id") if tracker else None
        entry = shared_knowledge_base().get().entries.get(entry_id) if entry_id else None
        if entry is None:
            return "In diesem Gespräch gab es noch keine Antwort aus der Wissenssammlung."
        return f"Letzte Antwort: {entry.title} ({entry.id})\n{source_line(entry.sources)}"


async def load(model: Path, endpoints_file: Path):
    from rasa.core.agent import load_agent

    from bot.deployment.rasa_process import apply_fixes

    apply_fixes()
    from rasa.core.utils import AvailableEndpoints

    endpoints = AvailableEndpoints.read_endpoints(str(endpoints_file))
    return await load_agent(model_path=str(model), endpoints=endpoints)


async def repl(model: Path, endpoints_file: Path, debug: bool, lines: TextIO = sys.stdin) -> None:
    shell = StaffShell(await load(model, endpoints_file), debug=debug)
    shell.say(HELP)
    while True:
        print("Sie: ", end="", file=shell.out, flush=True)
        line = await asyncio.get_running_loop().run_in_executor(None, lines.readline)
        if not line:  # end of input
            break
        if not await shell.handle(line):
            break
    shell.say("Auf Wiedersehen.")


def main(argv: list[str]) -> int:
    """python -m bot.staff_shell <model> <endpoints.yml> [--debug]"""
    model, endpoints_file = Path(argv[0]), Path(argv[1])
    debug = "--debug" in argv or os.environ.get("ASSKOMM_SHELL_DEBUG") == "1"
    asyncio.run(repl(model, endpoints_file, debug))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
