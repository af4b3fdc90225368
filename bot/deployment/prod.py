"""`make prod`: the production set-up on one machine. The action server, several Rasa
replicas (ASSKOMM_PROD_REPLICAS, default 2) and Debian's nginx in front of them on
ASSKOMM_PROD_PORT (default 5005), with PostgreSQL as tracker store and database, Redis as lock
store and RabbitMQ as event broker. Without settings of their own, the local services are
used (the same as tests/test_production_services.py uses).

The replicas listen on 127.0.0.1 only, on the ports right after the front port. nginx is
configured (var/nginx/nginx.conf, written at every start) and started only once every replica
is warm (GET /ready). REST goes to the least busy replica (the Redis lock keeps one
conversation in order); socket.io stays with one replica per client address, as its sessions
live in a replica's memory. Ctrl+C (or SIGTERM) stops everything."""
from __future__ import annotations

import shutil
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator
from urllib.parse import urlsplit

from bot.communes.service import prepare_database
from bot.config import Settings
from bot.db import make_engine, make_session_factory
from bot.deployment.readiness import READY_PATH
from bot.privacy.retention import RetentionJob
from bot.runner import (
    STARTUP_TIMEOUT_S,
    StartupError,
    addresses,
    check_ports,
    run_until_stopped,
    start_action_server,
    start_rasa_server,
    stop,
    wait_until_ready,
)
from bot.training import model_from_command_line

# The services of this machine as Debian installs them; each is overridden by its setting.
LOCAL_POSTGRES = "postgresql://postgres@127.0.0.1:5432/asskomm"
LOCAL_REDIS = "redis://127.0.0.1:6379/1"
LOCAL_RABBITMQ = "amqp://guest:guest@127.0.0.1:5672/"
NGINX = "/usr/sbin/nginx"
# Made by the tracker store (Rasa's events, bot/privacy/conversations.py's form_drafts).
TRACKER_TABLES = ("events", "form_drafts")


def prod_settings(settings: Settings) -> Settings:
    """The settings with the local services wherever none is configured; the replicas learn
    the client's address from nginx (X-Real-IP) for the per-address flood limit."""
    postgres = settings.tracker_store_url or settings.database_url or LOCAL_POSTGRES
    return settings.copy(update={
        "tracker_store_url": settings.tracker_store_url or postgres,
        "database_url": settings.database_url or postgres,
        "redis_url": settings.redis_url or LOCAL_REDIS,
        "rabbitmq_url": settings.rabbitmq_url or LOCAL_RABBITMQ,
        "client_ip_header": settings.client_ip_header or "X-Real-IP",
    })


def replica_ports(settings: Settings) -> list[int]:
    return [settings.prod_port + number for number in range(1, settings.prod_replicas + 1)]


def ensure_postgres_database(url: str) -> None:
    """Creates the database of a local PostgreSQL URL if it does not exist yet (the server's
    own user may; with a managed database the operator creates it)."""
    if not url.startswith("postgresql"):
        return
    import psycopg2

    parts = urlsplit(url)
    name = parts.path.strip("/")
    admin = psycopg2.connect(host=parts.hostname or "127.0.0.1", port=parts.port or 5432,
                             user=parts.username or "postgres", password=parts.password, dbname="postgres",
                             connect_timeout=5)
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if cursor.fetchone() is None:
                cursor.execute(f'CREATE DATABASE "{name}"')
    finally:
        admin.close()


def wait_for_tables(url: str, tables: tuple[str, ...], process: subprocess.Popen, timeout_s: float) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    deadline = time.monotonic() + timeout_s
    try:
        while not set(tables) <= set(sa.inspect(engine).get_table_names()):
            if process.poll() is not None:
                raise StartupError(f"Rasa hat sich beim Start beendet (Exit-Code {process.returncode}).")
            if time.monotonic() > deadline:
                raise StartupError(f"Rasa hat nach {timeout_s:.0f} s die Tabellen {', '.join(tables)} nicht angelegt.")
            time.sleep(0.5)
    finally:
        engine.dispose()


