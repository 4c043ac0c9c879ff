"""DistributedDataParallel: data-parallel training over the ranks of fastnn.distributed, as
torch.nn.parallel.DistributedDataParallel.

At construction rank 0's parameters and buffers are broadcast to every rank (after a check that
all ranks hold the same parameter shapes). Gradients are averaged over the ranks during backward:
the parameters that need gradients are split, in reverse registration order (roughly the order
in which backward finishes them), into buckets of one dtype and at most bucket_cap_mb megabytes
(the first bucket at most 1 MB, so that its reduction starts early), each a flat contiguous
array. A parameter's post-accumulate-grad hook copies its final .grad into its bucket's slot;
once every parameter of a bucket is in, the bucket is all-reduced with one MPI_Allreduce
(overlap=True: a non-blocking MPI_Iallreduce started while backward still runs, later hooks
drive its progress; overlap=False: blocking Allreduces, one per bucket in order, when the last
bucket is ready). Buckets start in bucket order on every rank, as MPI's collective ordering
requires. When the last one is done each .grad becomes its slot divided by the world size.
Buckets are host memory: a module on device 'cuda' has its gradients copied into them and the
averages copied back (and its broadcasts staged alike), so any MPI works, CUDA-aware or not.

Inside no_sync(), forward passes are not followed by a reduction: gradients accumulate locally
and the first backward after the context reduces the sum. find_unused_parameters=True walks the
output's graph after forward and marks the parameters it does not reach ready at once (their
slots: their current .grad, or zeros); a parameter unused on every rank keeps its .grad.
"""
import contextlib

import numpy as np

from fastnn._backend import device_of, to_device
import fastnn.distributed as dist
from fastnn.autograd.engine import is_grad_enabled
from fastnn.nn.module import Module
from fastnn.tensor import Tensor

_MB = 1024 * 1024
_FIRST_BUCKET_BYTES = 1 * _MB  # as PyTorch's dist._DEFAULT_FIRST_BUCKET_BYTES


def _host(array):
    """A host view or copy of a parameter's array (device arrays are reduced through host memory)."""
    return to_device(array, "cpu")


def _like(host, array):
    """`host` on the device of `array`."""
    return to_device(host, device_of(array))


class _Bucket:
    """A flat array of one dtype holding the gradients of `params` at `offsets`."""

    def __init__(self, params):
        self.params = params
        self.offsets = np.cumsum([0] + [p._data.size for p in params]).tolist()
        self.buffer = np.empty(self.offsets[-1], dtype=params[0]._data.dtype)
        self.pending = len(params)

    def slot(self, index):
        return self.buffer[self.offsets[index]:self.offsets[index + 1]]


