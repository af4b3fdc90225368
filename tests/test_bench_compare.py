"""bench/side_by_side.py: the RESULTS.md section and plot of bench/compare.sh, from the JSON
files that bench/load.py writes, and the memory of a process group read from /proc."""
import json
import os
import subprocess
import sys
import time

from bench import side_by_side


def report(msg_per_s, p95, first=None, last=None):
    data = {"msg_per_s": msg_per_s, "p50_ms": p95 / 3, "p95_ms": p95, "p99_ms": p95 * 1.2, "errors": 0,
            "empty_answers": 0}
    if first:
        data.update(first_turns_p50_ms=first, last_turns_p50_ms=last)
    return data


def write_results(directory):
    figures = {"stock": (30.0, 900.0, 200, 260), "run": (50.0, 400.0, 100, 110), "prod": (80.0, 300.0, 60, 90)}
    for bot, (speed, p95, first, last) in figures.items():
        (directory / f"{bot}-fresh.json").write_text(json.dumps(report(speed, p95)))
        (directory / f"{bot}-long.json").write_text(json.dumps(report(speed * 0.9, p95, first, last)))
        (directory / f"{bot}-rss.json").write_text(json.dumps(
            [{"kind": "rasa", "rss_mb": 900, "peak_rss_mb": 1100}]))
    meta = {"date": "2026-11-30 09:00 UTC", "machine": "2 cores", "long": 300}
    (directory / "meta.json").write_text(json.dumps(meta))


def test_the_section_states_ratios_and_verdicts_against_the_stock_bot(tmp_path):
    write_results(tmp_path)
    text = side_by_side.section(tmp_path, "compare_latency.png")
    assert text.startswith(side_by_side.SECTION)
    assert "| msg/s vs stock | 1.00× | 1.67× | 2.67× |" in text
    assert "throughput 2.67× the stock bot's (target ≥ 2.5×: met); p95 0.33× (target ≤ 0.4×: met)" in text
    assert "throughput 1.67× the stock bot's (target ≥ 1.5×: met); p95 0.44× (target ≤ 0.5×: met)" in text
    # prod: 90 ms / 60 ms
    assert "300 turns: p50 of the last turns 1.50× the first ones' (target ≤ 1.2× after 300 turns: missed)" in text
    assert "peak resident memory per Rasa process 1,100 MB (target ≤ 1,000 MB: missed)" in text
    assert "Load average (1, 5, 15 min) at the start" in text


def test_the_section_replaces_its_older_self_and_keeps_the_rest(tmp_path):
    results = tmp_path / "RESULTS.md"
    results.write_text(f"# Benchmark results\n\n## A\n\na\n\n{side_by_side.SECTION}\n\nold\n\n## B\n\nb\n")
    side_by_side.replace_section(results, f"{side_by_side.SECTION}\n\nnew\n")
    text = results.read_text()
    assert "old" not in text and text.count(side_by_side.SECTION) == 1
    assert text.index("## A") < text.index("new") < text.index("## B")


def test_the_plot_is_written(tmp_path):
    write_results(tmp_path)
    side_by_side.plot(tmp_path, tmp_path / "plot.png")
    assert (tmp_path / "plot.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_resident_memory_of_a_process_group_is_read_by_kind():
    # a process whose command line looks like an action server, in a group of its own
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)", "rasa_sdk"], start_new_session=True)
    try:
        time.sleep(0.5)
        found = side_by_side.processes_in_group(os.getpgid(child.pid))
        assert [(p["pid"], p["kind"]) for p in found] == [(child.pid, "action server")]
        assert found[0]["rss_mb"] > 0 and found[0]["peak_rss_mb"] >= found[0]["rss_mb"]
    finally:
        child.kill()
        child.wait()
