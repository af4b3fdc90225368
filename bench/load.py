"""Load test of a running bot over Rasa's REST channel: throughput and latency under concurrency.

    python -m bench.load --url http://127.0.0.1:5005 --senders 20 --messages 400 [--long 300] \
        [--warmup 40] [--json out.json]

Fresh conversations (default): `--senders` concurrent senders share `--messages` messages; each
sender is one new conversation and sends its share one after the other, waiting for each
answer, as a chat user does. One long conversation (`--long TURNS`): every sender sends TURNS
messages in one conversation (`--messages` is ignored); the report adds the median of the
first and the last 50 turns, so a cost that grows with the conversation shows.

The messages are a fixed mix of FAQ, commune and small-talk questions from
bench/load_messages.yml (`--messages-file` for another), sent in the same order every run.
`--warmup N` first sends N messages from other senders and does not count them (the first
messages after a start pay for TensorFlow's warm-up).

Printed: msg/s, p50/p95/p99/max latency in ms, errors (HTTP status other than 200, timeouts,
refused connections) and answers without any bot message. `--json` writes the same as JSON
(keys: mode, senders, messages, ok, errors, error_kinds, empty_answers, duration_s, msg_per_s,
p50_ms, p95_ms, p99_ms, max_ms, mean_ms, by_category, and for --long first_turns_p50_ms,
last_turns_p50_ms). The exit status is 1 when any message failed.

The bot's flood protection counts per sender and per client address; a load test from one
address must switch it off, or the answers are 429s:
ASSKOMM_RATE_LIMIT_PER_SENDER=0 ASSKOMM_RATE_LIMIT_PER_IP=0 when starting the bot."""
from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import yaml

DEFAULT_MESSAGES = Path(__file__).with_name("load_messages.yml")
# Turns compared at both ends of a long conversation.
LONG_WINDOW = 50


@dataclass(frozen=True)
class Result:
    category: str
    turn: int
    latency_ms: float
    error: str  # empty when the bot answered with HTTP 200
    empty: bool


