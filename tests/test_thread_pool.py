"""fastnn's thread pool (csrc/core/thread_pool.cpp): barrier, exceptions, nesting, resizing, spin
setting, concurrent Python callers, and fork (os.fork, multiprocessing, a DataLoader-like pattern).

Every check compares kernel results bitwise with the same kernels run on one thread: the pool may
only change where work runs, never a result."""
import multiprocessing
import os
import threading
import time

import numpy as np
import pytest

import fastnn
from fastnn import _C
from fastnn import kernels as K
from helpers import random_array

FORK_TIMEOUT = 60.0


def workload(seed=0):
    """Inputs for kernels that each split their work over two threads."""
    return dict(a=random_array((96, 128), np.float32, seed), b=random_array((128, 80), np.float32, seed + 1),
                x=random_array((4, 8, 12, 12), np.float32, seed + 2),
                w=random_array((16, 8, 3, 3), np.float32, seed + 3),
                s=random_array((512, 300), np.float32, seed + 4))


def run_kernels(data):
    return (K.gemm(data["a"], data["b"]), K.conv2d_forward(data["x"], data["w"], padding=1),
            K.softmax_forward(data["s"]))


def same(results, expected):
    return all(np.array_equal(r, e) for r, e in zip(results, expected))


@pytest.fixture
def expected(threads):
    """(workload, its results on one thread); the test then runs on two threads."""
    data = workload()
    fastnn.set_num_threads(1)
    one = run_kernels(data)
    fastnn.set_num_threads(2)
    return data, one


@pytest.fixture
def spin():
    before = _C.spin_us()
    yield
    _C.set_spin_us(before)


@pytest.mark.parametrize("nworkers", [2, 3, 4])
def test_barrier_holds_every_worker_until_all_arrive(nworkers):
    assert _C._region_barrier_check(nworkers, 300) == (nworkers, 0)


def test_barrier_of_a_one_worker_region_returns_at_once():
    assert _C._region_barrier_check(1, 5) == (1, 0)


@pytest.mark.parametrize("nworkers", [2, 3])
def test_an_exception_in_any_worker_reaches_the_caller(nworkers):
    for thrower in range(nworkers):
        with pytest.raises(RuntimeError, match=f"worker {thrower} failed"):
            _C._region_raise(nworkers, thrower)
        # the workers left at the barrier were released, and the pool still works
        assert _C._region_barrier_check(nworkers, 20) == (nworkers, 0)


def test_nested_regions_run_inline():
    assert _C._region_nested(2) == [1, 1]
    assert _C._region_nested(3) == [1, 1, 1]


def test_set_num_threads_resizes_the_pool(expected):
    data, one = expected
    for n in (3, 1, 2):
        fastnn.set_num_threads(n)
        assert same(run_kernels(data), one)
        assert _C.thread_pool_info()["workers"] <= n - 1
    assert _C.thread_pool_info()["workers"] == 1


def test_spin_time_setting(expected, spin):
    data, one = expected
    for us in (0, 1, 200):
        _C.set_spin_us(us)
        assert _C.spin_us() == us == _C.thread_pool_info()["spin_us"]
        assert same(run_kernels(data), one)
    for bad in (-1, 10**6 + 1):
        with pytest.raises(ValueError, match="spin_us must be in"):
            _C.set_spin_us(bad)


def test_concurrent_python_threads_get_correct_results(expected):
    """Kernels release the GIL: four threads call them at once (one region runs on the pool, the
    others inline) while a fifth keeps resizing the pool."""
    data, one = expected
    failures, stop = [], threading.Event()

    def caller():
        for _ in range(15):
            if not same(run_kernels(data), one):
                failures.append("wrong result")

    def resizer():
        while not stop.is_set():
            for n in (1, 3, 2):
                fastnn.set_num_threads(n)

    callers = [threading.Thread(target=caller) for _ in range(4)]
    churn = threading.Thread(target=resizer)
    churn.start()
    for t in callers:
        t.start()
    for t in callers:
        t.join(FORK_TIMEOUT)
    stop.set()
    churn.join(FORK_TIMEOUT)
    assert not any(t.is_alive() for t in callers + [churn]), "a thread hung"
    assert failures == []


def wait_for_child(pid, timeout=FORK_TIMEOUT):
    """The child's exit status; kills it and fails if it has not exited within `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.01)
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    pytest.fail(f"the forked child hung for {timeout} s")


def fork_and_check(data, one):
    pid = os.fork()
    if pid == 0:  # child: exit status 0 only if the kernels ran, on two threads, correctly
        try:
            ok = all(same(run_kernels(data), one) for _ in range(3)) and _C.thread_pool_info()["workers"] == 1
            os._exit(0 if ok else 1)
        except BaseException:
            os._exit(2)
    return wait_for_child(pid)


def test_forked_child_recreates_the_pool(expected):
    data, one = expected
    assert same(run_kernels(data), one)  # the parent's workers exist now
    assert fork_and_check(data, one) == 0
    assert same(run_kernels(data), one)  # and the parent's pool still works


def test_fork_while_another_thread_runs_a_region(expected):
    data, one = expected
    stop = threading.Event()

    def busy():
        while not stop.is_set():
            run_kernels(data)

    worker = threading.Thread(target=busy)
    worker.start()
    try:
        time.sleep(0.05)
        codes = [fork_and_check(data, one) for _ in range(5)]
    finally:
        stop.set()
        worker.join(FORK_TIMEOUT)
    assert codes == [0] * 5


def checked_batch(seed):
    """A worker process's job: kernels on two threads, compared with one thread."""
    data = workload(seed)
    fastnn.set_num_threads(1)
    one = run_kernels(data)
    fastnn.set_num_threads(2)
    return seed, same(run_kernels(data), one)


def test_multiprocessing_fork_pool(expected):
    data, one = expected
    run_kernels(data)
    with multiprocessing.get_context("fork").Pool(2) as pool:
        results = pool.map_async(checked_batch, range(4)).get(FORK_TIMEOUT)
    assert results == [(seed, True) for seed in range(4)]


def test_dataloader_like_workers_beside_a_training_loop(expected):
    """Forked workers prepare batches with kernels while the parent keeps running kernels on its
    own pool between batches, over two "epochs" (a fresh set of workers each)."""
    data, one = expected
    for epoch in range(2):
        with multiprocessing.get_context("fork").Pool(2) as pool:
            batches = pool.imap(checked_batch, range(epoch * 4, epoch * 4 + 4))
            for seed in range(epoch * 4, epoch * 4 + 4):
                assert batches.next(FORK_TIMEOUT) == (seed, True)
                assert same(run_kernels(data), one)
