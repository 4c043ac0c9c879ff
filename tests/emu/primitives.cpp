// Each primitive of the emulator against values worked out by hand from CUDA's definitions.
// Run under every schedule by tests/test_emulator.py.
#include <cstdint>
#include <vector>

#include "cuda/atomics.cuh"
#include "harness.h"
#include "sample_kernels.cuh"

namespace {

constexpr unsigned kFull = 0xffffffffu;

bool is_nan_bits(float x) { return std::isnan(x); }

// --- indices ---------------------------------------------------------------------------------

__global__ void write_indices(unsigned* out) {
  unsigned block = blockIdx.x + gridDim.x * (blockIdx.y + gridDim.y * blockIdx.z);
  unsigned thread = threadIdx.x + blockDim.x * (threadIdx.y + blockDim.y * threadIdx.z);
  unsigned i = block * blockDim.x * blockDim.y * blockDim.z + thread;
  out[4 * i + 0] = threadIdx.x + 100 * threadIdx.y + 10000 * threadIdx.z;
  out[4 * i + 1] = blockIdx.x + 100 * blockIdx.y + 10000 * blockIdx.z;
  out[4 * i + 2] = blockDim.x + 100 * blockDim.y + 10000 * blockDim.z;
  out[4 * i + 3] = gridDim.x + 100 * gridDim.y + 10000 * gridDim.z;
}

EMU_TEST(indices_3d) {
  dim3 grid(3, 2, 2), block(5, 3, 2);
  unsigned n = 3 * 2 * 2 * 5 * 3 * 2;
  std::vector<unsigned> out(4 * n, ~0u);
  FASTNN_LAUNCH(write_indices)(grid, block, 0, nullptr, out.data());
  for (unsigned bz = 0; bz < 2; ++bz)
    for (unsigned by = 0; by < 2; ++by)
      for (unsigned bx = 0; bx < 3; ++bx)
        for (unsigned tz = 0; tz < 2; ++tz)
          for (unsigned ty = 0; ty < 3; ++ty)
            for (unsigned tx = 0; tx < 5; ++tx) {
              unsigned i = (bx + 3 * (by + 2 * bz)) * 30 + tx + 5 * (ty + 3 * tz);
              CHECK_EQ(out[4 * i + 0], tx + 100 * ty + 10000 * tz);
              CHECK_EQ(out[4 * i + 1], bx + 100 * by + 10000 * bz);
              CHECK_EQ(out[4 * i + 2], 5u + 300u + 20000u);
              CHECK_EQ(out[4 * i + 3], 3u + 200u + 20000u);
            }
}

// --- shared memory and __syncthreads ------------------------------------------------------------

// Reads the neighbour's element after a barrier: right under every schedule.
__global__ void rotate_through_shared(const float* x, float* y) {
  FASTNN_SHARED(float, s, [256]);
  int t = threadIdx.x;
  s[t] = x[blockIdx.x * 256 + t];
  __syncthreads();
  y[blockIdx.x * 256 + t] = s[(t + 1) % 256] + s[(t + 255) % 256];
}

EMU_TEST(syncthreads_orders_shared_memory) {
  std::vector<float> x(4 * 256), y(x.size(), NAN);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i);
  FASTNN_LAUNCH(rotate_through_shared)(dim3(4), dim3(256), 0, nullptr, x.data(), y.data());
  for (int b = 0; b < 4; ++b)
    for (int t = 0; t < 256; ++t) CHECK_EQ(y[b * 256 + t], x[b * 256 + (t + 1) % 256] + x[b * 256 + (t + 255) % 256]);
}

// Every block reads its shared array before writing it, then writes it: each read must see the
// poison, not what the previous block on the same worker left.
__global__ void read_before_write(float* seen, double* seen_double) {
  FASTNN_SHARED(float, s, [64]);
  FASTNN_SHARED(double, d, [8]);
  int t = threadIdx.x;
  seen[blockIdx.x * 64 + t] = s[t];
  if (t < 8) seen_double[blockIdx.x * 8 + t] = d[t];
  __syncthreads();
  s[t] = 1.0f;
  if (t < 8) d[t] = 2.0;
}

EMU_TEST(static_shared_is_poisoned_per_block) {
  fastnn::emu::set_workers(1);
  std::vector<float> seen(5 * 64, 0.0f);
  std::vector<double> seen_double(5 * 8, 0.0);
  FASTNN_LAUNCH(read_before_write)(dim3(5), dim3(64), 0, nullptr, seen.data(), seen_double.data());
  fastnn::emu::set_workers(0);
  for (float v : seen) CHECK(is_nan_bits(v));
  for (double v : seen_double) CHECK(std::isnan(v));
}

