"""The DataLoader's worker processes: what runs inside one (seeding, get_worker_info, the loop
that turns index batches into batches) and how its errors travel to the main process.

Protocol: the main process puts (epoch, task, indices) on a worker's own index queue (indices: a
batch of the loader's batch_sampler, one index of its sampler without auto-batching, None for an
IterableDataset), and None plus the shared `done` event to stop it; the worker puts (epoch, task, payload) on the
shared result queue, payload being the pickled batch, a WorkerError, or IterableEnd once its
copy of an IterableDataset is exhausted. The worker pickles the batch itself, so that a batch
that cannot be pickled becomes an error in the main process instead of a lost message.
"""
import os
import pickle
import queue
import random
import traceback

import numpy as np

_POLL_SECONDS = 0.2  # how often a waiting worker checks that its parent is alive
_worker_info = None


class WorkerInfo:
    """What get_worker_info() returns inside a worker: id, num_workers, seed, dataset (the
    worker's own copy)."""

    __slots__ = ("id", "num_workers", "seed", "dataset")

    def __init__(self, id, num_workers, seed, dataset):
        self.id, self.num_workers, self.seed, self.dataset = id, num_workers, seed, dataset

    def __repr__(self):
        return f"WorkerInfo(id={self.id}, num_workers={self.num_workers}, seed={self.seed}, dataset={self.dataset!r})"


def get_worker_info():
    """The WorkerInfo of the worker process this runs in; None in the main process."""
    return _worker_info


class IterableEnd:
    """A worker's copy of an IterableDataset has no more samples."""

    def __init__(self, worker_id):
        self.worker_id = worker_id


class WorkerError:
    """An exception raised in a worker, with its traceback, to raise again in the main process."""

    def __init__(self, worker_id, error):
        self.type = type(error)
        try:
            pickle.dumps(self.type)
        except Exception:  # a class defined where the main process cannot import it
            self.type = RuntimeError
        self.message = (f"Caught {type(error).__name__} in DataLoader worker process {worker_id}.\nOriginal "
                        + "".join(traceback.format_exception(error)))

    def reraise(self):
        """Raises the worker's exception type with the worker's traceback as its message
        (RuntimeError when that type cannot be built from one string), as PyTorch does."""
        message = self.message
        if self.type is KeyError:  # KeyError's str() is the repr of its argument: keep the lines
            message = _KeyErrorMessage(message)
        try:
            error = self.type(message)
        except Exception:
            raise RuntimeError(message) from None
        raise error


class _KeyErrorMessage(str):
    def __repr__(self):
        return str(self)


def seed_worker(base_seed, worker_id):
    """Seeds Python's, fastnn's and NumPy's global generators of worker `worker_id` from the
    loader's base seed (base_seed + worker_id, as PyTorch; NumPy from a SeedSequence of both)."""
    from fastnn.random import manual_seed
    seed = base_seed + worker_id
    random.seed(seed)
    manual_seed(seed)
    np.random.seed(np.random.SeedSequence([worker_id, base_seed]).generate_state(4))
    return seed


def worker_loop(dataset, iterable, auto_collation, collate_fn, batch_size, drop_last, index_queue, result_queue, done,
                base_seed, worker_init_fn, worker_id, num_workers, parent_pid):
    """The body of worker process `worker_id` (module level, so that 'spawn' can start it)."""
    global _worker_info
    from fastnn._config import set_num_threads
    from fastnn.data.fetch import make_fetcher
    set_num_threads(1)  # as PyTorch's workers: N workers x all cores would oversubscribe the CPU
    seed = seed_worker(base_seed, worker_id)
    _worker_info = WorkerInfo(worker_id, num_workers, seed, dataset)

    fetcher, fetcher_epoch, failure, ended = None, None, None, False
    try:
        if worker_init_fn is not None:
            worker_init_fn(worker_id)
    except Exception as error:
        failure = WorkerError(worker_id, error)  # reported for the first task, as in PyTorch
    try:
        while not done.is_set():
            try:
                task = index_queue.get(timeout=_POLL_SECONDS)
            except queue.Empty:
                if os.getppid() != parent_pid:  # the main process died: nobody will read results
                    break
                continue
            if task is None or done.is_set():
                break
            epoch, index, indices = task
            if failure is not None:
                payload = failure
            else:
                if epoch != fetcher_epoch:  # a new epoch (persistent workers): a fresh iterator
                    fetcher_epoch, ended = epoch, False
                    try:
                        fetcher = make_fetcher(dataset, iterable, auto_collation, collate_fn, batch_size, drop_last)
                    except Exception as error:
                        result_queue.put((epoch, index, WorkerError(worker_id, error)))
                        continue
                if ended:
                    continue
                try:
                    payload = pickle.dumps(fetcher.fetch(indices), protocol=pickle.HIGHEST_PROTOCOL)
                except StopIteration:
                    payload, ended = IterableEnd(worker_id), True
                except Exception as error:
                    payload = WorkerError(worker_id, error)
            result_queue.put((epoch, index, payload))
    except KeyboardInterrupt:  # the main process handles Ctrl-C
        pass
    result_queue.cancel_join_thread()  # exit even if the main process no longer reads
    result_queue.close()
