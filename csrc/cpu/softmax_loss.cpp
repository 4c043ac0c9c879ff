// Softmax / log-softmax and fused cross-entropy drivers (formulas and layouts: softmax_loss.h).
//
// Softmax: when the axis is the last one (inner == 1) each row is contiguous and the SIMD row
// loop vectorises along it; otherwise the loop vectorises across the `inner` independent
// softmaxes that sit side by side in memory. Threads take contiguous chunks of rows (or of
// lanes); each row or lane is reduced by one thread in a fixed order.
// Cross-entropy: forward = the log-softmax rows, then per-row loss terms in double; the terms
// are combined on the calling thread in row order. Backward = p = exp(lp) scaled per row, then
// the target and smoothing corrections.
#include "cpu/softmax_loss.h"

#include <algorithm>

#include "core/parallel.h"
#include "core/workspace.h"
#include "cpu/simd/pointwise_kernels.h"

namespace fastnn::cpu {

namespace {

constexpr int64_t kMinChunk = 16384;  // elements per thread below which one thread does it all

template <class T>
const PointwiseKernels<T>& kernels() {
  return pointwise_kernels(simd_level(), static_cast<T*>(nullptr));
}

int64_t rows_per_chunk(int64_t row_length) { return std::max<int64_t>(1, kMinChunk / std::max<int64_t>(1, row_length)); }

// Runs lanes(o, l, count) over the [outer, inner] lanes in [begin, end), one call per outer slice.
template <class Body>
void for_lane_segments(int64_t begin, int64_t end, int64_t inner, Body&& lanes) {
  for (int64_t j = begin; j < end;) {
    const int64_t o = j / inner, l = j % inner, count = std::min(end - j, inner - l);
    lanes(o, l, count);
    j += count;
  }
}

template <class T>
T class_weight(const CrossEntropyOptions<T>& opt, int64_t cls) {
  return opt.weight ? opt.weight[cls] : T(1);
}

}  // namespace

template <class T>
void softmax_forward(T* y, const T* x, int64_t outer, int64_t dim, int64_t inner, bool log) {
  if (dim == 0) return;
  const PointwiseKernels<T>& k = kernels<T>();
  if (inner == 1) {
    parallel_for(outer, rows_per_chunk(dim), [&](int64_t b, int64_t e) { k.softmax_rows(y + b * dim, x + b * dim, e - b, dim, log); });
    return;
  }
  parallel_for(outer * inner, rows_per_chunk(dim), [&](int64_t b, int64_t e) {
    for_lane_segments(b, e, inner, [&](int64_t o, int64_t l, int64_t count) {
      const int64_t at = o * dim * inner + l;
      k.softmax_lanes(y + at, x + at, dim, inner, count, log);
    });
  });
}

template <class T>
void softmax_backward(T* dx, const T* dy, const T* y, int64_t outer, int64_t dim, int64_t inner, bool log) {
  if (dim == 0) return;
  const PointwiseKernels<T>& k = kernels<T>();
  if (inner == 1) {
    parallel_for(outer, rows_per_chunk(dim), [&](int64_t b, int64_t e) {
      k.softmax_backward_rows(dx + b * dim, dy + b * dim, y + b * dim, e - b, dim, log);
    });
    return;
  }
  parallel_for(outer * inner, rows_per_chunk(dim), [&](int64_t b, int64_t e) {
    for_lane_segments(b, e, inner, [&](int64_t o, int64_t l, int64_t count) {
      const int64_t at = o * dim * inner + l;
      k.softmax_backward_lanes(dx + at, dy + at, y + at, dim, inner, count, log);
    });
  });
}

// ------------------------------------------------------------------------ cross-entropy, classes
template <class T>
void cross_entropy_forward(T* loss, T* log_probs, const T* logits, const int64_t* target, int64_t n, int64_t c,
                           const CrossEntropyOptions<T>& opt) {
  const PointwiseKernels<T>& k = kernels<T>();
  const double eps = opt.label_smoothing;
  // Per row: w_t * (-lp_t), sum_c w_c * (-lp_c), w_t (all 0 for an ignored row).
  double* terms = workspace_array<double>(WorkspaceSlot::scratch0, 3 * static_cast<size_t>(n));
  parallel_for(n, rows_per_chunk(c), [&](int64_t b, int64_t e) {
    k.softmax_rows(log_probs + b * c, logits + b * c, e - b, c, true);
    for (int64_t i = b; i < e; ++i) {
      double* t = terms + 3 * i;
      const int64_t cls = target[i];
      if (cls == opt.ignore_index) {
        t[0] = t[1] = t[2] = 0.0;
      } else {
        const T* lp = log_probs + i * c;
        const double w = class_weight(opt, cls);
        double smooth = 0.0;
        if (eps > 0.0)
          for (int64_t j = 0; j < c; ++j) smooth -= double(class_weight(opt, j)) * lp[j];
        t[0] = -w * lp[cls];
        t[1] = smooth;
        t[2] = w;
      }
      if (opt.reduction == Reduction::none) loss[i] = T((1.0 - eps) * t[0] + eps / c * t[1]);
    }
  });
  if (opt.reduction == Reduction::none) return;
  double nll = 0.0, smooth = 0.0, weight_sum = 0.0;
  int64_t counted = 0;
  for (int64_t i = 0; i < n; ++i) {
    nll += terms[3 * i];
    smooth += terms[3 * i + 1];
    weight_sum += terms[3 * i + 2];
    counted += target[i] != opt.ignore_index;
  }
  double total;
  if (opt.reduction == Reduction::sum) {
    total = (1.0 - eps) * nll + eps / c * smooth;
  } else {
    total = (1.0 - eps) * nll / weight_sum;
    if (eps > 0.0) total += eps / c * smooth / (opt.weight ? weight_sum : double(counted));
  }
  loss[0] = T(total);
}

template <class T>
void cross_entropy_backward(T* grad_logits, const T* grad_loss, const T* log_probs, const int64_t* target, int64_t n,
                            int64_t c, const CrossEntropyOptions<T>& opt) {
  const PointwiseKernels<T>& k = kernels<T>();
  const double eps = opt.label_smoothing;
  const bool mean = opt.reduction == Reduction::mean, none = opt.reduction == Reduction::none;
  double nll_denominator = 1.0, smooth_denominator = 1.0, class_weight_sum = double(c);
  if (mean) {
    nll_denominator = smooth_denominator = 0.0;
    for (int64_t i = 0; i < n; ++i)
      if (target[i] != opt.ignore_index) {
        nll_denominator += class_weight(opt, target[i]);
        smooth_denominator += 1.0;
      }
    if (opt.weight) smooth_denominator = nll_denominator;
  }
  if (opt.weight) {
    class_weight_sum = 0.0;
    for (int64_t j = 0; j < c; ++j) class_weight_sum += opt.weight[j];
  }
  parallel_for(n, rows_per_chunk(c), [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      T* dx = grad_logits + i * c;
      const int64_t cls = target[i];
      if (cls == opt.ignore_index) {
        std::fill(dx, dx + c, T(0));
        continue;
      }
      const double g = none ? grad_loss[i] : grad_loss[0];
      const double a = g * (1.0 - eps) * class_weight(opt, cls) / nll_denominator;
      const double s = eps > 0.0 ? g * eps / c / smooth_denominator : 0.0;
      k.scaled_exp(dx, log_probs + i * c, c, T(a + s * class_weight_sum));
      if (s != 0.0)
        for (int64_t j = 0; j < c; ++j) dx[j] -= T(s * class_weight(opt, j));
      dx[cls] -= T(a);
    }
  });
}

