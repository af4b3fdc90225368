"""The helpers of bench/compare.sh: resident memory of a running bot, and the side-by-side report
(a section of bench/RESULTS.md and a latency plot) from the JSON files of bench/load.py.

    python -m bench.side_by_side rss --pgid PGID --json out.json
    python -m bench.side_by_side report --dir var/bench/results [--results bench/RESULTS.md] [--plot PNG]

The results directory holds, for each bot (stock, run, prod): <bot>-fresh.json and
<bot>-long.json (bench/load.py --json), <bot>-rss.json (this module's rss) and meta.json
(what compare.sh knows about the run)."""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

BOTS = {"stock": "stock `rasa init` (Rasa 3.6.21)", "run": "asskomm-bot `make run`", "prod": "asskomm-bot `make prod`"}
SECTION = "## Speed (issue 12): side by side"
# The targets of issue 12, relative to the stock bot measured in the same run.
TARGETS = {"prod": {"throughput": 2.5, "p95": 0.4}, "run": {"throughput": 1.5, "p95": 0.5}}
LONG_GROWTH_TARGET = 1.2
RSS_TARGET_MB = 1000


def _status(pid: int) -> dict[str, str]:
    lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    return dict(line.split(":", 1) for line in lines if ":" in line)


def _kind(cmdline: str) -> str:
    if "rasa_sdk" in cmdline:
        return "action server"
    if "bot.deployment.rasa_process" in cmdline or re.search(r"\brasa run\b|/rasa run\b", cmdline):
        return "rasa"
    if "nginx" in cmdline:
        return "nginx"
    return ""