// Two arrays of one block are distinct, 16-byte aligned, and the same for all its threads.
__global__ void shared_addresses(uintptr_t* out) {
  FASTNN_SHARED(float, a, [3]);
  FASTNN_SHARED(float4, b, [2]);
  out[2 * threadIdx.x] = reinterpret_cast<uintptr_t>(&a[0]);
  out[2 * threadIdx.x + 1] = reinterpret_cast<uintptr_t>(&b[0]);
}

EMU_TEST(static_shared_is_one_array_per_block) {
  std::vector<uintptr_t> out(2 * 96);
  FASTNN_LAUNCH(shared_addresses)(dim3(1), dim3(96), 0, nullptr, out.data());
  for (int t = 0; t < 96; ++t) {
    CHECK_EQ(out[2 * t], out[0]);
    CHECK_EQ(out[2 * t + 1], out[1]);
  }
  CHECK(out[0] != out[1]);
  CHECK_EQ(out[0] % 16, 0u);
  CHECK_EQ(out[1] % 16, 0u);
}

__global__ void dynamic_shared_sum(const int* x, int* y, int* poisoned) {
  FASTNN_DYNAMIC_SHARED(int, s);
  int t = threadIdx.x, n = blockDim.x;
  poisoned[blockIdx.x * n + t] = s[t] == -1;  // 0xFF bytes
  __syncthreads();
  s[t] = x[blockIdx.x * n + t];
  __syncthreads();
  int sum = 0;
  for (int i = 0; i < n; ++i) sum += s[i];
  y[blockIdx.x * n + t] = sum;
}

EMU_TEST(dynamic_shared_memory) {
  const int n = 40, blocks = 3;
  std::vector<int> x(n * blocks), y(x.size(), 0), poisoned(x.size(), 0);
  for (int i = 0; i < n * blocks; ++i) x[i] = i * 7 - 100;
  FASTNN_LAUNCH(dynamic_shared_sum)(dim3(blocks), dim3(n), n * sizeof(int), nullptr, x.data(), y.data(), poisoned.data());
  for (int b = 0; b < blocks; ++b) {
    int sum = 0;
    for (int i = 0; i < n; ++i) sum += x[b * n + i];
    for (int i = 0; i < n; ++i) {
      CHECK_EQ(y[b * n + i], sum);
      CHECK_EQ(poisoned[b * n + i], 1);
    }
  }
}

// --- warp operations --------------------------------------------------------------------------

__global__ void shuffles(int* out, int width) {
  int lane = threadIdx.x % 32;
  int v = 1000 * (threadIdx.x / 32) + lane;
  int* o = out + 6 * threadIdx.x;
  o[0] = __shfl_sync(kFull, v, 3, width);
  o[1] = __shfl_up_sync(kFull, v, 2, width);
  o[2] = __shfl_down_sync(kFull, v, 1, width);
  o[3] = __shfl_xor_sync(kFull, v, 1, width);
  o[4] = __shfl_xor_sync(kFull, v, 16, width);
  o[5] = __shfl_sync(kFull, v, -1, width);
}

EMU_TEST(shuffles_with_width) {
  for (int width : {32, 16, 8, 2, 1}) {
    std::vector<int> out(6 * 64, -7);
    FASTNN_LAUNCH(shuffles)(dim3(1), dim3(64), 0, nullptr, out.data(), width);
    for (int t = 0; t < 64; ++t) {
      int lane = t % 32, warp = 1000 * (t / 32), start = lane / width * width, end = start + width;
      const int* o = out.data() + 6 * t;
      CHECK_EQ(o[0], warp + start + 3 % width);
      CHECK_EQ(o[1], warp + (lane - 2 >= start ? lane - 2 : lane));
      CHECK_EQ(o[2], warp + (lane + 1 < end ? lane + 1 : lane));
      CHECK_EQ(o[3], warp + ((lane ^ 1) < end ? lane ^ 1 : lane));
      // xor may reach an earlier segment, never a later one
      CHECK_EQ(o[4], warp + ((lane ^ 16) < end ? lane ^ 16 : lane));
      CHECK_EQ(o[5], warp + start + width - 1);  // -1 is lane 31, taken modulo width
    }
  }
}

