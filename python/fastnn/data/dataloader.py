"""DataLoader: iterates a dataset in batches, like torch.utils.data.DataLoader, in this process
(num_workers=0) or in worker processes (fastnn/data/multiprocess.py). The indices of a map-style
dataset come from `sampler` (default: SequentialSampler, or RandomSampler when shuffle=True),
grouped into the batches the workers load by `batch_sampler` (default: a BatchSampler over the
sampler; none with batch_size=None, which loads one index at a time without collating)."""
import multiprocessing
import numbers

import numpy as np

from fastnn.data.collate import default_collate, default_convert
from fastnn.data.dataset import IterableDataset
from fastnn.data.fetch import make_fetcher
from fastnn.data.multiprocess import MultiProcessIterator
from fastnn.data.sampler import BatchSampler, InfiniteConstantSampler, RandomSampler, SequentialSampler
from fastnn.random import Generator

_FIXED_AFTER_INIT = ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset", "persistent_workers")


def _check_int(value, name, low):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        raise ValueError(f"{name} should be an integer >= {low}, but got {name}={value!r}")
    return int(value)


class DataLoader:
    """Batches of `dataset`, with PyTorch's arguments (in PyTorch's positional order) and rules.

    shuffle=True draws a new permutation each epoch from `generator` (default: fastnn's default
    generator, so fn.manual_seed makes the epochs reproducible); `sampler` (any iterable of
    indices, e.g. a fastnn.data.Sampler) and `batch_sampler` (an iterable of lists of indices)
    replace it, with PyTorch's mutual-exclusion errors; batch_size=None disables auto-batching
    (each sample goes through collate_fn, default: default_convert). An IterableDataset takes
    neither shuffle nor samplers.

    num_workers > 0 loads batches in that many worker processes (started with
    multiprocessing_context, default: the platform's default start method), each seeded anew per
    epoch and set up by worker_init_fn(worker_id); prefetch_factor batches per worker are loaded
    ahead; persistent_workers keeps them between epochs; timeout > 0 bounds the wait for a batch.
    pin_memory is accepted for compatibility: NumPy arrays are host memory already.
    """

    _initialized = False

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None, num_workers=0,
                 collate_fn=None, pin_memory=False, drop_last=False, timeout=0, worker_init_fn=None,
                 multiprocessing_context=None, generator=None, *, prefetch_factor=None, persistent_workers=False,
                 pin_memory_device=""):
        if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral)
                                       or batch_size <= 0):
            raise ValueError(f"batch_size should be a positive integer value, but got batch_size={batch_size}")
        if shuffle is not None and not isinstance(shuffle, (bool, np.bool_)):
            raise TypeError(f"shuffle should be a bool or None, got {type(shuffle).__name__}")
        if generator is not None and not isinstance(generator, Generator):
            raise TypeError(f"generator should be a fastnn.Generator or None, got {type(generator).__name__}")
        if collate_fn is not None and not callable(collate_fn):
            raise TypeError(f"collate_fn should be callable or None, got {type(collate_fn).__name__}")
        if worker_init_fn is not None and not callable(worker_init_fn):
            raise TypeError(f"worker_init_fn should be callable or None, got {type(worker_init_fn).__name__}")
        self._is_iterable = isinstance(dataset, IterableDataset)
        if self._is_iterable:
            if shuffle not in (False, None):
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified shuffle option, but got "
                                 f"shuffle={shuffle}")
            if sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified sampler option, but got "
                                 f"sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified batch_sampler option, but "
                                 f"got batch_sampler={batch_sampler}")
        elif not hasattr(dataset, "__getitem__") or (sampler is None and batch_sampler is None
                                                     and not hasattr(dataset, "__len__")):
            raise TypeError(f"dataset should define __getitem__ and __len__ (or be an IterableDataset), got "
                            f"{type(dataset).__name__}")
        shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, and "
                                 "drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually exclusive with drop_last")
        if sampler is None:
            if self._is_iterable:
                sampler = InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, int(batch_size), drop_last)
        num_workers = _check_int(num_workers, "num_workers", 0)
        if isinstance(timeout, bool) or not isinstance(timeout, numbers.Real) or not timeout >= 0:
            raise ValueError(f"timeout option should be non-negative, but got timeout={timeout!r}")
        if num_workers == 0:
            if prefetch_factor is not None:
                raise ValueError("prefetch_factor option could only be specified in multiprocessing. Let "
                                 "num_workers > 0 to enable multiprocessing, otherwise set prefetch_factor to None.")
            if persistent_workers:
                raise ValueError("persistent_workers option needs num_workers > 0")
            if multiprocessing_context is not None:
                raise ValueError("multiprocessing_context can only be used with multi-process loading "
                                 "(num_workers > 0), but got num_workers=0")
        else:
            prefetch_factor = 2 if prefetch_factor is None else _check_int(prefetch_factor, "prefetch_factor", 1)
        if isinstance(multiprocessing_context, str):
            methods = multiprocessing.get_all_start_methods()
            if multiprocessing_context not in methods:
                raise ValueError(f"multiprocessing_context option should specify a valid start method in {methods}, "
                                 f"but got multiprocessing_context={multiprocessing_context!r}")
        elif multiprocessing_context is not None and not hasattr(multiprocessing_context, "Process"):
            raise TypeError("multiprocessing_context option should be a start method name or a multiprocessing "
                            f"context, but got {type(multiprocessing_context).__name__}")
        self.dataset = dataset
        self.batch_size = None if batch_size is None else int(batch_size)
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        if collate_fn is None:
            collate_fn = default_collate if batch_sampler is not None else default_convert
        self.collate_fn = collate_fn
        self.generator = generator
        self.num_workers = num_workers
        self.pin_memory = bool(pin_memory)
        self.pin_memory_device = pin_memory_device
        self.timeout = float(timeout)
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.prefetch_factor = prefetch_factor
        self.persistent_workers = bool(persistent_workers)
        self._iterator = None  # the persistent workers' iterator
        self._initialized = True

    def __setattr__(self, name, value):
        if self._initialized and name in _FIXED_AFTER_INIT:
            raise ValueError(f"{name} attribute should not be set after {type(self).__name__} is initialized")
        super().__setattr__(name, value)

    @property
    def _auto_collation(self):
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        """What one epoch iterates: the batches of indices, or the indices without auto-batching."""
        return self.batch_sampler if self._auto_collation else self.sampler

    def __len__(self):
        if not self._is_iterable:
            return len(self._index_sampler)
        n = len(self.dataset)
        if self.batch_size is None:
            return n
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self):
        if self.num_workers == 0:
            return self._single_process_batches()
        if not self.persistent_workers:
            return MultiProcessIterator(self)
        if self._iterator is None:
            self._iterator = MultiProcessIterator(self)
        else:
            self._iterator.reset()
        return self._iterator

    def _single_process_batches(self):
        fetcher = make_fetcher(self.dataset, self._is_iterable, self._auto_collation, self.collate_fn, self.batch_size,
                               self.drop_last)
        if self._is_iterable:
            while True:
                try:
                    batch = fetcher.fetch()
                except StopIteration:
                    return
                yield batch
        for indices in self._index_sampler:
            yield fetcher.fetch(indices)
