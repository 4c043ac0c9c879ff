"""nn.SyncBatchNorm: on 2 and 3 MPI ranks a CNN under DDP matches one process with BatchNorm on the
whole batch (tests/mpi_programs/sync_batchnorm.py); on one process it is BatchNorm."""
import numpy as np
import pytest

import fastnn as fn
import fastnn.distributed as dist
from fastnn import nn
from mpi_harness import no_launcher, run_ok, skip_without_mpi  # noqa: F401 (no_launcher: a fixture)


@pytest.mark.parametrize("ranks,dtype,steps,tolerance", [(2, "float32", 1, 1e-5), (2, "float64", 6, 1e-10),
                                                         (3, "float64", 6, 1e-10)])
@skip_without_mpi()
@pytest.mark.mpi
def test_sync_batchnorm_cnn_matches_batchnorm_on_the_whole_batch(ranks, dtype, steps, tolerance):
    result = run_ok("sync_batchnorm.py", dtype, steps, tolerance, np=ranks)
    assert result.stdout.count(" OK ") == ranks, result


def test_convert_shares_parameters_and_buffers():
    fn.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(2, 3, 1), nn.BatchNorm2d(3, affine=False),
                          nn.Sequential(nn.Flatten(), nn.BatchNorm1d(12, momentum=0.3).double()))
    model[2][1].running_mean._data[...] = 5
    model.eval()
    before = model.state_dict()
    converted = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    assert converted is model and isinstance(model[1], nn.SyncBatchNorm) and isinstance(model[2][1], nn.SyncBatchNorm)
    after = model.state_dict()
    assert list(after) == list(before)
    assert all(np.shares_memory(after[k].numpy(), before[k].numpy()) for k in before)
    assert model[2][1].momentum == 0.3 and not model[2][1].training and model[1].weight is None
    single = nn.SyncBatchNorm.convert_sync_batchnorm(nn.BatchNorm1d(4))
    assert type(single) is nn.SyncBatchNorm


@pytest.mark.usefixtures("no_launcher")
def test_on_one_process_it_is_batchnorm():
    dist.init_process_group()
    x = fn.tensor(np.random.default_rng(0).standard_normal((6, 3, 4)))
    sync, plain = nn.SyncBatchNorm(3, dtype=fn.float64), nn.BatchNorm1d(3, dtype=fn.float64)
    a, b = sync(x), plain(x)
    assert np.array_equal(a.numpy(), b.numpy())
    assert np.array_equal(sync.running_var.numpy(), plain.running_var.numpy())
    with pytest.raises(ValueError, match="at least 2D"):
        sync(fn.ones(3, dtype=fn.float64))
    with pytest.raises(ValueError, match="group"):
        nn.SyncBatchNorm(3, process_group="other")
