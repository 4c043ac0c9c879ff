"""DataLoader(num_workers > 0): real worker processes with PyTorch's semantics (order, seeding,
get_worker_info, errors, timeouts, shutdown, persistent workers, IterableDataset sharding)."""
import gc
import multiprocessing
import os
import random
import time

import numpy as np
import pytest

import fastnn as fn
from fastnn.data import DataLoader, Dataset, IterableDataset, TensorDataset, get_worker_info

# Module-level datasets and functions, so that 'spawn' workers can import them.
class Probe(Dataset):
    """Sample i: (i, worker id, worker seed, numpy, python and fastnn random numbers, pid); even
    samples are slow, so that results arrive out of order."""

    def __init__(self, n=12):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        info = get_worker_info()
        if i % 2 == 0:
            time.sleep(0.01)
        return (i, -1 if info is None else info.id, -1 if info is None else info.seed, float(np.random.rand()),
                random.random(), float(fn.rand(1).item()), os.getpid(), INIT_MARK.get("id", -1))


INIT_MARK = {}


def mark_init(worker_id):
    INIT_MARK["id"] = worker_id * 100


class Failing(Dataset):
    def __init__(self, error):
        self.error = error

    def __len__(self):
        return 8

    def __getitem__(self, i):
        if i == 5:
            raise self.error
        return i


