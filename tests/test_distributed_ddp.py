"""DistributedDataParallel on 2 and 3 MPI ranks (tests/mpi_programs/ddp_*.py) and on the serial
world of one process."""
import numpy as np
import pytest

import fastnn as fn
import fastnn.distributed as dist
from fastnn import nn
from fastnn.nn.parallel import DistributedDataParallel as DDP
from mpi_harness import no_launcher, run_ok, skip_without_mpi  # noqa: F401 (no_launcher: a fixture)

@pytest.mark.parametrize("dtype,steps,tolerance", [("float32", 1, 1e-5), ("float64", 30, 1e-12)])
@pytest.mark.parametrize("overlap", ["overlap", "blocking"])
@pytest.mark.parametrize("ranks", [2, 3])
@skip_without_mpi()
@pytest.mark.mpi
def test_ddp_equals_accumulating_the_shards_in_one_process(ranks, overlap, dtype, steps, tolerance):
    result = run_ok("ddp_equivalence.py", dtype, steps, overlap, 0.0005, tolerance, np=ranks)
    assert result.stdout.count(" OK ") == ranks, result


@pytest.mark.parametrize("ranks", [2, 3])
@skip_without_mpi()
@pytest.mark.mpi
def test_ddp_no_sync_unused_parameters_and_errors(ranks):
    run_ok("ddp_features.py", np=ranks)


@pytest.mark.usefixtures("no_launcher")
def test_ddp_on_one_process_is_the_module():
    with pytest.raises(RuntimeError, match="init_process_group"):
        DDP(nn.Linear(2, 2))
    dist.init_process_group()
    fn.manual_seed(0)
    model = nn.Linear(3, 2)
    ddp = DDP(model, bucket_cap_mb=1)
    assert list(ddp.state_dict()) == ["module.weight", "module.bias"]
    x = fn.tensor(np.arange(6.0, dtype=np.float32).reshape(2, 3))
    ddp(x).sum().backward()
    grad = model.weight.grad.numpy().copy()
    model.zero_grad()
    model(x).sum().backward()
    assert np.array_equal(grad, model.weight.grad.numpy())
    with pytest.raises(TypeError, match="module"):
        DDP(lambda t: t)
    with pytest.raises(ValueError, match="bucket_cap_mb"):
        DDP(model, bucket_cap_mb=-1)
