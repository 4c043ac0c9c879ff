// Gather / scatter-add along a dim (formulas, layouts and the determinism argument: gather.h).
#include "cpu/gather.h"

#include <algorithm>

#include "core/parallel.h"

namespace fastnn::cpu {

namespace {

constexpr int64_t kBlock = 64;        // elements of I per task: one task's columns
constexpr int64_t kMinWork = 16384;   // elements per thread below which one thread does it all

// Runs body(o, i0, i1) for every (o, block of I) task, split over the threads.
template <class Body>
void for_each_block(int64_t o, int64_t k, int64_t i, Body&& body) {
  const int64_t blocks = (i + kBlock - 1) / kBlock;
  const int64_t per_task = std::max<int64_t>(1, k * std::min(i, kBlock));
  parallel_for(o * blocks, std::max<int64_t>(1, kMinWork / per_task), [&](int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; ++t) {
      const int64_t oo = t / blocks, i0 = (t % blocks) * kBlock;
      body(oo, i0, std::min(i, i0 + kBlock));
    }
  });
}

}  // namespace

template <class T>
void gather_forward(T* out, const T* x, const int64_t* index, int64_t o, int64_t n, int64_t k, int64_t i) {
  for_each_block(o, k, i, [&](int64_t oo, int64_t i0, int64_t i1) {
    for (int64_t kk = 0; kk < k; ++kk) {
      const int64_t row = (oo * k + kk) * i;
      for (int64_t ii = i0; ii < i1; ++ii) out[row + ii] = x[(oo * n + index[row + ii]) * i + ii];
    }
  });
}

template <class T>
void scatter_add_forward(T* out, const T* src, const int64_t* index, int64_t o, int64_t n, int64_t k, int64_t i) {
  for_each_block(o, k, i, [&](int64_t oo, int64_t i0, int64_t i1) {
    for (int64_t kk = 0; kk < k; ++kk) {
      const int64_t row = (oo * k + kk) * i;
      for (int64_t ii = i0; ii < i1; ++ii) out[(oo * n + index[row + ii]) * i + ii] += src[row + ii];
    }
  });
}

template void gather_forward<float>(float*, const float*, const int64_t*, int64_t, int64_t, int64_t, int64_t);
template void gather_forward<double>(double*, const double*, const int64_t*, int64_t, int64_t, int64_t, int64_t);
template void scatter_add_forward<float>(float*, const float*, const int64_t*, int64_t, int64_t, int64_t, int64_t);
template void scatter_add_forward<double>(double*, const double*, const int64_t*, int64_t, int64_t, int64_t,
                                          int64_t);

}  // namespace fastnn::cpu
