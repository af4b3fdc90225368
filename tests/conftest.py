import json
import os
import shutil
import socket
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest
import yaml

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def domain() -> dict:
    return yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def trained_model() -> Path:
    """The model for the current data; trained here if `make test` has not done it yet."""
    from bot.config import get_settings
    from bot.training import ensure_model

    return ensure_model(get_settings())



# `make check` runs the tests without the mark `integration`: those that need the trained model,
# PostgreSQL, Redis, RabbitMQ, a browser, nginx or Synapse (a running bot needs the model).
# Tests that use the model or PostgreSQL are found by their fixtures; these modules need the
# other services in ways a fixture does not show.
SERVICE_MODULES = {"test_deploy", "test_redis_lock_store", "test_production_services", "test_console_browser",
                   "test_widget_browser", "test_matrix_synapse"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        # `images` tests build and run container images (podman): never part of `make check`.
        if ("trained_model" in item.fixturenames or params.get("database_url") == "postgresql"
                or item.module.__name__.rpartition(".")[2] in SERVICE_MODULES
                or item.get_closest_marker("images") is not None):
            item.add_marker(pytest.mark.integration)


def in_ci() -> bool:
    """CI sets CI=true (GitHub Actions, GitLab CI and most others do)."""
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def service_missing(message: str) -> None:
    """A service a test needs is absent: in CI the test fails (a green run must have tested
    it), on a developer's machine it is skipped with the printed reason."""
    print(message)
    if in_ci():
        pytest.fail(f"{message} (CI=true: fehlende Dienste sind ein Fehler)", pytrace=False)
    pytest.skip(message)


def _throwaway_postgres():
    """A fresh PostgreSQL database on the local server, dropped afterwards; where no server
    answers, skipped with the reason (failed in CI, see service_missing)."""
    import uuid

    import psycopg2

    host = os.environ.get("ASSKOMM_TEST_PGHOST", "127.0.0.1")
    try:
        admin = psycopg2.connect(host=host, port=5432, user="postgres", dbname="postgres", connect_timeout=3)
    except psycopg2.OperationalError as error:
        service_missing(f"KEIN PostgreSQL auf {host}:5432: {error}")
    admin.autocommit = True
    name = f"asskomm_test_{uuid.uuid4().hex[:10]}"
    with admin.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE {name}")
    try:
        yield f"postgresql://postgres@{host}:5432/{name}"
    finally:
        with admin.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
            cursor.execute(f"DROP DATABASE IF EXISTS {name}")
        admin.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """The same tests on the embedded default and on the production database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'asskomm.db'}"
    else:
        yield from _throwaway_postgres()



@pytest.fixture(scope="module")
def seeded_repository(tmp_path_factory):
    """The commune database of a test module: SQLite, migrated and seeded from knowledge/."""
    from bot.communes.service import open_repository
    from bot.config import Settings

    return open_repository(Settings(var_dir=tmp_path_factory.mktemp("db")))


def make_tracker(text: str = "", intent: str = "inform_commune", confidence: float = 0.9, slots=None,
                 events=None, loop=None, entities=None, sender: str = "test-user"):
    """A rasa-sdk tracker whose last message has this text, intent and entities."""
    from rasa_sdk import Tracker

    latest = {"text": text, "intent": {"name": intent, "confidence": confidence}, "entities": entities or []}
    return Tracker(sender, slots or {}, latest, events or [], False, None, {"name": loop} if loop else {},
                   "action_listen")


def service_answers(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def require_service(name: str, port: int) -> None:
    """A local service (Redis, RabbitMQ) must answer; see service_missing for what happens if not."""
    if not service_answers(port):
        service_missing(f"KEIN {name} auf 127.0.0.1:{port}")


async def drain(queue_name: str) -> list[dict]:
    """Every event waiting in a RabbitMQ queue on this machine; the queue is deleted after."""
    import aio_pika

    connection = await aio_pika.connect_robust("amqp://guest:guest@127.0.0.1:5672/")
    events = []
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(queue_name, durable=True)
        while (message := await queue.get(no_ack=True, fail=False)) is not None:
            events.append(json.loads(message.body))
        await queue.delete(if_unused=False, if_empty=False)
    return events


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def bot_running(model: Path, state: Path, replica_ports: tuple[int, ...] = (), **settings) -> Iterator[tuple]:
    """Action server and Rasa as real processes on free ports, with their own state folder
    and a copy of knowledge/ (tests edit it); yields the settings and the process list (a test
    may replace a process it restarts; all are stopped at the end). Settings may name the ports.
    Replicas (more Rasa processes on replica_ports, logs rasa-<port>.log) start when the first
    one answers (started together, on two busy cores neither loaded its model in the 240 s
    allowed) and come after it in the process list."""
    from bot.config import Settings
    from bot.runner import StartupError, running_bot, start_rasa_server, stop, wait_until_ready

    shutil.copytree(ROOT / "knowledge", state / "knowledge")
    ports = {"rasa_port": free_port(), "action_port": free_port()}
    config = Settings(var_dir=state, knowledge_dir=state / "knowledge", **{**ports, **settings})
    replicas = []
    try:
        with running_bot(config, model, log_dir=state) as started:
            for port in replica_ports:
                replicas.append(start_rasa_server(config.copy(update={"rasa_port": port}), model,
                                                  state / f"rasa-{port}.log"))
                wait_until_ready(f"http://localhost:{port}/", replicas[-1], f"Rasa (Instanz auf Port {port})")
            processes = list(started) + replicas
            try:
                yield config, processes
            finally:
                stop(*processes)
    except StartupError as error:
        stop(*replicas)
        log = state / "rasa.log"
        tail = log.read_text(encoding="utf-8", errors="replace")[-3000:] if log.exists() else ""
        pytest.fail(f"Der Bot startet nicht: {error}\n{tail}")
