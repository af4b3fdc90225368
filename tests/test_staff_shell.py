"""`make shell` for LPR staff: a real action server and the shell as a process, typed into."""
import subprocess
import sys

from bot.communes.service import prepare_database
from bot.config import Settings
from bot.deployment.endpoints import write_endpoints
from bot.runner import _child_env, start_action_server, stop, wait_until_ready
from tests.conftest import ROOT, free_port


def test_the_shell_shows_answers_analysis_sources_and_takes_button_numbers(trained_model, tmp_path):
    settings = Settings(var_dir=tmp_path, action_port=free_port())
    prepare_database(settings)
    actions = start_action_server(settings, tmp_path / "actions.log")
    try:
        wait_until_ready(f"http://localhost:{settings.action_port}/health", actions, "Der Action-Server")
        typed = "/quelle\nWas ist ASSKomm?\n/quelle\n1\n/neu\n/quelle\n/stop\n"
        proc = subprocess.run(
            [sys.executable, "-m", "bot.staff_shell", str(trained_model), str(write_endpoints(settings)), "--debug"],
            input=typed,
            capture_output=True, text=True, cwd=ROOT, env=_child_env(settings), timeout=300,
        )
    finally:
        stop(actions)
    out = proc.stdout
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "noch keine Antwort aus der Wissenssammlung" in out
    assert "Bot: Die **Allianz Sichere Sächsische Kommunen" in out
    assert "Intent: ask_what_is_asskomm" in out and "Aktionen: action_answer_from_knowledge" in out
    assert "Wissenseintrag: asskomm_what" in out and "Stand: " in out
    assert "Letzte Antwort: " in out
    assert "(gewählt: " in out  # button 1 chosen by its number
    assert out.count("noch keine Antwort aus der Wissenssammlung") == 2  # /neu started afresh
    assert "Auf Wiedersehen." in out
