// Embedding lookup and its gradient on CUDA                       (contract: embedding.h)
//
// Formulas: out[r, :] = weight[ids[r], :];
//           grad_weight[v, :] = sum over r with ids[r] == v, in order of r, of grad_out[r, :]
//           (v != padding_idx; that row stays 0).
//
// Layouts: weight and grad_weight [V, D], out and grad_out [N, D], row-major; ids int64 [N].
//
// Algorithms: forward, one thread per element of out (a 2-D grid: x over D in blocks of
// kThreads, y over rows, a grid-stride loop past kMaxBlocks rows). Backward, deterministic by
// ownership as on the CPU, no atomics: grad_weight is zeroed by one thread per element, then the
// vocabulary is cut into S = min(V, kMaxSlices) contiguous slices and thread (j, s) owns column j
// of the rows of slice s: it walks all N ids in order and adds grad_out[r, j] to row ids[r] when
// that row is its own (a warp's threads read and write consecutive columns: coalesced). D x S
// threads work at once; each sum runs in the order of r whatever the schedule, so the result is
// the CPU kernel's bit for bit.
#include "cuda/embedding.h"

#include "cuda/launch.cuh"

namespace fastnn::cuda {

namespace {

constexpr int kThreads = 256;
constexpr int64_t kMaxBlocks = 65535;
constexpr int64_t kMaxSlices = 256;  // of the vocabulary, in the backward

unsigned capped(int64_t blocks) { return static_cast<unsigned>(blocks < kMaxBlocks ? blocks : kMaxBlocks); }
unsigned column_blocks(int64_t d) { return static_cast<unsigned>((d + kThreads - 1) / kThreads); }

template <class T>
__global__ void __launch_bounds__(kThreads)
    embedding_forward_kernel(T* out, const T* weight, const int64_t* ids, int64_t n, int64_t d) {
  const int64_t j = int64_t(blockIdx.x) * kThreads + threadIdx.x;
  if (j >= d) return;
  for (int64_t r = blockIdx.y; r < n; r += gridDim.y) out[r * d + j] = weight[ids[r] * d + j];
}

template <class T>
__global__ void __launch_bounds__(kThreads) zero_kernel(T* x, int64_t count) {
  const int64_t stride = int64_t(gridDim.x) * kThreads;
  for (int64_t i = int64_t(blockIdx.x) * kThreads + threadIdx.x; i < count; i += stride) x[i] = T(0);
}

// Slice blockIdx.y of S = gridDim.y: rows [V s / S, V (s + 1) / S) of grad_weight.
template <class T>
__global__ void __launch_bounds__(kThreads)
    embedding_backward_kernel(T* grad_weight, const T* grad_out, const int64_t* ids, int64_t n,
                              int64_t num_embeddings, int64_t d, int64_t padding_idx) {
  const int64_t j = int64_t(blockIdx.x) * kThreads + threadIdx.x;
  if (j >= d) return;
  const int64_t first = num_embeddings * blockIdx.y / gridDim.y, end = num_embeddings * (blockIdx.y + 1) / gridDim.y;
  for (int64_t r = 0; r < n; ++r) {
    const int64_t v = ids[r];
    if (v >= first && v < end && v != padding_idx) grad_weight[v * d + j] += grad_out[r * d + j];
  }
}

}  // namespace

template <class T>
void embedding_forward(cudaStream_t stream, T* out, const T* weight, const int64_t* ids, int64_t n, int64_t d) {
  if (n == 0 || d == 0) return;
  FASTNN_LAUNCH(embedding_forward_kernel<T>)(dim3(column_blocks(d), capped(n)), dim3(kThreads), 0, stream, out, weight,
                                             ids, n, d);
}

template <class T>
void embedding_backward(cudaStream_t stream, T* grad_weight, const T* grad_out, const int64_t* ids, int64_t n,
                        int64_t num_embeddings, int64_t d, int64_t padding_idx) {
  const int64_t count = num_embeddings * d;
  if (count == 0) return;
  FASTNN_LAUNCH(zero_kernel<T>)(dim3(capped((count + kThreads - 1) / kThreads)), dim3(kThreads), 0, stream,
                                grad_weight, count);
  if (n > 0)
    FASTNN_LAUNCH(embedding_backward_kernel<T>)(
        dim3(column_blocks(d), static_cast<unsigned>(num_embeddings < kMaxSlices ? num_embeddings : kMaxSlices)),
        dim3(kThreads), 0, stream, grad_weight, grad_out, ids, n, num_embeddings, d, padding_idx);
}

template void embedding_forward<float>(cudaStream_t, float*, const float*, const int64_t*, int64_t, int64_t);
template void embedding_forward<double>(cudaStream_t, double*, const double*, const int64_t*, int64_t, int64_t);
template void embedding_backward<float>(cudaStream_t, float*, const float*, const int64_t*, int64_t, int64_t,
                                        int64_t, int64_t);
template void embedding_backward<double>(cudaStream_t, double*, const double*, const int64_t*, int64_t, int64_t,
                                         int64_t, int64_t);

}  // namespace fastnn::cuda
