"""Engines, sessions and migrations for one database URL."""
from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

MIGRATIONS = Path(__file__).resolve().parent / "migrations"

log = logging.getLogger(__name__)


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        # Several processes (action server, admin CLI) share the file: wait for locks
        # instead of failing at once.
        engine = create_engine(url, future=True, connect_args={"timeout": 30})
        event.listen(engine, "connect", sqlite_pragmas)
        return engine
    return create_engine(url, future=True, pool_pre_ping=True)


def sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    # A deleted row (a conversation deleted on request, a form answer) is overwritten with
    # zeros instead of staying readable in the file's free space.
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def erase_deleted_rows(engine: Engine) -> None:
    """After a deletion for privacy: SQLite keeps older versions of the rows in its
    write-ahead log (e.g. var/tracker.db-wal) until the log is overwritten; checkpoint it into
    the database, where secure_delete zeroed them, and truncate it. PostgreSQL: autovacuum."""
    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as connection:
        busy = connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()[0]
    if busy:
        log.warning("SQLite-Journal nicht geleert (andere Verbindung liest); gelöschte Daten stehen dort bis "
                    "zum nächsten Checkpoint")


def make_session_factory(engine: Engine) -> sessionmaker:
    return sessionmaker(engine, future=True, expire_on_commit=False)


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def migrate(url: str) -> None:
    """Brings the schema to the newest migration; safe to call on every start."""
    command.upgrade(alembic_config(url), "head")
