"""Health check of the console's image (Containerfile.console HEALTHCHECK): the login page
answers with 200. It is rendered from the templates with a CSRF token and needs the app up
and its database migrated (bot/console/app.py migrates at start), so a 200 means the console
can serve staff."""
from __future__ import annotations

import sys

from bot.config import get_settings
from bot.deployment.healthcheck import answers

LOGIN_PATH = "/anmelden"


def login_url() -> str:
    settings = get_settings()
    # Listening on every interface includes the loopback one, which is always there.
    host = "127.0.0.1" if settings.console_host in ("", "0.0.0.0", "::") else settings.console_host
    host = f"[{host}]" if ":" in host else host
    return f"http://{host}:{settings.console_port}{LOGIN_PATH}"


def main() -> int:
    return answers(login_url())


if __name__ == "__main__":
    sys.exit(main())
