"""The Kubernetes manifests of deploy/kubernetes/ as files for `podman kube play` on one host
(deploy/kube-play/), generated so that both stay the same bot:

- the image built by `make image` (localhost/…, never pulled),
- the host's network: PostgreSQL, Redis and RabbitMQ of the host answer on 127.0.0.1, and
  podman's bridge cannot reach the host's loopback. Without Services the two Rasa replicas
  share one port (ASSKOMM_RASA_SHARE_PORT) and Rasa finds the action server on 127.0.0.1,
- no `ports:` (podman 4.3 would publish the same host port once per replica) and so no
  probes on named ports (`podman exec CONTAINER python -m bot.deployment.healthcheck`
  checks by hand; kube play ignores the image's HEALTHCHECK),
- no emptyDir volumes: podman 4.3 makes one named volume of them that every pod shares;
  a container's own /tmp is what emptyDir gives in a cluster,
- settings inline (`env`), because kube play reads neither the cluster's ConfigMap by
  reference nor its Secret; the Job becomes a Pod (kube play runs no Jobs),
- one file per image beside the bot's: bridge.yaml (the Matrix bridge with its volume, the
  PersistentVolumeClaim becoming a podman volume) and console.yaml (the staff console on
  127.0.0.1 only: with the host's network, 0.0.0.0 would open it to every network the host has).
  The bridge needs its password: `--set ASSKOMM_MATRIX_PASSWORD=…` and `--out` a private place.

    python -m bot.deployment.kube_play [--out deploy/kube-play] [--database-url …] …
"""
from __future__ import annotations

import argparse
import copy
import sys
from pathlib import Path

import yaml

from bot.config import PROJECT_ROOT

MANIFESTS = PROJECT_ROOT / "deploy" / "kubernetes"
OUT = PROJECT_ROOT / "deploy" / "kube-play"
IMAGE = "localhost/asskomm-bot:dev"
IMAGE_BRIDGE = "localhost/asskomm-matrix-bridge:dev"
IMAGE_CONSOLE = "localhost/asskomm-console:dev"
CONFIGMAP = "asskomm-config"
# Ports of this project's host range, away from `make run` (5005/5055).
RASA_PORT = 6010
ACTION_PORT = 6011
CONSOLE_PORT = 6012
# Which file a Deployment (and the claims its pods mount) goes to; the rest is bot.yaml.
FILE_OF = {"asskomm-matrix-bridge": "bridge.yaml", "asskomm-console": "console.yaml"}

HEADER = """# GENERIERT aus deploy/kubernetes/ mit `python -m bot.deployment.kube_play` – nicht von Hand
# ändern. Für `podman kube play` auf einem Rechner (deploy/README.md, „Variante C“).
"""


def read_manifests(directory: Path = MANIFESTS) -> list[dict]:
    docs = []
    for path in sorted(directory.glob("*.yaml")):
        docs += [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]
    return docs


def local_settings(args: argparse.Namespace) -> dict[str, str]:
    """What the cluster takes from its Secret and Services, for one host."""
    return {
        "DATABASE_URL": args.database_url,
        "ASSKOMM_TRACKER_STORE_URL": args.tracker_store_url,
        "ASSKOMM_REDIS_URL": args.redis_url,
        "ASSKOMM_RABBITMQ_URL": args.rabbitmq_url,
        "ASSKOMM_RASA_PORT": str(args.rasa_port),
        "ASSKOMM_ACTION_PORT": str(args.action_port),
        "ASSKOMM_ACTION_ENDPOINT_URL": f"http://127.0.0.1:{args.action_port}/webhook",
        "ASSKOMM_RASA_SHARE_PORT": "true",
        "ASSKOMM_RASA_URL": f"http://127.0.0.1:{args.rasa_port}",
        "ASSKOMM_CONSOLE_HOST": "127.0.0.1",
        "ASSKOMM_CONSOLE_PORT": str(args.console_port),
        # No mail from a trial installation: applications wait in the outbox.
        "ASSKOMM_SMTP_HOST": "",
        **dict(setting.split("=", 1) for setting in args.set),
    }


def image_for_host(cluster_image: str, args: argparse.Namespace) -> str:
    """registry.example.org/asskomm-console:1.0.0 → the console's local image, and so on."""
    name = cluster_image.rsplit("/", 1)[-1].split(":", 1)[0]
    return {"asskomm-matrix-bridge": args.image_bridge, "asskomm-console": args.image_console}.get(name, args.image)