// ------------------------------------------------------------------ cross-entropy, probabilities
template <class T>
void cross_entropy_prob_forward(T* loss, T* log_probs, const T* logits, const T* target, int64_t n, int64_t c,
                                const CrossEntropyOptions<T>& opt) {
  const PointwiseKernels<T>& k = kernels<T>();
  const double keep = 1.0 - opt.label_smoothing, uniform = opt.label_smoothing / c;
  double* row_loss = workspace_array<double>(WorkspaceSlot::scratch0, static_cast<size_t>(n));
  parallel_for(n, rows_per_chunk(c), [&](int64_t b, int64_t e) {
    k.softmax_rows(log_probs + b * c, logits + b * c, e - b, c, true);
    for (int64_t i = b; i < e; ++i) {
      const T* lp = log_probs + i * c;
      const T* q = target + i * c;
      double l = 0.0;
      for (int64_t j = 0; j < c; ++j) l -= class_weight(opt, j) * (keep * q[j] + uniform) * lp[j];
      row_loss[i] = l;
      if (opt.reduction == Reduction::none) loss[i] = T(l);
    }
  });
  if (opt.reduction == Reduction::none) return;
  double total = 0.0;
  for (int64_t i = 0; i < n; ++i) total += row_loss[i];
  loss[0] = T(opt.reduction == Reduction::mean ? total / double(n) : total);
}

template <class T>
void cross_entropy_prob_backward(T* grad_logits, const T* grad_loss, const T* log_probs, const T* target, int64_t n,
                                 int64_t c, const CrossEntropyOptions<T>& opt) {
  const PointwiseKernels<T>& k = kernels<T>();
  const double keep = 1.0 - opt.label_smoothing, uniform = opt.label_smoothing / c;
  const Reduction red = opt.reduction;
  parallel_for(n, rows_per_chunk(c), [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      T* dx = grad_logits + i * c;
      const T* q = target + i * c;
      const double s = red == Reduction::none ? double(grad_loss[i])
                       : red == Reduction::mean ? grad_loss[0] / double(n) : double(grad_loss[0]);
      double weighted_target_sum = 0.0;
      for (int64_t j = 0; j < c; ++j) weighted_target_sum += class_weight(opt, j) * (keep * q[j] + uniform);
      k.scaled_exp(dx, log_probs + i * c, c, T(s * weighted_target_sum));
      for (int64_t j = 0; j < c; ++j) dx[j] -= T(s * class_weight(opt, j) * (keep * q[j] + uniform));
    }
  });
}

#define FASTNN_INSTANTIATE(T)                                                                                       \
  template void softmax_forward<T>(T*, const T*, int64_t, int64_t, int64_t, bool);                                \
  template void softmax_backward<T>(T*, const T*, const T*, int64_t, int64_t, int64_t, bool);                     \
  template void cross_entropy_forward<T>(T*, T*, const T*, const int64_t*, int64_t, int64_t,                      \
                                         const CrossEntropyOptions<T>&);                                           \
  template void cross_entropy_backward<T>(T*, const T*, const T*, const int64_t*, int64_t, int64_t,               \
                                          const CrossEntropyOptions<T>&);                                          \
  template void cross_entropy_prob_forward<T>(T*, T*, const T*, const T*, int64_t, int64_t,                       \
                                              const CrossEntropyOptions<T>&);                                      \
  template void cross_entropy_prob_backward<T>(T*, const T*, const T*, const T*, int64_t, int64_t,                \
                                               const CrossEntropyOptions<T>&);
FASTNN_INSTANTIATE(float)
FASTNN_INSTANTIATE(double)
#undef FASTNN_INSTANTIATE

}  // namespace fastnn::cpu