__global__ void shuffle_wide_types(double* d, long long* l) {
  int lane = threadIdx.x;
  d[lane] = __shfl_down_sync(kFull, 0.5 + lane, 5);
  l[lane] = __shfl_xor_sync(kFull, (1ll << 40) + lane, 3);
}

EMU_TEST(shuffle_eight_byte_types) {
  std::vector<double> d(32);
  std::vector<long long> l(32);
  FASTNN_LAUNCH(shuffle_wide_types)(dim3(1), dim3(32), 0, nullptr, d.data(), l.data());
  for (int lane = 0; lane < 32; ++lane) {
    CHECK_EQ(d[lane], 0.5 + (lane + 5 < 32 ? lane + 5 : lane));
    CHECK_EQ(l[lane], (1ll << 40) + (lane ^ 3));
  }
}

// blockDim 48: the second warp has 16 lanes; a source lane that does not exist gives poison.
__global__ void partial_warp_shuffle(float* out) {
  out[threadIdx.x] = __shfl_down_sync(kFull, static_cast<float>(threadIdx.x), 16);
}

EMU_TEST(partial_warp_reads_poison_from_missing_lanes) {
  std::vector<float> out(48, 0.0f);
  FASTNN_LAUNCH(partial_warp_shuffle)(dim3(1), dim3(48), 0, nullptr, out.data());
  for (int t = 0; t < 16; ++t) CHECK_EQ(out[t], static_cast<float>(t + 16));
  for (int t = 16; t < 32; ++t) CHECK_EQ(out[t], static_cast<float>(t));
  for (int t = 32; t < 48; ++t) CHECK(is_nan_bits(out[t]));
}

EMU_TEST(reduction_where_only_warp_zero_shuffles) {
  const int n = 1000, blocks = 3;
  std::vector<float> x(n * blocks), out(blocks, NAN);
  for (int i = 0; i < n * blocks; ++i) x[i] = static_cast<float>(i % 17);
  FASTNN_LAUNCH(samples::block_sum)(dim3(blocks), dim3(256), 0, nullptr, x.data(), out.data(), n);
  for (int b = 0; b < blocks; ++b) {
    float want = 0.0f;
    for (int i = 0; i < n; ++i) want += x[b * n + i];
    CHECK_EQ(out[b], want);  // small integers: exact in any order
  }
}

__global__ void votes(unsigned* ballot, int* any, int* all, unsigned* even_ballot) {
  int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  int pred = warp == 0 ? lane % 3 == 0 : 1;
  ballot[threadIdx.x] = __ballot_sync(kFull, pred);
  any[threadIdx.x] = __any_sync(kFull, warp == 0 && lane == 31);
  all[threadIdx.x] = __all_sync(kFull, pred);
  if (lane % 2 == 0) even_ballot[threadIdx.x] = __ballot_sync(0x55555555u, lane % 4 == 0);
}

EMU_TEST(ballot_any_all) {
  std::vector<unsigned> ballot(64), even(64, 7);
  std::vector<int> any(64), all(64);
  FASTNN_LAUNCH(votes)(dim3(1), dim3(64), 0, nullptr, ballot.data(), any.data(), all.data(), even.data());
  unsigned thirds = 0;
  for (int l = 0; l < 32; l += 3) thirds |= 1u << l;
  for (int t = 0; t < 64; ++t) {
    CHECK_EQ(ballot[t], t < 32 ? thirds : kFull);
    CHECK_EQ(any[t], t < 32 ? 1 : 0);
    CHECK_EQ(all[t], t < 32 ? 0 : 1);
    CHECK_EQ(even[t], t % 2 ? 7u : 0x11111111u);
  }
}

// Lanes exchange through shared memory with only __syncwarp between write and read.
__global__ void syncwarp_exchange(int* out) {
  FASTNN_SHARED(int, s, [64]);
  int t = threadIdx.x;
  s[t] = t * t;
  __syncwarp();
  out[t] = s[(t / 32) * 32 + (t + 1) % 32];
}

EMU_TEST(syncwarp_orders_a_warp) {
  std::vector<int> out(64, -1);
  FASTNN_LAUNCH(syncwarp_exchange)(dim3(1), dim3(64), 0, nullptr, out.data());
  for (int t = 0; t < 64; ++t) {
    int src = (t / 32) * 32 + (t + 1) % 32;
    CHECK_EQ(out[t], src * src);
  }
}

// --- atomics ----------------------------------------------------------------------------------

