"""Log lines without e-mail addresses and phone numbers.

Rasa logs message texts at DEBUG level (and some libraries in their error messages); a
record factory replaces what looks like an address or number before any handler sees the
line, whichever logger wrote it. Names cannot be recognised this way: run production at
INFO level (the default), where Rasa does not log message texts (see SECURITY.md)."""
from __future__ import annotations

import logging

from bot.privacy.redaction import scrub_text

_installed = False


def install_log_redaction() -> None:
    """Idempotent; called by the processes that handle messages (Rasa, action server)."""
    global _installed
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args, **kwargs) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is the logging module's business
            return record
        scrubbed = scrub_text(message)
        if scrubbed != message:
            record.msg, record.args = scrubbed, ()
        return record

    logging.setLogRecordFactory(factory)
    _installed = True
