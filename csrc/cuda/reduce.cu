// Reductions on CUDA                                               (contract: reduce.h)
//
// sum_dims: y[o, i] = sum_r x[o, r, i], x [outer, reduced, inner], y [outer, inner]. The rows of
// the reduced axis go in blocks of kSumBlockRows (cpu/reduce_order.h). Kernel 1: one thread per
// (row block b, o, i), i fastest (coalesced loads for inner > 1), adds its block's rows in order
// in double (inner == 1: lanes_sum, the CPU's lanes) into partial[b][o, i], or straight into y
// when there is one block. Kernel 2: one thread per output adds the blocks' sums in order from
// zero. These are the CPU kernel's additions, so y is the CPU's bit for bit.
//
// vector_norms: the arrays (at most kMaxNormArrays per launch, passed by value) are cut into
// chunks of kNormChunk elements. Kernel 1: one block of kThreads per chunk; thread t combines the
// terms (cpu/vector_norm.h) of elements t, t + kThreads, ... of its chunk, then a fixed-order
// block tree (block_reduce.cuh) gives the chunk's partial. Kernel 2: one thread per array combines
// its chunks' partials in order and finishes the norm. No atomics: results are repeatable.
#include "cuda/reduce.h"

#include "cpu/reduce_order.h"
#include "cpu/vector_norm.h"
#include "cuda/block_reduce.cuh"
#include "cuda/workspace.cuh"