__global__ void atomics(int* counter, unsigned long long* wide, float* fsum, double* dsum, int* imax, float* fmax,
                        int* owner, int* exchanged, const float* values) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  atomicAdd(counter, 1);
  atomicAdd(wide, 1ull << 33);
  atomicAdd(fsum, 1.0f);
  atomicAdd(dsum, 0.25);
  atomicMax(imax, (i * 37) % 1001 - 500);
  fastnn::cuda::atomic_max(fmax, values[i]);
  atomicCAS(owner, -1, i);  // exactly one thread wins
  atomicExch(exchanged, 5);
}

EMU_TEST(atomics_int_float_cas) {
  const int blocks = 16, threads = 128, n = blocks * threads;
  int counter = 0, imax = -1000000, owner = -1, exchanged = 0;
  unsigned long long wide = 0;
  float fsum = 0.0f, fmax = -1e30f;
  double dsum = 0.0;
  std::vector<float> values(n);
  for (int i = 0; i < n; ++i) values[i] = -1000.0f - static_cast<float>((i * 7919) % n);
  FASTNN_LAUNCH(atomics)(dim3(blocks), dim3(threads), 0, nullptr, &counter, &wide, &fsum, &dsum, &imax, &fmax, &owner,
                         &exchanged, values.data());
  CHECK_EQ(counter, n);
  CHECK_EQ(wide, static_cast<unsigned long long>(n) << 33);
  CHECK_EQ(fsum, static_cast<float>(n));
  CHECK_EQ(dsum, 0.25 * n);
  CHECK_EQ(imax, 500);
  CHECK_EQ(fmax, -1000.0f);
  CHECK(owner >= 0 && owner < n);
  CHECK_EQ(exchanged, 5);
}

__global__ void float_max_of(float* out, const float* values, int n) {
  for (int i = threadIdx.x; i < n; i += blockDim.x) fastnn::cuda::atomic_max(out, values[i]);
}

EMU_TEST(float_atomic_max_signs) {
  std::vector<std::vector<float>> sets = {{-3.0f, -0.0f, -1.0f}, {-3.0f, 2.5f, 0.0f}, {-5.0f, -2.0f}, {1e-40f, 0.0f}};
  std::vector<float> want = {-0.0f, 2.5f, -2.0f, 1e-40f};
  for (size_t s = 0; s < sets.size(); ++s) {
    float out = -INFINITY;
    FASTNN_LAUNCH(float_max_of)(dim3(1), dim3(4), 0, nullptr, &out, sets[s].data(), static_cast<int>(sets[s].size()));
    CHECK_EQ(out, want[s]);
    CHECK_EQ(std::signbit(out), std::signbit(want[s]));
  }
}

// --- fences, __ldg, intrinsics, __constant__ ----------------------------------------------------

__constant__ float kScale[4];

__global__ void intrinsics(const float* x, float* out) {
  float v = __ldg(x + threadIdx.x);
  __threadfence();
  float* o = out + 10 * threadIdx.x;
  o[0] = __expf(v);
  o[1] = __fdividef(v, 3.0f);
  o[2] = rsqrtf(v + 2.0f);
  o[3] = __fmaf_rn(v, v, -v * v);  // the rounding error of v*v: nonzero only with a fused multiply-add
  o[4] = __saturatef(v);
  o[5] = static_cast<float>(__popc(__float_as_uint(v)));
  o[6] = __int_as_float(__float_as_int(v));
  o[7] = static_cast<float>(__brev(1u) == 0x80000000u && __clz(1) == 31 && __ffs(8) == 4);
  o[8] = __logf(v + 2.0f) + __sinf(v) * __cosf(v);
  o[9] = v * kScale[threadIdx.x % 4];
}

