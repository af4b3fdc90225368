"""Commune lookup: latency over all 418 communes and the share of the spelling table
(tests/data/commune_spellings.csv) resolved as expected.

    .venv/bin/python bench/commune_lookup.py                 # SQLite in a temporary folder
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/x .venv/bin/python bench/commune_lookup.py

One lookup = what action_answer_commune does for "Ist <Name> bei ASSKomm dabei?": find the
name in the message (fuzzy, against the database's names) and read the commune with its
membership. Figures go to bench/RESULTS.md by hand, with the date."""
from __future__ import annotations

import csv
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.communes.service import open_repository  # noqa: E402
from bot.config import Settings  # noqa: E402


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def spelling_share(matcher) -> tuple[int, int]:
    with (ROOT / "tests" / "data" / "commune_spellings.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    good = 0
    for row in rows:
        match, expected = matcher.resolve(row["spelling"]), row["expected"]
        if expected == "-":
            good += match.status == "none"
        elif expected.startswith("?"):
            good += match.status == "ambiguous" and {c.ags for c in match.communes} == set(expected[1:].split("|"))
        else:
            good += match.status == "found" and match.commune.ags == expected
    return good, len(rows)


def main() -> int:
    settings = Settings(var_dir=Path(tempfile.mkdtemp()))
    repository = open_repository(settings)
    matcher = repository.matcher()
    timings, wrong = [], []
    for commune in matcher.communes.values():
        started = time.perf_counter()
        match = repository.matcher().find_in_message(f"Ist {commune.name_short} bei ASSKomm dabei?")
        if match is not None and match.status == "found":
            repository.info(match.commune.ags)
        timings.append((time.perf_counter() - started) * 1000)
        if match is None or commune.ags not in {c.ags for c in match.communes}:
            wrong.append(commune.name_short)
    good, total = spelling_share(matcher)
    print(f"database: {settings.database.split('@')[-1]}")
    print(f"lookups: {len(timings)}  p50 {percentile(timings, 0.5):.1f} ms  p99 {percentile(timings, 0.99):.1f} ms  "
          f"max {max(timings):.1f} ms  mean {statistics.mean(timings):.1f} ms")
    print(f"own name in a question found (alone or among the candidates asked back): "
          f"{len(timings) - len(wrong)}/{len(timings)}")
    if wrong:
        print("  not found: " + ", ".join(wrong))
    print(f"spelling table resolved as expected: {good}/{total} = {good / total:.1%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