class Sleeping(Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        time.sleep(30)
        return i


class Dying(Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        os._exit(3)


class Range(IterableDataset):
    """range(n), split between the workers when shard=True."""

    def __init__(self, n, shard=True):
        self.n, self.shard = n, shard

    def __iter__(self):
        info = get_worker_info()
        if info is None or not self.shard:
            return iter(range(self.n))
        per_worker = -(-self.n // info.num_workers)
        return iter(range(info.id * per_worker, min((info.id + 1) * per_worker, self.n)))

    def __len__(self):
        return self.n


class Kernels(Dataset):
    """Samples computed by fastnn's threaded kernels inside the worker."""

    def __len__(self):
        return 4

    def __getitem__(self, i):
        x = fn.tensor(np.full((64, 200), 0.01 * (i + 1), np.float32))
        return (fn.relu(x @ x.T) * fn.get_num_threads()).sum()


def no_children():
    deadline = time.monotonic() + 5
    while multiprocessing.active_children() and time.monotonic() < deadline:
        time.sleep(0.05)
    return multiprocessing.active_children() == []


def column(batches, k):
    return [int(v) for batch in batches for v in batch[k].numpy()]


def test_batches_come_in_order_and_equal_the_single_process_ones():
    dataset = TensorDataset(np.arange(34.0).reshape(17, 2), np.arange(17))
    single = list(DataLoader(dataset, batch_size=4))
    multi = list(DataLoader(dataset, batch_size=4, num_workers=3, prefetch_factor=1))
    assert len(multi) == len(single) == 5
    for a, b in zip(single, multi):
        for x, y in zip(a, b):
            assert x.dtype == y.dtype
            np.testing.assert_array_equal(x.numpy(), y.numpy())
    batches = list(DataLoader(Probe(), batch_size=1, num_workers=2))  # slow even samples: out of order
    assert column(batches, 0) == list(range(12))
    assert no_children()


def test_shuffled_epochs_cover_every_sample_and_repeat_with_the_seed():
    def epoch(seed):
        loader = DataLoader(Probe(10), batch_size=3, shuffle=True, num_workers=2, generator=fn.Generator(seed))
        return column(list(loader), 0)
    first = epoch(1)
    assert sorted(first) == list(range(10)) and first != list(range(10))
    assert epoch(1) == first


def test_workers_are_seeded_and_see_their_worker_info():
    assert get_worker_info() is None
    fn.manual_seed(0)
    batches = list(DataLoader(Probe(8), batch_size=2, num_workers=2, worker_init_fn=mark_init))
    ids, seeds = column(batches, 1), column(batches, 2)
    assert ids == [0, 0, 1, 1, 0, 0, 1, 1]  # batch k from worker k % num_workers
    assert len(set(seeds)) == 2 and seeds[2] == seeds[0] + 1  # base_seed + worker_id
    assert column(batches, 7) == [100 * i for i in ids]  # worker_init_fn(worker_id) ran first
    numbers = [float(v) for batch in batches for k in (3, 4, 5) for v in batch[k].numpy()]
    assert len(set(numbers)) == len(numbers)  # the workers' generators differ
    fn.manual_seed(0)
    again = list(DataLoader(Probe(8), batch_size=2, num_workers=2))
    for k in (3, 4, 5):
        assert [float(v) for b in again for v in b[k].numpy()] == [float(v) for b in batches for v in b[k].numpy()]


def test_iterable_dataset_sharded_by_worker_info():
    assert [int(v) for b in DataLoader(Range(10), batch_size=3) for v in b.numpy()] == list(range(10))
    sharded = [int(v) for b in DataLoader(Range(10), batch_size=2, num_workers=2) for v in b.numpy()]
    assert sorted(sharded) == list(range(10))
    duplicated = [int(v) for b in DataLoader(Range(5, shard=False), batch_size=2, num_workers=2) for v in b.numpy()]
    assert sorted(duplicated) == sorted(list(range(5)) * 2)
    dropped = list(DataLoader(Range(10), batch_size=3, num_workers=3, drop_last=True))
    assert [b.numpy().tolist() for b in dropped] == [[0, 1, 2], [4, 5, 6]]  # shards of 4, 4, 2: short ends dropped
    assert no_children()


@pytest.mark.parametrize("error, raised, match", [
    (ValueError("bad sample 5"), ValueError, "bad sample 5"),
    (KeyError("missing"), KeyError, "missing"),
])
def test_worker_exceptions_are_raised_with_the_workers_traceback(error, raised, match):
    loader = DataLoader(Failing(error), batch_size=2, num_workers=2)
    with pytest.raises(raised) as info:
        list(loader)
    message = str(info.value)
    assert f"Caught {raised.__name__} in DataLoader worker process 0" in message
    assert "Original Traceback" in message and "in __getitem__" in message and match in message
    assert no_children()


def test_unpicklable_batches_raise_instead_of_hanging():
    loader = DataLoader(Probe(4), batch_size=2, num_workers=1, collate_fn=lambda batch: (lambda: batch), timeout=20)
    with pytest.raises(Exception, match="Caught .* in DataLoader worker process 0"):
        list(loader)
    assert no_children()


def test_timeout_raises_and_stops_the_workers():
    start = time.monotonic()
    with pytest.raises(RuntimeError, match="DataLoader timed out after 0.5 seconds"):
        next(iter(DataLoader(Sleeping(), num_workers=1, timeout=0.5)))
    assert time.monotonic() - start < 10
    assert no_children()


def test_a_dying_worker_raises():
    with pytest.raises(RuntimeError, match=r"DataLoader worker \(pid\(s\) \d+.*\) exited unexpectedly"):
        list(DataLoader(Dying(), num_workers=2))
    assert no_children()


def test_deleting_an_iterator_mid_epoch_stops_its_workers():
    iterator = iter(DataLoader(Probe(40), batch_size=2, num_workers=2))
    next(iterator)
    assert len(multiprocessing.active_children()) == 2
    del iterator
    gc.collect()
    assert no_children()


def test_persistent_workers_live_across_epochs():
    loader = DataLoader(Probe(6), batch_size=2, num_workers=2, persistent_workers=True)
    epochs = [list(loader) for _ in range(3)]
    assert all(column(batches, 0) == list(range(6)) for batches in epochs)
    assert {pid for batches in epochs for pid in column(batches, 6)} == {p.pid for p in multiprocessing.active_children()}
    half = iter(loader)
    next(half)  # an abandoned epoch: its late results must not leak into the next one
    assert column(list(loader), 0) == list(range(6))
    iterable = DataLoader(Range(7), batch_size=2, num_workers=2, persistent_workers=True)
    for _ in range(2):
        assert sorted(int(v) for b in iterable for v in b.numpy()) == list(range(7))
    del loader, half, iterable  # a reference cycle (the loader keeps its iterator): freed by gc
    gc.collect()
    assert no_children()


def test_workers_run_kernels_after_the_parent_used_threads(threads):
    fn.set_num_threads(2)
    a = fn.tensor(np.ones((256, 256), np.float32))
    (a @ a).sum()  # the parent's thread pool is running when the workers fork
    batches = list(DataLoader(Kernels(), batch_size=2, num_workers=2, timeout=30))
    expected = [float((np.maximum(np.full((64, 200), 0.01 * (i + 1)) @ np.full((200, 64), 0.01 * (i + 1)), 0)).sum())
                for i in range(4)]
    np.testing.assert_allclose([float(v) for b in batches for v in b.numpy()], expected, rtol=1e-5)  # 1 thread each


def test_spawn_start_method():
    dataset = TensorDataset(np.arange(10.0), np.arange(10))
    batches = list(DataLoader(dataset, batch_size=4, num_workers=2, multiprocessing_context="spawn"))
    assert column(batches, 1) == list(range(10))
    assert column(list(DataLoader(Probe(4), batch_size=2, num_workers=1, multiprocessing_context="spawn")), 0) \
        == [0, 1, 2, 3]
    assert no_children()


@pytest.mark.parametrize("options, error, match", [
    (dict(num_workers=-1), ValueError, "num_workers"),
    (dict(prefetch_factor=2), ValueError, "prefetch_factor option could only be specified in multiprocessing"),
    (dict(persistent_workers=True), ValueError, "persistent_workers option needs num_workers > 0"),
    (dict(num_workers=1, timeout=-1), ValueError, "timeout option should be non-negative"),
    (dict(num_workers=1, multiprocessing_context="thread"), ValueError, "valid start method"),
    (dict(multiprocessing_context="spawn"), ValueError, "num_workers > 0"),
    (dict(num_workers=1, prefetch_factor=0), ValueError, "prefetch_factor"),
    (dict(num_workers=1, worker_init_fn=3), TypeError, "worker_init_fn"),
])
def test_bad_arguments_raise(options, error, match):
    with pytest.raises(error, match=match):
        DataLoader(Probe(4), **options)


def test_pytorch_import_path_is_fastnn_data_itself():
    import fastnn.utils.data
    from fastnn.utils.data import DataLoader as Loader
    from fastnn.utils.data.dataset import Subset

    assert fastnn.utils.data is fn.data and Loader is DataLoader and Subset is fn.data.Subset
    assert fn.utils.data.random_split is fn.data.random_split