EMU_TEST(intrinsics_ldg_fence_constant) {
  const float scale[4] = {1.0f, -2.0f, 0.5f, 3.0f};
  CHECK(cudaMemcpyToSymbol(kScale, scale, sizeof scale) == cudaSuccess);
  std::vector<float> x = {0.1f, 1.0f / 3.0f, -1.5f, 0.7f, 1.25f};
  std::vector<float> out(10 * x.size(), NAN);
  FASTNN_LAUNCH(intrinsics)(dim3(1), dim3(static_cast<unsigned>(x.size())), 0, nullptr, x.data(), out.data());
  for (size_t t = 0; t < x.size(); ++t) {
    float v = x[t];
    const float* o = out.data() + 10 * t;
    CHECK(std::fabs(o[0] - std::exp(v)) <= 1e-6f * std::exp(v));
    CHECK(std::fabs(o[1] - v / 3.0f) <= 1e-7f);
    CHECK(std::fabs(o[2] - 1.0f / std::sqrt(v + 2.0f)) <= 1e-6f);
    CHECK_EQ(o[3], static_cast<float>(static_cast<double>(v) * v - static_cast<double>(v * v)));
    CHECK_EQ(o[4], v < 0 ? 0.0f : (v > 1 ? 1.0f : v));
    unsigned bits;
    std::memcpy(&bits, &v, 4);
    CHECK_EQ(o[5], static_cast<float>(__builtin_popcount(bits)));
    CHECK_EQ(o[6], v);
    CHECK_EQ(o[7], 1.0f);
    CHECK(std::fabs(o[8] - (std::log(v + 2.0f) + std::sin(v) * std::cos(v))) <= 1e-6f);
    CHECK_EQ(o[9], v * scale[t % 4]);
  }
  CHECK(out[3 * 10 + 3] != 0.0f || out[1 * 10 + 3] != 0.0f);  // some v*v was inexact
}

// --- runtime ----------------------------------------------------------------------------------

__global__ void scale_in_place(float* x, float a, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) x[i] *= a;
}

EMU_TEST(runtime_memory_and_streams) {
  const int n = 1000;
  float* d = nullptr;
  CHECK(cudaMalloc(&d, n * sizeof(float)) == cudaSuccess);
  CHECK_EQ(reinterpret_cast<uintptr_t>(d) % 256, 0u);
  std::vector<float> h(n), back(n, 0.0f);
  for (int i = 0; i < n; ++i) h[i] = static_cast<float>(i);
  cudaStream_t stream;
  CHECK(cudaStreamCreate(&stream) == cudaSuccess);
  CHECK(cudaMemsetAsync(d, 0, n * sizeof(float), stream) == cudaSuccess);
  CHECK(cudaMemcpyAsync(d, h.data(), n * sizeof(float), cudaMemcpyHostToDevice, stream) == cudaSuccess);
  FASTNN_LAUNCH(scale_in_place)(dim3((n + 127) / 128), dim3(128), 0, stream, d, 2.0f, n);
  CHECK(cudaStreamSynchronize(stream) == cudaSuccess);
  CHECK(cudaMemcpy(back.data(), d, n * sizeof(float), cudaMemcpyDeviceToHost) == cudaSuccess);
  for (int i = 0; i < n; ++i) CHECK_EQ(back[i], 2.0f * i);
  CHECK(cudaMemset(d, 0xFF, sizeof(float)) == cudaSuccess);
  CHECK(cudaMemcpy(back.data(), d, sizeof(float), cudaMemcpyDeviceToHost) == cudaSuccess);
  CHECK(std::isnan(back[0]));
  CHECK(cudaStreamDestroy(stream) == cudaSuccess);
  CHECK(cudaFree(d) == cudaSuccess);
  CHECK(cudaDeviceSynchronize() == cudaSuccess);
  CHECK(cudaGetLastError() == cudaSuccess);
}

EMU_TEST(invalid_configurations_fail_the_launch) {
  float x = 1.0f;
  std::string e = emu_test::launch_error([&] { FASTNN_LAUNCH(scale_in_place)(dim3(1), dim3(2048), 0, nullptr, &x, 2.0f, 1); });
  CHECK_CONTAINS(e, "cudaErrorInvalidConfiguration");
  CHECK_CONTAINS(e, "scale_in_place");
  CHECK_CONTAINS(e, "1024 threads");
  CHECK(cudaGetLastError() == cudaSuccess);  // the check consumed it
  e = emu_test::launch_error([&] { FASTNN_LAUNCH(scale_in_place)(dim3(1, 70000), dim3(1), 0, nullptr, &x, 2.0f, 1); });
  CHECK_CONTAINS(e, "65535");
  e = emu_test::launch_error([&] { FASTNN_LAUNCH(scale_in_place)(dim3(0), dim3(1), 0, nullptr, &x, 2.0f, 1); });
  CHECK_CONTAINS(e, "positive");
  CHECK_EQ(x, 1.0f);
}

__global__ void big_dynamic(float* out) {
  FASTNN_DYNAMIC_SHARED(float, s);
  s[threadIdx.x * 1000] = 1.0f;  // up to float 15000 of 16384
  __syncthreads();
  out[threadIdx.x] = s[(threadIdx.x + 1) % 16 * 1000];
}

