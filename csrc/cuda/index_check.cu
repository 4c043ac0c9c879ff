// Index range checks on the device                               (contract: index_check.h)
//
// Formula: the smallest i < n with ids[i] < 0 or ids[i] >= limit (and ids[i] != exception when
// has_exception), or -1.
// Layout: ids int64, contiguous, n elements.
// Algorithm: one thread per index (grid-stride past kMaxBlocks blocks); an invalid one takes the
// atomic minimum of its position into one device word (an integer: the result is exact in any
// order), which is then copied back to the host, and the value at that position after it.
#include "cuda/index_check.h"

#include "cuda/launch.cuh"
#include "cuda/workspace.cuh"

namespace fastnn::cuda {

namespace {

constexpr int kThreads = 256;
constexpr int64_t kMaxBlocks = 65535;

__global__ void __launch_bounds__(kThreads)
    first_out_of_range_kernel(const int64_t* ids, int64_t n, int64_t limit, bool has_exception, int64_t exception,
                              unsigned long long* first) {
  const int64_t stride = int64_t(gridDim.x) * kThreads;
  for (int64_t i = int64_t(blockIdx.x) * kThreads + threadIdx.x; i < n; i += stride) {
    const int64_t v = ids[i];
    if ((v < 0 || v >= limit) && !(has_exception && v == exception))
      atomicMin(first, static_cast<unsigned long long>(i));
  }
}

void check(cudaError_t e, int line) {
  if (e != cudaSuccess) check_launch("first_index_out_of_range's copies", __FILE__, line);
}

}  // namespace

InvalidIndex first_index_out_of_range(cudaStream_t stream, const int64_t* ids, int64_t n, int64_t limit,
                                      bool has_exception, int64_t exception) {
  InvalidIndex result;
  if (n == 0) return result;
  Workspace first(sizeof(unsigned long long), stream);
  unsigned long long position = ~0ull;
  check(cudaMemcpyAsync(first.as<unsigned long long>(), &position, sizeof position, cudaMemcpyHostToDevice, stream),
        __LINE__);
  const int64_t blocks = (n + kThreads - 1) / kThreads;
  FASTNN_LAUNCH(first_out_of_range_kernel)(dim3(static_cast<unsigned>(blocks < kMaxBlocks ? blocks : kMaxBlocks)),
                                           dim3(kThreads), 0, stream, ids, n, limit, has_exception, exception,
                                           first.as<unsigned long long>());
  check(cudaMemcpyAsync(&position, first.as<unsigned long long>(), sizeof position, cudaMemcpyDeviceToHost, stream),
        __LINE__);
  check(cudaStreamSynchronize(stream), __LINE__);
  if (position == ~0ull) return result;
  result.position = static_cast<int64_t>(position);
  check(cudaMemcpyAsync(&result.value, ids + result.position, sizeof(int64_t), cudaMemcpyDeviceToHost, stream),
        __LINE__);
  check(cudaStreamSynchronize(stream), __LINE__);
  return result;
}

}  // namespace fastnn::cuda
