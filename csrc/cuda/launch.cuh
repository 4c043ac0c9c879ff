// The one header a .cu file includes. It makes the same kernel and launcher source build
// under nvcc (real CUDA) and under the host compiler (the SIMT emulator in emu/):
//
//   FASTNN_SHARED(float, tile, [32][33]);      static shared memory (__shared__ float tile[32][33])
//   FASTNN_DYNAMIC_SHARED(float, buffer);      dynamic shared memory, as a float*
//   FASTNN_LAUNCH(kernel<T, 64>)(grid, block, smem_bytes, stream, args...);
//   FASTNN_UNROLL for (...)                    #pragma unroll on the device, nothing on the host
//   FASTNN_GRID_STRIDE(e, n, threads) { ... }  for e in [0, n) over a 1-D grid of `threads`-thread
//                                              blocks (grid_stride_blocks below sizes the grid)
//
// FASTNN_LAUNCH is kernel<<<grid, block, smem, stream>>>(args...) followed by a check of
// cudaGetLastError that throws fastnn::cuda::Error naming the kernel and the launch site (and,
// under the emulator, the block, thread and source line that failed).
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>

#if defined(__CUDACC__)
#include <cuda_runtime.h>
#define FASTNN_UNROLL _Pragma("unroll")
#define FASTNN_SHARED(type, name, ...) __shared__ __align__(16) type name __VA_ARGS__
#define FASTNN_DYNAMIC_SHARED(type, name)                                 \
  extern __shared__ __align__(16) unsigned char fastnn_dynamic_shared_[]; \
  type* name = reinterpret_cast<type*>(fastnn_dynamic_shared_)
#else
#include "cuda/emu/emu.h"
#define FASTNN_UNROLL
#endif

namespace fastnn::cuda {

// The 1-D grid of a grid-stride loop over n items with `threads` per block: one item per thread,
// at most kMaxGridBlocks blocks (the loop covers the rest).
constexpr int64_t kMaxGridBlocks = 65535;
inline dim3 grid_stride_blocks(int64_t n, int threads) {
  const int64_t blocks = (n + threads - 1) / threads;
  return dim3(static_cast<unsigned>(blocks < kMaxGridBlocks ? blocks : kMaxGridBlocks));
}

struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

inline void check_launch(const char* kernel, const char* file, int line) {
  cudaError_t e = cudaGetLastError();
  if (e == cudaSuccess) return;
  std::string message = std::string("CUDA kernel ") + kernel + " launched at " + file + ":" + std::to_string(line) +
                        " failed: " + cudaGetErrorName(e) + " (" + cudaGetErrorString(e) + ")";
#if !defined(__CUDACC__)
  if (!fastnn::emu::last_error_detail().empty()) message += ": " + fastnn::emu::last_error_detail();
#endif
  throw Error(message);
}

template <class... P>
struct Launcher {
  void (*kernel)(P...);
  const char* name;
  const char* file;
  int line;

  template <class... A>
  void operator()(dim3 grid, dim3 block, size_t smem, cudaStream_t stream, A&&... args) const {
#if defined(__CUDACC__)
    kernel<<<grid, block, smem, stream>>>(std::forward<A>(args)...);
#else
    ::fastnn::emu::launch(name, kernel, grid, block, smem, stream, std::forward<A>(args)...);
#endif
    check_launch(name, file, line);
  }
};

template <class... P>
Launcher<P...> make_launcher(void (*kernel)(P...), const char* name, const char* file, int line) {
  return {kernel, name, file, line};
}

}  // namespace fastnn::cuda

#define FASTNN_GRID_STRIDE(e, n, threads)                                                                      \
  for (int64_t e = int64_t(blockIdx.x) * (threads) + threadIdx.x, e##_stride = int64_t(gridDim.x) * (threads); \
       e < (n); e += e##_stride)

// Variadic so that a template kernel's commas need no parentheses.
#define FASTNN_LAUNCH(...) ::fastnn::cuda::make_launcher(__VA_ARGS__, #__VA_ARGS__, __FILE__, __LINE__)