EMU_TEST(dynamic_shared_above_48k_needs_the_attribute) {
  std::vector<float> out(16, 0.0f);
  size_t bytes = 64 * 1024;
  std::string e = emu_test::launch_error([&] { FASTNN_LAUNCH(big_dynamic)(dim3(1), dim3(16), bytes, nullptr, out.data()); });
  CHECK_CONTAINS(e, "cudaFuncSetAttribute");
  CHECK(cudaFuncSetAttribute(big_dynamic, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(bytes)) ==
        cudaSuccess);
  FASTNN_LAUNCH(big_dynamic)(dim3(1), dim3(16), bytes, nullptr, out.data());
  for (float v : out) CHECK_EQ(v, 1.0f);
}

__global__ void too_much_static(float* out) {
  FASTNN_SHARED(float, s, [13000]);  // 52000 bytes
  s[threadIdx.x] = 1.0f;
  out[0] = s[0];
}

EMU_TEST(static_shared_above_48k_fails) {
  float out = 0.0f;
  std::string e = emu_test::launch_error([&] { FASTNN_LAUNCH(too_much_static)(dim3(1), dim3(1), 0, nullptr, &out); });
  CHECK_CONTAINS(e, "static shared memory of 52000 bytes");
}

// --- workers and fibers -------------------------------------------------------------------------

__global__ void per_block_sums(const float* x, float* out, int n) {
  FASTNN_DYNAMIC_SHARED(float, s);
  s[threadIdx.x] = x[blockIdx.x * blockDim.x + threadIdx.x];
  __syncthreads();
  for (int stride = blockDim.x / 2; stride > 0; stride /= 2) {
    if (static_cast<int>(threadIdx.x) < stride) s[threadIdx.x] += s[threadIdx.x + stride];
    __syncthreads();
  }
  if (threadIdx.x == 0) out[blockIdx.x] = s[0] / n;
}

EMU_TEST(results_identical_for_one_and_two_workers) {
  const int blocks = 37, threads = 64;
  std::vector<float> x(blocks * threads), one(blocks), two(blocks);
  for (size_t i = 0; i < x.size(); ++i) x[i] = std::sin(static_cast<float>(i)) * 3.0f;
  fastnn::emu::set_workers(1);
  FASTNN_LAUNCH(per_block_sums)(dim3(blocks), dim3(threads), threads * sizeof(float), nullptr, x.data(), one.data(), 7);
  fastnn::emu::set_workers(2);
  FASTNN_LAUNCH(per_block_sums)(dim3(blocks), dim3(threads), threads * sizeof(float), nullptr, x.data(), two.data(), 7);
  fastnn::emu::set_workers(0);
  CHECK(std::memcmp(one.data(), two.data(), blocks * sizeof(float)) == 0);
}

// The ABI's stack alignment as seen by a function called on a fiber: an alignas(16) local is
// placed without realignment, so a misaligned fiber stack shows in its address.
__attribute__((noinline)) uintptr_t aligned_local_address() {
  alignas(16) volatile char buffer[16];
  buffer[0] = 1;
  return reinterpret_cast<uintptr_t>(&buffer[0]);
}

__global__ void stack_alignment(int* misaligned, int* depth_ok, int want) {
  if (aligned_local_address() % 16 != 0) atomicAdd(misaligned, 1);
  volatile char big[8192];  // a kernel may use a few KiB of stack
  for (int i = 0; i < 8192; i += 64) big[i] = static_cast<char>(i);
  int sum = 0;
  for (int i = 0; i < 8192; i += 64) sum += big[i];
  __syncthreads();
  if (aligned_local_address() % 16 != 0) atomicAdd(misaligned, 1);
  if (sum == want) atomicAdd(depth_ok, 1);
}

EMU_TEST(fiber_stacks_are_16_byte_aligned) {
  int misaligned = 0, depth = 0, want = 0;
  for (int i = 0; i < 8192; i += 64) want += static_cast<char>(i);
  FASTNN_LAUNCH(stack_alignment)(dim3(3), dim3(100), 0, nullptr, &misaligned, &depth, want);
  CHECK_EQ(misaligned, 0);
  CHECK_EQ(depth, 300);
}

EMU_TEST(context_backend) {
  std::printf("context backend: %s\n", fastnn::emu::detail::kContextBackend);
  CHECK(std::strlen(fastnn::emu::detail::kContextBackend) > 0);
}

}  // namespace
