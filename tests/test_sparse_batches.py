"""DIET's sparse batches built without a loop over the messages are the arrays Rasa builds."""
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse
from rasa.utils.tensorflow.data_generator import RasaDataGenerator
from rasa.utils.tensorflow.model_data import FeatureArray

from bot.nlp import sparse_batches

RASA_CONVERSION = RasaDataGenerator._scipy_matrix_to_values


def feature_array(matrices, dimensions=3) -> FeatureArray:
    array = np.empty(len(matrices), dtype=object)
    array[:] = matrices
    return FeatureArray(array, number_of_dimensions=dimensions)


def messages(count: int, seed: int, fmt: str = "coo") -> list:
    rng = np.random.default_rng(seed)
    matrices = [scipy.sparse.random(int(rng.integers(1, 15)), 300, density=0.05, format=fmt,
                                    random_state=int(rng.integers(1_000_000))) for _ in range(count)]
    matrices[1] = scipy.sparse.coo_matrix((4, 300)).asformat(fmt)  # a message without any feature
    return matrices


@pytest.mark.parametrize("fmt", ["coo", "csr"])
def test_same_indices_values_and_shape_as_rasa(fmt):
    batch = feature_array(messages(64, seed=7, fmt=fmt))
    ours, rasas = sparse_batches.sparse_batch_to_values(batch), RASA_CONVERSION(batch)
    assert len(ours) == len(rasas) == 3
    for mine, theirs in zip(ours, rasas, strict=True):
        assert mine.dtype == theirs.dtype
        np.testing.assert_array_equal(mine, theirs)
    assert ours[0].shape[1] == 3 and len(ours[1]) > 0


def test_a_batch_without_any_feature():
    batch = feature_array([scipy.sparse.coo_matrix((2, 10)), scipy.sparse.coo_matrix((3, 10))])
    indices, values, shape = sparse_batches.sparse_batch_to_values(batch)
    assert indices.shape == (0, 3) and values.shape == (0,)
    assert shape.tolist() == [2, 3, 10] == RASA_CONVERSION(batch)[2].tolist()


def test_rasa_uses_it_for_message_features_and_keeps_its_own_for_dialogues(monkeypatch):
    monkeypatch.setattr(RasaDataGenerator, "_scipy_matrix_to_values", staticmethod(RASA_CONVERSION))
    calls = []
    monkeypatch.setattr(sparse_batches, "sparse_batch_to_values", lambda batch: calls.append(batch) or "ours")
    sparse_batches.use_vectorized_sparse_batches()
    sparse_batches.use_vectorized_sparse_batches()  # a second call changes nothing
    three_d = feature_array(messages(3, seed=1))
    assert RasaDataGenerator._scipy_matrix_to_values(three_d) == "ours"
    assert len(calls) == 1
    dialogue = feature_array([feature_array(messages(2, seed=2)), feature_array(messages(3, seed=3))], dimensions=4)
    converted = RasaDataGenerator._scipy_matrix_to_values(dialogue)
    assert len(calls) == 1
    for mine, theirs in zip(converted, RASA_CONVERSION(dialogue), strict=True):
        np.testing.assert_array_equal(mine, theirs)
    assert converted[2][0] == 5  # two and three turns


def test_the_rasa_process_applies_both_batch_fixes(monkeypatch):
    import rasa.core.run
    from rasa.core.actions.action import RemoteAction
    from rasa.utils.tensorflow.model_data import RasaModelData

    from bot.deployment import rasa_process
    from bot.nlp.balanced_batches import balanced_data

    monkeypatch.setattr(RasaDataGenerator, "_scipy_matrix_to_values", staticmethod(RASA_CONVERSION))
    monkeypatch.setattr(RasaModelData, "balanced_data", RasaModelData.balanced_data)
    # the other fixes of apply_fixes are undone after this test
    for owner, name in [(RemoteAction, "_validate_action_result"), (RemoteAction, "run"),
                        (rasa.core.run, "configure_app")]:
        monkeypatch.setattr(owner, name, getattr(owner, name))
    rasa_process.apply_fixes()
    assert getattr(RasaDataGenerator._scipy_matrix_to_values, "vectorized", False)
    assert RasaModelData.balanced_data is balanced_data


def test_bot_train_runs_rasa_train_with_the_fixes(monkeypatch, tmp_path):
    import subprocess
    from types import SimpleNamespace

    from bot import training
    from bot.config import Settings

    info = SimpleNamespace(base="blank", base_version="0", lemmatizer="lookup", builder_version=1, communes=1)
    monkeypatch.setattr(training, "read_info", lambda path: info)
    monkeypatch.setattr(training, "PROJECT_ROOT", tmp_path)  # where it prints the model relative to
    commands = []

    def fake_run(command, **kwargs):
        commands.append(command)
        out = Path(command[command.index("--out") + 1])
        (out / (command[command.index("--fixed-model-name") + 1] + ".tar.gz")).write_bytes(b"model")
        return subprocess.CompletedProcess(command, 0)

    monkeypatch.setattr(training.subprocess, "run", fake_run)
    training.ensure_model(Settings(var_dir=tmp_path / "var", models_dir=tmp_path / "models"), force=True)
    assert commands[0][1:4] == ["-m", "bot.deployment.rasa_process", "train"]
