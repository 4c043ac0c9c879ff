"""fn.cuda, as torch.cuda: whether a CUDA device can run fastnn's kernels, and the few calls
training scripts make on it. Every answer comes from fastnn._backend, which knows whether this
build has a usable CUDA kernel module; nothing here imports CuPy at import time."""
from fastnn import _backend


def is_available():
    """True when this build has CUDA kernels and at least one device can run them, or the device is
    emulated (FASTNN_CUDA_EMULATE=1)."""
    return _backend.cuda_device_count() > 0


def device_count():
    """The number of CUDA devices fastnn can use (0 without a CUDA build or a GPU; 1 emulated)."""
    return _backend.cuda_device_count()


def is_emulated():
    """True when device="cuda" runs the CUDA kernels on the SIMT emulator (FASTNN_CUDA_EMULATE=1)."""
    return _backend.cuda_emulated()


def current_device():
    """The index of the current CUDA device; raises where there is none."""
    _backend.require_cuda()
    return _backend.cuda_current_device()


def synchronize(device=None):
    """Waits for every kernel queued on the device; raises where there is no CUDA device."""
    _backend.require_cuda()
    _backend.cuda_synchronize()


def manual_seed(seed):
    """Seeds the CUDA generators. As in PyTorch, it is safe to call without a CUDA device: fastnn
    draws every random number (dropout masks included) from the default generator, which
    fn.manual_seed seeds, so there is no separate CUDA state to set and this only checks `seed`."""
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")


manual_seed_all = manual_seed
