"""The Rasa process loads its spaCy pipeline once and leaves jax out (resident memory, issue 12)."""
import os
import subprocess
import sys

import pytest
from rasa.nlu.utils.spacy_utils import SpacyNLP

from bot.nlp import shared_spacy
from tests.conftest import ROOT


@pytest.fixture
def counted_loads(monkeypatch):
    loads = []

    def rasa_load(name):
        loads.append(name)
        return object()

    monkeypatch.setattr(SpacyNLP, "load_model", staticmethod(rasa_load))
    monkeypatch.setattr(shared_spacy, "_loaded", {})
    shared_spacy.share_spacy_pipelines()
    shared_spacy.share_spacy_pipelines()  # a second call changes nothing
    return loads


def test_both_graph_nodes_get_the_same_pipeline(counted_loads, tmp_path):
    (tmp_path / "meta.json").write_text("{}")
    first, second = SpacyNLP.load_model(str(tmp_path)), SpacyNLP.load_model(str(tmp_path))
    assert first is second
    assert counted_loads == [str(tmp_path)]
    assert SpacyNLP.load_model("de_core_news_sm") is not first  # another pipeline is loaded


def test_a_rebuilt_pipeline_is_loaded_anew(counted_loads, tmp_path):
    meta = tmp_path / "meta.json"
    meta.write_text("{}")
    before = SpacyNLP.load_model(str(tmp_path))
    meta.write_text('{"version": "2"}')
    os.utime(meta, ns=(meta.stat().st_atime_ns, meta.stat().st_mtime_ns + 10**9))
    assert SpacyNLP.load_model(str(tmp_path)) is not before
    assert len(counted_loads) == 2


def test_the_rasa_process_imports_tensorflow_without_jax():
    probe = ("import sys; from bot.deployment import rasa_process; rasa_process.keep_jax_out(); "
             "import tensorflow as tf; tf.constant(1); print(sys.modules.get('jax') is None)")
    proc = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split()[-1] == "True"


def test_the_rasa_process_shares_the_pipeline(monkeypatch):
    import rasa.core.run
    from rasa.core.actions.action import RemoteAction

    from bot.deployment import rasa_process

    monkeypatch.setattr(SpacyNLP, "load_model", staticmethod(SpacyNLP.load_model))
    for owner, name in [(RemoteAction, "_validate_action_result"), (RemoteAction, "run"),
                        (rasa.core.run, "configure_app")]:
        monkeypatch.setattr(owner, name, getattr(owner, name))
    rasa_process.apply_fixes()
    assert getattr(SpacyNLP.load_model, "shared", False)
