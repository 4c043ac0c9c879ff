"""The per-CPU GEMM register tile (csrc/cpu/gemm_tuning.h): every tile is right and gives the
same bits, and the choice comes from the environment, the CPU table or a cached calibration."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import fastnn
import reference
from helpers import poisoned, random_array, relative_error, tolerance

# m, k, n: tile edges of every tile (12, 14, 8, 6 rows; 16-64 columns), packed and unpacked
SHAPES = [(1, 5, 3), (13, 17, 29), (29, 64, 97), (97, 300, 65), (150, 257, 200)]


@pytest.fixture
def default_tile():
    before = fastnn._C.gemm_tile()["tile"]
    yield
    fastnn._C.set_gemm_tile(before)


def products(dtype):
    out = []
    for seed, (m, k, n) in enumerate(SHAPES):
        for trans_a, trans_b in [(False, False), (True, True)]:
            a = random_array((k, m) if trans_a else (m, k), dtype, seed)
            b = random_array((n, k) if trans_b else (k, n), dtype, seed + 1)
            bias = random_array((n,), dtype, seed + 2)
            c = fastnn.kernels.gemm(a, b, poisoned((m, n), dtype), trans_a=trans_a, trans_b=trans_b, bias=bias,
                                    activation="relu")
            expected = reference.gemm(a, b, None, 1.0, 0.0, trans_a, trans_b, bias, "relu")
            assert relative_error(c, expected) < tolerance(dtype, k)
            out.append(c)
    return out


def test_every_tile_of_every_level_is_right_and_gives_the_same_bits(dtype, simd_level, default_tile):
    tiles = fastnn._C.gemm_tile()["tiles"]
    assert len(tiles) >= 2
    results = {}
    for name in tiles:
        fastnn._C.set_gemm_tile(name)
        assert fastnn._C.gemm_tile()["tile"] == name
        results[name] = products(dtype)
    first = results[tiles[0]]
    for name in tiles[1:]:
        for a, b in zip(first, results[name]):
            assert np.array_equal(a, b), name


def test_an_unknown_tile_is_refused_with_the_tiles_there_are(default_tile):
    with pytest.raises(ValueError, match=r"not a GEMM tile of SIMD level \w+ \(its tiles: "):
        fastnn._C.set_gemm_tile("99x9")


def test_calibration_times_every_tile():
    measured = fastnn._C.calibrate_gemm_tiles()
    assert list(measured) == fastnn._C.gemm_tile()["tiles"]
    assert all(gflops > 0 for gflops in measured.values())


def tile_info(cache_dir, **env):
    """gemm_tile() in a fresh process at SIMD level generic (no entry in the CPU table on any CPU)."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("FASTNN_")}
    environment.update(FASTNN_SIMD="generic", FASTNN_CACHE_DIR=str(cache_dir), **env)
    code = "import json, fastnn; print(json.dumps(fastnn._C.gemm_tile()))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=environment, timeout=120)
    return done.returncode, done.stdout.strip().splitlines()[-1] if done.returncode == 0 else done.stderr


def test_an_unknown_cpu_calibrates_once_and_then_reads_its_cache(tmp_path):
    code, first = tile_info(tmp_path)
    assert code == 0, first
    first = json.loads(first)
    assert first["source"].startswith("calibrated now, written to ")
    assert set(first["measured_gflops"]) == set(first["tiles"])
    [cached] = list(tmp_path.iterdir())
    assert cached.name.startswith("gemm-tile-") and cached.name.endswith("-generic.txt")
    assert f"tile {first['tile']}\n" in cached.read_text()
    code, second = tile_info(tmp_path)
    second = json.loads(second)
    assert second["source"] == f"calibration cached in {cached}"
    assert second["tile"] == first["tile"]


def test_calibration_can_be_turned_off_and_a_tile_forced(tmp_path):
    code, off = tile_info(tmp_path, FASTNN_GEMM_CALIBRATE="0")
    off = json.loads(off)
    assert off["source"] == "default (FASTNN_GEMM_CALIBRATE=0)" and off["tile"] == off["tiles"][0]
    assert list(tmp_path.iterdir()) == []
    code, forced = tile_info(tmp_path, FASTNN_GEMM_TILE="4x3")
    forced = json.loads(forced)
    assert (forced["tile"], forced["source"]) == ("4x3", "FASTNN_GEMM_TILE")
    code, error = tile_info(tmp_path, FASTNN_GEMM_TILE="12x9")
    assert code != 0 and "FASTNN_GEMM_TILE='12x9' is not a GEMM tile of SIMD level generic" in error


def test_show_config_names_the_tile_and_why():
    config = fastnn.show_config()
    assert config["gemm_tile"].startswith(fastnn._C.gemm_tile()["tile"] + " (")
