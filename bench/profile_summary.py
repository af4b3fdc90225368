"""A text summary of a py-spy profile of the Rasa process, to keep in bench/profiles/.

    py-spy record --pid PID --format raw --output profile.txt --duration 60 --rate 100 --nonblocking
    python -m bench.profile_summary profile.txt > bench/profiles/NAME.txt

py-spy's raw format has one line per distinct stack: frames separated by ";" (outermost
first), then a space and the number of samples. The summary gives the share of samples spent
inside each area of interest (a sample counts for an area when any frame of its stack
matches, so the areas overlap) and the functions with the most samples of their own."""
from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from pathlib import Path

# area → pattern on a frame ("function (file:line)"); the areas of issue 12's first profile.
AREAS = {
    "jsonschema (action answer validation)": r"jsonschema",
    "TED policy": r"ted_policy",
    "DIET classifier": r"diet_classifier",
    "rule + memoization policies": r"rule_policy|memoization",
    "tracker store (retrieve + save)": r"tracker_store\.py",
    "  of it: redaction (bot/privacy)": r"redaction\.py",
    "  of it: tracker from events (from_dict)": r"from_dict .*trackers\.py",
    "SQLAlchemy": r"sqlalchemy",
    "TensorFlow": r"tensorflow",
    "spaCy": r"spacy",
    "action server call (aiohttp)": r"call_action_server|_call_action",
    "tracker featurization": r"featuriz",
    "JSON encode/decode": r"json[/\\]",
}
IDLE_FRAME = re.compile(r"^select \(selectors\.py|^poll \(")


def read_stacks(path: Path) -> Counter:
    stacks: Counter = Counter()
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            stacks[stack] += int(count)
    return stacks


def summarize(stacks: Counter, top: int = 25) -> str:
    total = sum(stacks.values())
    if not total:
        return "no samples\n"
    idle = sum(n for stack, n in stacks.items() if IDLE_FRAME.match(stack.split(";")[-1]))
    busy = total - idle
    lines = [f"samples: {total}, of which idle (event loop waiting): {idle} ({100 * idle / total:.1f} %)",
             "", "share of busy samples (areas overlap):"]
    for area, pattern in AREAS.items():
        regex = re.compile(pattern)
        hits = sum(n for stack, n in stacks.items()
                   if not IDLE_FRAME.match(stack.split(";")[-1]) and any(regex.search(f) for f in stack.split(";")))
        lines.append(f"  {100 * hits / busy:5.1f} %  {area}")
    own: Counter = Counter()
    for stack, n in stacks.items():
        leaf = stack.split(";")[-1]
        if not IDLE_FRAME.match(leaf):
            own[leaf] += n
    lines += ["", f"top {top} functions by own samples (share of busy samples):"]
    lines += [f"  {100 * n / busy:5.1f} %  {frame}" for frame, n in own.most_common(top)]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile_summary")
    parser.add_argument("profile", type=Path, help="py-spy record --format raw output")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args(argv)
    sys.stdout.write(summarize(read_stacks(args.profile), args.top))
    return 0


if __name__ == "__main__":
    sys.exit(main())
