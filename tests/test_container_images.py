"""The container image and the manifests for real (issue 15): `make image` builds the image
(on a base made locally where no registry answers), `podman kube play` starts the migration
and then the bot from deploy/kube-play/ (generated from deploy/kubernetes/) against this
machine's PostgreSQL, Redis and RabbitMQ, the REST channel answers, and a conversation goes
on after one of the two Rasa pods is removed. Everything started here is removed again.

Needs root and podman (`make image` installs it with apt-get); without them the test is
skipped on a developer's machine and fails in CI (tests/conftest.py, service_missing)."""
from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import subprocess
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

from bot.deployment import kube_play
from tests.conftest import _throwaway_postgres, drain, require_service, service_missing

# About ten minutes: run by `make test-images` (which .ci/run calls after `make test`), so that
# `make test` stays under half an hour.
pytestmark = pytest.mark.images

ROOT = Path(__file__).resolve().parent.parent
IMAGE = "localhost/asskomm-bot:test"
CONTAINERS_CONF = ROOT / "deploy" / "container" / "containers.conf"
RASA_PORT, ACTION_PORT = kube_play.RASA_PORT, kube_play.ACTION_PORT
# Two Rasa replicas load their model at the same time on 2 shared cores.
STARTUP_SECONDS = 900


def podman(*args: str, check: bool = True, timeout: float = 300) -> subprocess.CompletedProcess:
    proc = subprocess.run(["podman", *args], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "CONTAINERS_CONF": str(CONTAINERS_CONF)})
    if check:
        assert proc.returncode == 0, f"podman {' '.join(args)}:\n{proc.stdout}\n{proc.stderr}"
    return proc


@pytest.fixture(scope="module")
def image() -> str:
    if os.geteuid() != 0 and not shutil.which("podman"):
        service_missing("KEIN podman (als root installiert es `make image` mit apt-get)")
    proc = subprocess.run(["make", "image", f"IMAGE={IMAGE}"], cwd=ROOT, capture_output=True, text=True,
                          timeout=3600)
    assert proc.returncode == 0, f"make image:\n{proc.stdout[-5000:]}\n{proc.stderr[-5000:]}"
    return IMAGE


def test_image_runs_as_a_fixed_user_without_compilers_or_caches(image):
    script = ("id -u; command -v gcc cc g++ || true; ls -d /root/.cache /app/var/.cache 2>/dev/null || true; "
              "ls /app/models; ls /app/var")
    out = podman("run", "--rm", "--network", "none", image, "sh", "-c", script).stdout.split()
    assert out[0] == "10001", out
    models = [word for word in out if word.startswith("asskomm-")]
    assert len(models) == 1 and models[0].endswith(".tar.gz"), out
    assert set(out[1:]) == {*models, "spacy"}, f"Compiler, Caches oder fremde Dateien im Image: {out}"


def test_image_carries_no_test_tools(image):
    """The image installs requirements.txt only: pytest, hypothesis, playwright and aiosmtpd
    (requirements-test.txt) are not in it, while Rasa and the action server are."""
    script = ("for m in rasa rasa_sdk pytest hypothesis playwright aiosmtpd; do "
              "python -c \"import importlib.util,sys; sys.exit(importlib.util.find_spec('$m') is None)\" "
              "&& echo \"$m=ja\" || echo \"$m=nein\"; done")
    out = dict(line.split("=") for line in
               podman("run", "--rm", "--network", "none", image, "sh", "-c", script).stdout.split())
    assert out == {"rasa": "ja", "rasa_sdk": "ja", "pytest": "nein", "hypothesis": "nein",
                   "playwright": "nein", "aiosmtpd": "nein"}, out


def say(sender: str, message: str) -> str:
    request = urllib.request.Request(f"http://127.0.0.1:{RASA_PORT}/webhooks/rest/webhook",
                                     data=json.dumps({"sender": sender, "message": message}).encode())
    with urllib.request.urlopen(request, timeout=120) as response:
        return "\n".join(r.get("text", "") for r in json.loads(response.read()))


