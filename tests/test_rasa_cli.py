"""Rasa's own checks: the training data is consistent, and every test story is predicted."""
import subprocess
import sys

from bot.training import rasa_subprocess_env
from tests.conftest import ROOT


def rasa(*args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "rasa", *args], cwd=ROOT, env=rasa_subprocess_env(),
        capture_output=True, text=True, timeout=timeout,
    )


def test_rasa_data_validate():
    proc = rasa("data", "validate", "--config", "config.yml", "--domain", "domain.yml", "--data", "data",
                "--fail-on-warnings")
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]


def test_all_test_stories_pass(trained_model, tmp_path):
    proc = rasa(
        "test", "core", "--model", str(trained_model), "--stories", "tests/test_stories",
        "--out", str(tmp_path), "--fail-on-prediction-errors", "--no-plot",
    )
    report = (tmp_path / "failed_test_stories.yml")
    failed = report.read_text(encoding="utf-8") if report.exists() else ""
    assert proc.returncode == 0, failed or (proc.stdout[-4000:] + proc.stderr[-4000:])
    assert "stories" in proc.stdout + proc.stderr or (tmp_path / "story_report.json").exists()


def test_rasa_sends_no_telemetry_and_no_error_reports(monkeypatch, tmp_path):
    """Rasa's usage events (Segment) and error reports (Sentry) are on by default; every Rasa
    process of the bot is started with them off, even where a global config switched them on."""
    monkeypatch.setenv("RASA_TELEMETRY_ENABLED", "true")
    env = {**rasa_subprocess_env(), "HOME": str(tmp_path)}
    probe = ("import rasa.telemetry as t, sentry_sdk; t.initialize_error_reporting(); "
             "print(t.initialize_telemetry(), sentry_sdk.Hub.current.client is not None)")
    proc = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split()[-2:] == ["False", "False"]
