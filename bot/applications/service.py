"""The application store as the action server and the admin CLI use it."""
from __future__ import annotations

import logging
import threading
from typing import Optional

from sqlalchemy.orm import sessionmaker

from bot.applications.mail import SmtpSettings, deliver_in_background
from bot.config import get_settings
from bot.db import make_engine, make_session_factory, migrate

log = logging.getLogger(__name__)
_lock = threading.Lock()
_sessions: Optional[sessionmaker] = None


def shared_sessions() -> sessionmaker:
    global _sessions
    with _lock:
        if _sessions is None:
            url = get_settings().database
            migrate(url)
            _sessions = make_session_factory(make_engine(url))
        return _sessions


def hand_over(sessions: sessionmaker) -> None:
    """Sends waiting outbox mail in the background when SMTP is configured."""
    smtp = SmtpSettings.from_env()
    if smtp is None:
        log.info("Kein SMTP konfiguriert (ASSKOMM_SMTP_HOST): Anfrage bleibt im Postausgang.")
        return
    deliver_in_background(sessions, smtp)
