"""The commune service as the action server and the admin CLI use it: one database per
process, migrated and seeded on first use."""
from __future__ import annotations

import threading
from typing import Optional

from bot.communes import programme, seed
from bot.communes.repository import CommuneRepository
from bot.config import Settings, get_settings
from bot.db import make_engine, make_session_factory, migrate


def german_stop_words() -> frozenset[str]:
    # spaCy's list keeps everyday words ("dabei", "noch") from being read as commune names.
    from spacy.lang.de.stop_words import STOP_WORDS

    return frozenset(STOP_WORDS)


def prepare_database(settings: Settings) -> str:
    """Migrates and seeds the database; returns a line saying what it holds."""
    migrate(settings.database)
    sessions = make_session_factory(make_engine(settings.database))
    seed.prepare(sessions, settings.knowledge_dir)
    programme.load(settings.knowledge_dir / "communes" / "programme.yml")  # a broken file stops the start
    repository = CommuneRepository(sessions)
    communes = len(repository.matcher().communes)
    facts = sum(repository.count_by_status().values())
    where = settings.database.split("@")[-1] if "@" in settings.database else settings.database
    return f"Datenbank: {where} ({communes} Kommunen, {facts} belegte ASSKomm-Angaben)"


def open_repository(settings: Settings, prepare: bool = True) -> CommuneRepository:
    if prepare:
        prepare_database(settings)
    else:
        migrate(settings.database)
    sessions = make_session_factory(make_engine(settings.database))
    return CommuneRepository(sessions, german_stop_words())


_lock = threading.Lock()
_shared: Optional[CommuneRepository] = None


def shared_repository() -> CommuneRepository:
    global _shared
    with _lock:
        if _shared is None:
            _shared = open_repository(get_settings())
        return _shared
