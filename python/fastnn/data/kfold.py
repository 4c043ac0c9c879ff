"""KFold cross-validation indices, like sklearn.model_selection.KFold."""
import numpy as np

from fastnn.data.splits import sample_order


class KFold:
    """Splits n samples into n_splits consecutive folds (after an optional shuffle); each fold is
    the validation set once while the others train.

    The first n % n_splits folds have one sample more, and both index arrays of a split are in
    ascending order, as in sklearn. With shuffle=True, seed=None draws a new permutation from
    fastnn's default generator on each split() call; an int seed gives the same one every time.
    """

    def __init__(self, n_splits=5, shuffle=False, seed=None):
        if isinstance(n_splits, bool) or not isinstance(n_splits, (int, np.integer)) or n_splits < 2:
            raise ValueError(f"k-fold cross-validation requires at least one train/test split by setting "
                             f"n_splits=2 or more, got n_splits={n_splits!r}")
        if not isinstance(shuffle, (bool, np.bool_)):
            raise TypeError(f"shuffle must be True or False, got {shuffle!r}")
        if seed is not None and not shuffle:
            raise ValueError("Setting a seed has no effect since shuffle is False. "
                             "You should leave seed to its default (None), or set shuffle=True.")
        self.n_splits = int(n_splits)
        self.shuffle = bool(shuffle)
        self.seed = seed

    def get_n_splits(self):
        return self.n_splits

    def split(self, n_or_dataset):
        """Yields (train_indices, val_indices) int64 arrays; `n_or_dataset` is a sample count or
        anything with len() (a Dataset, an array, a Tensor)."""
        if isinstance(n_or_dataset, (int, np.integer)) and not isinstance(n_or_dataset, bool):
            n = int(n_or_dataset)
        elif hasattr(n_or_dataset, "__len__"):
            n = len(n_or_dataset)
        else:
            raise TypeError(f"split() expects a sample count or a sized dataset, got {type(n_or_dataset).__name__}")
        if self.n_splits > n:
            raise ValueError(f"Cannot have number of splits n_splits={self.n_splits} greater than "
                             f"the number of samples: n_samples={n}.")
        order = sample_order(n, self.shuffle, self.seed)
        fold_sizes = np.full(self.n_splits, n // self.n_splits, dtype=np.int64)
        fold_sizes[: n % self.n_splits] += 1
        start = 0
        for size in fold_sizes:
            in_val = np.zeros(n, dtype=bool)
            in_val[order[start:start + size]] = True
            start += size
            yield np.flatnonzero(~in_val), np.flatnonzero(in_val)
