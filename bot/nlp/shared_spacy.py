"""One spaCy pipeline per process, however many graph nodes ask for it.

Rasa 3.6 builds SpacyNLP twice, for its `provide_SpacyNLP0` node (the model the tokenizer and
featurizers use) and for `run_SpacyNLP0` (which turns messages into docs with the provided
model but loads one of its own all the same). Each load reads the German lookup lemmatizer's
tables again: about 170 MB resident per copy in the server and one load more per training
(bench/RESULTS.md, issue 12). The pipeline is only read (`nlp(text)`, `nlp.pipe`), so both nodes
can share it."""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Dict, Tuple

_loaded: Dict[Tuple[str, Any], Any] = {}
_lock = threading.Lock()


def _on_disk(model_name: str) -> Any:
    """What identifies the pipeline on disk: a rebuilt pipeline in the same folder
    (`python -m bot.nlp build`) is loaded anew."""
    path = Path(model_name)
    meta = path / "meta.json"
    if meta.is_file():
        stat = meta.stat()
        return str(path.resolve()), stat.st_mtime_ns, stat.st_size
    return model_name  # a package name such as de_core_news_sm


def share_spacy_pipelines() -> None:
    """SpacyNLP.load_model returns the pipeline already loaded in this process. Idempotent."""
    from rasa.nlu.utils.spacy_utils import SpacyNLP

    rasa_load = SpacyNLP.load_model
    if getattr(rasa_load, "shared", False):
        return

    def load_model(spacy_model_name: str):
        key = (spacy_model_name, _on_disk(spacy_model_name))
        with _lock:
            if key not in _loaded:
                _loaded[key] = rasa_load(spacy_model_name)
            return _loaded[key]

    load_model.shared = True  # type: ignore[attr-defined]
    SpacyNLP.load_model = staticmethod(load_model)
