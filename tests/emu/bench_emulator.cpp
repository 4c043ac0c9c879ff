// Speed of the emulator (not a test): a 128^3 tiled SGEMM (64 blocks of 256 threads, 16
// barriers per block) and a block reduction (64 blocks of 256 threads, 5+5 shuffles and one
// barrier), with 1 and 2 worker threads, best of `repeats` runs. Per-switch cost = time /
// (threads x waits), a wait being a barrier or warp operation (each costs one switch in and the
// fiber's share of the scheduler's release).
// `cold W` instead times the first launch of the process with W workers (fiber stacks are
// mapped and first touched) against the second.
//   g++ -std=c++17 -O2 -pthread -Icsrc -Itests/emu tests/emu/bench_emulator.cpp -o /tmp/bench && /tmp/bench
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <random>
#include <vector>

#include "sample_kernels.cuh"

namespace {

template <class F>
double best_ms(int repeats, F run) {
  double best = 1e300;
  for (int r = 0; r < repeats; ++r) {
    auto t0 = std::chrono::steady_clock::now();
    run();
    best = std::min(best, std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  std::mt19937 rng(0);
  std::normal_distribution<float> normal;
  const int n = 128;
  std::vector<float> A(n * n), B(n * n), C(n * n);
  for (float& v : A) v = normal(rng);
  for (float& v : B) v = normal(rng);
  const int blocks = 64, threads = 256, per_block = 4096;
  std::vector<float> x(blocks * per_block), out(blocks);
  for (float& v : x) v = normal(rng);
  std::printf("context backend %s\n", fastnn::emu::detail::kContextBackend);
  if (argc == 3 && std::string(argv[1]) == "cold") {  // the first launch of a process: stacks are made
    unsigned workers = static_cast<unsigned>(std::atoi(argv[2]));
    fastnn::emu::set_workers(workers);
    double first = best_ms(1, [&] { samples::launch_tiled_sgemm(true, A.data(), B.data(), C.data(), n, n, n); });
    double warm = best_ms(1, [&] { samples::launch_tiled_sgemm(true, A.data(), B.data(), C.data(), n, n, n); });
    std::printf("workers %u: first sgemm 128^3 launch %.2f ms, second %.2f ms\n", workers, first, warm);
    return 0;
  }
  for (unsigned workers : {1u, 2u}) {
    fastnn::emu::set_workers(workers);
    double gemm = best_ms(5, [&] { samples::launch_tiled_sgemm(true, A.data(), B.data(), C.data(), n, n, n); });
    double waits = 64.0 * 256 * (2 * n / samples::kTile);
    double reduce = best_ms(5, [&] {
      FASTNN_LAUNCH(samples::block_sum)(dim3(blocks), dim3(threads), 0, nullptr, x.data(), out.data(), per_block);
    });
    double reduce_waits = blocks * (threads * 6.0 + 32 * 5);
    std::printf("workers %u: sgemm 128^3 %.2f ms (%.1f ns per wait) | block reduction %.2f ms (%.1f ns per wait)\n",
                workers, gemm, gemm * 1e6 / waits, reduce, reduce * 1e6 / reduce_waits);
  }
}
