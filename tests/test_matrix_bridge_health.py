"""The Matrix bridge's health as its container and Kubernetes see it (bot/matrix_bridge/health.py):
the status file the bridge keeps, read without a homeserver; tests/test_images_bridge_console.py
runs the same check inside the bridge's image."""
from __future__ import annotations

import json
import time

from bot.matrix_bridge import health


def test_healthy_only_when_logged_in_and_synced_lately(tmp_path):
    health.report(tmp_path, health.CONNECTED)
    assert health.check(tmp_path)[0]
    later = time.time() + health.MAX_AGE_S + 1
    healthy, why = health.check(tmp_path, now=later)
    assert not healthy and "Synchronisierung" in why
    # the loop may still run (a long outage of the homeserver is no reason to restart)
    assert health.check(tmp_path, alive_only=True, now=later)[0]
    assert not health.check(tmp_path, alive_only=True, now=time.time() + health.ALIVE_AGE_S + 1)[0]


def test_an_unreachable_homeserver_is_reported_with_its_reason(tmp_path):
    health.report(tmp_path, health.UNREACHABLE, "http://127.0.0.1:9: ClientConnectorError")
    healthy, why = health.check(tmp_path)
    assert not healthy
    assert why == "Homeserver nicht erreichbar (http://127.0.0.1:9: ClientConnectorError)"
    assert health.check(tmp_path, alive_only=True)[0]


def test_starting_and_refused_are_not_healthy(tmp_path):
    for state in (health.STARTING, health.LOGIN_REFUSED):
        health.report(tmp_path, state)
        assert health.check(tmp_path) == (False, health.DESCRIPTIONS[state])


def test_without_a_status_file_the_bridge_has_not_started(tmp_path):
    healthy, why = health.check(tmp_path / "leer")
    assert not healthy and "keine Statusdatei" in why
    (tmp_path / health.STATUS_FILE).write_text("{halb", encoding="utf-8")
    assert not health.check(tmp_path)[0]


def test_the_file_is_written_whole_and_where_the_bridge_keeps_its_session(tmp_path):
    health.report(tmp_path / "matrix", health.CONNECTED, "x" * 2000)
    data = json.loads((tmp_path / "matrix" / health.STATUS_FILE).read_text(encoding="utf-8"))
    assert data["state"] == health.CONNECTED and len(data["detail"]) == 500
    assert not list((tmp_path / "matrix").glob("*.tmp"))
    assert health.store_dir_from_env({"ASSKOMM_MATRIX_STORE_DIR": "/daten/matrix"}) == health.Path("/daten/matrix")
    assert health.store_dir_from_env({"ASSKOMM_VAR_DIR": "/app/var"}) == health.Path("/app/var/matrix")


def test_the_command_exits_0_only_when_healthy(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ASSKOMM_MATRIX_STORE_DIR", str(tmp_path))
    health.report(tmp_path, health.UNREACHABLE, "Synchronisierung: Zeitüberschreitung")
    assert health.main([]) == 1
    assert "Matrix-Brücke: Homeserver nicht erreichbar" in capsys.readouterr().err
    assert health.main(["--lebt"]) == 0
    health.report(tmp_path, health.CONNECTED)
    assert health.main([]) == 0
    assert "angemeldet und synchronisiert" in capsys.readouterr().out
