"""The project's relational database: communes and ASSKomm memberships (later applications).

SQLite under var/ by default, PostgreSQL when DATABASE_URL says so. Code is written in the
SQLAlchemy 2.0 style (select(), Session.execute, future engines) on the 1.4 that Rasa pins.
"""
from bot.db.engine import make_engine, make_session_factory, migrate
from bot.db.models import Base, Commune, Membership

__all__ = ["Base", "Commune", "Membership", "make_engine", "make_session_factory", "migrate"]
