"""DataLoader: iterates a dataset in (optionally shuffled) batches, like torch.utils.data.DataLoader,
in this process (num_workers=0) or in worker processes (fastnn/data/multiprocess.py)."""
import multiprocessing
import numbers

import numpy as np

from fastnn.data.collate import default_collate
from fastnn.data.dataset import IterableDataset
from fastnn.data.fetch import IterableFetcher, MapFetcher
from fastnn.data.multiprocess import MultiProcessIterator
from fastnn.random import Generator, generator_or_default


def _check_int(value, name, low):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        raise ValueError(f"{name} should be an integer >= {low}, but got {name}={value!r}")
    return int(value)


class DataLoader:
    """Batches of `dataset`: shuffled anew each epoch when shuffle=True, from `generator` (default:
    fastnn's default generator, so fn.manual_seed makes the epochs reproducible).

    num_workers > 0 loads batches in that many worker processes (started with
    multiprocessing_context, default: the platform's default start method), each seeded anew per
    epoch and set up by worker_init_fn(worker_id); prefetch_factor batches per worker are loaded
    ahead; persistent_workers keeps them between epochs; timeout > 0 bounds the wait for a batch.
    pin_memory is accepted for compatibility: NumPy arrays are host memory already.
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, *, num_workers=0, collate_fn=None, pin_memory=False,
                 drop_last=False, timeout=0, worker_init_fn=None, multiprocessing_context=None, generator=None,
                 prefetch_factor=None, persistent_workers=False, pin_memory_device=""):
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size <= 0:
            raise ValueError(f"batch_size should be a positive integer value, but got batch_size={batch_size!r}")
        if not isinstance(shuffle, (bool, np.bool_)):
            raise TypeError(f"shuffle should be a bool, got {type(shuffle).__name__}")
        if generator is not None and not isinstance(generator, Generator):
            raise TypeError(f"generator should be a fastnn.Generator or None, got {type(generator).__name__}")
        if collate_fn is not None and not callable(collate_fn):
            raise TypeError(f"collate_fn should be callable or None, got {type(collate_fn).__name__}")
        if worker_init_fn is not None and not callable(worker_init_fn):
            raise TypeError(f"worker_init_fn should be callable or None, got {type(worker_init_fn).__name__}")
        self._is_iterable = isinstance(dataset, IterableDataset)
        if self._is_iterable:
            if shuffle:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified shuffle option, but got "
                                 f"shuffle={shuffle}")
        elif not (hasattr(dataset, "__getitem__") and hasattr(dataset, "__len__")):
            raise TypeError(f"dataset should define __getitem__ and __len__ (or be an IterableDataset), got "
                            f"{type(dataset).__name__}")
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
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.collate_fn = default_collate if collate_fn is None else collate_fn
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

    def __len__(self):
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def _index_batches(self):
        """The indices (int64 arrays) of each batch of one epoch of a map-style dataset."""
        n = len(self.dataset)
        if self.shuffle:
            order = generator_or_default(self.generator).numpy.permutation(n)
        else:
            order = np.arange(n)
        end = n - n % self.batch_size if self.drop_last else n
        return (order[start:start + self.batch_size] for start in range(0, end, self.batch_size))

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
        if self._is_iterable:
            fetcher = IterableFetcher(self.dataset, self.collate_fn, self.batch_size, self.drop_last)
            while True:
                try:
                    batch = fetcher.fetch()
                except StopIteration:
                    return
                yield batch
        fetcher = MapFetcher(self.dataset, self.collate_fn)
        for indices in self._index_batches():
            yield fetcher.fetch(indices)