def message_mix(path: Path) -> list[tuple[str, str]]:
    """(category, text) pairs, categories interleaved so that any stretch of the list is a mix."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    queues = {category: list(texts) for category, texts in data.items()}
    mix: list[tuple[str, str]] = []
    while any(queues.values()):
        for category, texts in queues.items():
            if texts:
                mix.append((category, texts.pop(0)))
    return mix


def percentile(values: list[float], share: float) -> float:
    """Linear interpolation between the closest ranks (as numpy's default)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    position = (len(ordered) - 1) * share
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


async def send(session: aiohttp.ClientSession, url: str, sender: str, text: str) -> tuple[float, str, bool]:
    started = time.perf_counter()
    try:
        async with session.post(url, json={"sender": sender, "message": text}) as response:
            body = await response.read()
            latency = (time.perf_counter() - started) * 1000
            if response.status != 200:
                return latency, f"HTTP {response.status}", False
            answers = json.loads(body)
            return latency, "", not answers
    except asyncio.TimeoutError:
        return (time.perf_counter() - started) * 1000, "timeout", False
    except (aiohttp.ClientError, ValueError) as error:
        return (time.perf_counter() - started) * 1000, type(error).__name__, False


async def conversation(session, url: str, mix: list[tuple[str, str]], start: int, count: int,
                       results: list[Result] | None) -> None:
    sender = f"load-{uuid.uuid4().hex[:12]}"
    for turn in range(count):
        category, text = mix[(start + turn) % len(mix)]
        latency, error, empty = await send(session, url, sender, text)
        if results is not None:
            results.append(Result(category, turn, latency, error, empty))


def shares(total: int, parts: int) -> list[int]:
    return [total // parts + (1 if index < total % parts else 0) for index in range(parts)]


async def run(url: str, senders: int, messages: int, long_turns: int, warmup: int,
              mix: list[tuple[str, str]], timeout_s: float) -> dict:
    endpoint = url.rstrip("/") + "/webhooks/rest/webhook"
    timeout = aiohttp.ClientTimeout(total=timeout_s)
    connector = aiohttp.TCPConnector(limit=senders + 1)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        if warmup:
            await asyncio.gather(*(conversation(session, endpoint, mix, index * 7, count, None)
                                   for index, count in enumerate(shares(warmup, min(senders, warmup)))))
        counts = [long_turns] * senders if long_turns else shares(messages, senders)
        results: list[Result] = []
        started = time.perf_counter()
        # Each sender starts at another place in the mix, so concurrent messages differ.
        await asyncio.gather(*(conversation(session, endpoint, mix, index * 7, count, results)
                               for index, count in enumerate(counts)))
        duration = time.perf_counter() - started
    return summary(results, duration, senders, long_turns)


def latency_figures(results: list[Result]) -> dict:
    latencies = [result.latency_ms for result in results if not result.error]
    return {
        "ok": len(latencies),
        "p50_ms": round(percentile(latencies, 0.50), 1),
        "p95_ms": round(percentile(latencies, 0.95), 1),
        "p99_ms": round(percentile(latencies, 0.99), 1),
        "max_ms": round(max(latencies), 1) if latencies else float("nan"),
        "mean_ms": round(sum(latencies) / len(latencies), 1) if latencies else float("nan"),
    }


def summary(results: list[Result], duration: float, senders: int, long_turns: int) -> dict:
    errors = Counter(result.error for result in results if result.error)
    report = {
        "mode": f"long ({long_turns} turns per sender)" if long_turns else "fresh",
        "senders": senders,
        "messages": len(results),
        "errors": sum(errors.values()),
        "error_kinds": dict(errors),
        "empty_answers": sum(result.empty for result in results),
        "duration_s": round(duration, 2),
        "msg_per_s": round(len(results) / duration, 1) if duration else 0.0,
        **latency_figures(results),
        "by_category": {
            category: latency_figures([result for result in results if result.category == category])
            for category in sorted({result.category for result in results})},
    }
    if long_turns:
        window = min(LONG_WINDOW, long_turns)
        first = [r.latency_ms for r in results if not r.error and r.turn < window]
        last = [r.latency_ms for r in results if not r.error and r.turn >= long_turns - window]
        report["first_turns_p50_ms"] = round(percentile(first, 0.5), 1)
        report["last_turns_p50_ms"] = round(percentile(last, 0.5), 1)
    return report


def print_report(report: dict) -> None:
    print(f"{report['mode']}: {report['senders']} senders, {report['messages']} messages "
          f"in {report['duration_s']} s = {report['msg_per_s']} msg/s")
    print(f"latency ms: p50 {report['p50_ms']}  p95 {report['p95_ms']}  p99 {report['p99_ms']}  "
          f"max {report['max_ms']}  mean {report['mean_ms']}")
    print(f"errors: {report['errors']} {report['error_kinds'] or ''}  empty answers: {report['empty_answers']}")
    for category, figures in report["by_category"].items():
        print(f"  {category:10s} n={figures['ok']:4d}  p50 {figures['p50_ms']}  p95 {figures['p95_ms']}")
    if "first_turns_p50_ms" in report:
        print(f"p50 of the first {LONG_WINDOW} turns {report['first_turns_p50_ms']} ms, "
              f"of the last {LONG_WINDOW} {report['last_turns_p50_ms']} ms")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:5005", help="the bot's base address")
    parser.add_argument("--senders", type=int, default=20, help="concurrent conversations")
    parser.add_argument("--messages", type=int, default=400, help="messages in all (fresh conversations)")
    parser.add_argument("--long", type=int, default=0, metavar="TURNS",
                        help="one conversation of TURNS messages per sender instead")
    parser.add_argument("--warmup", type=int, default=0, help="uncounted messages sent first")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per message before it counts as failed")
    parser.add_argument("--messages-file", type=Path, default=DEFAULT_MESSAGES)
    parser.add_argument("--json", type=Path, help="also write the report to this file")
    args = parser.parse_args(argv)
    if args.senders < 1 or (args.messages < 1 and not args.long) or args.long < 0:
        parser.error("--senders and --messages (or --long) must be positive")

    mix = message_mix(args.messages_file)
    report = asyncio.run(run(args.url, args.senders, args.messages, args.long, args.warmup, mix, args.timeout))
    report["url"] = args.url
    print_report(report)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return 1 if report["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
