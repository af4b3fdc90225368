"""Held-out multi-turn conversations, run end to end against a running bot over REST.

    .venv/bin/python -m bench.conversations tests/conversations/knowledge_context.yml \
        --url http://localhost:5005 --markdown results/conv.md --json results/conv.json

A set is a YAML file (see tests/conversations/README.md): conversations with an id, a
category, a persona and turns; each turn has the user's text and expectations on the bot's
reply (all bot messages of the turn joined): `expect_any`, `expect_all` and `reject`, regular
expressions matched case-insensitively. Each conversation gets a fresh sender id, so it starts
a new Rasa conversation. A conversation counts as right only if every turn passes.

The runner does no date arithmetic of its own: a set names the day its expectations assume
(`today`), and whoever starts the bot sets the bot's clock to it. So the scores do not depend on
the day the runner runs."""
from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable

import aiohttp
import yaml

FLAGS = re.IGNORECASE
# What a user sees does not carry Markdown markers; regexes should not have to skip them.
_MARKDOWN_EMPHASIS = re.compile(r"\*\*|__")
_MARKDOWN_LINK = re.compile(r"\[([^\]]+)\]\(([^)]+)\)")


class SetError(ValueError):
    """A conversation set that cannot be run as written."""


@dataclass(frozen=True)
class Turn:
    user: str
    expect_any: tuple[str, ...] = ()
    expect_all: tuple[str, ...] = ()
    reject: tuple[str, ...] = ()
    # on_topic (default), off_topic (truly out of scope) or other (emergency, command, noise):
    # the two out-of-scope shares of issue 10 are counted over the first two kinds.
    scope: str = "on_topic"


SCOPES = ("on_topic", "off_topic", "other")


@dataclass(frozen=True)
class Conversation:
    id: str
    category: str
    persona: str
    turns: tuple[Turn, ...]


@dataclass(frozen=True)
class ConversationSet:
    name: str
    today: str | None
    conversations: tuple[Conversation, ...]
    out_of_scope_marker: str | None = None  # regex that identifies the generic out-of-scope answer


@dataclass
class TurnResult:
    number: int  # 1-based, as a person reading the report counts
    user: str
    reply: str
    buttons: list[str]
    passed: bool
    scope: str = "on_topic"
    out_of_scope_answer: bool = False  # the reply contains the set's out-of-scope marker
    missing_any: list[str] = field(default_factory=list)  # expect_any, when none of them matched
    missing_all: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    error: str | None = None


@dataclass
class ConversationResult:
    id: str
    category: str
    persona: str
    turns: list[TurnResult]

    @property
    def passed(self) -> bool:
        return all(turn.passed for turn in self.turns)


@dataclass
class CategoryScore:
    category: str
    conversations: int = 0
    fully_right: int = 0
    turns: int = 0
    turns_passed: int = 0

    @property
    def share_right(self) -> float:
        return self.fully_right / self.conversations if self.conversations else 0.0


# ----------------------------------------------------------------------------- loading

def _patterns(raw, where: str) -> tuple[str, ...]:
    if raw is None:
        return ()
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list) or not all(isinstance(p, str) and p for p in raw):
        raise SetError(f"{where}: erwartet eine Liste nicht leerer Muster")
    for pattern in raw:
        try:
            re.compile(pattern, FLAGS)
        except re.error as error:
            raise SetError(f"{where}: ungültiger regulärer Ausdruck {pattern!r}: {error}") from error
    return tuple(raw)


