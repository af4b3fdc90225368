"""`python -m bot.deployment.serve_rasa`: Rasa alone, as a container runs it, next to an
action server of its own (deploy/kubernetes/)."""
import json
import os
import subprocess
import sys
import urllib.request

from bot.communes.service import prepare_database
from bot.config import Settings
from bot.runner import _child_env, start_action_server, stop, wait_until_ready
from tests.conftest import ROOT, free_port


def test_without_a_model_it_says_what_to_do(tmp_path):
    env = {**os.environ, "ASSKOMM_MODELS_DIR": str(tmp_path), "ASSKOMM_VAR_DIR": str(tmp_path)}
    proc = subprocess.run([sys.executable, "-m", "bot.deployment.serve_rasa"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0 and "python -m bot train" in proc.stderr


def test_it_serves_rest_with_a_separate_action_server(trained_model, tmp_path):
    settings = Settings(var_dir=tmp_path, rasa_port=free_port(), action_port=free_port())
    prepare_database(settings)
    actions = start_action_server(settings, tmp_path / "actions.log")
    rasa = subprocess.Popen([sys.executable, "-m", "bot.deployment.serve_rasa", "--model", str(trained_model)], cwd=ROOT,
                            env=_child_env(settings), stdout=open(tmp_path / "rasa.log", "ab"),
                            stderr=subprocess.STDOUT)
    try:
        wait_until_ready(f"http://localhost:{settings.action_port}/health", actions, "Der Action-Server")
        wait_until_ready(f"http://localhost:{settings.rasa_port}/", rasa, "Rasa")
        request = urllib.request.Request(f"http://localhost:{settings.rasa_port}/webhooks/rest/webhook",
                                         data=json.dumps({"sender": "k8s", "message": "Was ist ASSKomm?"}).encode())
        with urllib.request.urlopen(request, timeout=120) as response:
            assert "Quelle" in response.read().decode()
    finally:
        stop(rasa, actions)
