"""What the handover says to citizens and in the staff thread. Plain strings and the standard
library only: the Matrix bridge (.venv-matrix) uses them too."""
from __future__ import annotations

from datetime import datetime
from typing import Optional
from zoneinfo import ZoneInfo

STAFF_PREFIX = "LPR-Mitarbeiterin/Mitarbeiter:"
CITIZEN_PREFIX = "Bürgerin/Bürger:"
END_COMMAND = "!ende"

ENDED = ("Die Mitarbeiterin oder der Mitarbeiter des LPR hat das Gespräch beendet. "
         "Ab jetzt antworte wieder ich, der digitale Assistent. Hat Ihnen das Gespräch geholfen?")
EXPIRED = ("Leider hat gerade niemand vom Landespräventionsrat Zeit. Ich bin wieder für Sie da. "
           "Sie können eine Rückrufbitte hinterlassen: Schreiben Sie dazu „Rückruf“.")
THREAD_ENDED = "Gespräch beendet. Der Bot antwortet wieder."
THREAD_EXPIRED = "Niemand hat rechtzeitig geantwortet. Die Anfrage ist geschlossen; der Bot antwortet wieder."
THREAD_ALREADY_ENDED = "Dieses Gespräch ist bereits beendet. Ihre Nachricht wurde nicht zugestellt."
THREAD_NOT_STAFF = ("Nur Mitarbeitende des LPR können in diesem Gespräch antworten oder es beenden. "
                    "Ihre Nachricht wurde nicht zugestellt.")
CHANNELS = {"socketio": "Website-Chat", "rest": "REST", "telegram": "Telegram", "matrix": "Matrix"}


def for_user(author: Optional[str], text: str) -> str:
    """A staff message is marked as written by a person; the bot's own notices are not."""
    return f"{STAFF_PREFIX} {text}" if author else text


def thread_opening(channel: str, requested_at: datetime, transcript: str) -> str:
    local = requested_at.astimezone(ZoneInfo("Europe/Berlin"))
    lines = [
        "Neue Anfrage über den ASSKomm-Chat: Eine Person möchte mit dem LPR sprechen.",
        f"Kanal: {CHANNELS.get(channel, channel)}",
        f"Zeit: {local:%d.%m.%Y, %H:%M} Uhr",
        f"Antworten Sie in diesem Thread. Mit {END_COMMAND} beenden Sie das Gespräch.",
    ]
    if transcript.strip():
        lines += ["", "Bisheriger Verlauf (persönliche Angaben entfernt):", transcript.strip()]
    return "\n".join(lines)
