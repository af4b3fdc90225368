"""Starts the action server and Rasa as child processes, waits until both answer, and
says where to talk to the bot. Ctrl+C stops both."""
from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, ContextManager, Iterator, Sequence

from bot.channels.credentials import write_credentials
from bot.communes.service import prepare_database
from bot.config import PROJECT_ROOT, Settings
from bot.db import make_engine, make_session_factory
from bot.deployment.endpoints import write_endpoints
from bot.deployment.readiness import READY_PATH
from bot.nlp.pipeline_builder import read_info
from bot.privacy.retention import RetentionJob
from bot.training import rasa_subprocess_env

STARTUP_TIMEOUT_S = 240


class StartupError(RuntimeError):
    pass


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def wait_until_ready(url: str, process: subprocess.Popen, name: str, timeout_s: float = STARTUP_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise StartupError(f"{name} hat sich beim Start beendet (Exit-Code {process.returncode}); siehe Ausgabe oben.")
        if _answers(url):
            return
        time.sleep(0.5)
    raise StartupError(f"{name} antwortet nach {timeout_s:.0f} s nicht unter {url}.")


def make_var_dir_private(var_dir: Path) -> None:
    """var/ holds conversations, applications and generated files with passwords: owner only.
    mkdir's mode alone is not enough: `make install` creates var/spacy/ first (umask, usually
    0755), and an existing directory keeps its mode."""
    var_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        var_dir.chmod(0o700)
    except PermissionError:  # owned by another account (e.g. a mounted volume): its owner decides
        print(f"Warnung: {var_dir} gehört einem anderen Konto; bitte selbst auf 0700 setzen.", file=sys.stderr)


def _child_env(settings: Settings) -> dict[str, str]:
    make_var_dir_private(settings.var_dir)
    return {**rasa_subprocess_env(), **settings.as_env(), **settings.rasa_env()}


def start_action_server(settings: Settings, log_file: Path | None = None) -> subprocess.Popen:
    out = open(log_file, "ab") if log_file else None
    # rasa_sdk 3.6 has no option for the interface; it reads SANIC_HOST (default 0.0.0.0).
    env = {**_child_env(settings), "SANIC_HOST": settings.action_host}
    return subprocess.Popen(
        [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", str(settings.action_port)],
        cwd=PROJECT_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT if out else None,
    )


def rasa_command(settings: Settings, model: Path, interface: str = "") -> list[str]:
    """`rasa run` with the channels and endpoints written from the settings.

    Cross-origin headers only for the configured websites (none: only the bot's own pages,
    which need none). Rasa's HTTP API only with a token or JWT secret; without --enable-api
    Rasa serves the channels alone. The token and secret themselves are not arguments here:
    bot/deployment/rasa_process.py reads them from the settings, so `ps` does not show them."""
    command = [
        # Rasa's own `rasa run`, with our fixes for Rasa 3.6.21 (bot/deployment/rasa_process.py)
        sys.executable, "-m", "bot.deployment.rasa_process", "run",
        "--model", str(model), "--port", str(settings.rasa_port),
        "--credentials", str(write_credentials(settings)), "--endpoints", str(write_endpoints(settings)),
    ]
    if interface:  # default: every interface
        command += ["--interface", interface]
    if settings.allowed_origins:
        command += ["--cors", *settings.allowed_origins]
    token, jwt_secret = settings.rasa_api_token.get_secret_value(), settings.rasa_jwt_secret.get_secret_value()
    if token or jwt_secret:
        command.append("--enable-api")
    return command


def start_rasa_server(settings: Settings, model: Path, log_file: Path | None = None,
                      interface: str = "") -> subprocess.Popen:
    out = open(log_file, "ab") if log_file else None
    return subprocess.Popen(rasa_command(settings, model, interface), cwd=PROJECT_ROOT, env=_child_env(settings),
                            stdout=out, stderr=subprocess.STDOUT if out else None)


def stop(*processes: subprocess.Popen) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def check_ports(settings: Settings, ports: list[int]) -> None:
    busy = [p for p in ports if not port_is_free(p)]
    if busy:
        raise StartupError(
            f"Port {', '.join(map(str, busy))} ist belegt. Läuft asskomm-bot schon? "
            "Andere Ports: ASSKOMM_RASA_PORT und ASSKOMM_ACTION_PORT setzen."
        )


@contextmanager
def running_bot(
    settings: Settings, model: Path, log_dir: Path | None = None
) -> Iterator[tuple[subprocess.Popen, subprocess.Popen]]:
    """Action server and Rasa running and answering; both stopped on exit."""
    check_ports(settings, [settings.action_port, settings.rasa_port])
    make_var_dir_private(settings.var_dir)  # before the databases in it are created
    print(prepare_database(settings), flush=True)
    # Old conversations and closed applications are deleted now and then daily.
    retention = RetentionJob(settings, make_session_factory(make_engine(settings.database))).start()
    actions = start_action_server(settings, log_dir / "actions.log" if log_dir else None)
    rasa = None
    try:
        wait_until_ready(f"http://localhost:{settings.action_port}/health", actions, "Der Action-Server")
        rasa = start_rasa_server(settings, model, log_dir / "rasa.log" if log_dir else None)
        # ready: after a warm-up, so that the first users do not pay for it (bot/deployment/readiness.py)
        wait_until_ready(f"http://localhost:{settings.rasa_port}{READY_PATH}", rasa, "Rasa")
        yield actions, rasa
    finally:
        retention.stop()
        stop(*[p for p in (rasa, actions) if p is not None])


def addresses(port: int) -> list[str]:
    """Where to talk to the bot, for the banners of make run and make prod."""
    example = '{"sender":"test","message":"Wie kann unsere Gemeinde bei ASSKomm mitmachen?"}'
    return [
        f"  REST:        curl -s localhost:{port}/webhooks/rest/webhook -d '{example}'",
        f"  Website:     http://localhost:{port}/webhooks/widget/ (Demo-Seite mit dem Chat-Widget)",
        f"  socket.io:   http://localhost:{port}/socket.io",
    ]


def banner(settings: Settings) -> str:
    info = read_info(settings.spacy_pipeline_dir)
    return "\n".join([
        "",
        "asskomm-bot ist bereit.",
        *addresses(settings.rasa_port),
        "  Terminal:    make shell (in einem zweiten Fenster: ASSKOMM_RASA_PORT/ASSKOMM_ACTION_PORT anders setzen)",
        f"  Wissen:      {settings.knowledge_dir} (Änderungen gelten sofort, ohne Training)",
        f"  {info.describe() if info else 'spaCy-Pipeline fehlt'}",
        *([f"  Telegram:    Webhook {settings.telegram_webhook_url}"] if settings.telegram_token else []),
        "Beenden mit Strg+C.",
        "",
    ])


def _raise_keyboard_interrupt(signum, frame):
    raise KeyboardInterrupt


def run_until_stopped(started: ContextManager[Sequence[subprocess.Popen]], describe: Callable[[], str]) -> int:
    """Runs what `started` starts until Ctrl+C, SIGTERM or one of its processes ends; the
    context manager stops everything."""
    # SIGTERM (e.g. from a service manager) ends the bot like Ctrl+C does.
    signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
    try:
        with started as processes:
            print(describe(), flush=True)
            while all(p.poll() is None for p in processes):
                time.sleep(1)
            print("Fehler: ein Dienst hat sich beendet; asskomm-bot wird gestoppt.", file=sys.stderr)
            return 1
    except StartupError as exc:
        print(f"Fehler: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nasskomm-bot beendet.")
        return 0


def run(settings: Settings, model: Path) -> int:
    return run_until_stopped(running_bot(settings, model), lambda: banner(settings))


def shell(settings: Settings, model: Path, debug: bool = False) -> int:
    """The conversation in the terminal (bot/staff_shell.py); the action server runs in the background."""
    try:
        check_ports(settings, [settings.action_port])
    except StartupError as exc:
        print(f"Fehler: {exc}", file=sys.stderr)
        return 1
    make_var_dir_private(settings.var_dir)
    print(prepare_database(settings), flush=True)
    actions = start_action_server(settings, settings.var_dir / "actions-shell.log")
    try:
        wait_until_ready(f"http://localhost:{settings.action_port}/health", actions, "Der Action-Server")
        info = read_info(settings.spacy_pipeline_dir)
        print(info.describe() if info else "", flush=True)
        return subprocess.call(
            [sys.executable, "-m", "bot.staff_shell", str(model), str(write_endpoints(settings)),
             *(["--debug"] if debug else [])],
            cwd=PROJECT_ROOT, env=_child_env(settings),
        )
    except StartupError as exc:
        print(f"Fehler: {exc}", file=sys.stderr)
        return 1
    finally:
        stop(actions)