def parse_set(data: dict, name: str) -> ConversationSet:
    if not isinstance(data, dict) or not isinstance(data.get("conversations"), list):
        raise SetError(f"{name}: `conversations` fehlt")
    every_turn = _patterns(data.get("reject_every_turn"), f"{name}: reject_every_turn")
    conversations, seen = [], set()
    for index, raw in enumerate(data["conversations"]):
        where = f"{name}: Gespräch {index + 1}"
        for key in ("id", "category", "persona", "turns"):
            if not raw.get(key):
                raise SetError(f"{where}: `{key}` fehlt")
        if raw["id"] in seen:
            raise SetError(f"{where}: id {raw['id']!r} doppelt")
        seen.add(raw["id"])
        turns = []
        for number, turn in enumerate(raw["turns"], start=1):
            at = f"{name}: {raw['id']}, Zug {number}"
            if not isinstance(turn.get("user"), str):
                raise SetError(f"{at}: `user` fehlt")
            unknown = set(turn) - {"user", "expect_any", "expect_all", "reject", "skip_default_reject", "scope"}
            if unknown:
                raise SetError(f"{at}: unbekannte Schlüssel {sorted(unknown)}")
            expect_any = _patterns(turn.get("expect_any"), at)
            expect_all = _patterns(turn.get("expect_all"), at)
            reject = _patterns(turn.get("reject"), at)
            if not (expect_any or expect_all or reject):
                raise SetError(f"{at}: keine Erwartung (expect_any, expect_all oder reject)")
            if not turn.get("skip_default_reject"):
                reject = reject + tuple(p for p in every_turn if p not in reject)
            scope = turn.get("scope", "on_topic")
            if scope not in SCOPES:
                raise SetError(f"{at}: scope muss eines von {SCOPES} sein")
            turns.append(Turn(turn["user"], expect_any, expect_all, reject, scope))
        conversations.append(Conversation(str(raw["id"]), str(raw["category"]), str(raw["persona"]), tuple(turns)))
    today = data.get("today")
    marker = data.get("out_of_scope_marker")
    if marker is not None:
        _patterns(marker, f"{name}: out_of_scope_marker")
    return ConversationSet(name, str(today) if today else None, tuple(conversations), marker)


def load_set(path: Path) -> ConversationSet:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    return parse_set(data, Path(path).stem)


# ----------------------------------------------------------------------------- scoring

def visible_text(messages: list[dict]) -> str:
    """The text of all bot messages of one turn, as a reader sees it (no Markdown markers)."""
    texts = [m["text"] for m in messages if isinstance(m.get("text"), str)]
    joined = "\n".join(texts).replace("\u00a0", " ")
    joined = _MARKDOWN_LINK.sub(r"\1 (\2)", joined)
    return _MARKDOWN_EMPHASIS.sub("", joined)


def button_titles(messages: list[dict]) -> list[str]:
    return [b.get("title", "") for m in messages for b in m.get("buttons") or []]


def score_turn(turn: Turn, number: int, messages: list[dict], error: str | None = None,
               out_of_scope_marker: str | None = None) -> TurnResult:
    reply = visible_text(messages)
    result = TurnResult(number, turn.user, reply, button_titles(messages), passed=False, scope=turn.scope,
                        out_of_scope_answer=bool(out_of_scope_marker and re.search(out_of_scope_marker, reply, FLAGS)),
                        error=error)
    if error is not None:
        return result
    if not reply.strip():
        # Never acceptable, whatever the expectations: the user is left with nothing.
        result.error = "leere Antwort"
        return result
    if turn.expect_any and not any(re.search(p, reply, FLAGS) for p in turn.expect_any):
        result.missing_any = list(turn.expect_any)
    result.missing_all = [p for p in turn.expect_all if not re.search(p, reply, FLAGS)]
    result.rejected = [p for p in turn.reject if re.search(p, reply, FLAGS)]
    result.passed = not (result.missing_any or result.missing_all or result.rejected)
    return result


def score_by_category(results: Iterable[ConversationResult]) -> list[CategoryScore]:
    scores: dict[str, CategoryScore] = {}
    for result in results:
        score = scores.setdefault(result.category, CategoryScore(result.category))
        score.conversations += 1
        score.fully_right += result.passed
        score.turns += len(result.turns)
        score.turns_passed += sum(turn.passed for turn in result.turns)
    return [scores[name] for name in sorted(scores)]


def total_of(scores: list[CategoryScore]) -> CategoryScore:
    total = CategoryScore("gesamt")
    for score in scores:
        total.conversations += score.conversations
        total.fully_right += score.fully_right
        total.turns += score.turns
        total.turns_passed += score.turns_passed
    return total


