"""DIET's balanced batching (Rasa's `RasaModelData.balanced_data`) planned on message indices
and applied with one index per feature array. Same random draws, same messages in the same
order, so the same model; full training faster.

Rasa 3.6 re-balances the training data before every epoch: it splits every feature array by
intent and then slices and appends a piece of each array for each intent, round after round,
until the rarest intent has been seen. With 87 intents and six feature arrays that is tens of
thousands of small array slices per epoch in the thread that feeds TensorFlow: a tenth of
its samples in a full training (py-spy, issue 12, bench/RESULTS.md). Here the rounds pick
index ranges only, and each feature array is indexed once."""
from __future__ import annotations

from collections import defaultdict

import numpy as np


def balanced_data(self, data, batch_size: int, shuffle: bool):
    """`RasaModelData.balanced_data` with the same result (see its docstring)."""
    from rasa.utils.tensorflow.model_data import FeatureArray

    self._check_label_key()

    # skip balancing if labels are token based
    if (
        self.label_key is None
        or self.label_sub_key is None
        or data[self.label_key][self.label_sub_key][0][0].size > 1
    ):
        return data

    label_ids = np.array(self._create_label_ids(data[self.label_key][self.label_sub_key][0]))
    unique_label_ids, counts_label_ids = np.unique(label_ids, return_counts=True, axis=0)
    num_label_ids = len(unique_label_ids)
    # where each label's examples are, in data order (Rasa: a boolean mask per label)
    positions = [np.flatnonzero(label_ids == label_id) for label_id in unique_label_ids]

    # Rasa's loop, choosing index ranges instead of slicing every feature array
    data_idx = [0] * num_label_ids
    num_data_cycles = [0] * num_label_ids
    skipped = [False] * num_label_ids
    chosen = []
    while min(num_data_cycles) == 0:
        if shuffle:
            indices_of_labels = np.random.permutation(num_label_ids)
        else:
            indices_of_labels = np.asarray(range(num_label_ids))

        for index in indices_of_labels:
            if num_data_cycles[index] > 0 and not skipped[index]:
                skipped[index] = True
                continue

            skipped[index] = False

            index_batch_size = int(counts_label_ids[index] / self.num_examples * batch_size) + 1
            chosen.append(positions[index][data_idx[index] : data_idx[index] + index_batch_size])

            data_idx[index] += index_batch_size
            if data_idx[index] >= counts_label_ids[index]:
                num_data_cycles[index] += 1
                data_idx[index] = 0

            if min(num_data_cycles) > 0:
                break

    ids = np.concatenate(chosen)
    # Rasa's result leaves out sub-keys without feature arrays, and keys without any
    final_data = defaultdict(lambda: defaultdict(list))
    for key, attribute_data in data.items():
        for sub_key, features in attribute_data.items():
            for f in features:
                final_data[key][sub_key].append(
                    FeatureArray(np.asarray(f)[ids], number_of_dimensions=f.number_of_dimensions)
                )
    return final_data


def use_index_balanced_batches() -> None:
    """Replaces `RasaModelData.balanced_data` (DIET's default batching). Idempotent."""
    from rasa.utils.tensorflow.model_data import RasaModelData

    RasaModelData.balanced_data = balanced_data
