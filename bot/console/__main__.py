"""python -m bot.console: the staff console on ASSKOMM_CONSOLE_HOST:ASSKOMM_CONSOLE_PORT."""
import uvicorn

from bot.config import get_settings
from bot.console.app import create_app


def main() -> None:
    settings = get_settings()
    print(f"ASSKomm-Konsole: http://{settings.console_host}:{settings.console_port}/ "
          "(Benutzer anlegen: .venv/bin/python -m bot.admin benutzer-anlegen NAME --rolle admin)", flush=True)
    uvicorn.run(create_app(settings), host=settings.console_host, port=settings.console_port,
                proxy_headers=True, server_header=False, log_level="info")


if __name__ == "__main__":
    main()
