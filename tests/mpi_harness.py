"""Runs small programs under `mpirun` from pytest, so that a hang can never stall the test run:
each launch in a session of its own, killed whole on timeout (fastnn/_mpi_launch.py); after
every launch no process of that session may be left."""
import importlib.util
import pathlib

import pytest

import fastnn.distributed as dist
from fastnn import _mpi_launch

PROGRAMS = pathlib.Path(__file__).resolve().parent / "mpi_programs"
LAUNCHER_VARIABLES = ("OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_RANK", "PMI_SIZE", "PMIX_SIZE", "PMIX_RANK",
                      "MPI_LOCALNRANKS", "SLURM_STEP_NUM_TASKS")


@pytest.fixture
def no_launcher(monkeypatch):
    """This process as if no MPI launcher had started it; destroys the process group afterwards."""
    for name in LAUNCHER_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    yield
    if dist.is_initialized():
        dist.destroy_process_group()


def skip_without_mpi():
    """A pytest mark that skips when mpi4py or mpirun is missing."""
    missing = [name for name, ok in (("mpi4py", importlib.util.find_spec("mpi4py") is not None),
                                     ("mpirun", _mpi_launch.mpirun_path() is not None)) if not ok]
    return pytest.mark.skipif(bool(missing), reason=f"needs {' and '.join(missing)} (pip install 'fastnn[mpi]')")


def mpirun(program, *args, np=2, timeout=120, mpirun_args=(), prefix=(), env=None):
    """Runs tests/mpi_programs/<program> (or a path) on `np` ranks (more than the cores allowed,
    one thread each, this process's fastnn); returns a _mpi_launch.Finished. A timeout or a
    process left behind fails the test."""
    script = pathlib.Path(program)
    if not script.is_absolute():
        script = PROGRAMS / program
    command = _mpi_launch.mpirun_command(np, [script, *args], mpirun_args, prefix)
    result = _mpi_launch.run(command, timeout, _mpi_launch.job_environment(env))
    assert not result.timed_out, f"mpirun timed out after {timeout}s (session killed)\n{result}"
    assert not result.left, f"processes left behind by mpirun\n{result}"
    return result


def run_ok(program, *args, **options):
    result = mpirun(program, *args, **options)
    assert result.returncode == 0, result
    return result