@dataclass
class ScopeMeasure:
    """Issue 10: on-topic messages given the out-of-scope answer (goal 0) and truly
    off-topic messages that get it (goal at least 95 %)."""
    on_topic_turns: int = 0
    on_topic_answered_out_of_scope: int = 0
    off_topic_turns: int = 0
    off_topic_caught: int = 0

    def describe(self) -> str:
        def share(part: int, whole: int) -> str:
            return f"{part}/{whole} ({part / whole:.0%})" if whole else "–"
        return (f"Themenfragen mit Außer-Thema-Antwort: {share(self.on_topic_answered_out_of_scope, self.on_topic_turns)}"
                f" (Ziel 0); Fremdthemen erkannt: {share(self.off_topic_caught, self.off_topic_turns)} (Ziel ≥ 95 %)")


def scope_measure(results: Iterable[ConversationResult]) -> ScopeMeasure:
    measure = ScopeMeasure()
    for result in results:
        for turn in result.turns:
            if turn.scope == "on_topic":
                measure.on_topic_turns += 1
                measure.on_topic_answered_out_of_scope += turn.out_of_scope_answer
            elif turn.scope == "off_topic":
                measure.off_topic_turns += 1
                measure.off_topic_caught += turn.out_of_scope_answer
    return measure


# ----------------------------------------------------------------------------- running

async def _say(session: aiohttp.ClientSession, url: str, sender: str, text: str) -> list[dict]:
    async with session.post(f"{url.rstrip('/')}/webhooks/rest/webhook",
                            json={"sender": sender, "message": text}) as response:
        if response.status != 200:
            raise RuntimeError(f"HTTP {response.status}: {(await response.text())[:200]}")
        body = await response.json(content_type=None)
        if not isinstance(body, list):
            raise RuntimeError(f"unerwartete Antwort: {str(body)[:200]}")
        return body


async def run_conversation(session: aiohttp.ClientSession, url: str, conversation: Conversation,
                           set_name: str, out_of_scope_marker: str | None = None) -> ConversationResult:
    sender = f"heldout-{set_name}-{conversation.id}-{uuid.uuid4().hex[:8]}"
    results = []
    for number, turn in enumerate(conversation.turns, start=1):
        try:
            messages, error = await _say(session, url, sender, turn.user), None
        except (aiohttp.ClientError, asyncio.TimeoutError, RuntimeError) as problem:
            messages, error = [], f"{type(problem).__name__}: {problem}"
        results.append(score_turn(turn, number, messages, error, out_of_scope_marker))
    return ConversationResult(conversation.id, conversation.category, conversation.persona, results)


async def run_set(conversations: ConversationSet, url: str, concurrency: int = 2,
                  timeout_s: float = 120.0) -> list[ConversationResult]:
    """All conversations of a set, a few at a time (the bot runs on shared cores)."""
    gate = asyncio.Semaphore(max(1, concurrency))
    timeout = aiohttp.ClientTimeout(total=timeout_s)

    async with aiohttp.ClientSession(timeout=timeout) as session:
        async def one(conversation: Conversation) -> ConversationResult:
            async with gate:
                return await run_conversation(session, url, conversation, conversations.name,
                                              conversations.out_of_scope_marker)

        return list(await asyncio.gather(*(one(c) for c in conversations.conversations)))


def run(conversations: ConversationSet, url: str, **options) -> list[ConversationResult]:
    return asyncio.run(run_set(conversations, url, **options))


# ----------------------------------------------------------------------------- reporting

def table_rows(scores: list[CategoryScore]) -> list[tuple[str, str, str, str, str]]:
    rows = []
    for score in [*scores, total_of(scores)]:
        rows.append((score.category, str(score.conversations), str(score.fully_right),
                     f"{score.share_right:.0%}", f"{score.turns_passed}/{score.turns}"))
    return rows


HEADER = ("Kategorie", "Gespräche", "ganz richtig", "Anteil", "Züge bestanden")


def plain_table(scores: list[CategoryScore]) -> str:
    rows = [HEADER, *table_rows(scores)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADER))]
    lines = ["  ".join(cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(row))
             for row in rows]
    return "\n".join(lines)


