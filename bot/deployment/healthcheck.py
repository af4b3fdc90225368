"""Health check of the container image (Containerfile HEALTHCHECK): asks Rasa (`/`) or the
action server (`/health`), whichever this container runs, and exits 0 only if it answers.
The image runs both; the process with PID 1 says which one this container is."""
from __future__ import annotations

import sys
import urllib.request
from pathlib import Path

from bot.config import get_settings


def health_url(command_line: str) -> str:
    settings = get_settings()
    if "rasa_sdk" in command_line:
        port = settings.action_port
        for flag, value in zip(command_line.split(), command_line.split()[1:], strict=False):
            if flag in ("-p", "--port"):
                port = int(value)
        return f"http://127.0.0.1:{port}/health"
    return f"http://127.0.0.1:{settings.rasa_port}/"


def answers(url: str) -> int:
    """Exit code of a health check: 0 if `url` answers 200 within 4 s, else 1 (and why)."""
    try:
        with urllib.request.urlopen(url, timeout=4) as response:
            return 0 if response.status == 200 else 1
    except OSError as error:
        print(f"{url}: {error}", file=sys.stderr)
        return 1


def main() -> int:
    command_line = Path("/proc/1/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    return answers(health_url(command_line))


if __name__ == "__main__":
    sys.exit(main())
