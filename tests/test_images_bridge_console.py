"""The images of the Matrix bridge and the staff console (Containerfile.bridge,
Containerfile.console), built with `make image-bridge` / `make image-console` and run for real:

- both: a fixed non-root user, no compilers, no caches, and nothing of Rasa in them,
- the console under `podman kube play` (deploy/kube-play/console.yaml, generated from
  deploy/kubernetes/70-console.yaml) against PostgreSQL: its health check passes, a user made
  with the admin CLI inside the container logs in over HTTP,
- the bridge without settings (a clear error), without a homeserver (keeps running and says so
  in its health check, the image's HEALTHCHECK reports unhealthy), and under `podman kube play`
  (deploy/kube-play/bridge.yaml) against a local Synapse: healthy, joins a room and answers
  (Rasa is not started here: with the polite "nicht erreichbar", which proves the whole path
  through Matrix).

Marker `images` (`make test-images`). Everything started here is removed again."""
from __future__ import annotations

import contextlib
import http.cookiejar
import os
import re
import shutil
import subprocess
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest
import yaml

from bot.deployment import kube_play
from tests.conftest import _throwaway_postgres, free_port, service_missing
from tests.test_matrix_synapse import ask, matrix_python, room_with_bot, synapse  # noqa: F401 - fixtures

pytestmark = pytest.mark.images

ROOT = Path(__file__).resolve().parent.parent
CONTAINERS_CONF = ROOT / "deploy" / "container" / "containers.conf"
BRIDGE_IMAGE = "localhost/asskomm-matrix-bridge:test"
CONSOLE_IMAGE = "localhost/asskomm-console:test"
STARTUP_SECONDS = 180


def podman(*args: str, check: bool = True, timeout: float = 300, stdin: str | None = None) -> subprocess.CompletedProcess:
    proc = subprocess.run(["podman", *args], capture_output=True, text=True, timeout=timeout, input=stdin,
                          env={**os.environ, "CONTAINERS_CONF": str(CONTAINERS_CONF)})
    if check:
        assert proc.returncode == 0, f"podman {' '.join(args)}:\n{proc.stdout}\n{proc.stderr}"
    return proc


def build(target: str, variable: str, image: str) -> str:
    if os.geteuid() != 0 and not shutil.which("podman"):
        service_missing("KEIN podman (als root installiert es `make image` mit apt-get)")
    started = time.monotonic()
    proc = subprocess.run(["make", target, f"{variable}={image}"], cwd=ROOT, capture_output=True, text=True,
                          timeout=1800)
    assert proc.returncode == 0, f"make {target}:\n{proc.stdout[-5000:]}\n{proc.stderr[-5000:]}"
    print(f"make {target}: {time.monotonic() - started:.0f} s; {proc.stdout.strip().splitlines()[-1]}")
    return image


@pytest.fixture(scope="module")
def bridge_image() -> str:
    return build("image-bridge", "IMAGE_BRIDGE", BRIDGE_IMAGE)


@pytest.fixture(scope="module")
def console_image() -> str:
    return build("image-console", "IMAGE_CONSOLE", CONSOLE_IMAGE)


def wait_for(what: str, ready, timeout: float = STARTUP_SECONDS, container: str = ""):
    deadline = time.monotonic() + timeout
    while True:
        result = ready()
        if result:
            return result
        if time.monotonic() > deadline:
            logs = podman("logs", "--tail", "40", container, check=False) if container else None
            pytest.fail(f"{what}: nach {timeout:.0f} s nicht erreicht\n{logs.stdout + logs.stderr if logs else ''}")
        time.sleep(1)


# --- both images ------------------------------------------------------------------------------

INSPECT = ("id -u; command -v gcc cc g++ make || true; ls -d /root/.cache /app/var/.cache 2>/dev/null || true; "
           "find /app /opt/venv -name __pycache__ | head -3; "
           "python -c 'import importlib.util as u; print([m for m in (\"rasa\", \"tensorflow\", \"synapse\", \"pip_cache\") "
           "if u.find_spec(m)])'")


