#!/usr/bin/env bash
# Developer build without pip: configures once into build/dev, rebuilds what changed, and copies
# the extension modules into python/fastnn/, so `PYTHONPATH=python python -m pytest tests` runs
# this checkout. Extra arguments go to CMake's configure step (e.g. -DFASTNN_SANITIZE=address).
# FASTNN_DEV_BUILD_DIR and FASTNN_DEV_MODULE_DIR choose other build and module directories
# (tools/sanitize.sh builds a sanitized module beside the regular one); FASTNN_DEV_TARGET builds
# that one target only (e.g. _C).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${FASTNN_DEV_BUILD_DIR:-build/dev}
python=${PYTHON:-python}
if [ ! -f "$build/CMakeCache.txt" ] || [ $# -gt 0 ]; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DPython_EXECUTABLE="$(command -v "$python")" \
    -Dpybind11_DIR="$("$python" -m pybind11 --cmakedir)" -DSKBUILD_PROJECT_VERSION=0.1.0 "$@" >/dev/null
fi
cmake --build "$build" -j"${FASTNN_BUILD_JOBS:-2}" ${FASTNN_DEV_TARGET:+--target "$FASTNN_DEV_TARGET"}
for module in "$build"/_*.so; do
  cp "$module" "${FASTNN_DEV_MODULE_DIR:-python/fastnn}/"
done