def markdown_table(scores: list[CategoryScore]) -> str:
    rows = table_rows(scores)
    lines = ["| " + " | ".join(HEADER) + " |", "| --- | ---: | ---: | ---: | ---: |"]
    for row in rows[:-1]:
        lines.append("| " + " | ".join(row) + " |")
    lines.append("| " + " | ".join(f"**{cell}**" for cell in rows[-1]) + " |")
    return "\n".join(lines)


def failures(results: list[ConversationResult]) -> list[dict]:
    """Every failed turn with what the user wrote and what the bot answered."""
    found = []
    for result in results:
        for turn in result.turns:
            if not turn.passed:
                found.append({"id": result.id, "category": result.category, "persona": result.persona,
                              **{k: v for k, v in asdict(turn).items() if k != "passed"}})
    return found


def report(conversations: ConversationSet, url: str, results: list[ConversationResult],
           all_turns: bool = False) -> dict:
    scores = score_by_category(results)
    total = total_of(scores)
    summary = {
        "set": conversations.name,
        "url": url,
        "run_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "today_assumed_by_set": conversations.today,
        "conversations": total.conversations,
        "fully_right": total.fully_right,
        "share_fully_right": round(total.share_right, 4),
        "turns": total.turns,
        "turns_passed": total.turns_passed,
        "categories": [{**asdict(s), "share_right": round(s.share_right, 4)} for s in scores],
        "out_of_scope": asdict(scope_measure(results)) if conversations.out_of_scope_marker else None,
        "failures": failures(results),
    }
    if all_turns:  # to check that passes are deserved, not only why failures failed
        summary["conversations_in_full"] = [{**asdict(r), "passed": r.passed} for r in results]
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sets", nargs="+", type=Path, help="YAML-Dateien mit Gesprächen")
    parser.add_argument("--url", default="http://localhost:5005", help="Rasa-Server (REST-Kanal)")
    parser.add_argument("--markdown", type=Path, help="Tabelle je Kategorie als Markdown hierhin schreiben")
    parser.add_argument("--json", type=Path, help="Ergebnis mit allen Fehlschlägen als JSON hierhin schreiben")
    parser.add_argument("--concurrency", type=int, default=2, help="Gespräche gleichzeitig (Standard 2)")
    parser.add_argument("--timeout", type=float, default=120.0, help="Sekunden je Nachricht")
    parser.add_argument("--category", action="append", help="nur diese Kategorie(n)")
    parser.add_argument("--show-failures", action="store_true", help="fehlgeschlagene Züge ausgeben")
    parser.add_argument("--all-turns", action="store_true", help="im JSON auch bestandene Züge mit Antwort")
    args = parser.parse_args(argv)

    reports, markdown = [], []
    for path in args.sets:
        conversations = load_set(path)
        if args.category:
            kept = tuple(c for c in conversations.conversations if c.category in args.category)
            conversations = ConversationSet(conversations.name, conversations.today, kept)
        results = run(conversations, args.url, concurrency=args.concurrency, timeout_s=args.timeout)
        scores = score_by_category(results)
        result = report(conversations, args.url, results, all_turns=args.all_turns)
        reports.append(result)
        print(f"\n== {conversations.name} ({len(results)} Gespräche; Erwartungen für den "
              f"{conversations.today or 'beliebigen Tag'}) ==")
        print(plain_table(scores))
        markdown.append(f"### {conversations.name}\n\n{markdown_table(scores)}\n")
        if conversations.out_of_scope_marker:
            print(scope_measure(results).describe())
            markdown.append(scope_measure(results).describe() + "\n")
        if args.show_failures:
            for failure in result["failures"]:
                print(f"- {failure['id']} Zug {failure['number']}: {failure['user']!r}\n"
                      f"  Bot: {failure['reply'][:300]!r}\n  fehlt: {failure['missing_any'] or failure['missing_all']}"
                      f"  verboten: {failure['rejected']}  {failure['error'] or ''}")
    if args.markdown:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text("\n".join(markdown), encoding="utf-8")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(reports if len(reports) > 1 else reports[0], ensure_ascii=False, indent=2),
                             encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
