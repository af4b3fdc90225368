"""The application store as the action server and the admin CLI use it."""
from __future__ import annotations

import logging

from sqlalchemy.orm import sessionmaker

from bot.applications.mail import SmtpSettings, deliver_in_background
from bot.communes.service import shared_repository
from bot.config import get_settings

log = logging.getLogger(__name__)


def shared_sessions() -> sessionmaker:
    """The action server's one database connection pool, migrated on first use."""
    return shared_repository().sessions


def hand_over(sessions: sessionmaker) -> None:
    """Sends waiting outbox mail in the background when SMTP is configured."""
    smtp = SmtpSettings.from_settings(get_settings())
    if smtp is None:
        log.info("Kein SMTP konfiguriert (ASSKOMM_SMTP_HOST): Anfrage bleibt im Postausgang.")
        return
    deliver_in_background(sessions, smtp)