def nginx_conf(settings: Settings, ports: list[int], nginx_dir: Path) -> str:
    """nginx in front of the replicas; like deploy/nginx/asskomm.conf without TLS (a server with
    a public name puts that template, or a TLS proxy, in front)."""
    servers = "\n".join(f"        server 127.0.0.1:{port} max_fails=3 fail_timeout=10s;" for port in ports)
    per_ip = settings.rate_limit_per_ip
    # The same per-address limit as the bot's own (ASSKOMM_RATE_LIMIT_PER_IP, 0 = none), here
    # before a replica spends time on the request.
    zone = f"    limit_req_zone $binary_remote_addr zone=asskomm_rest:10m rate={per_ip}r/m;" if per_ip > 0 else ""
    limit = f"            limit_req zone=asskomm_rest burst={max(per_ip // 6, 1)} nodelay;" if per_ip > 0 else ""
    temp = "\n".join(f"    {kind}_temp_path {nginx_dir / 'tmp' / kind};"
                     for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return f"""# Written by bot/deployment/prod.py at every start of make prod; edits here are overwritten.
daemon off;
pid {nginx_dir / 'nginx.pid'};
error_log {nginx_dir / 'error.log'} warn;
worker_processes 1;
events {{
    worker_connections 1024;
}}
http {{
{temp}
    # Which replica answered, status, time and path (no query, no client address, no content).
    log_format asskomm_upstream '$time_iso8601 $upstream_addr $status $request_time $uri';
    access_log {nginx_dir / 'access.log'} asskomm_upstream;
    server_tokens off;
    client_max_body_size 128k;
    client_body_buffer_size 128k;
    proxy_max_temp_file_size 0;

    upstream asskomm_rasa {{
        least_conn;
{servers}
        keepalive 64;
    }}
    # socket.io keeps its sessions in one replica's memory: one client address, one replica.
    upstream asskomm_rasa_sticky {{
        hash $remote_addr consistent;
{servers}
    }}
    map $http_upgrade $asskomm_connection_upgrade {{
        default upgrade;
        ''      '';
    }}
{zone}
    server {{
        listen {settings.prod_port};
        # Behind a TLS proxy on this machine (deploy/nginx/asskomm.conf) the client's address is
        # the one that proxy passes on, for the limits here and in the bot.
        set_real_ip_from 127.0.0.1;
        real_ip_header X-Real-IP;
        limit_req_status 429;
        proxy_set_header Host              $host;
        proxy_set_header X-Real-IP         $remote_addr;
        proxy_set_header X-Forwarded-For   $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto $scheme;

        location /webhooks/ {{
{limit}
            proxy_pass http://asskomm_rasa;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_read_timeout 120s;
        }}
        location /socket.io/ {{
            proxy_pass http://asskomm_rasa_sticky;
            proxy_http_version 1.1;
            proxy_set_header Upgrade    $http_upgrade;
            proxy_set_header Connection $asskomm_connection_upgrade;
            proxy_buffering off;
            proxy_read_timeout 3600s;
            proxy_send_timeout 3600s;
        }}
        # Health (Rasa's "Hello from Rasa") and readiness; they say nothing else.
        location = / {{
            proxy_pass http://asskomm_rasa;
        }}
        location = {READY_PATH} {{
            proxy_pass http://asskomm_rasa;
        }}
        # Everything else (Rasa's HTTP API, if switched on) only on the replicas' local ports.
        location / {{
            return 404;
        }}
    }}
}}
"""


def start_nginx(settings: Settings, ports: list[int]) -> subprocess.Popen:
    nginx = shutil.which("nginx") or NGINX
    if not Path(nginx).exists():
        raise StartupError("nginx fehlt: `make prod` installiert es (Debian-Paket nginx-light).")
    nginx_dir = settings.var_dir / "nginx"
    for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (nginx_dir / "tmp" / kind).mkdir(parents=True, exist_ok=True)
    conf = nginx_dir / "nginx.conf"
    conf.write_text(nginx_conf(settings, ports, nginx_dir), encoding="utf-8")
    command = [nginx, "-p", str(nginx_dir), "-e", str(nginx_dir / "error.log"), "-c", str(conf)]
    checked = subprocess.run([*command, "-t", "-q"], capture_output=True, text=True)
    if checked.returncode != 0:
        raise StartupError(f"nginx lehnt {conf} ab: {checked.stderr.strip()}")
    return subprocess.Popen(command)


def banner(settings: Settings) -> str:
    ports = replica_ports(settings)
    return "\n".join([
        "",
        f"asskomm-bot läuft im Produktivbetrieb: nginx auf Port {settings.prod_port}, {len(ports)} Rasa-Instanzen "
        f"(127.0.0.1:{', '.join(map(str, ports))}), Action-Server auf {settings.action_port}.",
        *addresses(settings.prod_port),
        f"  Bereit?      curl -s localhost:{settings.prod_port}{READY_PATH}",
        f"  Protokolle:  {settings.var_dir / 'prod'} und {settings.var_dir / 'nginx'}",
        "Beenden mit Strg+C.",
        "",
    ])


@contextmanager
def running_prod(settings: Settings, model: Path) -> Iterator[list[subprocess.Popen]]:
    """Action server, warm replicas and nginx running; all stopped on exit (nginx first, so
    that no request goes to a stopping replica)."""
    if settings.prod_replicas < 1:
        raise StartupError("ASSKOMM_PROD_REPLICAS muss mindestens 1 sein.")
    ports = replica_ports(settings)
    check_ports(settings, [settings.prod_port, settings.action_port, *ports])
    ensure_postgres_database(settings.tracker_store_url)
    ensure_postgres_database(settings.database_url)
    logs = settings.var_dir / "prod"
    logs.mkdir(parents=True, exist_ok=True, mode=0o700)
    print(prepare_database(settings), flush=True)
    retention = RetentionJob(settings, make_session_factory(make_engine(settings.database))).start()
    processes: list[subprocess.Popen] = []
    try:
        processes.append(start_action_server(settings, logs / "actions.log"))
        wait_until_ready(f"http://localhost:{settings.action_port}/health", processes[0], "Der Action-Server")

        print(f"Starte {len(ports)} Rasa-Instanzen (Laden und Aufwärmen dauern einige Minuten) ...", flush=True)

        def start_replica(port: int) -> subprocess.Popen:
            return start_rasa_server(settings.copy(update={"rasa_port": port}), model, logs / f"rasa-{port}.log",
                                     interface="127.0.0.1")

        # The first replica creates the tracker store's tables; replicas creating them at the same
        # time on a new database fail (PostgreSQL: duplicate key in pg_type).
        replicas = [start_replica(ports[0])]
        processes += replicas
        wait_for_tables(settings.tracker_store_url, TRACKER_TABLES, replicas[0], STARTUP_TIMEOUT_S)
        replicas += [start_replica(port) for port in ports[1:]]
        processes += replicas[1:]
        # They load at the same time and share the cores: each may take as long as all together.
        for port, replica in zip(ports, replicas, strict=True):
            wait_until_ready(f"http://localhost:{port}{READY_PATH}", replica, f"Rasa auf Port {port}",
                             timeout_s=STARTUP_TIMEOUT_S * len(ports))
        processes.append(start_nginx(settings, ports))
        wait_until_ready(f"http://localhost:{settings.prod_port}{READY_PATH}", processes[-1], "nginx")
        yield processes
    finally:
        retention.stop()
        stop(*reversed(processes))


def serve(settings: Settings, model: Path) -> int:
    """`make prod`: runs until Ctrl+C or SIGTERM (or a service that ends), then stops everything."""
    settings = prod_settings(settings)
    return run_until_stopped(running_prod(settings, model), lambda: banner(settings))


def main(argv: list[str] | None = None) -> int:
    """`python -m bot.deployment.prod [--model FILE]`: like `make prod`, with a given model."""
    from bot.config import get_settings

    settings = get_settings()
    return serve(settings, model_from_command_line("python -m bot.deployment.prod", argv, settings))


if __name__ == "__main__":
    sys.exit(main())
