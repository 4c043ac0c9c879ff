#!/usr/bin/env bash
# The kernel tests under AddressSanitizer + UndefinedBehaviorSanitizer (CI runs this after the
# README's test command). Builds fastnn._C with -fsanitize=address,undefined
# -fno-sanitize-recover=all into build/sanitize (tools/dev_build.sh, a build of its own), places
# it in a copy of python/ there, and runs the test files below against that copy. Every report
# aborts the test process, so any one fails the job.
#
# The interpreter is not instrumented, so the ASan runtime is preloaded (it must come first), and
# libstdc++ with it: ASan finds the C++ runtime's __cxa_throw when it starts, and python itself does
# not link libstdc++ (without it the first C++ exception aborts in ASan's interceptor).
# PYTHONMALLOC=malloc sends Python's own allocations through malloc, where ASan sees them.
# An allocation above 4 GiB returns NULL (a MemoryError), as it would on a machine without that
# much memory: the fuzzer's valid calls with 2^31 paddings ask for tens of GiB.
# --capture=sys: pytest captures Python's output only, so a report (written to fd 2) is shown.
# detect_leaks=0: CPython does not free its interned objects, module state and caches at exit,
# and LeakSanitizer would report those thousands of blocks, none from fastnn (fastnn's own
# leaks are checked by the leak runs, not here).
# Needs cmake, ninja and pybind11 in the active Python environment. Takes ~8 min on 2 idle cores
# (the build ~4-5, the tests ~3.5).
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python}
root=build/sanitize
# The kernel test files: every op family's kernels and their error checks, the seam's argument
# parsing and array adapters, the thread pool (fork included), the layers and functions that call
# the kernels, and the fuzzer.
tests=(tests/test_gemm.py tests/test_conv.py tests/test_pool.py tests/test_norm.py tests/test_pointwise.py
       tests/test_softmax_loss.py tests/test_dropout.py tests/test_embedding.py tests/test_attention.py
       tests/test_rnn.py tests/test_optim.py tests/test_io.py tests/test_layer_kernels.py tests/test_seam.py
       tests/test_config.py tests/test_thread_pool.py tests/test_layers.py tests/test_functional.py
       tests/test_losses.py tests/test_fuzz_kernels.py)

rm -rf "$root/python"
mkdir -p "$root"
cp -r python "$root/python"
rm -f "$root"/python/fastnn/_*.so
FASTNN_DEV_BUILD_DIR="$root/cmake" FASTNN_DEV_MODULE_DIR="$root/python/fastnn" FASTNN_DEV_TARGET=_C \
  PYTHON="$python" tools/dev_build.sh -DFASTNN_SANITIZE=address,undefined -DFASTNN_CUDA=OFF

asan=$(${CXX:-g++} -print-file-name=libasan.so)
cxxrt=$(${CXX:-g++} -print-file-name=libstdc++.so)
for lib in "$asan" "$cxxrt"; do
  if [ ! -e "$lib" ]; then
    echo "sanitize.sh: the compiler's $(basename "$lib") was not found ($lib)" >&2
    exit 1
  fi
done
echo "+ ASan+UBSan: ${tests[*]}"
start=$SECONDS
env LD_PRELOAD="$asan:$cxxrt" PYTHONMALLOC=malloc \
  ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:strict_string_checks=1:max_allocation_size_mb=4096:allocator_may_return_null=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  PYTHONPATH="$PWD/$root/python" "$python" -m pytest -q -p no:cacheprovider --capture=sys "${tests[@]}" "$@"
echo "sanitize.sh: the tests ran under ASan+UBSan in $((SECONDS - start)) s"