def rasa_listeners() -> int:
    """Processes listening on the Rasa port: one per replica (they share it, SO_REUSEPORT)."""
    out = subprocess.run(["ss", "-Hltn", f"sport = :{RASA_PORT}"], capture_output=True, text=True).stdout
    return len(out.splitlines())


def wait_for(what: str, ready, timeout: float = STARTUP_SECONDS, logs=()) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline:
            output = "\n".join(podman("logs", "--tail", "30", name, check=False).stderr for name in logs)
            pytest.fail(f"{what}: nach {timeout:.0f} s nicht erreicht\n{output}")
        time.sleep(3)


# What kube play makes of deploy/kube-play/ (Deployments become NAME-pod-0, -1, ...).
PODS = ["asskomm-migrate", "asskomm-actions-pod-0", "asskomm-rasa-pod-0", "asskomm-rasa-pod-1"]


def remove_pods() -> None:
    """`podman kube down` stops at the first pod that is gone (the one removed on purpose)."""
    existing = podman("pod", "ls", "--format", "{{.Name}}").stdout.split()
    leftover = [pod for pod in PODS if pod in existing]
    if leftover:
        podman("pod", "rm", "--force", "--time", "30", *leftover, timeout=600)


def rasa_answers() -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{RASA_PORT}/", timeout=3) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.fixture
def services():
    require_service("Redis", 6379)
    require_service("RabbitMQ", 5672)
    for port in (RASA_PORT, ACTION_PORT):
        assert not subprocess.run(["ss", "-Hltn", f"sport = :{port}"], capture_output=True, text=True).stdout, \
            f"Port {port} ist schon belegt"
    with contextlib.contextmanager(_throwaway_postgres)() as database, \
            contextlib.contextmanager(_throwaway_postgres)() as tracker_store:
        yield database, tracker_store


def test_kube_play_serves_a_conversation_across_replicas(image, services, tmp_path):
    database, tracker_store = services
    queue = f"asskomm_test_{uuid.uuid4().hex[:8]}"
    out = tmp_path / "kube-play"
    kube_play.main(["--out", str(out), "--image", image, "--database-url", database,
                    "--tracker-store-url", tracker_store, "--redis-url", "redis://127.0.0.1:6379/7",
                    "--rabbitmq-url", "amqp://guest:guest@127.0.0.1:5672/", "--set", f"ASSKOMM_RABBITMQ_QUEUE={queue}"])
    migrate, bot = out / "migrate.yaml", out / "bot.yaml"
    try:
        podman("kube", "play", str(migrate))
        exit_code = podman("wait", "asskomm-migrate-migrate", timeout=900).stdout.strip()
        assert exit_code == "0", podman("logs", "asskomm-migrate-migrate", check=False).stderr

        podman("kube", "play", str(bot))
        rasa = ["asskomm-rasa-pod-0-rasa", "asskomm-rasa-pod-1-rasa"]
        wait_for("zwei Rasa-Replikate auf einem Port", lambda: rasa_listeners() == 2, logs=rasa)
        wait_for("Rasa antwortet", rasa_answers, logs=rasa)

        # the image's health check knows which server its container runs (kube play does not
        # schedule it: podman 4.3 ignores an image's HEALTHCHECK there)
        for container in ["asskomm-actions-pod-0-actions", *rasa]:
            podman("exec", container, "python", "-m", "bot.deployment.healthcheck")

        sender = f"kube-{uuid.uuid4().hex[:8]}"
        assert "Quelle" in say(sender, "Was ist ASSKomm?")
        assert "11.01.2022" in say(sender, "Ist Werdau Mitglied bei ASSKomm?")

        podman("pod", "rm", "--force", "asskomm-rasa-pod-0")
        wait_for("ein Rasa-Replikat übrig", lambda: rasa_listeners() == 1, timeout=60)
        # the surviving replica knows the commune from the turn before (PostgreSQL tracker store)
        assert "11.01.2022" in say(sender, "Und seit wann?")
    finally:
        remove_pods()

    events = asyncio.run(drain(queue))
    assert [e["text"] for e in events if e.get("event") == "user" and e["sender_id"] == sender] == [
        "Was ist ASSKomm?", "Ist Werdau Mitglied bei ASSKomm?", "Und seit wann?"]
