"""Build step of Containerfile: keeps only the model for the current data in models/ and only
the spaCy pipeline in var/; fails the build when that model is missing (run `make train`)."""
from __future__ import annotations

import shutil
import sys

from bot.config import get_settings
from bot.training import model_path


def main() -> int:
    settings = get_settings()
    model = model_path(settings)
    if not model.exists():
        print(f"Kein Modell {model.name} im Build-Kontext: erst `make train`, dann `make image`.", file=sys.stderr)
        return 1
    for other in settings.models_dir.iterdir():
        if other != model:
            other.unlink() if other.is_file() else shutil.rmtree(other)
    for entry in settings.var_dir.iterdir():
        if entry.name != "spacy":
            entry.unlink() if entry.is_file() else shutil.rmtree(entry)
    print(f"Modell im Image: {model.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
