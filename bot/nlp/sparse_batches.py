"""DIET's batches of sparse features built with a few array operations instead of a loop over
the messages of a batch. Same arrays, same order, so the same model; full training faster.

Rasa 3.6 turns the sparse features of each batch into TensorFlow's (indices, values, shape)
form with one `np.vstack` and one `np.ones_like` per message and feature, in the Python thread
that feeds TensorFlow. With ~4,000 training messages and two count-vector featurizers that
was a third of all CPU samples of a full training (py-spy, issue 12, bench/RESULTS.md); the
training thread waited for its batches."""
from __future__ import annotations

from typing import List

import numpy as np
import scipy.sparse


def sparse_batch_to_values(array_of_sparse) -> List[np.ndarray]:
    """What `RasaDataGenerator._scipy_matrix_to_values` returns for 3-dimensional features
    (one sparse matrix per message): indices (message, row, column), values and the shape."""
    if not isinstance(array_of_sparse[0], scipy.sparse.coo_matrix):
        array_of_sparse = [x.tocoo() for x in array_of_sparse]
    max_seq_len = max(x.shape[0] for x in array_of_sparse)
    counts = [x.nnz for x in array_of_sparse]
    indices = np.empty((sum(counts), 3), dtype=np.int64)
    indices[:, 0] = np.repeat(np.arange(len(array_of_sparse)), counts)
    indices[:, 1] = np.concatenate([x.row for x in array_of_sparse])
    indices[:, 2] = np.concatenate([x.col for x in array_of_sparse])
    values = np.concatenate([x.data for x in array_of_sparse]).astype(np.float32)
    shape = np.array((len(array_of_sparse), max_seq_len, array_of_sparse[0].shape[-1]), dtype=np.int64)
    return [indices, values, shape]


def use_vectorized_sparse_batches() -> None:
    """Replaces Rasa's conversion for 3-dimensional features; dialogue features (4
    dimensions, TED) keep Rasa's own. Idempotent."""
    from rasa.utils.tensorflow.data_generator import RasaDataGenerator

    rasa_conversion = RasaDataGenerator._scipy_matrix_to_values
    if getattr(rasa_conversion, "vectorized", False):
        return

    def scipy_matrix_to_values(array_of_sparse) -> List[np.ndarray]:
        if array_of_sparse.number_of_dimensions == 4:
            return rasa_conversion(array_of_sparse)
        return sparse_batch_to_values(array_of_sparse)

    scipy_matrix_to_values.vectorized = True  # type: ignore[attr-defined]
    RasaDataGenerator._scipy_matrix_to_values = staticmethod(scipy_matrix_to_values)
