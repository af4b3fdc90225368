"""Rasa alone, for a container or service that runs the action server separately
(deploy/kubernetes/): writes channels and endpoints from the settings, then becomes
`rasa run` with the trained model for the current data (the image ships it)."""
from __future__ import annotations

import os

from bot.config import PROJECT_ROOT, get_settings
from bot.runner import _child_env, rasa_command
from bot.training import model_from_command_line


def main(argv: list[str] | None = None) -> None:
    settings = get_settings()
    model = model_from_command_line("python -m bot.deployment.serve_rasa", argv, settings)
    os.chdir(PROJECT_ROOT)
    command = rasa_command(settings, model)
    os.execvpe(command[0], command, _child_env(settings))


if __name__ == "__main__":
    main()
