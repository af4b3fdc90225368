"""Real faults for tests/test_faults.py: a PostgreSQL server of the test's own (restarted while
the bot runs, never the machine's one), a TCP proxy that can cut the line to a real service,
and ports from the range a test run may use."""
from __future__ import annotations

import asyncio
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import Optional

from tests.conftest import service_answers, service_missing

# Several bots run side by side on a development machine: each test run takes its ports from
# its own range ("5810-5829"); proxies and the private PostgreSQL use the same numbers + 10000.
PORT_RANGE_VARIABLE = "ASSKOMM_TEST_PORTS"


def port_range() -> range:
    first, _, last = os.environ.get(PORT_RANGE_VARIABLE, "5810-5829").partition("-")
    return range(int(first), int(last or first) + 1)


def free_ports(count: int, offset: int = 0) -> list[int]:
    ports = [p + offset for p in port_range() if not service_answers(p + offset)][:count]
    if len(ports) < count:
        raise RuntimeError(f"Keine {count} freien Ports in {PORT_RANGE_VARIABLE} (+{offset})")
    return ports


def _postgres_bin() -> Optional[Path]:
    found = shutil.which("pg_ctl") or next(iter(sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), reverse=True)),
                                           None)
    return Path(found).parent if found else None


class PrivatePostgres:
    """initdb + pg_ctl in a temporary folder, listening on 127.0.0.1:<port> only. PostgreSQL
    refuses to run as root: then it runs as the system user "postgres"."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.bin = _postgres_bin()
        if self.bin is None:
            service_missing("KEIN PostgreSQL-Server-Programm (pg_ctl) für den eigenen Test-Server")
        self.root = Path(tempfile.mkdtemp(prefix="asskomm-pg-"))
        self.data = self.root / "data"
        self.user = "postgres" if os.geteuid() == 0 else None
        if self.user:
            entry = pwd.getpwnam(self.user)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        subprocess.run([str(self.bin / args[0]), *args[1:]], check=True, user=self.user, cwd=self.root,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=120)

    def start(self) -> "PrivatePostgres":
        if not self.data.exists():
            self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                      "--locale=C.UTF-8")
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.root / "server.log"), "-w", "start")
        return self

    def stop(self) -> None:
        # "fast": open connections are cut, as a crash or an operator's restart cuts them
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def restart(self) -> None:
        self.stop()
        self.start()

    def remove(self) -> None:
        try:
            self.stop()
        except subprocess.CalledProcessError:
            pass  # not running
        shutil.rmtree(self.root, ignore_errors=True)


class TcpProxy:
    """127.0.0.1:<port> → target, in a thread of its own. cut() closes every connection and
    stops listening (the service looks down: connections are refused); restore() listens again."""

    def __init__(self, port: int, target_port: int, target_host: str = "127.0.0.1") -> None:
        self.port, self.target = port, (target_host, target_port)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.server: Optional[asyncio.AbstractServer] = None
        self.writers: set[asyncio.StreamWriter] = set()

    def __enter__(self) -> "TcpProxy":
        self.thread.start()
        self.restore()
        return self

    def __exit__(self, *_) -> None:
        self.cut()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)

    def _call(self, coroutine) -> None:
        asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=10)

    def restore(self) -> None:
        async def listen() -> None:
            self.server = await asyncio.start_server(self._connection, "127.0.0.1", self.port)
        self._call(listen())

    def cut(self) -> None:
        async def close() -> None:
            if self.server is not None:
                self.server.close()
                await self.server.wait_closed()
                self.server = None
            for writer in list(self.writers):
                writer.transport.abort()
            self.writers.clear()
        self._call(close())

    async def _connection(self, client_reader, client_writer) -> None:
        try:
            server_reader, server_writer = await asyncio.open_connection(*self.target)
        except OSError:
            client_writer.transport.abort()
            return
        self.writers |= {client_writer, server_writer}
        await asyncio.gather(self._pipe(client_reader, server_writer), self._pipe(server_reader, client_writer))

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            self.writers.discard(writer)
            writer.transport.abort()
