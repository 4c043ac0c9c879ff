"""The benchmark machinery reports the thread counts that ran (issue 14): NumPy rows without
threadpoolctl are timed in a child process at the asked BLAS thread count, or refused; a peer
that reports another count than asked gets no figure. Tiny sizes: these cost seconds, and time
nothing that is asserted."""
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import fastnn
from fastnn.benchmarks import timing

PYTHON_DIR = os.path.dirname(os.path.dirname(os.path.abspath(fastnn.__file__)))

# Runs the gemm suite at tiny sizes on 1 and 2 threads, PyTorch hidden (its import costs seconds;
# its threads are tested in-process below), and prints what the rows say.
GEMM_SCRIPT = textwrap.dedent("""
    import json, sys
    sys.modules["torch"] = None
    from fastnn.benchmarks import gemm, timing
    gemm.SQUARE, gemm.LAYERS, gemm.LINEAR = [16], [(3, 5, 7)], [(2, 9, 4)]
    result = gemm.run(quick=True, thread_counts=[1, 2], log=None)
    keys = ("case", "threads", "threads_ran", "where", "refused", "loaded", "load")
    print(json.dumps({"rows": [{k: r[k] for k in keys} for r in result["rows"]],
                      "settable": timing.numpy_threads_settable(), "blas": result["environment"]["blas"],
                      "markdown": gemm.markdown(result)}))
""")


