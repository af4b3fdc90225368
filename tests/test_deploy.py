"""The deployment templates under deploy/: Kubernetes manifests validated offline against the
Kubernetes 1.30 schemas (kubernetes-validate, in its own virtual environment), the nginx
configuration checked by `nginx -t`, and the manifests checked against the project's settings.

kubernetes-validate is installed once into var/deploy-venv (var/ is git-ignored) with the
system python3; nginx is installed with apt-get when missing (root only, else the test fails
and says why)."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "kubernetes"
NGINX_CONF = DEPLOY / "nginx" / "asskomm.conf"

KUBERNETES_VALIDATE = "kubernetes-validate==1.37.0"
KUBERNETES_VERSION = "1.30.0"
VALIDATE_VENV = ROOT / "var" / "deploy-venv"
NGINX = Path("/usr/sbin/nginx")
IMAGE = "registry.example.org/asskomm-bot:1.0.0"
# The two services with images of their own (Containerfile.bridge, Containerfile.console).
OWN_IMAGES = {"asskomm-matrix-bridge": "registry.example.org/asskomm-matrix-bridge:1.0.0",
              "asskomm-console": "registry.example.org/asskomm-console:1.0.0"}


def manifest_files() -> list[Path]:
    return sorted(K8S.rglob("*.yaml"))


def documents() -> list[tuple[Path, dict]]:
    docs = []
    for path in manifest_files():
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if doc:
                docs.append((path, doc))
    return docs


def find(kind: str, name: str) -> dict:
    matches = [d for _, d in documents() if d["kind"] == kind and d["metadata"]["name"] == name]
    assert len(matches) == 1, f"{kind}/{name}: {len(matches)} Objekte gefunden"
    return matches[0]


def pod_specs() -> list[tuple[str, dict]]:
    specs = []
    for _, doc in documents():
        if doc["kind"] in ("Deployment", "Job"):
            specs.append((f"{doc['kind']}/{doc['metadata']['name']}", doc["spec"]["template"]["spec"]))
        elif doc["kind"] == "CronJob":
            specs.append((f"CronJob/{doc['metadata']['name']}", doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]))
    return specs


# --- (a) offline schema validation ------------------------------------------------------


def system_python() -> str:
    for candidate in ("/usr/bin/python3", shutil.which("python3", path=os.defpath)):
        if candidate and Path(candidate).exists():
            return candidate
    pytest.fail("Kein System-python3 gefunden (für die Umgebung von kubernetes-validate nötig).")


def validator() -> Path:
    """kubernetes-validate in var/deploy-venv, (re)installed when the pin changes."""
    exe = VALIDATE_VENV / "bin" / "kubernetes-validate"
    stamp = VALIDATE_VENV / ".installed"
    if exe.exists() and stamp.exists() and stamp.read_text().strip() == KUBERNETES_VALIDATE:
        return exe
    shutil.rmtree(VALIDATE_VENV, ignore_errors=True)
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")}
    subprocess.run([system_python(), "-m", "venv", str(VALIDATE_VENV)], check=True, env=env)
    proc = subprocess.run(
        [str(VALIDATE_VENV / "bin" / "python"), "-m", "pip", "install", "--disable-pip-version-check",
         "--progress-bar", "off", "-q", KUBERNETES_VALIDATE],
        capture_output=True, text=True, env=env,
    )
    assert proc.returncode == 0, f"Installation von {KUBERNETES_VALIDATE} fehlgeschlagen:\n{proc.stdout}\n{proc.stderr}"
    stamp.write_text(KUBERNETES_VALIDATE + "\n")
    return exe


def test_manifests_are_valid_kubernetes_objects():
    files = manifest_files()
    assert len(files) >= 6, files
    proc = subprocess.run(
        [str(validator()), "--strict", "-k", KUBERNETES_VERSION, *map(str, files)],
        capture_output=True, text=True, cwd=ROOT,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    # Every object was checked (the CLI says "passed" once per object).
    assert output.count(" passed ") == len(documents()), output


# --- (b) nginx -t -----------------------------------------------------------------------


def ensure_nginx() -> Path:
    if NGINX.exists():
        return NGINX
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        pytest.fail(f"{NGINX} fehlt; als root mit apt-get installierbar: apt-get install nginx-light")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    steps = (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "nginx-light"])
    for cmd in steps:
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
        assert proc.returncode == 0, f"{' '.join(cmd)} fehlgeschlagen:\n{proc.stdout}\n{proc.stderr}"
    assert NGINX.exists(), f"nginx-light installiert, aber {NGINX} fehlt"
    return NGINX


def test_nginx_configuration_is_accepted(tmp_path):
    nginx = ensure_nginx()
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=bot.example.org", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    text = NGINX_CONF.read_text(encoding="utf-8")
    placeholders = re.findall(r"^\s*(ssl_certificate(?:_key)?)\s+(\S+);", text, re.M)
    assert sorted(name for name, _ in placeholders) == ["ssl_certificate", "ssl_certificate_key"], placeholders
    for name, path in placeholders:
        text = re.sub(rf"^(\s*{name}\s+){re.escape(path)};", rf"\g<1>{cert if name == 'ssl_certificate' else key};",
                      text, flags=re.M)
    site = tmp_path / "asskomm.conf"
    site.write_text(text, encoding="utf-8")
    wrapper = tmp_path / "nginx.conf"
    wrapper.write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n    access_log off;\n    include {site};\n}}\n",
        encoding="utf-8",
    )
    proc = subprocess.run([str(nginx), "-t", "-p", str(tmp_path), "-c", str(wrapper)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "test is successful" in proc.stderr, proc.stderr


def test_nginx_configuration_proxies_the_bot():
    text = NGINX_CONF.read_text(encoding="utf-8")
    upstream = re.search(r"upstream\s+asskomm_rasa\s*\{(.*?)\}", text, re.S).group(1)
    assert re.search(r"^\s*ip_hash;", upstream, re.M)
    assert re.search(r"^\s*server 127\.0\.0\.1:5005\b", upstream, re.M)
    socketio = re.search(r"location /socket\.io/ \{(.*?)\}", text, re.S).group(1)
    assert "proxy_pass http://asskomm_rasa;" in socketio
    assert "proxy_set_header Upgrade" in socketio and "proxy_read_timeout" in socketio
    assert re.search(r"location /webhooks/ \{[^}]*proxy_pass http://asskomm_rasa;", text, re.S)
    assert re.search(r"^\s*client_max_body_size \d+[kKmM];", text, re.M)
    for header in ("Strict-Transport-Security", "X-Content-Type-Options"):
        assert f"add_header {header}" in text
    # Headers set at server level are dropped in a location that has its own add_header.
    for block in re.findall(r"location [^{]+\{(.*?)\}", text, re.S):
        assert "add_header" not in block


# --- (c) manifests against the project's settings ----------------------------------------


def bridge_variables() -> set[str]:
    """What the Matrix bridge reads from the environment itself (it runs without bot/config.py,
    whose pydantic 1 its environment does not have): the names in its source."""
    names = set()
    for path in (ROOT / "bot" / "matrix_bridge").glob("*.py"):
        names |= set(re.findall(r"[\"'](ASSKOMM_[A-Z0-9_]+)[\"']", path.read_text(encoding="utf-8")))
    assert {"ASSKOMM_MATRIX_HOMESERVER", "ASSKOMM_MATRIX_PASSWORD", "ASSKOMM_MATRIX_STORE_DIR"} <= names, names
    return names


def allowed_variables() -> set[str]:
    from bot.config import Settings

    names = set()
    for name, field in Settings.__fields__.items():
        names.add(field.field_info.extra.get("env") or f"ASSKOMM_{name.upper()}")
    assert "DATABASE_URL" in names and "ASSKOMM_SMTP_HOST" in names
    return names | bridge_variables()


def used_variables() -> dict[str, str]:
    used = {}
    for _, doc in documents():
        where = f"{doc['kind']}/{doc['metadata']['name']}"
        if doc["kind"] == "ConfigMap":
            used.update({key: where for key in doc.get("data", {})})
        if doc["kind"] == "Secret":
            used.update({key: where for key in doc.get("stringData", {})})
    for where, spec in pod_specs():
        for container in spec["containers"]:
            used.update({env["name"]: where for env in container.get("env", [])})
    return used


def test_every_variable_is_a_setting_of_the_project():
    allowed = allowed_variables()
    unknown = {name: where for name, where in used_variables().items() if name not in allowed}
    assert not unknown, f"keine Einstellungen von bot/config.py: {unknown}"


def test_pods_read_the_configmap_and_secret_that_exist():
    find("ConfigMap", "asskomm-config")
    secret = find("Secret", "asskomm-secrets")
    for where, spec in pod_specs():
        # Service links would set ASSKOMM_RASA_PORT=tcp://… (from the Service asskomm-rasa).
        assert spec.get("enableServiceLinks") is False, where
        name = where.split("/", 1)[1]
        for container in spec["containers"]:
            refs = {(k, v["name"]) for ref in container.get("envFrom", []) for k, v in ref.items()}
            keys = [e["valueFrom"]["secretKeyRef"] for e in container.get("env", []) if "valueFrom" in e]
            if name in OWN_IMAGES:
                # the bridge and the console get only the secret values they use, by name
                assert refs == {("configMapRef", "asskomm-config")}, where
                assert keys and all(k["name"] == "asskomm-secrets" and k["key"] in secret["stringData"]
                                    for k in keys), where
                assert [e["name"] for e in container["env"]] == [k["key"] for k in keys], where
            else:
                assert refs == {("configMapRef", "asskomm-config"), ("secretRef", "asskomm-secrets")}, where
            assert container["image"] == OWN_IMAGES.get(name, IMAGE), where


def test_all_objects_live_in_the_namespace():
    find("Namespace", "asskomm")
    for path, doc in documents():
        if doc["kind"] != "Namespace":
            assert doc["metadata"].get("namespace") == "asskomm", f"{path.name}: {doc['kind']}/{doc['metadata']['name']}"


def _port(container: dict, port) -> int:
    if isinstance(port, int):
        return port
    return next(p["containerPort"] for p in container["ports"] if p.get("name") == port)


# Probe paths: start-up and readiness, liveness. Rasa is ready only after its warm-up
# (bot/deployment/readiness.py) and alive as soon as it answers at all.
@pytest.mark.parametrize("name, paths, port, command", [
    ("asskomm-rasa", ("/ready", "/"), 5005, ["python", "-m", "bot.deployment.serve_rasa"]),
    ("asskomm-actions", ("/health", "/health"), 5055,
     ["python", "-m", "rasa_sdk", "--actions", "actions", "--port", "5055"]),
])
def test_deployments_have_probes_resources_and_commands(name, paths, port, command):
    deployment = find("Deployment", name)
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert container["command"] == command
    ready, alive = paths
    for probe, path in (("startupProbe", ready), ("readinessProbe", ready), ("livenessProbe", alive)):
        check = container[probe]["httpGet"]
        assert (check["path"], _port(container, check["port"])) == (path, port), probe
    resources = container["resources"]
    for part in ("requests", "limits"):
        assert {"cpu", "memory"} <= set(resources[part]), part
    service = find("Service", name)
    assert service["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]
    assert [p["port"] for p in service["spec"]["ports"]] == [port]


def test_rasa_runs_at_least_twice_and_keeps_one_during_maintenance():
    rasa = find("Deployment", "asskomm-rasa")
    assert rasa["spec"]["replicas"] >= 2
    (container,) = rasa["spec"]["template"]["spec"]["containers"]
    # ~1.5 GiB RSS per Rasa instance (bench/RESULTS.md machine: 2 cores, 24 GiB).
    assert container["resources"]["requests"]["memory"] == "1536Mi"
    pdb = find("PodDisruptionBudget", "asskomm-rasa")
    assert pdb["spec"]["selector"]["matchLabels"] == rasa["spec"]["selector"]["matchLabels"]
    assert pdb["spec"]["minAvailable"] >= 1
    assert find("ConfigMap", "asskomm-config")["data"]["ASSKOMM_ACTION_ENDPOINT_URL"].startswith(
        "http://asskomm-actions.asskomm.svc")


def test_ingress_serves_webhooks_and_sticky_socketio():
    ingress = find("Ingress", "asskomm")
    annotations = ingress["metadata"]["annotations"]
    assert annotations["nginx.ingress.kubernetes.io/affinity"] == "cookie"
    assert int(annotations["nginx.ingress.kubernetes.io/proxy-read-timeout"]) >= 600
    paths = {p["path"]: p["backend"]["service"]["name"]
             for rule in ingress["spec"]["rules"] for p in rule["http"]["paths"]}
    assert paths == {"/webhooks": "asskomm-rasa", "/socket.io": "asskomm-rasa"}


def test_matrix_bridge_runs_once_with_its_state_kept_and_checked():
    bridge = find("Deployment", "asskomm-matrix-bridge")
    # two bridges on one account would answer every message twice, also during an update
    assert bridge["spec"]["replicas"] == 1 and bridge["spec"]["strategy"]["type"] == "Recreate"
    spec = bridge["spec"]["template"]["spec"]
    (container,) = spec["containers"]
    assert container["command"] == ["python", "-m", "bot.matrix_bridge"]
    assert container["readinessProbe"]["exec"]["command"] == ["python", "-m", "bot.matrix_bridge.health"]
    assert container["livenessProbe"]["exec"]["command"] == ["python", "-m", "bot.matrix_bridge.health", "--lebt"]
    # the session and the sync token survive a restart: the claim is mounted where the image
    # keeps them (Containerfile.bridge: ASSKOMM_MATRIX_STORE_DIR)
    store = re.search(r"ASSKOMM_MATRIX_STORE_DIR=(\S+)", (ROOT / "Containerfile.bridge").read_text()).group(1)
    (volume,) = [v for v in spec["volumes"] if "persistentVolumeClaim" in v]
    assert {"name": volume["name"], "mountPath": store} in container["volumeMounts"]
    find("PersistentVolumeClaim", volume["persistentVolumeClaim"]["claimName"])
    assert spec["securityContext"]["fsGroup"] == 10001  # the image's user may write to it
    config = find("ConfigMap", "asskomm-config")["data"]
    assert config["ASSKOMM_RASA_URL"].startswith("http://asskomm-rasa.asskomm.svc")


def test_console_is_reachable_inside_the_cluster_only():
    console = find("Deployment", "asskomm-console")
    (container,) = console["spec"]["template"]["spec"]["containers"]
    assert container["command"] == ["python", "-m", "bot.console"]
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        check = container[probe]["httpGet"]
        assert (check["path"], _port(container, check["port"])) == ("/anmelden", 8081), probe
    assert find("ConfigMap", "asskomm-config")["data"]["ASSKOMM_CONSOLE_PORT"] == "8081"
    service = find("Service", "asskomm-console")
    assert service["spec"]["type"] == "ClusterIP"
    assert service["spec"]["selector"] == console["spec"]["selector"]["matchLabels"]
    backends = {p["backend"]["service"]["name"] for _, doc in documents() if doc["kind"] == "Ingress"
                for rule in doc["spec"]["rules"] for p in rule["http"]["paths"]}
    assert "asskomm-console" not in backends


def test_migration_job_prepares_the_database():
    job = find("Job", "asskomm-migrate")
    (container,) = job["spec"]["template"]["spec"]["containers"]
    assert container["command"] == ["python", "-m", "bot.admin", "mitglieder"]
    assert job["spec"]["template"]["spec"]["restartPolicy"] in ("Never", "OnFailure")


def test_retention_runs_every_night_in_the_cluster():
    """serve_rasa starts no retention job (each replica would run it), so the cluster needs one."""
    from bot.admin.cli import build_parser

    cron = find("CronJob", "asskomm-retention")
    (container,) = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]
    assert container["command"][-1] == "loeschfristen"
    assert build_parser().parse_args(container["command"][3:]).command == "loeschfristen"
    minute, hour, *every_day = cron["spec"]["schedule"].split()
    assert every_day == ["*", "*", "*"]
    assert cron["spec"]["concurrencyPolicy"] == "Forbid"
    assert cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]["restartPolicy"] == "Never"


PLACEHOLDER = "CHANGE-ME"
SECRET_WORDS = re.compile(r"PASSWORD|TOKEN|SECRET|_URL$")


def test_secret_is_a_template_without_real_secrets():
    secret = find("Secret", "asskomm-secrets")
    assert "data" not in secret, "nur stringData mit Platzhaltern, keine base64-Werte"
    top_level = [d["kind"] for f in K8S.glob("*.yaml") for d in yaml.safe_load_all(f.read_text()) if d]
    assert "Secret" not in top_level, \
        "die Secret-Vorlage liegt in secret/, damit `kubectl apply -f deploy/kubernetes/` sie nicht anwendet"
    for key, value in secret["stringData"].items():
        assert value == "" or PLACEHOLDER in value, f"{key}: {value!r} ist kein Platzhalter"
        if "://" in value:
            password = re.match(r"[a-z+]+://(?:[^:@/]*:([^@/]*)@)?", value).group(1)
            assert password in (None, PLACEHOLDER), f"{key}: Passwort ist kein Platzhalter"
    config = find("ConfigMap", "asskomm-config")["data"]
    for key, value in config.items():
        assert not re.search(r"PASSWORD|TOKEN", key), f"{key} gehört ins Secret"
        assert not re.search(r"://[^/@\s]*:[^/@\s]*@", value), f"{key}: Zugangsdaten gehören ins Secret"
    assert set(secret["stringData"]) | set(config) >= {
        "DATABASE_URL", "ASSKOMM_TRACKER_STORE_URL", "ASSKOMM_REDIS_URL", "ASSKOMM_RABBITMQ_URL"}


def test_no_file_under_deploy_looks_like_a_real_secret():
    patterns = {
        "privater Schlüssel": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
        "Telegram-Token": re.compile(r"\b\d{8,10}:[A-Za-z0-9_-]{30,}\b"),
        "Passwort in URL": re.compile(r"://[^\s:/@\"']+:(?!CHANGE-ME@)[^\s@/\"']+@"),
        "base64-Wert": re.compile(r"^\s+[A-Z_]+:\s+[A-Za-z0-9+/]{40,}={0,2}\s*$", re.M),
    }
    for path in sorted(p for p in DEPLOY.rglob("*") if p.is_file()):
        text = path.read_text(encoding="utf-8")
        for what, pattern in patterns.items():
            assert not pattern.search(text), f"{path.relative_to(ROOT)}: {what}"


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q"]))


def test_nginx_limits_floods_per_address_and_answers_them_politely():
    text = NGINX_CONF.read_text(encoding="utf-8")
    assert re.search(r"limit_req zone=asskomm_rest burst=\d+ nodelay;", text)
    socketio = re.search(r"location /socket\.io/ \{(.*?)\}", text, re.S).group(1)
    assert "limit_req zone=asskomm_socketio" in socketio
    assert re.search(r"^\s*limit_conn asskomm_connections \d+;", text, re.M)
    assert "limit_req_status 429;" in text and "error_page 429 = @asskomm_slow_down;" in text
    slow_down = re.search(r"location @asskomm_slow_down \{(.*?)\n    \}", text, re.S).group(1)
    assert "return 429" in slow_down and "warten Sie einen Moment" in slow_down
    # the bot's own per-address limit reads the address nginx writes (not one a client sends)
    assert "proxy_set_header X-Real-IP         $remote_addr;" in text


# --- (d) the kube play variant (deploy/kube-play/, tests/test_container_images.py runs it) ---


def test_kube_play_files_are_generated_from_the_manifests(tmp_path):
    from bot.deployment import kube_play

    kube_play.main(["--out", str(tmp_path)])
    committed = DEPLOY / "kube-play"
    assert sorted(p.name for p in committed.glob("*.yaml")) == sorted(p.name for p in tmp_path.glob("*.yaml"))
    for generated in tmp_path.glob("*.yaml"):
        assert (committed / generated.name).read_text(encoding="utf-8") == generated.read_text(encoding="utf-8"), \
            f"deploy/kube-play/{generated.name} veraltet: python -m bot.deployment.kube_play"


def test_kube_play_runs_the_cluster_pods_on_the_host_network():
    local = {}
    for path in sorted((DEPLOY / "kube-play").glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if doc:
                local[(doc["kind"], doc["metadata"]["name"])] = doc
    assert set(local) == {("Pod", "asskomm-migrate"), ("Deployment", "asskomm-rasa"), ("Deployment", "asskomm-actions"),
                          ("Deployment", "asskomm-matrix-bridge"), ("PersistentVolumeClaim", "asskomm-matrix-bridge"),
                          ("Deployment", "asskomm-console")}
    rasa = local[("Deployment", "asskomm-rasa")]
    assert rasa["spec"]["replicas"] == find("Deployment", "asskomm-rasa")["spec"]["replicas"]
    for (kind, name), doc in local.items():
        if kind == "PersistentVolumeClaim":
            continue
        spec = doc["spec"] if kind == "Pod" else doc["spec"]["template"]["spec"]
        assert spec["hostNetwork"] is True, name
        (container,) = spec["containers"]
        # podman 4.3 publishes every containerPort on the host: two replicas would collide
        assert "ports" not in container and container["imagePullPolicy"] == "Never", name
        env = {e["name"]: e["value"] for e in container["env"]}
        assert not set(env) - allowed_variables(), name
        assert env["ASSKOMM_RASA_SHARE_PORT"] == "true" and env["ASSKOMM_RASA_PORT"] == "6010", name
        # the host's network: the console on all interfaces would be open to every network
        assert env["ASSKOMM_CONSOLE_HOST"] == "127.0.0.1" and env["ASSKOMM_RASA_URL"] == "http://127.0.0.1:6010", name
        assert container["image"].startswith("localhost/"), name
