"""`python -m bot.nlp build|describe`: builds the spaCy pipeline if needed, or says which base it has."""
from __future__ import annotations

import argparse
import sys

from bot.config import get_settings
from bot.nlp.pipeline_builder import build_pipeline, needs_build, read_info


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.nlp")
    parser.add_argument("command", choices=["build", "describe"])
    parser.add_argument("--force", action="store_true", help="neu bauen, auch wenn aktuell")
    args = parser.parse_args(argv)
    target = get_settings().spacy_pipeline_dir

    if args.command == "build":
        if args.force or needs_build(target):
            info = build_pipeline(target)
            print(f"spaCy-Pipeline gespeichert unter {target}", flush=True)
        else:
            info = read_info(target)
        print(info.describe(), flush=True)
        return 0

    info = read_info(target)
    if info is None:
        print("Noch keine spaCy-Pipeline gebaut: make run oder python -m bot.nlp build", file=sys.stderr)
        return 1
    print(info.describe())
    return 0


if __name__ == "__main__":
    sys.exit(main())