def pod_spec_for_host(spec: dict, env: dict[str, str], args: argparse.Namespace) -> dict:
    spec = copy.deepcopy(spec)
    spec["hostNetwork"] = True
    spec.pop("affinity", None)
    volumes = spec.pop("volumes", [])
    empty_dirs = {v["name"] for v in volumes if "emptyDir" in v}
    if len(volumes) > len(empty_dirs):
        spec["volumes"] = [v for v in volumes if v["name"] not in empty_dirs]
    for container in spec["containers"]:
        container["image"] = image_for_host(container["image"], args)
        container["imagePullPolicy"] = "Never"
        for key in ("ports", "envFrom", "startupProbe", "readinessProbe", "livenessProbe"):
            container.pop(key, None)
        mounts = [m for m in container.pop("volumeMounts", []) if m["name"] not in empty_dirs]
        if mounts:
            container["volumeMounts"] = mounts
        container["env"] = [{"name": name, "value": value} for name, value in sorted(env.items())]
        command = container.get("command", [])
        if "rasa_sdk" in command and "--port" in command:
            command[command.index("--port") + 1] = str(args.action_port)
    return spec


def kube_play_documents(args: argparse.Namespace, manifests: list[dict]) -> dict[str, list[dict]]:
    """{file name: documents}: migrate.yaml (run first, to completion), bot.yaml, and the
    optional bridge.yaml and console.yaml."""
    config = next(d for d in manifests if d["kind"] == "ConfigMap" and d["metadata"]["name"] == CONFIGMAP)
    env = {**config["data"], **local_settings(args)}
    files: dict[str, list[dict]] = {"migrate.yaml": [], "bot.yaml": [], "bridge.yaml": [], "console.yaml": []}
    claims = {d["metadata"]["name"]: d for d in manifests if d["kind"] == "PersistentVolumeClaim"}
    for doc in manifests:
        meta = {"name": doc["metadata"]["name"], "labels": doc["metadata"].get("labels", {})}
        if doc["kind"] == "Job":
            template = doc["spec"]["template"]
            files["migrate.yaml"].append({
                "apiVersion": "v1", "kind": "Pod",
                "metadata": {**meta, "labels": template["metadata"]["labels"]},
                "spec": pod_spec_for_host(template["spec"], env, args),
            })
        elif doc["kind"] == "Deployment":
            target = files[FILE_OF.get(meta["name"], "bot.yaml")]
            for volume in doc["spec"]["template"]["spec"].get("volumes", []):
                if "persistentVolumeClaim" in volume:
                    claim = claims[volume["persistentVolumeClaim"]["claimName"]]
                    target.append({**claim, "metadata": {"name": claim["metadata"]["name"],
                                                         "labels": claim["metadata"].get("labels", {})}})
            local = copy.deepcopy(doc)
            local["metadata"] = meta
            local["spec"]["template"]["spec"] = pod_spec_for_host(doc["spec"]["template"]["spec"], env, args)
            target.append(local)
    return files


def render(documents: list[dict]) -> str:
    return HEADER + "".join(
        "---\n" + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=120) for doc in documents)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bot.deployment.kube_play", description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, default=OUT)
    p.add_argument("--image", default=IMAGE)
    p.add_argument("--image-bridge", default=IMAGE_BRIDGE)
    p.add_argument("--image-console", default=IMAGE_CONSOLE)
    p.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/asskomm_kube")
    p.add_argument("--tracker-store-url", default="postgresql://postgres@127.0.0.1:5432/asskomm_kube_rasa")
    p.add_argument("--redis-url", default="redis://127.0.0.1:6379/7")
    # Empty: no event broker. With a password the URL is a secret: pass it here, never commit it.
    p.add_argument("--rabbitmq-url", default="")
    p.add_argument("--rasa-port", type=int, default=RASA_PORT)
    p.add_argument("--action-port", type=int, default=ACTION_PORT)
    p.add_argument("--console-port", type=int, default=CONSOLE_PORT)
    p.add_argument("--set", action="append", default=[], metavar="NAME=WERT", help="weitere Einstellung")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for name, documents in kube_play_documents(args, read_manifests()).items():
        path = args.out / name
        path.write_text(render(documents), encoding="utf-8")
        # The files carry database addresses; only their owner reads them.
        path.chmod(0o600) if args.out != OUT else None
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
