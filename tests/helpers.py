"""Shared test helpers: random data that is never trivial, poisoned outputs, error measures."""
import numpy as np


def rng(seed=0):
    return np.random.default_rng(seed)


def random_array(shape, dtype=np.float32, seed=0, low=-1.0, high=1.0):
    """Uniform random values, never exactly zero, as a C-ordered array."""
    values = rng(seed).uniform(low, high, size=shape)
    values[values == 0] = 0.5
    return values.astype(dtype)


def poisoned(shape, dtype=np.float32):
    """An output buffer full of NaN: any element a kernel forgets to write shows up."""
    return np.full(shape, np.nan, dtype=dtype)


def relative_error(out, ref):
    """||out - ref|| / ||ref|| in float64 (absolute error when ref is all zeros)."""
    out = np.asarray(out, dtype=np.float64)
    ref = np.asarray(ref, dtype=np.float64)
    assert out.shape == ref.shape, f"shape {out.shape} != reference shape {ref.shape}"
    assert np.all(np.isfinite(out)), "output has NaN/Inf (an element was not written?)"
    norm = np.linalg.norm(ref)
    diff = np.linalg.norm(out - ref)
    return diff / norm if norm > 0 else diff


def tolerance(dtype, reduction_length=1):
    """Relative-norm tolerance for a result against the float64 reference."""
    if np.dtype(dtype) == np.float64:
        return 1e-12 * max(1.0, np.sqrt(reduction_length))
    return 1e-6 * max(1.0, np.sqrt(reduction_length))


def fuzz_report(failures, summary):
    """Prints a fuzzer's failures ({kind: first example}) and its summary line; True when none."""
    for failure in sorted(failures):
        print("FAIL", failure, failures[failure], flush=True)
    print(f"{summary}, {len(failures)} distinct failures", flush=True)
    return not failures


def activation_kernels(k):
    """name -> (forward, backward) kernels of module `k` (fastnn.kernels or a backend's), spelled
    out so that grep finds every call site."""
    return {
        "relu": (k.relu_forward, k.relu_backward),
        "leaky_relu": (k.leaky_relu_forward, k.leaky_relu_backward),
        "elu": (k.elu_forward, k.elu_backward),
        "sigmoid": (k.sigmoid_forward, k.sigmoid_backward),
        "tanh": (k.tanh_forward, k.tanh_backward),
        "silu": (k.silu_forward, k.silu_backward),
        "gelu": (k.gelu_forward, k.gelu_backward),
        "softplus": (k.softplus_forward, k.softplus_backward),
    }
