// Group normalisation forward and backward (formulas, layout and algorithm: group_norm.h).
#include "cpu/group_norm.h"

#include <algorithm>

#include "core/parallel.h"
#include "cpu/norm.h"

namespace fastnn::cpu {

namespace {

constexpr int64_t kMinChunkElements = 16384;

int64_t rows_per_chunk(int64_t row_size) { return std::max<int64_t>(1, kMinChunkElements / std::max<int64_t>(1, row_size)); }

}  // namespace

template <class T>
void group_norm_forward(T* y, T* mean, T* rstd, const T* x, const T* weight, const T* bias,
                        const GroupNormGeometry& g, double eps) {
  const int64_t rows = g.n * g.groups, cols = (g.c / g.groups) * g.s;
  if (rows * cols == 0) return;
  layer_norm_forward<T>(y, mean, rstd, x, nullptr, nullptr, rows, cols, eps);
  if (!weight && !bias) return;
  // y = xhat w[c] + b[c], one (n, c) plane of S values at a time.
  parallel_for(g.n * g.c, rows_per_chunk(g.s), [&](int64_t begin, int64_t end) {
    for (int64_t plane = begin; plane < end; ++plane) {
      const int64_t c = plane % g.c;
      const T w = weight ? weight[c] : T(1), b = bias ? bias[c] : T(0);
      T* yp = y + plane * g.s;
      for (int64_t i = 0; i < g.s; ++i) yp[i] = yp[i] * w + b;
    }
  });
}

template <class T>
void group_norm_backward(T* dx, T* dweight, T* dbias, const T* dy, const T* x, const T* mean, const T* rstd,
                         const T* weight, const GroupNormGeometry& g) {
  const int64_t per_group = g.c / g.groups, rows = g.n * g.groups, cols = per_group * g.s;
  if (dweight || dbias) {
    parallel_for(g.c, rows_per_chunk(g.n * g.s), [&](int64_t begin, int64_t end) {
      for (int64_t c = begin; c < end; ++c) {
        const int64_t group = c / per_group;
        double sw = 0, sb = 0;
        for (int64_t n = 0; n < g.n; ++n) {
          const T* xp = x + (n * g.c + c) * g.s;
          const T* dyp = dy + (n * g.c + c) * g.s;
          const double m = double(mean[n * g.groups + group]), inv = double(rstd[n * g.groups + group]);
          double dot = 0, sum = 0;
          for (int64_t i = 0; i < g.s; ++i) {
            dot += double(dyp[i]) * (double(xp[i]) - m);
            sum += double(dyp[i]);
          }
          sw += dot * inv;
          sb += sum;
        }
        if (dweight) dweight[c] = T(sw);
        if (dbias) dbias[c] = T(sb);
      }
    });
  }
  if (!dx || rows * cols == 0) return;
  const T* upstream = dy;
  if (weight) {
    // dx = dy w[c] first; the layer-norm backward then reads it as its upstream gradient (it reads
    // each row fully before writing that row, so dx may serve as both).
    parallel_for(g.n * g.c, rows_per_chunk(g.s), [&](int64_t begin, int64_t end) {
      for (int64_t plane = begin; plane < end; ++plane) {
        const T w = weight[plane % g.c];
        const T* dyp = dy + plane * g.s;
        T* dxp = dx + plane * g.s;
        for (int64_t i = 0; i < g.s; ++i) dxp[i] = dyp[i] * w;
      }
    });
    upstream = dx;
  }
  layer_norm_backward<T>(dx, nullptr, nullptr, upstream, x, mean, rstd, nullptr, rows, cols);
}

template void group_norm_forward<float>(float*, float*, float*, const float*, const float*, const float*,
                                        const GroupNormGeometry&, double);
template void group_norm_forward<double>(double*, double*, double*, const double*, const double*, const double*,
                                         const GroupNormGeometry&, double);
template void group_norm_backward<float>(float*, float*, float*, const float*, const float*, const float*,
                                         const float*, const float*, const GroupNormGeometry&);
template void group_norm_backward<double>(double*, double*, double*, const double*, const double*, const double*,
                                          const double*, const double*, const GroupNormGeometry&);

}  // namespace fastnn::cpu
