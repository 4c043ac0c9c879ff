// Two textbook kernels the emulator's tests and benchmark share: a shared-memory tiled SGEMM
// (optionally with its second barrier planted missing) and a block reduction (warp shuffles,
// then warp 0 alone reduces the per-warp sums kept in shared memory).
#pragma once
#include "cuda/launch.cuh"

namespace samples {
namespace {  // each test program gets its own copy

constexpr int kTile = 16;

// C[M,N] = A[M,K] @ B[K,N], row-major, one 16x16 tile of C per block of 16x16 threads.
// Without kSecondBarrier a thread may overwrite the tiles for step k0+16 while another thread
// still reads those of step k0: a race.
template <bool kSecondBarrier>
__global__ void tiled_sgemm(const float* A, const float* B, float* C, int M, int N, int K) {
  FASTNN_SHARED(float, As, [kTile][kTile]);
  FASTNN_SHARED(float, Bs, [kTile][kTile]);
  const int tx = threadIdx.x, ty = threadIdx.y;
  const int row = blockIdx.y * kTile + ty, col = blockIdx.x * kTile + tx;
  float acc = 0.0f;
  for (int k0 = 0; k0 < K; k0 += kTile) {
    As[ty][tx] = row < M && k0 + tx < K ? A[row * K + k0 + tx] : 0.0f;
    Bs[ty][tx] = col < N && k0 + ty < K ? B[(k0 + ty) * N + col] : 0.0f;
    __syncthreads();
    for (int k = 0; k < kTile; ++k) acc += As[ty][k] * Bs[k][tx];
    if (kSecondBarrier) __syncthreads();
  }
  if (row < M && col < N) C[row * N + col] = acc;
}

inline void launch_tiled_sgemm(bool second_barrier, const float* A, const float* B, float* C, int M, int N, int K) {
  dim3 grid((N + kTile - 1) / kTile, (M + kTile - 1) / kTile), block(kTile, kTile);
  if (second_barrier) FASTNN_LAUNCH(tiled_sgemm<true>)(grid, block, 0, nullptr, A, B, C, M, N, K);
  else FASTNN_LAUNCH(tiled_sgemm<false>)(grid, block, 0, nullptr, A, B, C, M, N, K);
}

__device__ __forceinline__ float warp_sum(float v) {
  for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_down_sync(0xffffffffu, v, offset);
  return v;
}

// out[b] = sum of x[b*n .. b*n+n)
__global__ void block_sum(const float* x, float* out, int n) {
  FASTNN_SHARED(float, partial, [32]);
  float v = 0.0f;
  for (int i = threadIdx.x; i < n; i += blockDim.x) v += x[blockIdx.x * n + i];
  v = warp_sum(v);
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  if (lane == 0) partial[warp] = v;
  __syncthreads();
  if (warp == 0) {
    v = lane < static_cast<int>(blockDim.x / 32) ? partial[lane] : 0.0f;
    v = warp_sum(v);
    if (lane == 0) out[blockIdx.x] = v;
  }
}

}  // namespace
}  // namespace samples
