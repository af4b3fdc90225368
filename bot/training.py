"""Trains the Rasa model only when its inputs changed (content hash), so a second
`make run` starts without retraining. knowledge/ is not an input: facts reload live."""
from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

from bot.config import PROJECT_ROOT, Settings
from bot.nlp.pipeline_builder import read_info

MODEL_PREFIX = "asskomm-"
KEEP_MODELS = 3


def training_inputs(root: Path = PROJECT_ROOT) -> list[Path]:
    files = [root / "config.yml", root / "domain.yml"]
    files += sorted(p for p in (root / "data").rglob("*") if p.is_file() and p.suffix in {".yml", ".yaml"})
    return files


def training_hash(settings: Settings, root: Path = PROJECT_ROOT) -> str:
    digest = hashlib.sha256()
    for path in training_inputs(root):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    # A different spaCy base or Rasa version gives different features: retrain.
    digest.update(pipeline_fingerprint(settings).encode())
    digest.update(metadata.version("rasa").encode())
    return digest.hexdigest()[:12]


def pipeline_fingerprint(settings: Settings) -> str:
    info = read_info(settings.spacy_pipeline_dir)
    if info is None:
        return ""
    text = f"{info.base} {info.base_version} {info.lemmatizer} {info.builder_version} {info.communes}"
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def rasa_cache_dir(settings: Settings) -> Path:
    """Rasa's training cache, one per spaCy pipeline. Rasa fingerprints SpacyNLP by its path
    only, so after a rebuild in the same folder a shared cache would hand back features of
    the old pipeline (seen here: a rebuilt pipeline trained in 22 s to the old figures)."""
    return settings.var_dir / "rasa-cache" / (pipeline_fingerprint(settings) or "none")


def model_path(settings: Settings) -> Path:
    return settings.models_dir / f"{MODEL_PREFIX}{training_hash(settings)}.tar.gz"


def model_from_command_line(prog: str, argv: list[str] | None, settings: Settings) -> Path:
    """`--model FILE` of a server's command line, by default the model for the current data;
    exits with what to do when it does not exist."""
    import argparse

    parser = argparse.ArgumentParser(prog=prog)
    parser.add_argument("--model", type=Path, help="Modelldatei (Standard: das Modell für die aktuellen Daten)")
    model = parser.parse_args(argv).model or model_path(settings)
    if not model.exists():
        raise SystemExit(f"Kein Modell {model}: erst `python -m bot train` (oder make run, make prod).")
    return model


def rasa_subprocess_env() -> dict[str, str]:
    import os

    # TensorFlow's start-up chatter hides the lines a person needs to read. Rasa's telemetry
    # (usage events to Segment) and its error reports (Sentry) are on unless switched off; a
    # public body's bot sends nothing to third parties, so they are off, whatever the
    # environment or ~/.config/rasa/global.yml says.
    return {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONWARNINGS": "ignore", "RASA_TELEMETRY_ENABLED": "false"}


def ensure_model(settings: Settings, force: bool = False) -> Path:
    """Returns the model for the current inputs, training it first if there is none."""
    if read_info(settings.spacy_pipeline_dir) is None:
        raise SystemExit("Keine spaCy-Pipeline gefunden: erst `python -m bot.nlp build` (make run macht das).")
    target = model_path(settings)
    if target.exists() and not force:
        print(f"Modell ist aktuell: {target.relative_to(PROJECT_ROOT)} (kein Training nötig)", flush=True)
        return target

    settings.models_dir.mkdir(parents=True, exist_ok=True)
    print(f"Trainiere Modell {target.name} (Daten, config.yml oder domain.yml haben sich geändert) ...", flush=True)
    started = time.monotonic()
    cmd = [
        # `rasa train` with our fixes for Rasa 3.6.21 (bot/deployment/rasa_process.py)
        sys.executable, "-m", "bot.deployment.rasa_process", "train",
        "--config", "config.yml", "--domain", "domain.yml", "--data", "data",
        "--out", str(settings.models_dir), "--fixed-model-name", target.name.removesuffix(".tar.gz"),
    ]
    cache = rasa_cache_dir(settings)
    for other in cache.parent.glob("*"):
        if other != cache:
            shutil.rmtree(other, ignore_errors=True)
    env = {**rasa_subprocess_env(), "RASA_CACHE_DIRECTORY": str(cache)}
    proc = subprocess.run(cmd, cwd=PROJECT_ROOT, env=env)
    if proc.returncode != 0 or not target.exists():
        raise SystemExit(f"Training fehlgeschlagen (Exit-Code {proc.returncode}).")
    print(f"Training fertig in {time.monotonic() - started:.0f} s: {target.relative_to(PROJECT_ROOT)}", flush=True)
    _prune_old_models(settings.models_dir, keep=target)
    return target


def _prune_old_models(models_dir: Path, keep: Path) -> None:
    models = sorted(models_dir.glob(f"{MODEL_PREFIX}*.tar.gz"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in [m for m in models if m != keep][KEEP_MODELS - 1 :]:
        old.unlink(missing_ok=True)