@pytest.mark.parametrize("which", ["bridge", "console"])
def test_image_runs_as_a_fixed_user_without_compilers_caches_or_rasa(which, request):
    image = request.getfixturevalue(f"{which}_image")
    out = podman("run", "--rm", "--network", "none", image, "sh", "-c", INSPECT).stdout.split("\n")
    assert out[0] == "10001", out
    assert [line for line in out[1:] if line.strip()] == ["[]"], f"Compiler, Caches oder Rasa im Image: {out}"
    size = int(podman("image", "inspect", "--format", "{{.Size}}", image).stdout)
    print(f"{image}: {size / 1e6:.0f} MB")
    # The bot's image is about 2.7 GB; these two carry a small web stack each (bench/RESULTS.md).
    assert size < 400e6, f"{image}: {size / 1e6:.0f} MB"


# --- the console ------------------------------------------------------------------------------

def login_page(port: int, jar: http.cookiejar.CookieJar) -> str:
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    try:
        with opener.open(f"http://127.0.0.1:{port}/anmelden", timeout=3) as response:
            return response.read().decode() if response.status == 200 else ""
    except OSError:
        return ""


def test_console_plays_from_the_manifest_and_a_staff_member_logs_in(console_image, tmp_path):
    port = free_port()
    throwaway = contextlib.contextmanager(_throwaway_postgres)
    with throwaway() as database, throwaway() as tracker_store:
        kube_play.main(["--out", str(tmp_path), "--image-console", console_image, "--database-url", database,
                        "--tracker-store-url", tracker_store, "--console-port", str(port)])
        manifest = tmp_path / "console.yaml"
        container = "asskomm-console-pod-0-console"
        try:
            podman("kube", "play", str(manifest))
            jar = http.cookiejar.CookieJar()
            page = wait_for("Anmeldeseite der Konsole", lambda: login_page(port, jar), container=container)
            assert "Anmelden" in page and 'name="csrftoken"' in page
            # the image's health check asks the same page
            podman("exec", container, "python", "-m", "bot.console.healthcheck")

            created = podman("exec", "-i", container, "python", "-m", "bot.admin", "benutzer-anlegen", "pruefer",
                             "--rolle", "admin", stdin="ein-langes-Passwort-1\n")
            assert "Benutzer pruefer angelegt" in created.stdout

            token = re.search(r'name="csrftoken" value="([^"]+)"', page).group(1)
            opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
            form = urllib.parse.urlencode({"name": "pruefer", "passwort": "ein-langes-Passwort-1",
                                           "csrftoken": token, "weiter": "/"}).encode()
            with opener.open(f"http://127.0.0.1:{port}/anmelden", data=form, timeout=10) as response:
                start = response.read().decode()
                assert response.status == 200 and response.url.rstrip("/").endswith(str(port)), response.url
            assert "pruefer (Administration)" in start
        finally:
            podman("pod", "rm", "--force", "--time", "10", "asskomm-console-pod-0", check=False)


# --- the bridge -------------------------------------------------------------------------------

def test_bridge_without_settings_says_what_is_missing(bridge_image):
    proc = podman("run", "--rm", "--network", "none", bridge_image, check=False, timeout=60)
    assert proc.returncode == 2, proc
    assert "Matrix-Brücke: Es fehlt: ASSKOMM_MATRIX_HOMESERVER, ASSKOMM_MATRIX_USER, " \
           "ASSKOMM_MATRIX_PASSWORD oder ASSKOMM_MATRIX_ACCESS_TOKEN" in proc.stderr


def health(container: str, *flags: str) -> subprocess.CompletedProcess:
    return podman("exec", container, "python", "-m", "bot.matrix_bridge.health", *flags, check=False, timeout=30)


def test_bridge_without_homeserver_keeps_trying_and_reports_it(bridge_image):
    nobody = f"http://127.0.0.1:{free_port()}"
    container = f"asskomm-bridge-test-{uuid.uuid4().hex[:8]}"
    podman("run", "-d", "--name", container, "--network", "host",
           "-e", f"ASSKOMM_MATRIX_HOMESERVER={nobody}", "-e", "ASSKOMM_MATRIX_USER=asskomm",
           "-e", "ASSKOMM_MATRIX_PASSWORD=egal-1234", bridge_image)
    try:
        checked = wait_for("Brücke meldet den fehlenden Homeserver",
                           lambda: (c := health(container)).returncode == 1 and "nicht erreichbar" in c.stderr and c,
                           timeout=60, container=container)
        assert f"Matrix-Brücke: Homeserver nicht erreichbar ({nobody}: " in checked.stderr
        assert health(container, "--lebt").returncode == 0  # waiting, not hanging: no restart
        # the image's own HEALTHCHECK (docker format keeps it) runs the same check
        assert podman("healthcheck", "run", container, check=False).returncode != 0
        logs = podman("logs", container).stderr
        assert "Matrix: Homeserver nicht erreichbar" in logs and "Traceback" not in logs, logs
        state = podman("inspect", "--format", "{{.State.Running}}", container).stdout.strip()
        assert state == "true"
    finally:
        podman("rm", "--force", "--time", "5", container, check=False)