def processes_in_group(pgid: int) -> list[dict]:
    """Rasa, action server and nginx processes of a process group, with resident memory now
    (VmRSS) and at its highest (VmHWM), in MB."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) != pgid:
                continue
            pid = int(stat.parent.name)
            cmdline = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
            status = _status(pid)
        except (OSError, ValueError, IndexError):
            continue
        kind = _kind(cmdline)
        if kind and "VmRSS" in status:
            found.append({"pid": pid, "kind": kind, "command": cmdline[:160],
                          "rss_mb": round(int(status["VmRSS"].split()[0]) / 1024),
                          "peak_rss_mb": round(int(status["VmHWM"].split()[0]) / 1024)})
    return sorted(found, key=lambda p: (p["kind"], p["pid"]))


def _load(directory: Path, name: str) -> dict | list | None:
    path = directory / name
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def _ratio(value: float, base: float) -> str:
    return f"{value / base:.2f}×" if base else "–"


def _memory(rss: list[dict] | None) -> str:
    if not rss:
        return "–"
    rasa = [p["rss_mb"] for p in rss if p["kind"] == "rasa"]
    peak = [p["peak_rss_mb"] for p in rss if p["kind"] == "rasa"]
    actions = sum(p["rss_mb"] for p in rss if p["kind"] == "action server")
    nginx = sum(p["rss_mb"] for p in rss if p["kind"] == "nginx")
    text = " + ".join(f"{mb:,} MB" for mb in rasa) + f" Rasa (peak {max(peak):,} MB)"
    if actions:
        text += f", {actions:,} MB action server"
    if nginx:
        text += f", {nginx:,} MB nginx"
    return text


def section(directory: Path, plot_name: str) -> str:
    meta = _load(directory, "meta.json") or {}
    data = {bot: {mode: _load(directory, f"{bot}-{mode}.json") for mode in ("fresh", "long")} for bot in BOTS}
    rss = {bot: _load(directory, f"{bot}-rss.json") for bot in BOTS}
    stock_fresh = data["stock"]["fresh"] or {}
    header = "| | " + " | ".join(BOTS.values()) + " |"
    rule = "|---|" + "---|" * len(BOTS)

    def row(label: str, mode: str, render) -> str:
        cells = [render(data[bot][mode]) if data[bot][mode] else "–" for bot in BOTS]
        return f"| {label} | " + " | ".join(cells) + " |"

    lines = [
        SECTION, "",
        f"`bench/compare.sh`, one run on {meta.get('date', '?')}: {meta.get('machine', '')}. "
        f"Load average (1, 5, 15 min) at the start {meta.get('load_start', '?')}, at the end "
        f"{meta.get('load_end', '?')}: above 2 on these 2 cores, other work ran at the same time and "
        "the absolute numbers say less; the three bots are measured one after the other with the "
        "same load, so their ratios are what counts.", "",
        f"Load (bench/load.py, REST, the same message mix for all three, {meta.get('warmup', 0)} uncounted "
        f"warm-up messages first): fresh conversations, {meta.get('senders', 20)} concurrent senders, "
        f"{meta.get('messages', 400)} messages; then one conversation of {meta.get('long', 300)} turns per "
        f"sender, {meta.get('long_senders', 20)} senders at once. Flood limits off "
        "(ASSKOMM_RATE_LIMIT_PER_SENDER=0, ASSKOMM_RATE_LIMIT_PER_IP=0). Stock bot: `rasa init --no-prompt` "
        "with the Rasa 3.6.21 of `.venv` (the same installation, no second one), its own defaults "
        "(in-memory tracker store, no custom actions). `make run`: one Rasa process, SQLite tracker store. "
        f"`make prod`: {meta.get('replicas', 2)} Rasa replicas behind nginx, PostgreSQL tracker store, "
        "Redis lock store, RabbitMQ broker. Resident memory measured after the load (peak: VmHWM).", "",
        "### Fresh conversations", "",
        header, rule,
        row("msg/s", "fresh", lambda r: f"{r['msg_per_s']}"),
        row("msg/s vs stock", "fresh", lambda r: _ratio(r["msg_per_s"], stock_fresh.get("msg_per_s", 0))),
        row("p50 / p95 / p99 ms", "fresh", lambda r: f"{r['p50_ms']:.0f} / {r['p95_ms']:.0f} / {r['p99_ms']:.0f}"),
        row("p95 vs stock", "fresh", lambda r: _ratio(r["p95_ms"], stock_fresh.get("p95_ms", 0))),
        row("errors / empty answers", "fresh", lambda r: f"{r['errors']} / {r['empty_answers']}"),
        "| resident memory | " + " | ".join(_memory(rss[bot]) for bot in BOTS) + " |",
        "", f"### One conversation of {meta.get('long', 300)} turns per sender", "",
        header, rule,
        row("msg/s", "long", lambda r: f"{r['msg_per_s']}"),
        row("p50 / p95 / p99 ms", "long", lambda r: f"{r['p50_ms']:.0f} / {r['p95_ms']:.0f} / {r['p99_ms']:.0f}"),
        row("p50 first / last 50 turns ms", "long",
            lambda r: f"{r['first_turns_p50_ms']:.0f} / {r['last_turns_p50_ms']:.0f}"),
        row("p50 last turns vs first", "long", lambda r: _ratio(r["last_turns_p50_ms"], r["first_turns_p50_ms"])),
        row("errors / empty answers", "long", lambda r: f"{r['errors']} / {r['empty_answers']}"),
        "", f"![Latency side by side]({plot_name})", "",
        "### Against the targets of issue 12", "",
        *targets(data, rss, meta.get("long", 300)), "",
    ]
    return "\n".join(lines)


def targets(data: dict, rss: dict, turns: int) -> list[str]:
    stock = data["stock"]["fresh"]
    if not stock:
        return ["- The stock bot was not measured; no ratios."]
    out = []
    for bot, goal in TARGETS.items():
        fresh = data[bot]["fresh"]
        if not fresh:
            out.append(f"- {BOTS[bot]}: not measured.")
            continue
        speed, p95 = fresh["msg_per_s"] / stock["msg_per_s"], fresh["p95_ms"] / stock["p95_ms"]
        speed_goal, p95_goal = goal["throughput"], goal["p95"]
        speed_verdict = "met" if speed >= speed_goal else f"missed by {speed_goal - speed:.2f}×"
        p95_verdict = "met" if p95 <= p95_goal else f"missed by {p95 - p95_goal:.2f}×"
        out.append(f"- {BOTS[bot]}: throughput {speed:.2f}× the stock bot's (target ≥ {speed_goal}×: "
                   f"{speed_verdict}); p95 {p95:.2f}× (target ≤ {p95_goal}×: {p95_verdict}).")
    for bot in ("run", "prod"):
        long = data[bot]["long"]
        if long:
            growth = long["last_turns_p50_ms"] / long["first_turns_p50_ms"]
            out.append(f"- {BOTS[bot]}, {turns} turns: p50 of the last turns {growth:.2f}× the first ones' "
                       f"(target ≤ {LONG_GROWTH_TARGET}× after 300 turns: "
                       f"{'met' if growth <= LONG_GROWTH_TARGET else 'missed'}).")
        rasa = [p["peak_rss_mb"] for p in rss[bot] or [] if p["kind"] == "rasa"]
        if rasa:
            out.append(f"- {BOTS[bot]}: peak resident memory per Rasa process {max(rasa):,} MB "
                       f"(target ≤ {RSS_TARGET_MB:,} MB: {'met' if max(rasa) <= RSS_TARGET_MB else 'missed'}).")
    return out


def plot(directory: Path, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 3, figsize=(14, 4.5))
    colours = {"stock": "#999999", "run": "#1f77b4", "prod": "#2ca02c"}
    quantiles = ("p50_ms", "p95_ms", "p99_ms")
    turns = (_load(directory, "meta.json") or {}).get("long", 300)
    panels = ((axes[0], "fresh", "fresh conversations"), (axes[1], "long", f"{turns}-turn conversations"))
    for axis, mode, title in panels:
        for offset, bot in enumerate(BOTS):
            report = _load(directory, f"{bot}-{mode}.json")
            if not report:
                continue
            xs = [index + (offset - 1) * 0.27 for index in range(len(quantiles))]
            axis.bar(xs, [report[q] for q in quantiles], width=0.27, color=colours[bot],
                     label=BOTS[bot].replace("`", ""))
        axis.set_xticks(range(len(quantiles)), ["p50", "p95", "p99"])
        axis.set_ylabel("latency (ms)")
        axis.set_title(f"Latency, {title}")
    throughput = [(_load(directory, f"{bot}-fresh.json") or {}).get("msg_per_s", 0) for bot in BOTS]
    axes[2].bar(range(len(BOTS)), throughput, color=[colours[bot] for bot in BOTS])
    axes[2].set_xticks(range(len(BOTS)), ["stock", "make run", "make prod"])
    axes[2].set_ylabel("msg/s")
    axes[2].set_title("Throughput, fresh conversations")
    axes[0].legend(fontsize=8)
    figure.suptitle("asskomm-bot vs stock Rasa bot, same load, one run (bench/compare.sh)")
    figure.tight_layout()
    figure.savefig(path, dpi=100)


def replace_section(results: Path, text: str) -> None:
    """Puts the section in place of an older one (up to the next "## " heading), or at the end."""
    current = results.read_text(encoding="utf-8") if results.exists() else "# Benchmark results\n"
    start = current.find(SECTION)
    if start < 0:
        updated = current.rstrip("\n") + "\n\n" + text
    else:
        following = current.find("\n## ", start + len(SECTION))
        updated = current[:start] + text + (current[following:] if following >= 0 else "")
    results.write_text(updated.rstrip("\n") + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.side_by_side")
    sub = parser.add_subparsers(dest="command", required=True)
    rss = sub.add_parser("rss", help="resident memory of the Rasa, action-server and nginx processes of a group")
    rss.add_argument("--pgid", type=int, required=True)
    rss.add_argument("--json", type=Path, required=True)
    report = sub.add_parser("report", help="the RESULTS.md section and the plot")
    report.add_argument("--dir", type=Path, required=True)
    report.add_argument("--results", type=Path, default=Path(__file__).with_name("RESULTS.md"))
    report.add_argument("--plot", type=Path, default=Path(__file__).with_name("compare_latency.png"))
    args = parser.parse_args(argv)
    if args.command == "rss":
        found = processes_in_group(args.pgid)
        args.json.write_text(json.dumps(found, indent=2) + "\n", encoding="utf-8")
        print("\n".join(f"  {p['kind']:14s} {p['rss_mb']:6,} MB (peak {p['peak_rss_mb']:,} MB)" for p in found))
        return 0 if any(p["kind"] == "rasa" for p in found) else 1
    plot(args.dir, args.plot)
    replace_section(args.results, section(args.dir, args.plot.name))
    print(f"{args.results} ({SECTION}) und {args.plot} geschrieben.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
