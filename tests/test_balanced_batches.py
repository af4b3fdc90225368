"""DIET's balanced batches planned on indices are Rasa's, message for message."""
import numpy as np
import pytest
import scipy.sparse
from rasa.utils.tensorflow.model_data import FeatureArray, RasaModelData

from bot.nlp import balanced_batches

RASA_BALANCING = RasaModelData.balanced_data


def model_data(label_counts: list[int]) -> RasaModelData:
    rng = np.random.default_rng(3)
    labels = np.concatenate([[label] * count for label, count in enumerate(label_counts)])
    rng.shuffle(labels)
    sentences = np.empty(len(labels), dtype=object)
    sentences[:] = [scipy.sparse.random(1, 40, density=0.2, format="coo", random_state=i) for i in range(len(labels))]
    data = {
        "text": {"sentence": [FeatureArray(sentences, number_of_dimensions=3)],
                 "mask": [FeatureArray(rng.random((len(labels), 1)).astype(np.float32), number_of_dimensions=2)]},
        "label": {"ids": [FeatureArray(labels.reshape(-1, 1).astype(np.float64), number_of_dimensions=2)],
                  "unused": []},
        "nothing": {"here": []},
    }
    return RasaModelData(label_key="label", label_sub_key="ids", data=data)


def flat(data) -> list:
    return [(key, sub_key, i, f) for key, attribute in data.items() for sub_key, features in attribute.items()
            for i, f in enumerate(features)]


@pytest.mark.parametrize("batch_size", [8, 64, 256])
@pytest.mark.parametrize("shuffle", [True, False])
def test_same_batches_as_rasa(batch_size, shuffle):
    examples = model_data([60, 25, 25, 3, 140, 1])
    np.random.seed(20190206)
    rasas = RASA_BALANCING(examples, examples.data, batch_size, shuffle)
    after_rasa = np.random.random()
    np.random.seed(20190206)
    ours = balanced_batches.balanced_data(examples, examples.data, batch_size, shuffle)
    assert np.random.random() == after_rasa  # the same random draws, as many
    assert [(k, s, i) for k, s, i, _ in flat(ours)] == [(k, s, i) for k, s, i, _ in flat(rasas)]
    for (_, _, _, mine), (_, _, _, theirs) in zip(flat(ours), flat(rasas), strict=True):
        assert type(mine) is type(theirs) is FeatureArray
        assert (mine.number_of_dimensions, mine.is_sparse, mine.units, mine.shape) == \
            (theirs.number_of_dimensions, theirs.is_sparse, theirs.units, theirs.shape)
        if mine.dtype == object:
            assert all(a is b for a, b in zip(mine, theirs, strict=True))  # the same messages
        else:
            np.testing.assert_array_equal(np.asarray(mine), np.asarray(theirs))
    if batch_size == 8:  # small batches: the rare intents come round again before the big ones end
        assert len(flat(ours)[0][3]) > len(examples.data["text"]["sentence"][0])


def test_token_level_labels_are_left_as_they_are():
    examples = model_data([5, 5])
    tokens = FeatureArray(np.ones((10, 2)), number_of_dimensions=2)
    data = {**examples.data, "label": {"ids": [tokens]}}
    assert balanced_batches.balanced_data(examples, data, 4, True) is data


def test_rasa_uses_it(monkeypatch):
    monkeypatch.setattr(RasaModelData, "balanced_data", RASA_BALANCING)
    balanced_batches.use_index_balanced_batches()
    assert RasaModelData.balanced_data is balanced_batches.balanced_data
