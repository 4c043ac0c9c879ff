// Activation drivers: split the n elements into contiguous per-thread chunks and run the SIMD
// level's loop on each. Every element is computed by the same code wherever its chunk starts,
// so results are bitwise identical for any thread count. Formulas: activation.h.
#include "cpu/activation.h"

#include "core/parallel.h"
#include "cpu/simd/pointwise_kernels.h"

namespace fastnn::cpu {

namespace {
// Below this many elements per thread, waking another thread costs more than it saves.
constexpr int64_t kMinChunk = 16384;
}  // namespace

template <class T>
void activation_forward(ActOp op, T* y, const T* x, int64_t n, const ActParams<T>& params) {
  const PointwiseKernels<T>& k = pointwise_kernels(simd_level(), static_cast<T*>(nullptr));
  parallel_for(n, kMinChunk, [&](int64_t begin, int64_t end) { k.act_forward(op, y + begin, x + begin, end - begin, params); });
}

template <class T>
void activation_backward(ActOp op, T* dx, const T* dy, const T* saved, int64_t n, const ActParams<T>& params) {
  const PointwiseKernels<T>& k = pointwise_kernels(simd_level(), static_cast<T*>(nullptr));
  parallel_for(n, kMinChunk, [&](int64_t begin, int64_t end) {
    k.act_backward(op, dx + begin, dy + begin, saved + begin, end - begin, params);
  });
}

template void activation_forward<float>(ActOp, float*, const float*, int64_t, const ActParams<float>&);
template void activation_forward<double>(ActOp, double*, const double*, int64_t, const ActParams<double>&);
template void activation_backward<float>(ActOp, float*, const float*, const float*, int64_t, const ActParams<float>&);
template void activation_backward<double>(ActOp, double*, const double*, const double*, int64_t,
                                          const ActParams<double>&);

}  // namespace fastnn::cpu
