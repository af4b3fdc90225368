""""Als Trainingsbeispiel vorschlagen": a user message the bot misunderstood, with the intent
it should have had, collected in a CSV file for a developer to review and add to data/nlu/.

The file is not training data itself: Rasa reads only YAML from data/, and bot/training.py's
fingerprint only covers YAML, so a suggestion neither changes the model nor forces a retraining.
Only the masked text (as shown in the transcript) is stored."""
from __future__ import annotations

import csv
import threading
from datetime import datetime, timezone
from pathlib import Path

import yaml

from bot.config import PROJECT_ROOT

HEADER = ["Zeitpunkt (UTC)", "vorgeschlagen von", "Intent", "Beispiel", "Gespräch", "erkannt als"]
_lock = threading.Lock()


def known_intents(domain: Path = PROJECT_ROOT / "domain.yml") -> list[str]:
    data = yaml.safe_load(domain.read_text(encoding="utf-8")) or {}
    return sorted(name if isinstance(name, str) else next(iter(name)) for name in data.get("intents", []))


def suggest(path: Path, text: str, intent: str, recognised: str, sender_id: str, actor: str) -> None:
    if intent not in known_intents():
        raise ValueError(f"Intent {intent!r} gibt es in domain.yml nicht.")
    if not text.strip():
        raise ValueError("Leere Nachricht.")
    with _lock:
        path.parent.mkdir(parents=True, exist_ok=True)
        new = not path.exists()
        with path.open("a", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, delimiter=";")
            if new:
                writer.writerow(HEADER)
            writer.writerow([datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M"), actor, intent,
                             " ".join(text.split()), sender_id, recognised])
