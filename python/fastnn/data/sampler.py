"""Samplers, like torch.utils.data: which indices of a map-style dataset the DataLoader loads, in
which order (Sequential, Random, SubsetRandom, WeightedRandom) and how they are grouped into
batches (BatchSampler). Random streams come from fastnn's Generator (`generator`, default:
fastnn's default generator, so fn.manual_seed makes them reproducible)."""
import itertools
import numbers

import numpy as np

from fastnn.random import generator_or_default


class Sampler:
    """Base class of all samplers: subclasses define __iter__() (indices, or lists of indices for
    a batch sampler) and may define __len__(). A sampler with a set_epoch(epoch) method (e.g. a
    DistributedSampler) is told the epoch by fastnn.fit before each epoch."""

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __iter__")


class SequentialSampler(Sampler):
    """0, 1, ..., len(data_source) - 1."""

    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self):
        return len(self.data_source)


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


class RandomSampler(Sampler):
    """A random permutation of the indices of data_source (num_samples of them: whole permutations
    one after the other, the last one cut), or num_samples indices drawn with replacement."""

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        if not isinstance(replacement, bool):
            raise TypeError(f"replacement should be a boolean value, but got replacement={replacement}")
        if not _is_int(self.num_samples) or self.num_samples <= 0:
            raise ValueError(f"num_samples should be a positive integer value, but got num_samples={self.num_samples}")

    @property
    def num_samples(self):
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self):
        n, count = len(self.data_source), int(self.num_samples)
        rng = generator_or_default(self.generator).numpy
        if self.replacement:
            yield from rng.integers(0, n, size=count).tolist()
            return
        for _ in range(count // n):
            yield from rng.permutation(n).tolist()
        if count % n:
            yield from rng.permutation(n)[:count % n].tolist()

    def __len__(self):
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The elements of `indices` in a random order (without replacement)."""

    def __init__(self, indices, generator=None):
        self.indices = indices
        self.generator = generator

    def __iter__(self):
        for i in generator_or_default(self.generator).numpy.permutation(len(self.indices)).tolist():
            yield self.indices[i]

    def __len__(self):
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """num_samples indices of range(len(weights)), index i drawn with probability proportional to
    weights[i]; without replacement each index is drawn at most once."""

    def __init__(self, weights, num_samples, replacement=True, generator=None):
        if not _is_int(num_samples) or num_samples <= 0:
            raise ValueError(f"num_samples should be a positive integer value, but got num_samples={num_samples}")
        if not isinstance(replacement, bool):
            raise ValueError(f"replacement should be a boolean value, but got replacement={replacement}")
        weights = np.asarray(weights.numpy() if hasattr(weights, "numpy") else weights, dtype=np.float64)
        if weights.ndim != 1:
            raise ValueError(f"weights should be a 1d sequence but given weights have shape {weights.shape}")
        self.weights = weights
        self.num_samples = int(num_samples)
        self.replacement = replacement
        self.generator = generator

    def __iter__(self):
        weights = self.weights
        if not np.all(np.isfinite(weights)) or np.any(weights < 0):
            raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
        if not weights.sum() > 0:
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        if not self.replacement and self.num_samples > len(weights):
            raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
        rng = generator_or_default(self.generator).numpy
        if self.replacement:
            chosen = rng.choice(len(weights), size=self.num_samples, p=weights / weights.sum())
        else:  # the order in which exponential clocks of rates `weights` ring (zero weights: last)
            with np.errstate(divide="ignore"):
                keys = rng.standard_exponential(len(weights)) / weights
            chosen = np.argsort(keys, kind="stable")[:self.num_samples]
        yield from chosen.tolist()

    def __len__(self):
        return self.num_samples


class BatchSampler(Sampler):
    """Lists of batch_size consecutive indices of `sampler` (any iterable); the last, shorter list
    is dropped when drop_last."""

    def __init__(self, sampler, batch_size, drop_last):
        if not _is_int(batch_size) or batch_size <= 0:
            raise ValueError(f"batch_size should be a positive integer value, but got batch_size={batch_size}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last}")
        self.sampler = sampler
        self.batch_size = int(batch_size)
        self.drop_last = drop_last

    def __iter__(self):
        indices = iter(self.sampler)
        if self.drop_last:
            yield from (list(batch) for batch in zip(*[indices] * self.batch_size))
            return
        batch = list(itertools.islice(indices, self.batch_size))
        while batch:
            yield batch
            batch = list(itertools.islice(indices, self.batch_size))

    def __len__(self):
        if self.drop_last:
            return len(self.sampler) // self.batch_size
        return -(-len(self.sampler) // self.batch_size)


class InfiniteConstantSampler(Sampler):
    """The sampler of a DataLoader over an IterableDataset (the stream decides what comes): None
    forever, as torch's _InfiniteConstantSampler."""

    def __iter__(self):
        return itertools.repeat(None)
