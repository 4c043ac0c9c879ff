"""Splitting samples into parts: random_split (PyTorch) and train_val_test_split (sklearn/Keras style)."""
import itertools
import math
import warnings

import numpy as np

from fastnn.data.dataset import Dataset, Subset
from fastnn.random import Generator, generator_or_default
from fastnn.tensor import Tensor


def _lengths_from_fractions(lengths, n):
    """PyTorch's rule: floor(n * fraction) each, then the remainder one by one round-robin."""
    counts = []
    for i, fraction in enumerate(lengths):
        if fraction < 0 or fraction > 1:
            raise ValueError(f"Fraction at index {i} is not between 0 and 1")
        counts.append(int(math.floor(n * fraction)))
    for i in range(n - sum(counts)):
        counts[i % len(counts)] += 1
    for i, count in enumerate(counts):
        if count == 0:
            warnings.warn(f"Length of split at index {i} is 0. This might result in an empty dataset.")
    return counts


def random_split(dataset, lengths, generator=None):
    """Randomly splits `dataset` into non-overlapping Subsets of the given lengths.

    `lengths` are counts summing to len(dataset), or fractions summing to 1 (then each part gets
    floor(n * fraction) samples and the remainder is dealt out round-robin, as in PyTorch).
    """
    lengths = list(lengths)
    if not lengths:
        raise ValueError("random_split: lengths must not be empty")
    n = len(dataset)
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        lengths = _lengths_from_fractions(lengths, n)
    for i, length in enumerate(lengths):
        if isinstance(length, bool) or not isinstance(length, (int, np.integer)) or length < 0:
            raise ValueError(f"random_split: length at index {i} must be a non-negative int "
                             f"(or all lengths fractions summing to 1), got {length!r}")
    if sum(lengths) != n:
        raise ValueError(f"Sum of input lengths ({sum(lengths)}) does not equal the length of the input dataset ({n})!")
    indices = generator_or_default(generator).numpy.permutation(n).tolist()
    return [Subset(dataset, indices[end - length:end]) for end, length in zip(itertools.accumulate(lengths), lengths)]


def _part_size(size, n, name):
    """A part's sample count from an int count or a fraction (rounded up, like sklearn's test_size)."""
    if isinstance(size, bool) or not isinstance(size, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be an int count or a float fraction, got {type(size).__name__}")
    if isinstance(size, (float, np.floating)):
        if not 0.0 <= size < 1.0:
            raise ValueError(f"{name} as a fraction must be in [0, 1), got {size}")
        return int(math.ceil(size * n))
    if not 0 <= size <= n:
        raise ValueError(f"{name} as a count must be in [0, {n}] (the number of samples), got {size}")
    return int(size)


def sample_order(n, shuffle, seed):
    """0..n-1, permuted when `shuffle` by Generator(seed), or by the default generator if seed is None."""
    if not shuffle:
        return np.arange(n)
    rng = Generator(seed) if seed is not None else generator_or_default(None)
    return rng.numpy.permutation(n)


def _rows(data, indices):
    if isinstance(data, (np.ndarray, Tensor)):
        return data[indices]
    return [data[i] for i in indices.tolist()]


def train_val_test_split(*arrays, val_size, test_size, shuffle=True, seed=None):
    """Splits samples into training, validation and test parts (sklearn's train_test_split, with a
    validation part as well).

    arrays: either NumPy arrays / Tensors / lists sharing their first dimension (the samples),
        e.g. inputs and targets; returns x_train, x_val, x_test, y_train, y_val, y_test, ... (three
        parts per argument, in argument order, each of the argument's own type). Or one Dataset;
        returns (train, val, test) Subsets.
    val_size, test_size: an int number of samples, or a float fraction in [0, 1) of all samples,
        rounded up. The training part gets the rest and must not be empty.
    shuffle: False keeps the order (train first, then val, then test: the last samples are the
        test set, as with Keras' validation_split).
    seed: an int makes the permutation independent of global state; None draws it from fastnn's
        default generator (reproducible after fn.manual_seed).
    """
    if not arrays:
        raise ValueError("train_val_test_split needs at least one array or a Dataset")
    is_dataset = len(arrays) == 1 and isinstance(arrays[0], Dataset)
    lengths = [len(a) for a in arrays]
    if any(length != lengths[0] for length in lengths):
        raise ValueError(f"train_val_test_split: arrays must have the same number of samples, got lengths {lengths}")
    n = lengths[0]
    n_val = _part_size(val_size, n, "val_size")
    n_test = _part_size(test_size, n, "test_size")
    n_train = n - n_val - n_test
    if n_train <= 0:
        raise ValueError(f"With n_samples={n}, val_size={val_size} and test_size={test_size}, "
                         "the resulting train set would be empty")
    if seed is not None and not shuffle:
        raise ValueError("seed has no effect when shuffle=False; leave seed=None or set shuffle=True")
    order = sample_order(n, shuffle, seed)
    parts = (order[:n_train], order[n_train:n_train + n_val], order[n_train + n_val:])
    if is_dataset:
        return tuple(Subset(arrays[0], part.tolist()) for part in parts)
    return tuple(_rows(a, part) for a in arrays for part in parts)
