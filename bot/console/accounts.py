"""Staff users of the console: creation, password check with lock-out, roles.

Passwords are hashed with argon2id (argon2-cffi's defaults, RFC 9106 low-memory profile).
After MAX_FAILED_LOGINS wrong passwords in a row an account is locked for LOCKOUT; the
lock and the unlock are in the audit log.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Optional

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from bot.console import audit
from bot.db.models import StaffUser

ROLES = {
    "admin": "Administration",
    "sachbearbeitung": "Sachbearbeitung",
    "redaktion": "Redaktion",
    "auswertung": "Auswertung",
}
MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 12
NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,79}$")

_hasher = PasswordHasher()
# Checked when the user name is unknown, so a wrong name takes as long as a wrong password.
_DUMMY_HASH = _hasher.hash("kein Benutzer mit diesem Namen")


@dataclass(frozen=True)
class Login:
    user: Optional[StaffUser]
    outcome: str  # ok | invalid | locked


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _aware(moment: Optional[datetime]) -> Optional[datetime]:
    # SQLite returns naive datetimes for timezone-aware columns; they were stored as UTC.
    return moment.replace(tzinfo=timezone.utc) if moment and moment.tzinfo is None else moment


def validate_new(name: str, role: str, password: str) -> None:
    if not NAME.match(name):
        raise ValueError("Der Benutzername darf nur Kleinbuchstaben, Ziffern, Punkt, Binde- und Unterstrich "
                         "enthalten (2 bis 80 Zeichen).")
    if role not in ROLES:
        raise ValueError(f"Rolle {role!r} unbekannt; erlaubt: {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"Das Passwort muss mindestens {MIN_PASSWORD_LENGTH} Zeichen lang sein.")


def create_user(sessions: sessionmaker, name: str, role: str, password: str, actor: str) -> StaffUser:
    name = name.strip().lower()
    validate_new(name, role, password)
    with sessions.begin() as session:
        if session.execute(select(StaffUser.id).where(StaffUser.name == name)).first():
            raise ValueError(f"Benutzer {name!r} gibt es schon.")
        user = StaffUser(name=name, role=role, password_hash=_hasher.hash(password), active=True,
                         failed_logins=0)
        session.add(user)
        audit.record(session, actor, "benutzer.angelegt", f"benutzer:{name}", after={"rolle": role})
        return user


def set_password(sessions: sessionmaker, name: str, password: str, actor: str) -> None:
    """A new password (forgotten, or after a lock-out); also lifts the lock and reactivates."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"Das Passwort muss mindestens {MIN_PASSWORD_LENGTH} Zeichen lang sein.")
    with sessions.begin() as session:
        user = _existing(session, name)
        was_active = user.active
        user.password_hash, user.failed_logins, user.locked_until, user.active = _hasher.hash(password), 0, None, True
        audit.record(session, actor, "benutzer.passwort", f"benutzer:{user.name}",
                     before={"aktiv": was_active}, after={"aktiv": True})


def deactivate(sessions: sessionmaker, name: str, actor: str) -> None:
    """No more logins (open sessions end with their next request); the audit trail keeps the name."""
    with sessions.begin() as session:
        user = _existing(session, name)
        audit.record(session, actor, "benutzer.deaktiviert", f"benutzer:{user.name}",
                     before={"aktiv": user.active}, after={"aktiv": False})
        user.active = False


def _existing(session, name: str) -> StaffUser:
    user = session.execute(select(StaffUser).where(StaffUser.name == name.strip().lower())).scalar_one_or_none()
    if user is None:
        raise ValueError(f"Benutzer {name!r} gibt es nicht.")
    return user


def authenticate(sessions: sessionmaker, name: str, password: str, now: Optional[datetime] = None) -> Login:
    now = now or _now()
    name = (name or "").strip().lower()
    with sessions.begin() as session:
        user = session.execute(select(StaffUser).where(StaffUser.name == name)).scalar_one_or_none()
        if user is None or not user.active:
            _verify(_DUMMY_HASH, password)
            return Login(None, "invalid")
        locked_until = _aware(user.locked_until)
        if locked_until and locked_until > now:
            return Login(None, "locked")
        if not _verify(user.password_hash, password):
            user.failed_logins = (user.failed_logins or 0) + 1
            if user.failed_logins >= MAX_FAILED_LOGINS:
                user.locked_until = now + LOCKOUT
                user.failed_logins = 0
                audit.record(session, name, "benutzer.gesperrt", f"benutzer:{name}",
                             after={"gesperrt_bis": user.locked_until.isoformat()},
                             note=f"{MAX_FAILED_LOGINS} falsche Passwörter in Folge")
                return Login(None, "locked")
            return Login(None, "invalid")
        if _hasher.check_needs_rehash(user.password_hash):
            user.password_hash = _hasher.hash(password)
        user.failed_logins = 0
        user.locked_until = None
        user.last_login_at = now
        audit.record(session, name, "anmeldung", f"benutzer:{name}")
        return Login(user, "ok")


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password or "")
    except (VerificationError, InvalidHashError):
        return False


def find(sessions: sessionmaker, user_id: int) -> Optional[StaffUser]:
    with sessions() as session:
        return session.get(StaffUser, user_id)


def all_users(sessions: sessionmaker) -> list[StaffUser]:
    with sessions() as session:
        return list(session.execute(select(StaffUser).order_by(StaffUser.name)).scalars())


def may(role: str, area: str) -> bool:
    """Whether a role may open an area of the console; admins may open every area."""
    return role == "admin" or role in AREAS.get(area, ())


# Which roles work in which area (admin: all of them, plus users and audit log).
AREAS = {
    "anfragen": ("sachbearbeitung",),
    "gespraeche": ("auswertung",),
    "statistik": ("auswertung",),
    "wissen": ("redaktion",),
    "protokoll": (),
}
