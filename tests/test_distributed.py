"""fastnn.distributed: the serial world in this process, and the collectives on 2 and 3 MPI ranks
(mpirun in a subprocess, tests/mpi_harness.py), including a rank that fails."""
import fastnn as fn
import fastnn.distributed as dist
import pytest
from mpi_harness import mpirun, no_launcher, run_ok, skip_without_mpi  # noqa: F401 (no_launcher: a fixture)

@pytest.mark.usefixtures("no_launcher")
def test_serial_world_without_a_launcher():
    assert not dist.is_initialized()
    with pytest.raises(RuntimeError, match="init_process_group"):
        dist.get_rank()
    dist.init_process_group()
    assert (dist.get_rank(), dist.get_world_size(), dist.get_local_rank()) == (0, 1, 0)
    t = fn.tensor([1.0, 2.0])
    dist.all_reduce(t)
    dist.all_reduce(t, op=dist.ReduceOp.AVG)
    dist.broadcast(t, src=0)
    dist.barrier()
    assert t.tolist() == [1.0, 2.0]
    out = [fn.zeros(2)]
    dist.all_gather(out, t)
    assert out[0].tolist() == [1.0, 2.0]
    objects = [None]
    dist.all_gather_object(objects, "x")
    assert objects == ["x"]
    with pytest.raises(ValueError, match="src"):
        dist.broadcast(t, src=1)
    with pytest.raises(ValueError, match="op"):
        dist.all_reduce(t, op="mean")
    with pytest.raises(TypeError, match="tensor"):
        dist.all_reduce([1.0])
    with pytest.raises(RuntimeError, match="twice"):
        dist.init_process_group()
    dist.destroy_process_group()
    assert not dist.is_initialized()


@pytest.mark.usefixtures("no_launcher")
def test_init_arguments_are_checked():
    with pytest.raises(ValueError, match="backend"):
        dist.init_process_group("nccl")
    with pytest.raises(ValueError, match="world_size=2"):
        dist.init_process_group(world_size=2)
    assert not dist.is_initialized()
    dist.init_process_group("mpi", world_size=1, rank=0)
    assert dist.get_world_size() == 1


@pytest.mark.usefixtures("no_launcher")
def test_a_launched_process_without_mpi4py_says_what_to_install(monkeypatch):
    monkeypatch.setenv("OMPI_COMM_WORLD_SIZE", "2")
    monkeypatch.setattr(dist, "is_mpi_available", lambda: False)
    with pytest.raises(RuntimeError, match=r"fastnn\[mpi\]"):
        dist.init_process_group()
    assert not dist.is_initialized()


@skip_without_mpi()
@pytest.mark.mpi
@pytest.mark.parametrize("ranks", [2, 3])
def test_collectives(ranks):
    result = run_ok("collectives.py", np=ranks)
    assert sorted(result.stdout.split("\n")[:-1]) == [f"rank {r} of {ranks} OK" for r in range(ranks)]


@skip_without_mpi()
@pytest.mark.mpi
@pytest.mark.parametrize("failing", [0, 1])
def test_an_exception_on_one_rank_aborts_the_job(failing):
    result = mpirun("fail_rank.py", failing, np=2, timeout=60)
    assert result.returncode != 0, result
    assert "unreachable" not in result.stdout
    assert result.stderr.count("Traceback") == 1, result
    assert f"[rank {failing}] RuntimeError: deliberate failure" in result.stderr


@skip_without_mpi()
@pytest.mark.mpi
def test_a_hanging_job_is_killed_whole_at_the_time_limit(tmp_path):
    from fastnn import _mpi_launch

    script = tmp_path / "hang.py"
    script.write_text("import time\ntime.sleep(600)\n")
    result = _mpi_launch.run(_mpi_launch.mpirun_command(2, [script]), 5, _mpi_launch.job_environment())
    assert result.timed_out and not result.left, result
