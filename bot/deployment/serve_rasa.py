"""Rasa alone, for a container or service that runs the action server separately
(deploy/kubernetes/): writes channels and endpoints from the settings, then becomes
`rasa run` with the trained model for the current data (the image ships it)."""
from __future__ import annotations

import argparse
import os
from pathlib import Path

from bot.config import PROJECT_ROOT, get_settings
from bot.runner import _child_env, rasa_command
from bot.training import model_path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bot.deployment.serve_rasa")
    parser.add_argument("--model", type=Path, help="Modelldatei (Standard: das Modell für die aktuellen Daten)")
    args = parser.parse_args(argv)
    settings = get_settings()
    model = args.model or model_path(settings)
    if not model.exists():
        raise SystemExit(f"Kein Modell {model}: erst `python -m bot train` (beim Bau des Images).")
    os.chdir(PROJECT_ROOT)
    command = rasa_command(settings, model)
    os.execvpe(command[0], command, _child_env(settings))


if __name__ == "__main__":
    main()