namespace fastnn::cuda {

namespace {

constexpr int kThreads = 256;
constexpr int kMaxNormArrays = 16;

using cpu::chunks_of;
using cpu::kNormChunk;
using cpu::kSumBlockRows;

template <class T, class Out>
__global__ void __launch_bounds__(kThreads)
    sum_block_rows_kernel(Out* sums, const T* x, int64_t outer, int64_t reduced, int64_t inner, int64_t blocks) {
  const int64_t outputs = outer * inner, total = blocks * outputs, stride = int64_t(gridDim.x) * kThreads;
  for (int64_t k = int64_t(blockIdx.x) * kThreads + threadIdx.x; k < total; k += stride) {
    const int64_t b = k / outputs, out = k % outputs, o = out / inner, i = out % inner;
    const int64_t r0 = b * kSumBlockRows, r1 = r0 + kSumBlockRows < reduced ? r0 + kSumBlockRows : reduced;
    const T* slab = x + o * reduced * inner + i;
    double sum = 0.0;
    if (inner == 1) {
      sum = cpu::lanes_sum(slab, r0, r1);
    } else {
      for (int64_t r = r0; r < r1; ++r) sum += double(slab[r * inner]);
    }
    sums[k] = Out(sum);
  }
}

template <class T>
__global__ void __launch_bounds__(kThreads)
    sum_blocks_kernel(T* y, const double* partial, int64_t outputs, int64_t blocks) {
  const int64_t stride = int64_t(gridDim.x) * kThreads;
  for (int64_t i = int64_t(blockIdx.x) * kThreads + threadIdx.x; i < outputs; i += stride) {
    double total = 0.0;
    for (int64_t b = 0; b < blocks; ++b) total += partial[b * outputs + i];
    y[i] = T(total);
  }
}

template <class T>
struct NormArrays {
  const T* data[kMaxNormArrays];
  int64_t size[kMaxNormArrays];
  int64_t first_chunk[kMaxNormArrays + 1];
  int count;
};

struct NormCombine {
  cpu::VectorNorm norm;
  __device__ __forceinline__ double operator()(double a, double b) const { return norm.combine(a, b); }
};

template <class T>
__global__ void __launch_bounds__(kThreads)
    norm_chunks_kernel(double* partial, NormArrays<T> arrays, cpu::VectorNorm norm) {
  FASTNN_SHARED(double, buffer, [kThreads]);
  const int64_t chunks = arrays.first_chunk[arrays.count];
  for (int64_t c = blockIdx.x; c < chunks; c += gridDim.x) {
    int t = 0;
    while (c >= arrays.first_chunk[t + 1]) ++t;
    const int64_t start = (c - arrays.first_chunk[t]) * kNormChunk;
    const int64_t end = start + kNormChunk < arrays.size[t] ? start + kNormChunk : arrays.size[t];
    double acc = norm.identity();
    for (int64_t i = start + threadIdx.x; i < end; i += kThreads)
      acc = norm.combine(acc, norm.term(double(arrays.data[t][i])));
    const double chunk = block_reduce<kThreads>(acc, buffer, NormCombine{norm});
    if (threadIdx.x == 0) partial[c] = chunk;
  }
}

template <class T>
__global__ void norm_finish_kernel(T* norms, const double* partial, NormArrays<T> arrays, cpu::VectorNorm norm) {
  const int t = threadIdx.x;
  if (t >= arrays.count) return;
  double acc = norm.identity();
  for (int64_t c = arrays.first_chunk[t]; c < arrays.first_chunk[t + 1]; ++c) acc = norm.combine(acc, partial[c]);
  norms[t] = T(norm.finish(acc));
}

}  // namespace

template <class T>
void sum_dims(cudaStream_t stream, T* y, const T* x, int64_t outer, int64_t reduced, int64_t inner) {
  const int64_t outputs = outer * inner, blocks = chunks_of(reduced, kSumBlockRows);
  if (outputs == 0) return;
  if (blocks <= 1) {  // one block's sum (0.0 + sum is sum) or none (zeros)
    FASTNN_LAUNCH(sum_block_rows_kernel<T, T>)(grid_stride_blocks(outputs, kThreads), dim3(kThreads), 0, stream, y, x,
                                               outer, reduced, inner, int64_t(1));
    return;
  }
  Workspace partial(size_t(blocks * outputs) * sizeof(double), stream);
  FASTNN_LAUNCH(sum_block_rows_kernel<T, double>)(grid_stride_blocks(blocks * outputs, kThreads), dim3(kThreads), 0,
                                                  stream, partial.as<double>(), x, outer, reduced, inner, blocks);
  FASTNN_LAUNCH(sum_blocks_kernel<T>)(grid_stride_blocks(outputs, kThreads), dim3(kThreads), 0, stream, y,
                                      partial.as<double>(), outputs, blocks);
}

template <class T>
void vector_norms(cudaStream_t stream, T* norms, const T* const* data, const int64_t* sizes, int count, double ord) {
  const cpu::VectorNorm norm = cpu::VectorNorm::of_order(ord);
  for (int first = 0; first < count; first += kMaxNormArrays) {
    NormArrays<T> arrays{};
    arrays.count = count - first < kMaxNormArrays ? count - first : kMaxNormArrays;
    for (int t = 0; t < arrays.count; ++t) {
      arrays.data[t] = data[first + t];
      arrays.size[t] = sizes[first + t];
      arrays.first_chunk[t + 1] = arrays.first_chunk[t] + chunks_of(sizes[first + t], kNormChunk);
    }
    const int64_t chunks = arrays.first_chunk[arrays.count];
    Workspace partial(size_t(chunks) * sizeof(double), stream);
    if (chunks > 0)
      FASTNN_LAUNCH(norm_chunks_kernel<T>)(dim3(unsigned(chunks < kMaxGridBlocks ? chunks : kMaxGridBlocks)),
                                           dim3(kThreads), 0, stream, partial.as<double>(), arrays, norm);
    FASTNN_LAUNCH(norm_finish_kernel<T>)(dim3(1), dim3(kMaxNormArrays), 0, stream, norms + first,
                                         partial.as<double>(), arrays, norm);
  }
}

template void sum_dims<float>(cudaStream_t, float*, const float*, int64_t, int64_t, int64_t);
template void sum_dims<double>(cudaStream_t, double*, const double*, int64_t, int64_t, int64_t);
template void vector_norms<float>(cudaStream_t, float*, const float* const*, const int64_t*, int, double);
template void vector_norms<double>(cudaStream_t, double*, const double* const*, const int64_t*, int, double);

}  // namespace fastnn::cuda
