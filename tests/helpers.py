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


def assert_trains_like_the_cpu(cpu_run, cuda_run, dtype):
    """A training run on device 'cuda' ends where the same run on the CPU ends: each run is
    (losses, {name: final array}, profile); the losses and the final weights, all of them as one
    vector, agree to relative 1e-10 in float64, 1e-4 in float32 (one small tensor alone, e.g. a
    batch-norm bias whose gradient is a sum that cancels, may differ more in relative terms), and
    the cuda run's profile holds CUDA kernels only. Returns the cuda run's kernel names."""
    (cpu_losses, cpu_state, _), (losses, state, prof) = cpu_run, cuda_run
    rtol = 1e-10 if dtype == np.float64 else 1e-4
    assert np.allclose(losses, cpu_losses, rtol=rtol, atol=0), (losses, cpu_losses)
    assert list(state) == list(cpu_state)
    assert all(value.dtype == dtype for value in state.values())
    difference = np.sqrt(sum(np.sum((state[k].astype(np.float64) - v) ** 2) for k, v in cpu_state.items()))
    size = np.sqrt(sum(np.sum(v.astype(np.float64) ** 2) for v in cpu_state.values()))
    assert difference <= rtol * size, (difference, size)
    events = prof.key_averages()
    assert {e.device for e in events} == {"cuda"}
    return {e.key for e in events}
