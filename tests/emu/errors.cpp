// Kernels that are wrong in ways the emulator must report, never hang on: a divergent
// __syncthreads, threads waiting at different barriers, warp operations whose lanes never
// arrive, bad shuffle widths and masks, __trap. Each failure names the kernel, the block, a
// thread and the source line; the emulator stays usable afterwards.
#include <vector>

#include "harness.h"

namespace {

constexpr int kDivergentLine = __LINE__ + 4;

__global__ void divergent_barrier(float* y) {
  if (threadIdx.x >= 128) return;
  __syncthreads();
  y[threadIdx.x] = 1.0f;
}

EMU_TEST(divergent_barrier_is_reported) {
  std::vector<float> y(256, 0.0f);
  std::string e = emu_test::launch_error([&] { FASTNN_LAUNCH(divergent_barrier)(dim3(2), dim3(256), 0, nullptr, y.data()); });
  CHECK_CONTAINS(e, "cudaErrorLaunchFailure");
  CHECK_CONTAINS(e, "kernel 'divergent_barrier' block (");
  CHECK_CONTAINS(e, "reached by 128 of 256 threads");
  CHECK_CONTAINS(e, "exited without reaching it");
  CHECK_CONTAINS(e, "errors.cpp:" + std::to_string(kDivergentLine));
}

constexpr int kFirstBarrierLine = __LINE__ + 4;

__global__ void two_barriers(float* y) {
  if (threadIdx.x % 2) {
    __syncthreads();
  } else {
    __syncthreads();
  }
  y[threadIdx.x] = 1.0f;
}

EMU_TEST(different_barriers_are_reported) {
  std::vector<float> y(64, 0.0f);
  std::string e = emu_test::launch_error([&] { FASTNN_LAUNCH(two_barriers)(dim3(1), dim3(64), 0, nullptr, y.data()); });
  CHECK_CONTAINS(e, "different __syncthreads()");
  CHECK_CONTAINS(e, "errors.cpp:" + std::to_string(kFirstBarrierLine));
  CHECK_CONTAINS(e, "errors.cpp:" + std::to_string(kFirstBarrierLine + 2));
}

// Lane 0 of each warp shuffles with a full mask while the other lanes wait at the block
// barrier: neither can ever complete.
constexpr int kShuffleLine = __LINE__ + 4;

__global__ void shuffle_deadlock(float* y) {
  float v = threadIdx.x;
  if (threadIdx.x % 32 == 0) v = __shfl_down_sync(0xffffffffu, v, 1);
  __syncthreads();
  y[threadIdx.x] = v;
}

EMU_TEST(deadlock_is_reported) {
  std::vector<float> y(64, 0.0f);
  std::string e = emu_test::launch_error([&] { FASTNN_LAUNCH(shuffle_deadlock)(dim3(1), dim3(64), 0, nullptr, y.data()); });
  CHECK_CONTAINS(e, "deadlock");
  CHECK_CONTAINS(e, "__shfl_down_sync");
  CHECK_CONTAINS(e, "errors.cpp:" + std::to_string(kShuffleLine));
  CHECK_CONTAINS(e, "62 of 64 threads wait at __syncthreads()");
}

__global__ void shuffle_after_exit(float* y) {
  if (threadIdx.x == 5) return;
  y[threadIdx.x] = __shfl_xor_sync(0xffffffffu, 1.0f, 1);
}

EMU_TEST(shuffle_with_an_exited_lane_is_reported) {
  std::vector<float> y(32, 0.0f);
  std::string e = emu_test::launch_error([&] { FASTNN_LAUNCH(shuffle_after_exit)(dim3(1), dim3(32), 0, nullptr, y.data()); });
  CHECK_CONTAINS(e, "lane 5 of its warp, which has exited");
}

__global__ void mask_without_self(float* y) { y[threadIdx.x] = __shfl_sync(0x1u, 1.0f, 0); }

EMU_TEST(mask_not_naming_the_caller_is_reported) {
  std::vector<float> y(32, 0.0f);
  std::string e = emu_test::launch_error([&] { FASTNN_LAUNCH(mask_without_self)(dim3(1), dim3(32), 0, nullptr, y.data()); });
  CHECK_CONTAINS(e, "does not name its own lane");
  CHECK_CONTAINS(e, "0x00000001");
}

__global__ void mixed_warp_ops(unsigned* y) {
  if (threadIdx.x < 16) y[threadIdx.x] = __ballot_sync(0xffffffffu, 1);
  else y[threadIdx.x] = __shfl_sync(0xffffffffu, 3u, 0);
}

EMU_TEST(mixed_warp_operations_are_reported) {
  std::vector<unsigned> y(32, 0);
  std::string e = emu_test::launch_error([&] { FASTNN_LAUNCH(mixed_warp_ops)(dim3(1), dim3(32), 0, nullptr, y.data()); });
  CHECK_CONTAINS(e, "different warp operations");
}

__global__ void bad_width(float* y) { y[threadIdx.x] = __shfl_down_sync(0xffffffffu, 1.0f, 1, 12); }

EMU_TEST(bad_shuffle_width_is_reported) {
  std::vector<float> y(32, 0.0f);
  std::string e = emu_test::launch_error([&] { FASTNN_LAUNCH(bad_width)(dim3(1), dim3(32), 0, nullptr, y.data()); });
  CHECK_CONTAINS(e, "width must be a power of two in [1, 32], got 12");
  CHECK_CONTAINS(e, "thread (");
}

__global__ void trap_in_one_block(int* blocks_done) {
  if (blockIdx.x == 3 && threadIdx.x == 7) __trap();
  __syncthreads();
  if (threadIdx.x == 0) atomicAdd(blocks_done, 1);
}

EMU_TEST(trap_fails_the_launch_and_names_the_thread) {
  int done = 0;
  std::string e = emu_test::launch_error([&] { FASTNN_LAUNCH(trap_in_one_block)(dim3(2000), dim3(32), 0, nullptr, &done); });
  CHECK_CONTAINS(e, "block (3,0,0): thread (7,0,0): __trap() called");
  CHECK(done < 2000);  // blocks after the failure were not started
}

__global__ void fine(float* y) {
  FASTNN_SHARED(float, s, [32]);
  s[threadIdx.x] = threadIdx.x;
  __syncthreads();
  y[threadIdx.x] = s[31 - threadIdx.x];
}

EMU_TEST(the_emulator_recovers_after_a_failure) {
  std::vector<float> y(256, 0.0f);
  emu_test::launch_error([&] { FASTNN_LAUNCH(divergent_barrier)(dim3(4), dim3(256), 0, nullptr, y.data()); });
  std::vector<float> z(32, -1.0f);
  FASTNN_LAUNCH(fine)(dim3(1), dim3(32), 0, nullptr, z.data());
  for (int t = 0; t < 32; ++t) CHECK_EQ(z[t], 31.0f - t);
  CHECK(cudaGetLastError() == cudaSuccess);
}

__global__ void nested(float* y) {
  FASTNN_LAUNCH(fine)(dim3(1), dim3(32), 0, nullptr, y);
}

EMU_TEST(launch_from_a_kernel_is_reported) {
  std::vector<float> y(32, 0.0f);
  // the inner launch's check throws inside a fiber, which the emulator reports as the failure
  std::string e = emu_test::launch_error([&] { FASTNN_LAUNCH(nested)(dim3(1), dim3(1), 0, nullptr, y.data()); });
  CHECK_CONTAINS(e, "launched from inside a kernel");
}

}  // namespace
