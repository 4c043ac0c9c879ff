"""`python -m fastnn bench distributed`: the allreduce model and its fit, and one quick run on 2 ranks."""
import math

import pytest

from fastnn.benchmarks import distributed
from mpi_harness import skip_without_mpi


def test_the_allreduce_model_and_the_fit_recover_alpha_and_beta():
    alpha, beta = 3e-6, 0.25e-9
    assert distributed.comm_seconds(2, 1000, alpha, beta) == pytest.approx(2 * alpha + 1000 * beta)
    assert distributed.comm_seconds(64, 8, alpha, beta) == pytest.approx(12 * alpha + 2 * 63 / 64 * 8 * beta)
    times = {n: distributed.comm_seconds(2, n, alpha, beta) for n in distributed.SIZES}
    times[4] = 2 * alpha  # the latency term alone
    fitted_alpha, fitted_beta = distributed._fit_alpha_beta(times, 2)
    assert math.isclose(fitted_alpha, alpha, rel_tol=1e-3) and math.isclose(fitted_beta, beta, rel_tol=1e-6)


def test_without_mpi_the_table_says_why():
    result = {"environment": {"machine": "m", "cores": 2, "fastnn": "0", "gemm_tile": "t", "numpy": "n", "blas": {},
                              "numpy_threads": "x", "torch": None, "peak_gflops": {"1": 1.0}, "date": "d",
                              "load_before": 0.1, "load_after": 0.1},
              "refused": "mpirun not found"}
    assert "No MPI figures: mpirun not found" in distributed.markdown(result)


@skip_without_mpi()
@pytest.mark.mpi
def test_a_quick_run_on_2_ranks_gives_every_figure():
    result = distributed.run(quick=True, log=None)
    assert result["refused"] is None, result["refused"]
    assert result["alpha"] > 0 and result["beta"] > 0 and set(result["allreduce"]) == set(distributed.SIZES)
    for name, row in result["steps"].items():
        assert 0 < row["efficiency"] and row["ddp_overlap"] > 0 and row["ddp_blocking"] > 0, name
    table = distributed.markdown(result)
    assert "| demo CNN | 25 GbE (assumed" in table and "p=512" in table