def _tensors_in(value):
    if isinstance(value, Tensor):
        yield value
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _tensors_in(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _tensors_in(item)


def _reachable_leaves(outputs):
    """ids of the leaf tensors the autograd graph of `outputs` reaches."""
    leaves, seen = set(), set()
    stack = []
    for tensor in _tensors_in(outputs):
        if tensor.grad_fn is None:
            leaves.add(id(tensor))
        else:
            stack.append(tensor.grad_fn)
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        for parent in node.parents:
            if parent is None:
                continue
            if type(parent) is tuple:
                stack.append(parent[0])
            else:
                leaves.add(id(parent))
    return leaves


class DistributedDataParallel(Module):
    """Wraps `module` for data-parallel training: every rank runs it on its own shard of the batch
    and backward leaves the gradients averaged over the ranks (see the module docstring).

    PyTorch's arguments: device_ids and output_device must be None (the module stays on its
    device, 'cpu' or 'cuda'), dim=0;
    broadcast_buffers: rank 0's buffers are broadcast before each forward in training;
    init_sync: broadcast rank 0's parameters and buffers at construction; process_group: None
    (the default group); bucket_cap_mb (default 25); find_unused_parameters. overlap (fastnn's):
    start each bucket's allreduce while backward runs (True) or all of them after it (False).
    state_dict() keys carry the prefix 'module.' as in PyTorch.
    """

    def __init__(self, module, device_ids=None, output_device=None, dim=0, broadcast_buffers=True, init_sync=True,
                 process_group=None, bucket_cap_mb=None, find_unused_parameters=False, *, overlap=True):
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"module must be a fastnn.nn.Module, got {type(module).__name__}")
        if device_ids is not None or output_device is not None:
            raise ValueError(f"device_ids and output_device must be None (the module stays on its device), got device_ids="
                             f"{device_ids!r}, output_device={output_device!r}")
        if dim != 0:
            raise ValueError(f"dim must be 0 (inputs are split by the sampler, not by DDP), got {dim!r}")
        if bucket_cap_mb is None:
            bucket_cap_mb = 25
        if isinstance(bucket_cap_mb, bool) or not isinstance(bucket_cap_mb, (int, float)) or not bucket_cap_mb > 0:
            raise ValueError(f"bucket_cap_mb must be a positive number, got {bucket_cap_mb!r}")
        if not dist.is_initialized():
            raise RuntimeError("Default process group has not been initialized, please make sure to call "
                               "init_process_group.")
        dist._check_group(process_group)
        self.module = module
        self.broadcast_buffers = bool(broadcast_buffers)
        self.find_unused_parameters = bool(find_unused_parameters)
        self.bucket_bytes_cap = int(bucket_cap_mb * _MB)
        self.overlap = bool(overlap)
        self.require_backward_grad_sync = True
        self._comm = dist._communicator()
        self._world_size = dist.get_world_size()
        self._check_same_parameters()
        if init_sync:
            self._broadcast(list(module.parameters()) + [b for b in module.buffers() if b is not None])
        params = [p for p in module.parameters() if p.requires_grad]
        self._buckets = self._make_buckets(params)
        self._where = {id(p): (b, i) for b, bucket in enumerate(self._buckets) for i, p in enumerate(bucket.params)}
        # "idle": no reduction expected (no_sync, eval, no grad); "reducing": forward ran, buckets fill;
        # "reduced": every bucket is done, until the next forward
        self._state = "idle"
        self._ready = set()
        self._locally_unused = ()
        self._next_bucket = 0
        self._requests = []
        self._handles = [p.register_post_accumulate_grad_hook(self._gradient_ready) for p in params] \
            if self._world_size > 1 else []

    # ----------------------------------------------------------------------- construction
    def _check_same_parameters(self):
        mine = [(name, tuple(p.shape), str(p._data.dtype)) for name, p in self.module.named_parameters()]
        everyone = [None] * self._world_size
        dist.all_gather_object(everyone, mine)
        for rank, theirs in enumerate(everyone):
            if theirs != mine:
                raise ValueError(f"DistributedDataParallel: rank {rank} has parameters {theirs}, but rank "
                                 f"{dist.get_rank()} has {mine}; every rank must build the same model")

    def _broadcast(self, tensors):
        """Rank 0's values of `tensors`, one Bcast per dtype of their concatenation."""
        if self._comm is None:
            return
        by_dtype = {}
        for t in tensors:
            by_dtype.setdefault(t._data.dtype, []).append(t)
        for dtype, group in by_dtype.items():
            flat = np.concatenate([_host(t._data).reshape(-1) for t in group]) if group else np.empty(0, dtype)
            self._comm.Bcast(flat, root=0)
            start = 0
            for t in group:
                t._data[...] = _like(flat[start:start + t._data.size].reshape(t._data.shape), t._data)
                start += t._data.size

    def _make_buckets(self, params):
        buckets, open_buckets = [], {}  # dtype -> [params of the bucket being filled, their bytes]
        cap = min(_FIRST_BUCKET_BYTES, self.bucket_bytes_cap)
        for p in reversed(params):
            group = open_buckets.setdefault(p._data.dtype, [[], 0])
            group[0].append(p)
            group[1] += p._data.nbytes
            if group[1] >= cap:
                buckets.append(_Bucket(group[0]))
                del open_buckets[p._data.dtype]
                cap = self.bucket_bytes_cap
        buckets.extend(_Bucket(group) for group, _ in open_buckets.values() if group)
        return buckets

    @property
    def bucket_sizes(self):
        """The number of parameters in each bucket, in reduction order."""
        return [len(b.params) for b in self._buckets]

    # ---------------------------------------------------------------------------- forward
    def forward(self, *inputs, **kwargs):
        if self._state == "reducing":
            raise RuntimeError(
                "Expected to have finished reduction in the prior iteration before starting a new one. This "
                "error indicates that your module has parameters that were not used in producing loss. You can "
                "enable unused parameter detection by passing the keyword argument `find_unused_parameters=True` "
                "to `torch.nn.parallel.DistributedDataParallel`, and by making sure all `forward` function "
                "outputs participate in calculating loss.")
        if self._world_size > 1 and self.broadcast_buffers and self.module.training:
            self._broadcast([b for b in self.module.buffers() if b is not None])
        output = self.module(*inputs, **kwargs)
        self._state = "idle"
        if self._world_size > 1 and self.module.training and is_grad_enabled() and self.require_backward_grad_sync:
            self._start_reduction(output)
        return output

    def _start_reduction(self, output):
        self._state, self._ready, self._next_bucket, self._requests = "reducing", set(), 0, []
        for bucket in self._buckets:
            bucket.pending = len(bucket.params)
        self._locally_unused = ()
        if self.find_unused_parameters:
            reached = _reachable_leaves(output)
            unused = [p for bucket in self._buckets for p in bucket.params if id(p) not in reached]
            self._locally_unused = {id(p) for p in unused}
            for p in unused:
                self._mark_ready(p)

    @contextlib.contextmanager
    def no_sync(self):
        """Forward/backward passes inside accumulate gradients locally, without reduction."""
        previous = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = previous

    # --------------------------------------------------------------------------- backward
    def _gradient_ready(self, param):
        if self._state == "reduced":
            raise RuntimeError("Expected to mark a variable ready only once: DistributedDataParallel reduces "
                               "one backward per forward (run forward again before the next backward)")
        if self._state == "reducing":
            self._mark_ready(param)

    def _mark_ready(self, param):
        if id(param) in self._ready:
            raise RuntimeError("Expected to mark a variable ready only once: a parameter got its gradient twice "
                               "in one DistributedDataParallel iteration")
        self._ready.add(id(param))
        b, i = self._where[id(param)]
        bucket = self._buckets[b]
        if param.grad is None:
            bucket.slot(i)[...] = 0
        else:
            bucket.slot(i)[...] = _host(param.grad._data).reshape(-1)
        bucket.pending -= 1
        if self._requests:
            from mpi4py import MPI

            MPI.Request.Testall(self._requests)  # lets Open MPI progress the reductions under way
        while self._next_bucket < len(self._buckets) and not self._buckets[self._next_bucket].pending:
            if self.overlap:
                from mpi4py import MPI

                self._requests.append(self._comm.Iallreduce(MPI.IN_PLACE, self._buckets[self._next_bucket].buffer,
                                                            MPI.SUM))
            self._next_bucket += 1
        if self._next_bucket == len(self._buckets):
            self._finish_reduction()

    def _finish_reduction(self):
        from mpi4py import MPI

        if self.overlap:
            MPI.Request.Waitall(self._requests)
        else:
            for bucket in self._buckets:
                self._comm.Allreduce(MPI.IN_PLACE, bucket.buffer, MPI.SUM)
        self._requests = []
        globally_unused = self._globally_unused()
        for bucket in self._buckets:
            np.divide(bucket.buffer, self._world_size, out=bucket.buffer)
            for i, p in enumerate(bucket.params):
                if id(p) in globally_unused:
                    continue
                averaged = _like(bucket.slot(i).reshape(p._data.shape), p._data)
                if p.grad is None:
                    p.grad = Tensor(averaged.copy())
                else:
                    p.grad._data[...] = averaged
        self._state = "reduced"

    def _globally_unused(self):
        """ids of the parameters no rank used (find_unused_parameters): one Allreduce of a use map."""
        if not self.find_unused_parameters:
            return set()
        from mpi4py import MPI

        params = [p for bucket in self._buckets for p in bucket.params]
        used = np.array([id(p) not in self._locally_unused for p in params], dtype=np.int32)
        self._comm.Allreduce(MPI.IN_PLACE, used, MPI.SUM)
        return {id(p) for p, n in zip(params, used) if n == 0}
