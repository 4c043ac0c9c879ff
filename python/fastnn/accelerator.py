"""fn.accelerator, as torch.accelerator: the one accelerator type this machine offers (CUDA or
none), for scripts that write `device = fn.accelerator.current_accelerator() or "cpu"`."""
from fastnn import cuda
from fastnn.devices import device


def is_available():
    return cuda.is_available()


def device_count():
    return cuda.device_count()


def current_accelerator(check_available=False):
    """device("cuda") when a CUDA device can be used, else None (as PyTorch on a CPU-only build)."""
    return device("cuda") if cuda.is_available() else None