def memory_bytes(mem_usage: str) -> float:
    """podman stats' "45.2MB / 25.1GB" (decimal units) → bytes used."""
    value, unit = re.match(r"\s*([\d.]+)\s*([kMG]?B)", mem_usage).groups()
    return float(value) * {"B": 1, "kB": 1e3, "MB": 1e6, "GB": 1e9}[unit]


def manifest_memory_request(path: Path, container: str) -> int:
    """The memory request of one container of a Deployment, "128Mi" → bytes."""
    for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
        if document and document.get("kind") == "Deployment":
            for spec in document["spec"]["template"]["spec"]["containers"]:
                if spec["name"] == container:
                    number, unit = re.fullmatch(r"(\d+)(Ki|Mi|Gi)", spec["resources"]["requests"]["memory"]).groups()
                    return int(number) * {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30}[unit]
    raise AssertionError(f"kein Container {container} in {path}")


def test_memory_units_are_read_as_podman_and_kubernetes_write_them():
    assert memory_bytes("45.21MB / 25.1GB") == pytest.approx(45.21e6)
    assert memory_bytes("812kB / 1GB") == 812e3
    assert manifest_memory_request(ROOT / "deploy" / "kubernetes" / "60-matrix-bridge.yaml", "bridge") > 0


def test_bridge_plays_from_the_manifest_and_answers_in_a_room(bridge_image, synapse, tmp_path):  # noqa: F811
    base, account = synapse
    bot = account("asskomm-image", "bild-passwort-1")
    claim = "asskomm-matrix-bridge"
    assert podman("volume", "exists", claim, check=False).returncode != 0, \
        f"Volume {claim} gibt es schon (eine Brücke von Hand gestartet?): podman volume rm {claim}"
    # Rasa is not started: on a port where nothing listens, the bridge answers politely.
    kube_play.main(["--out", str(tmp_path), "--image-bridge", bridge_image, "--rasa-port", str(free_port()),
                    "--set", f"ASSKOMM_MATRIX_HOMESERVER={base}", "--set", "ASSKOMM_MATRIX_USER=asskomm-image",
                    "--set", "ASSKOMM_MATRIX_PASSWORD=bild-passwort-1"])
    container = "asskomm-matrix-bridge-pod-0-bridge"
    try:
        podman("kube", "play", str(tmp_path / "bridge.yaml"))
        checked = wait_for("Brücke angemeldet", lambda: (c := health(container)).returncode == 0 and c,
                           timeout=90, container=container)
        assert "angemeldet und synchronisiert" in checked.stdout
        erika = account("erika", "erika-passwort-1")
        room = room_with_bot(erika, bot.user_id)
        ask(erika, room, bot.user_id, "Was ist ASSKomm?", "Der Assistent ist gerade nicht erreichbar.")
        # its state is in the claim's volume (a restarted pod keeps its login and sync token)
        files = podman("exec", container, "ls", "/app/var/matrix").stdout.split()
        assert {"session.json", "status.json"} <= set(files), files
        # The manifest's memory request is what the scheduler reserves: the running bridge
        # must fit in it, or a full node would place it where it is killed.
        used = memory_bytes(podman("stats", "--no-stream", "--format", "{{.MemUsage}}", container).stdout)
        requested = manifest_memory_request(ROOT / "deploy" / "kubernetes" / "60-matrix-bridge.yaml", "bridge")
        assert used < requested, f"Brücke braucht {used / 2**20:.0f} MiB, angefordert {requested / 2**20:.0f} MiB"
    finally:
        podman("pod", "rm", "--force", "--time", "10", "asskomm-matrix-bridge-pod-0", check=False)
        podman("volume", "rm", "--force", claim, check=False)
