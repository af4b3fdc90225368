"""`python -m bot train|run|prod|shell`: what the Makefile calls."""
from __future__ import annotations

import argparse
import sys

from bot.config import get_settings
from bot.training import ensure_model


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description="asskomm-bot starten und trainieren")
    sub = parser.add_subparsers(dest="command", required=True)
    train = sub.add_parser("train", help="trainiert, wenn sich Daten, config.yml oder domain.yml geändert haben")
    train.add_argument("--force", action="store_true", help="auch trainieren, wenn das Modell aktuell ist")
    sub.add_parser("run", help="Action-Server und Rasa starten (REST und socket.io)")
    sub.add_parser("prod", help="Produktivbetrieb: mehrere Rasa-Instanzen hinter nginx, PostgreSQL, Redis, RabbitMQ")
    shell = sub.add_parser("shell", help="im Terminal mit dem Bot sprechen")
    shell.add_argument("--debug", action="store_true", help="Intent, Sicherheit, Aktionen und Quellen zeigen")
    args = parser.parse_args(argv)

    settings = get_settings()
    model = ensure_model(settings, force=getattr(args, "force", False))
    if args.command == "train":
        return 0
    from bot import runner

    if args.command == "run":
        return runner.run(settings, model)
    if args.command == "prod":
        from bot.deployment import prod

        return prod.serve(settings, model)
    return runner.shell(settings, model, debug=args.debug)


if __name__ == "__main__":
    sys.exit(main())
