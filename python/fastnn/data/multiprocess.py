"""The DataLoader iterator with worker processes (num_workers > 0), PyTorch's semantics:

- up to prefetch_factor batches per worker are in flight, handed out round-robin; results come
  back in any order and are returned in the order of the batches;
- each worker is seeded from one base seed drawn from the loader's generator per iterator
  (fastnn.data.worker.seed_worker) and can read get_worker_info();
- an exception in a worker is raised again here, with the worker's traceback in the message;
- `timeout` > 0 bounds the wait for one batch (RuntimeError), and a worker that dies is noticed
  within a second (RuntimeError naming its pid), so nothing hangs;
- the workers stop and are joined (terminated if they do not stop) when the epoch ends, on an
  error, when the iterator is garbage-collected or the interpreter exits: no zombies. With
  persistent_workers they live on for the next epoch instead.
"""
import itertools
import multiprocessing
import os
import pickle
import queue
import time

from fastnn.data import worker
from fastnn.random import generator_or_default

_POLL_SECONDS = 0.5  # how often a waiting main process checks that its workers are alive
_JOIN_SECONDS = 5.0
_END = object()  # the end of an epoch's index batches


class MultiProcessIterator:
    def __init__(self, loader):
        self._loader = loader
        self._num_workers = loader.num_workers
        self._iterable = loader._is_iterable
        self._timeout = loader.timeout
        self._persistent = loader.persistent_workers
        context = loader.multiprocessing_context
        if context is None:
            context = multiprocessing.get_context()
        elif isinstance(context, str):
            context = multiprocessing.get_context(context)
        base_seed = generator_or_default(loader.generator).next_seed()
        self._result_queue = context.Queue()
        # Queues write through a feeder thread that their finalizer stops, and the garbage collector
        # may run that finalizer before close() when the iterator is in a reference cycle (persistent
        # workers: the loader keeps it): the event reaches the workers regardless.
        self._done = context.Event()
        self._index_queues, self._workers = [], []
        self._closed = False
        for worker_id in range(self._num_workers):
            index_queue = context.Queue()
            index_queue.cancel_join_thread()
            process = context.Process(
                target=worker.worker_loop, daemon=True,
                args=(loader.dataset, self._iterable, loader._auto_collation, loader.collate_fn, loader.batch_size,
                      loader.drop_last, index_queue, self._result_queue, self._done, base_seed, loader.worker_init_fn,
                      worker_id, self._num_workers, os.getpid()))
            self._index_queues.append(index_queue)
            try:
                process.start()  # with 'spawn', pickling the dataset may fail here
            except BaseException:
                self.close()
                raise
            self._workers.append(process)
        self._epoch = -1
        self.reset()

    # ----------------------------------------------------------------------- one epoch
    def reset(self):
        """Starts an epoch: new index batches, every worker active, the first tasks sent."""
        self._epoch += 1
        self._batches = None if self._iterable else iter(self._loader._index_sampler)
        self._active = [True] * self._num_workers
        self._next_worker = itertools.cycle(range(self._num_workers))
        self._sent = self._returned = 0
        self._pending = {}  # task -> [worker_id] while in flight, [worker_id, payload] when early
        for _ in range(self._loader.prefetch_factor * self._num_workers):
            self._send_task()

    def _send_task(self):
        if self._batches is None:
            indices = None
        else:
            indices = next(self._batches, _END)
            if indices is _END:
                return
        for _ in range(self._num_workers):
            worker_id = next(self._next_worker)
            if self._active[worker_id]:
                break
        else:
            return
        self._index_queues[worker_id].put((self._epoch, self._sent, indices))
        self._pending[self._sent] = [worker_id]
        self._sent += 1

    def __iter__(self):
        return self

    def __next__(self):
        while True:
            while self._returned < self._sent:  # skip tasks of workers whose stream has ended
                entry = self._pending[self._returned]
                if len(entry) == 2 or self._active[entry[0]]:
                    break
                del self._pending[self._returned]
                self._returned += 1
            else:
                if not self._persistent:
                    self.close()
                raise StopIteration
            entry = self._pending[self._returned]
            if len(entry) == 2:
                payload = entry[1]
            else:
                epoch, task, payload = self._receive()
                if epoch != self._epoch:  # a result of an abandoned epoch (persistent workers)
                    continue
                if isinstance(payload, worker.IterableEnd):
                    self._active[payload.worker_id] = False
                    continue
                if task != self._returned:
                    self._pending[task].append(payload)
                    continue
            del self._pending[self._returned]
            self._returned += 1
            if isinstance(payload, worker.WorkerError):
                self.close()
                payload.reraise()
            self._send_task()
            return pickle.loads(payload)

    def _receive(self):
        """The next result from any worker; RuntimeError after `timeout` seconds or when a worker
        died."""
        start = time.monotonic()
        while True:
            wait = _POLL_SECONDS
            if self._timeout > 0:
                wait = min(wait, max(self._timeout - (time.monotonic() - start), 0.0))
            try:
                return self._result_queue.get(timeout=wait)
            except queue.Empty:
                pass
            dead = [process for process in self._workers if not process.is_alive()]
            if dead:
                pids = ", ".join(str(process.pid) for process in dead)
                codes = ", ".join(str(process.exitcode) for process in dead)
                self.close(graceful=False)
                raise RuntimeError(f"DataLoader worker (pid(s) {pids}) exited unexpectedly (exit code(s) {codes})")
            if self._timeout > 0 and time.monotonic() - start >= self._timeout:
                self.close(graceful=False)  # a worker is stuck
                raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds")

    # ------------------------------------------------------------------------ shutdown
    def close(self, graceful=True):
        """Stops the workers and waits for them (terminating those that do not stop, or all of
        them at once unless graceful)."""
        if self._closed:
            return
        self._closed = True
        self._done.set()
        for index_queue, process in zip(self._index_queues, self._workers):
            if process.is_alive():
                try:
                    index_queue.put(None)
                except (OSError, ValueError):
                    pass
        deadline = time.monotonic() + (_JOIN_SECONDS if graceful else 0.0)
        for process in self._workers:
            process.join(timeout=max(deadline - time.monotonic(), 0.0))
            if process.is_alive():
                process.terminate()
                process.join()
        for q in (*self._index_queues, self._result_queue):
            q.cancel_join_thread()
            q.close()

    def __del__(self):
        if not getattr(self, "_closed", True):
            self.close()
