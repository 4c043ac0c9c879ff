// Embedding gather / scatter-add (formulas and the determinism argument: embedding.h).
#include "cpu/embedding.h"

#include <algorithm>
#include <cstring>

#include "core/parallel.h"

namespace fastnn::cpu {

namespace {

constexpr int64_t kMinChunk = 16384;  // elements per thread below which one thread does it all
constexpr int64_t kLineBytes = 64;

}  // namespace

template <class T>
void embedding_forward(T* out, const T* weight, const int64_t* ids, int64_t n, int64_t d) {
  parallel_for(n, std::max<int64_t>(1, kMinChunk / std::max<int64_t>(1, d)), [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) std::memcpy(out + i * d, weight + ids[i] * d, size_t(d) * sizeof(T));
  });
}

template <class T>
void embedding_backward(T* grad_weight, const T* grad_out, const int64_t* ids, int64_t n, int64_t num_embeddings,
                        int64_t d, int64_t padding_idx) {
  const int64_t group = kLineBytes / int64_t(sizeof(T));
  const int64_t groups = (d + group - 1) / group;
  const int64_t min_groups = std::max<int64_t>(1, kMinChunk / std::max<int64_t>(1, (n + num_embeddings) * group));
  parallel_for(groups, min_groups, [&](int64_t begin, int64_t end) {
    const int64_t c0 = begin * group, c1 = std::min(d, end * group), width = c1 - c0;
    for (int64_t v = 0; v < num_embeddings; ++v) std::fill_n(grad_weight + v * d + c0, width, T(0));
    for (int64_t i = 0; i < n; ++i) {
      if (ids[i] == padding_idx) continue;
      T* dst = grad_weight + ids[i] * d + c0;
      const T* src = grad_out + i * d + c0;
      for (int64_t c = 0; c < width; ++c) dst[c] += src[c];
    }
  });
}

template void embedding_forward<float>(float*, const float*, const int64_t*, int64_t, int64_t);
template void embedding_forward<double>(double*, const double*, const int64_t*, int64_t, int64_t);
template void embedding_backward<float>(float*, const float*, const int64_t*, int64_t, int64_t, int64_t, int64_t);
template void embedding_backward<double>(double*, const double*, const int64_t*, int64_t, int64_t, int64_t,
                                         int64_t);

}  // namespace fastnn::cpu
