"""Loads the kernel module with OpenMP threads that sleep while idle.

libgomp's default lets idle threads spin for a while before sleeping. On a machine whose cores
are shared with other work that is ruinous: a spinning thread takes the core that the thread it
waits for needs, and each parallel region can cost a scheduler time slice. Measured here with
other jobs running (load 4 on 2 cores), a 784-128-64-10 MLP train step took 1911 us (batch 1)
and 2483 us (batch 64) with spinning threads, 251 us and 905 us with passive ones. So fastnn
asks for OMP_WAIT_POLICY=PASSIVE while libgomp initialises (it reads the variable once, when
it is loaded), unless the user has chosen a policy, and then restores the environment so that
other libraries loaded later see the user's settings."""
import importlib
import os

WAIT_POLICY = "OMP_WAIT_POLICY"


def import_with_passive_wait_policy(name):
    """Imports the extension module `name` under fastnn's wait policy; records the policy on it."""
    chosen = os.environ.get(WAIT_POLICY)
    if chosen is None:
        os.environ[WAIT_POLICY] = "PASSIVE"
    try:
        module = importlib.import_module(name)
    finally:
        if chosen is None:
            del os.environ[WAIT_POLICY]
    module.openmp_wait_policy = chosen or "PASSIVE (fastnn's default)"
    return module


def load_kernel_module():
    """The CPU kernel module, loaded (by fastnn._backend) before anything else starts OpenMP."""
    from fastnn import _backend

    return _backend.cpu
