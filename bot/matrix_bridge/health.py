"""The bridge's health, for its container (Containerfile.bridge HEALTHCHECK) and Kubernetes
(deploy/kubernetes/60-matrix-bridge.yaml): the bridge has no HTTP port, so it keeps a small
status file in its store directory, rewritten at start, after the login and after every
sync (at least every 30 s, the long poll's timeout), and `python -m bot.matrix_bridge.health`
reads it.

- without flags: healthy = logged in and the last sync succeeded within MAX_AGE_S
  (the process alive and talking to the homeserver),
- `--lebt`: the bridge's loop still turns (the file was written within ALIVE_AGE_S, whatever
  the state), so a homeserver outage does not get the bridge restarted over and over, a hung
  process does.

Standard library only: it runs in the bridge's image and environment (.venv-matrix).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Dict, Optional, Tuple

STATUS_FILE = "status.json"
STARTING, CONNECTED, UNREACHABLE, LOGIN_REFUSED = "startet", "verbunden", "nicht erreichbar", "abgelehnt"
# A sync returns after 30 s at most when nothing happens; two missed ones are not a hiccup.
MAX_AGE_S = 120.0
# Sync retries back off to 60 s and nio may wait 60 s for each of 4 attempts of a request.
ALIVE_AGE_S = 600.0

DESCRIPTIONS = {
    STARTING: "Brücke startet, noch nicht angemeldet",
    CONNECTED: "angemeldet und synchronisiert",
    UNREACHABLE: "Homeserver nicht erreichbar",
    LOGIN_REFUSED: "Anmeldung am Homeserver abgelehnt",
}


def status_path(store_dir: Path) -> Path:
    return Path(store_dir) / STATUS_FILE


def report(store_dir: Path, state: str, detail: str = "") -> None:
    """Writes the state atomically (the health check never reads half a file)."""
    path = status_path(store_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"state": state, "detail": detail[:500], "time": time.time()}), encoding="utf-8")
    tmp.replace(path)


def read(store_dir: Path) -> Optional[Dict]:
    try:
        return json.loads(status_path(store_dir).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def check(store_dir: Path, alive_only: bool = False, now: Optional[float] = None) -> Tuple[bool, str]:
    """(healthy, a German sentence saying why) from the status file."""
    status = read(store_dir)
    if status is None:
        return False, f"keine Statusdatei {status_path(store_dir)} (Brücke nicht gestartet?)"
    age = (time.time() if now is None else now) - float(status.get("time", 0))
    state = status.get("state", "")
    text = DESCRIPTIONS.get(state, state)
    if status.get("detail"):
        text += f" ({status['detail']})"
    if alive_only:
        return age <= ALIVE_AGE_S, f"{text}; zuletzt vor {age:.0f} s"
    if state != CONNECTED:
        return False, text
    if age > MAX_AGE_S:
        return False, f"letzte erfolgreiche Synchronisierung vor {age:.0f} s"
    return True, f"{text}; zuletzt vor {age:.0f} s"


def store_dir_from_env(env: Optional[Dict[str, str]] = None) -> Path:
    """ASSKOMM_MATRIX_STORE_DIR as the bridge reads it (BridgeConfig.from_env), without the
    settings the check does not need (and must not ask for: the password)."""
    env = os.environ if env is None else env
    return Path(env.get("ASSKOMM_MATRIX_STORE_DIR") or Path(env.get("ASSKOMM_VAR_DIR", "var")) / "matrix")


def main(argv: Optional[list] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.matrix_bridge.health",
                                     description="Zustand der Matrix-Brücke (Rückgabewert 0 = gesund).")
    parser.add_argument("--lebt", action="store_true", help="nur prüfen, ob die Brücke noch arbeitet")
    args = parser.parse_args(argv)
    healthy, why = check(store_dir_from_env(), alive_only=args.lebt)
    print(f"Matrix-Brücke: {why}", file=sys.stdout if healthy else sys.stderr)
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main())
