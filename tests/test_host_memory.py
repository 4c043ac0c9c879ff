"""The cache of large kernel outputs (csrc/bindings/host_memory.h): blocks are reused by the next
output of their size class, never while any view of their array lives, and the limit holds."""
import os
import subprocess
import sys
import textwrap

import numpy as np

import fastnn

K = fastnn.kernels
C = fastnn._C


def test_a_large_output_reuses_the_block_of_a_dead_one_of_the_same_size():
    x = np.random.default_rng(0).standard_normal((256, 1024)).astype(np.float32)  # 1 MiB
    C._host_cache_clear()
    K.relu_forward(x)  # dies at once: its block is cached
    before = C._host_cache_stats()
    assert before["cached_bytes"] >= x.nbytes
    y = K.relu_forward(x)
    after = C._host_cache_stats()
    assert after["reused"] == before["reused"] + 1 and after["allocated"] == before["allocated"]
    np.testing.assert_array_equal(y, np.maximum(x, 0))
    assert y.flags.c_contiguous and y.flags.writeable and y.dtype == np.float32


def test_a_view_keeps_its_block_out_of_the_cache():
    x = np.random.default_rng(1).standard_normal((512, 512)).astype(np.float32)
    C._host_cache_clear()
    y = K.relu_forward(x)
    view = y[::2]
    expected = view.copy()
    del y
    assert C._host_cache_stats()["cached_bytes"] == 0  # the view still uses the block
    z = K.relu_forward(-x)  # a new block: the view's memory is not handed out
    np.testing.assert_array_equal(view, expected)
    np.testing.assert_array_equal(z, np.maximum(-x, 0))


def test_small_outputs_are_plain_numpy_arrays():
    y = K.relu_forward(np.ones(100, np.float32))
    assert y.flags.owndata


def _run(code, **env):
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                            env={**os.environ, **env}, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_the_limit_and_turning_the_cache_off():
    code = """
        import numpy as np, fastnn
        x = np.ones((1024, 1024), np.float32)  # 4 MiB
        fastnn.kernels.relu_forward(x)
        print(fastnn._C._host_cache_stats()["cached_bytes"], fastnn.kernels.relu_forward(x).flags.owndata)
    """
    assert _run(code, FASTNN_HOST_CACHE_MB="1") == "0 False"  # over the limit: freed, not kept
    assert _run(code, FASTNN_HOST_CACHE_MB="0") == "0 True"   # off: NumPy's own allocations
    assert _run(code, FASTNN_HOST_CACHE_MB="8").split()[0] == str(4 << 20)
