"""Threads, SIMD level and build facts."""
import os

from fastnn import _backend


def set_num_threads(n):
    """Sets the number of threads the kernels use (like torch.set_num_threads)."""
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"n must be an int, got {type(n).__name__}")
    _backend.cpu.set_num_threads(n)


def get_num_threads():
    """Threads the kernels use: by default the cores available, honouring OMP_NUM_THREADS."""
    return _backend.cpu.num_threads()


def _thread_pool_policy():
    pool = _backend.cpu.thread_pool_info()
    sleep = "at once" if pool["spin_us"] == 0 else f"after spinning {pool['spin_us']} us"
    return f"fastnn's own; idle threads sleep ({pool['sleep']}) {sleep} (FASTNN_SPIN_US)"


def gemm_tile_description():
    """The GEMM tile in use, its size and why it was chosen (for show_config and benchmark headers)."""
    tile = _backend.cpu.gemm_tile()
    return f"{tile['tile']} ({tile['floats']} floats; {tile['source']})"


def show_config(file=None):
    """Prints and returns the configuration: version, SIMD level, GEMM tile, threads, caches, CUDA,
    build. The GEMM tile is chosen on first use (gemm_tuning.h), so this may calibrate it."""
    from fastnn import __version__

    info = dict(_backend.cpu.build_info())
    config = {
        "version": __version__,
        "simd_level": _backend.cpu.simd_level(),
        "best_simd_level": _backend.cpu.best_simd_level(),
        "FASTNN_SIMD": os.environ.get("FASTNN_SIMD", ""),
        "gemm_tile": gemm_tile_description(),
        "num_threads": _backend.cpu.num_threads(),
        "thread_pool": _thread_pool_policy(),
        "thread_pool_spin_us": _backend.cpu.spin_us(),
        "cuda": _backend.cuda_status(),
        **info,
    }
    width = max(len(k) for k in config)
    text = "\n".join(f"{k:<{width}} : {v}" for k, v in config.items())
    print(text, file=file)
    return config
