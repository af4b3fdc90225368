"""Rasa as our servers run it: the action server's answers are checked as strictly as Rasa
checks them, with a schema validator built once instead of on every action call; an action
server that cannot be reached is answered in German; the API token is not an argument."""
import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction

from bot.deployment import rasa_process
from bot.runner import rasa_command


@pytest.fixture
def fixed_action():
    original_validate, original_run = RemoteAction._validate_action_result, RemoteAction.run
    rasa_process.apply_fixes()
    yield RemoteAction("action_answer_from_knowledge", None)
    RemoteAction._validate_action_result, RemoteAction.run = original_validate, original_run


def test_a_valid_action_server_answer_passes(fixed_action):
    answer = {"events": [{"event": "slot", "name": "current_topic", "value": "study"}],
              "responses": [{"text": "Antwort", "buttons": []}]}
    assert fixed_action._validate_action_result(answer) is True


@pytest.mark.parametrize("answer", [
    {"events": "keine Liste"},
    {"events": [{"name": "ohne Art"}]},
    {"responses": [{"text": 1}], "events": [{"event": 7}]},
])
def test_an_invalid_answer_is_refused_as_rasa_refuses_it(fixed_action, answer):
    from jsonschema import validate

    with pytest.raises(ValidationError):  # Rasa's own check refuses it too
        validate(answer, RemoteAction.action_response_format_spec())
    with pytest.raises(ValidationError) as raised:
        fixed_action._validate_action_result(answer)
    assert "Failed to validate Action server response" in raised.value.message


def test_the_schema_is_checked_once_not_per_call(fixed_action, monkeypatch):
    validator_class = type(rasa_process._action_response_validator())  # built
    calls = []
    monkeypatch.setattr(validator_class, "check_schema", classmethod(lambda cls, schema: calls.append(schema)))
    for _ in range(5):
        fixed_action._validate_action_result({"events": [], "responses": []})
    assert calls == []


def test_the_runner_starts_rasa_with_the_fixes(tmp_path):
    from bot.config import Settings

    command = rasa_command(Settings(var_dir=tmp_path), tmp_path / "model.tar.gz")
    assert command[1:4] == ["-m", "bot.deployment.rasa_process", "run"]


SERVER = """
import sys
from bot.deployment import rasa_process
from sanic import Sanic, response

rasa_process.apply_fixes()
app = Sanic("shared_port_" + sys.argv[2])
app.add_route(lambda request: response.text(sys.argv[2]), "/")
app.run(host="127.0.0.1", port=int(sys.argv[1]), workers=1, access_log=False)
"""


def _listeners(port: int) -> int:
    import subprocess

    return len(subprocess.run(["ss", "-Hltn", f"sport = :{port}"], capture_output=True, text=True).stdout.splitlines())


def _serve_twice(port: int, share: bool) -> list:
    """Starts two servers on one port, one after the other; returns when the second listens
    too or has exited."""
    import os
    import subprocess
    import sys
    import time

    env = {**os.environ, "ASSKOMM_RASA_SHARE_PORT": str(share).lower()}
    servers = []
    for expected, name in enumerate(("eins", "zwei"), start=1):
        servers.append(subprocess.Popen([sys.executable, "-c", SERVER, str(port), name], env=env,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and servers[-1].poll() is None and _listeners(port) < expected:
            time.sleep(0.2)
    return servers


@pytest.mark.parametrize("share", [True, False])
def test_replicas_share_the_rasa_port_only_when_configured(share):
    from tests.conftest import free_port

    port = free_port()
    servers = _serve_twice(port, share)
    try:
        running = [server.poll() is None for server in servers]
        assert running == ([True, True] if share else [True, False])
        assert _listeners(port) == (2 if share else 1)
    finally:
        for server in servers:
            server.kill()
            server.wait()


def test_the_api_secrets_come_from_the_settings_inside_the_process(monkeypatch):
    from bot.config import get_settings

    monkeypatch.setenv("ASSKOMM_RASA_API_TOKEN", "t0ken")
    monkeypatch.setenv("ASSKOMM_RASA_JWT_SECRET", "s3cret")
    get_settings.cache_clear()
    try:
        argv = ["rasa", "run", "--enable-api"]
        assert rasa_process.secret_arguments(argv) == ["--auth-token", "t0ken", "--jwt-secret", "s3cret"]
        assert rasa_process.secret_arguments(["rasa", "run"]) == []  # API off: no secret needed
        assert rasa_process.secret_arguments(["rasa", "shell", "--enable-api"]) == []
    finally:
        get_settings.cache_clear()


def test_an_unreachable_action_server_is_answered_in_german_once_per_turn(fixed_action):
    import asyncio

    from rasa.core.channels import CollectingOutputChannel
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker
    from rasa.utils.endpoints import EndpointConfig

    from bot.deployment.action_failures import UNAVAILABLE
    from tests.conftest import free_port

    endpoint = EndpointConfig(f"http://127.0.0.1:{free_port()}/webhook")  # nothing listens there
    domain = Domain.from_dict({"slots": {"email": {"type": "any", "mappings": [{"type": "from_text"}]}}})
    tracker = DialogueStateTracker.from_events("u", [UserUttered("Hallo")], slots=domain.slots)

    def run(name, tracker):
        return asyncio.run(RemoteAction(name, endpoint).run(CollectingOutputChannel(), None, tracker, domain))

    events = run("action_answer_from_knowledge", tracker)
    assert [e.text for e in events if isinstance(e, BotUttered)] == [UNAVAILABLE]
    assert "vorübergehend nicht verfügbar" in UNAVAILABLE
    tracker.update(events[0])
    assert run("action_answer_from_knowledge", tracker) == []  # said once per turn
    # a form's validation: the unchecked answer is taken back, so the form asks again
    form = DialogueStateTracker.from_events("u", [UserUttered("a@b.de"), ActionExecuted("join_form"),
                                                  SlotSet("email", "a@b.de")], slots=domain.slots)
    assert SlotSet("email", None) in run("validate_join_form", form)


def test_applying_the_fixes_twice_wraps_rasa_once(fixed_action):
    import rasa.core.run

    wrapped_run, wrapped_configure = RemoteAction.run, rasa.core.run.configure_app
    rasa_process.apply_fixes()
    assert RemoteAction.run is wrapped_run
    assert rasa.core.run.configure_app is wrapped_configure and wrapped_configure.adds_readiness