def _run_hidden_threadpoolctl(tmp_path, script):
    """Runs `script` in a fresh interpreter where `import threadpoolctl` fails (a module of that
    name raising ImportError first on PYTHONPATH, inherited by the benchmark's own children)."""
    (tmp_path / "threadpoolctl.py").write_text("raise ImportError('threadpoolctl hidden by the test')\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), PYTHON_DIR]))
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_gemm_without_threadpoolctl_reports_the_threads_that_ran(tmp_path):
    out = _run_hidden_threadpoolctl(tmp_path, GEMM_SCRIPT)
    assert out["settable"] is False
    assert [(r["case"], r["threads"]) for r in out["rows"]] == [
        (case, t) for case in ("16^3", "3x5x7", "linear+relu 2x9x4") for t in (1, 2)]
    openblas = "openblas" in (out["blas"].get("internal_api") or "").lower()
    for row in out["rows"]:
        assert row["threads_ran"]["fastnn"] == row["threads"]
        assert row["where"]["fastnn"] == "process"
        if "numpy" in row["refused"]:
            assert "numpy" not in row["threads_ran"]
            continue
        # Never timed in this process, whose BLAS runs at its own default count.
        assert row["where"]["numpy"] == "child"
        if openblas:  # the child asks OpenBLAS itself (ctypes) for its count
            assert row["threads_ran"]["numpy"] == row["threads"]
        assert row["loaded"] == timing.overloaded(*row["load"])
    assert "threads set through child process (no threadpoolctl)" in out["markdown"]
    assert "numpy in a child process with OPENBLAS_NUM_THREADS/OMP_NUM_THREADS/MKL_NUM_THREADS=2" in out["markdown"]
    assert "Machine: " in out["markdown"] and "1-min load average" in out["markdown"]


def _matmul_impls(size):
    a = np.ones((size, size), np.float32)
    return {"fastnn": lambda: fastnn.kernels.gemm(a, a), "numpy": lambda: a @ a}


def test_numpy_row_without_child_spec_is_refused_when_threads_cannot_be_set(monkeypatch):
    monkeypatch.setattr(timing, "numpy_threads_settable", lambda: False)
    row = timing.measure_row(_matmul_impls(4), 1, 1, 1e-4)
    assert set(row["seconds"]) == {"fastnn"}
    assert "threadpoolctl is not installed" in row["refused"]["numpy"]
    assert "no numpy figure: threadpoolctl is not installed" in timing.row_notes({**row, "threads": 1})


def test_peer_reporting_another_thread_count_is_refused(monkeypatch):
    pytest.importorskip("threadpoolctl")  # the in-process NumPy path it fakes sets threads through it
    @timing.contextlib.contextmanager
    def threads_that_lie(n):
        with real_threads(n) as ran:
            yield {**ran, "numpy": n + 1}

    real_threads = timing.threads
    monkeypatch.setattr(timing, "numpy_threads_settable", lambda: True)
    monkeypatch.setattr(timing, "threads", threads_that_lie)
    row = timing.measure_row(_matmul_impls(4), 1, 1, 1e-4)
    assert "numpy" not in row["seconds"] and "numpy" not in row["threads_ran"]
    assert row["refused"]["numpy"] == "numpy reported 2 threads inside the block, not 1"


@pytest.mark.parametrize("n_threads", [1, 2])
def test_torch_and_threadpoolctl_rows_report_the_threads_set(n_threads):
    torch = pytest.importorskip("torch")
    a = torch.ones((4, 4))
    impls = {**_matmul_impls(4), "torch NCHW": lambda: a @ a}
    row = timing.measure_row(impls, n_threads, 1, 1e-4)
    assert row["threads_ran"]["fastnn"] == n_threads
    assert row["threads_ran"]["torch NCHW"] == n_threads
    if timing.numpy_threads_settable():
        assert row["where"]["numpy"] == "process" and row["threads_ran"]["numpy"] == n_threads


def test_overloaded_compares_with_the_core_count():
    cores = os.cpu_count()
    assert timing.overloaded(cores + 0.5)
    assert not timing.overloaded(cores - 0.5, None)
    assert "LOADED" in timing.row_notes({"loaded": True, "load": [cores + 1, cores + 1], "threads": 1})


def test_settle_waits_for_a_spinning_thread_of_this_process():
    import threading
    import time

    from fastnn.benchmarks import timing

    def spin(seconds):
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            pass

    spinner = threading.Thread(target=spin, args=(0.3,))
    spinner.start()
    waited = timing.settle(max_seconds=2.0)
    spinner.join()
    assert waited >= 0.2
    assert timing.settle(max_seconds=2.0) < 0.5  # nothing spins now


@pytest.mark.parametrize("which", ["resnet", "dcgan"])
def test_model_benchmark_runs_the_same_model_on_both_libraries(which):
    torch = pytest.importorskip("torch")
    from fastnn.benchmarks import models

    rng = np.random.default_rng(0)
    if which == "resnet":
        ours = models._resnet18(fastnn.nn)
        theirs = models._torch_copy(ours, models._resnet18)
        x = rng.standard_normal((2, 3, 32, 32), dtype=np.float32)
    else:
        ours = models._dcgan(fastnn.nn)[1]
        theirs = models._torch_copy(ours, lambda nn: models._dcgan(nn)[1])
        x = rng.standard_normal((2, 1, 28, 28), dtype=np.float32)
    ours.eval()
    theirs.eval()
    with fastnn.no_grad(), torch.no_grad():
        np.testing.assert_allclose(ours(fastnn.from_numpy(x)).numpy(), theirs(torch.from_numpy(x)).numpy(),
                                   rtol=1e-4, atol=1e-5)


def test_cpu_clock_is_for_one_thread_and_times_each_implementation():
    with pytest.raises(ValueError, match="use threads \\[1\\]"):
        timing.clock_timer("cpu", [1, 2], 1)
    with pytest.raises(ValueError, match="clock must be 'wall' or 'cpu'"):
        timing.clock_timer("cycles", [1], 1)
    assert timing.clock_timer("wall", [1, 2], 1) is None
    seconds = timing.clock_timer("cpu", [1], 2)({"spin": lambda: sum(range(200_000)), "idle": lambda: None})
    assert seconds["spin"] > seconds["idle"] >= 0


def test_breakdown_counts_the_cnn_step_flops_and_every_layer_pass():
    from fastnn.benchmarks import breakdown, cnn
    result = breakdown.run(quick=True, log=None)
    rows = result["rows"]
    flops = sum(r["gflops"] * 1e9 * r["seconds"] for r in rows if "gflops" in r)
    assert flops == pytest.approx(cnn.step_flops(), rel=1e-6)  # the same count the cnn suite's GFLOP/s use
    kernels = {(r["kernel"], r["shapes"]) for r in rows}
    assert ("conv2d_forward", "64x32x14x14 64x32x3x3") in kernels
    assert ("conv2d_backward_weight", "64x64x14x14 64x32x14x14") in kernels
    assert all(r["calls"] == 1 and r["seconds"] > 0 for r in rows)
    assert 0 < result["kernel_seconds"] <= result["step_seconds"]
    assert "| conv2d_backward_input |" in breakdown.markdown(result)


def test_profiler_groups_by_shape_only_when_it_records_them():
    a, b = fastnn.randn(3, 4), fastnn.randn(5, 4)
    with fastnn.profiler.profile(record_shapes=True) as prof:
        a @ a.T
        a @ b.T
    events = prof.key_averages(group_by_input_shape=True)
    assert sorted(e.output_shapes for e in events if e.key == "gemm") == [((3, 3),), ((3, 5),)]
    assert [(e.key, e.count) for e in prof.key_averages()] == [("gemm", 2)]
    assert all(e.bytes_total > 0 and e.cpu_time_total_us >= 0 for e in events)
    with fastnn.profiler.profile() as plain:
        a @ a.T
    with pytest.raises(ValueError, match="needs profile\\(record_shapes=True\\)"):
        plain.key_averages(group_by_input_shape=True)


def test_epoch_rows_are_skipped_with_the_reason_without_fashion_mnist(monkeypatch):
    from fastnn.benchmarks import training
    from fastnn.datasets import DatasetNotFoundError

    def missing():
        raise DatasetNotFoundError("Fashion-MNIST: not found here")

    monkeypatch.setattr(training, "_fashion_mnist", missing)
    logged = []
    never_run = lambda *args: pytest.fail("an epoch ran without the dataset")  # noqa: E731
    assert training.epoch_rows(never_run, 2, [1, 2], lambda line, flush=False: logged.append(line)) == []
    assert logged == ["  epoch rows skipped: Fashion-MNIST: not found here"]
    assert training.epoch_rows(never_run, 0, [1], logged.append) == []
    monkeypatch.setattr(training, "_fashion_mnist", lambda: None)
    assert training.epoch_rows(lambda epochs, t, log: (epochs, t), 3, [1, 2], None) == [(3, 1), (3, 2)]
