// Races between the threads of a block must show as wrong results under some schedule.
// Each case prints "metric name value" lines that tests/test_emulator.py compares across the
// forward, reverse and random schedules: the correct kernels are right under all of them, and
// each planted race is wrong under at least one (the test fails if the emulator stopped
// exposing races, e.g. by running threads in an order that happens to hide them).
#include <cmath>
#include <random>
#include <vector>

#include "harness.h"
#include "sample_kernels.cuh"

namespace {

void metric(const char* name, double value) { std::printf("metric %s %.17g\n", name, value); }

// ||C - A@B|| / ||A@B|| with the product in double.
double sgemm_error(bool second_barrier, int M, int N, int K) {
  std::mt19937 rng(0);
  std::normal_distribution<float> normal;
  std::vector<float> A(M * K), B(K * N), C(M * N, NAN);
  for (float& v : A) v = normal(rng);
  for (float& v : B) v = normal(rng);
  samples::launch_tiled_sgemm(second_barrier, A.data(), B.data(), C.data(), M, N, K);
  double err = 0, ref = 0;
  for (int i = 0; i < M; ++i)
    for (int j = 0; j < N; ++j) {
      double s = 0;
      for (int k = 0; k < K; ++k) s += static_cast<double>(A[i * K + k]) * B[k * N + j];
      double d = C[i * N + j] - s;
      err += std::isnan(d) ? 1e300 : d * d;
      ref += s * s;
    }
  return std::sqrt(err / ref);
}

EMU_TEST(tiled_sgemm) {
  metric("sgemm_error", sgemm_error(true, 67, 45, 83));
  metric("sgemm_error_128", sgemm_error(true, 128, 128, 128));
}

EMU_TEST(tiled_sgemm_missing_barrier) { metric("racy_sgemm_error", sgemm_error(false, 64, 48, 80)); }

// Each thread reads the element its left (right) neighbour wrote, with no barrier between.
template <int kDirection>
__global__ void neighbour_without_barrier(const float* x, float* y, int n) {
  FASTNN_DYNAMIC_SHARED(float, s);
  const int t = threadIdx.x;
  s[t] = x[t];
  const int src = t + kDirection;
  y[t] = src >= 0 && src < n ? s[src] : 0.0f;
}

template <int kDirection>
int neighbour_race_wrong() {
  const int n = 256;
  std::vector<float> x(n), y(n, NAN);
  for (int i = 0; i < n; ++i) x[i] = static_cast<float>(i + 1);
  FASTNN_LAUNCH(neighbour_without_barrier<kDirection>)(dim3(1), dim3(n), n * sizeof(float), nullptr, x.data(),
                                                       y.data(), n);
  int wrong = 0;
  for (int t = 0; t < n; ++t) {
    int src = t + kDirection;
    float want = src >= 0 && src < n ? x[src] : 0.0f;
    wrong += !(y[t] == want);
  }
  return wrong;
}

EMU_TEST(neighbour_races) {
  metric("left_race_wrong", neighbour_race_wrong<-1>());
  metric("right_race_wrong", neighbour_race_wrong<+1>());
}

EMU_TEST(block_reduction) {
  const int n = 4099, blocks = 5;
  std::vector<float> x(n * blocks), out(blocks, NAN);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(static_cast<int>(i % 23) - 11);
  FASTNN_LAUNCH(samples::block_sum)(dim3(blocks), dim3(512), 0, nullptr, x.data(), out.data(), n);
  double worst = 0;
  for (int b = 0; b < blocks; ++b) {
    double want = 0;
    for (int i = 0; i < n; ++i) want += x[b * n + i];
    worst = std::max(worst, std::fabs(out[b] - want));
  }
  metric("reduction_error", std::isnan(worst) ? 1e300 : worst);
}

}  // namespace
