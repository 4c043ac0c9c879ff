// Batch and layer normalisation (formulas and layouts: norm.h). Statistics are two-pass (mean,
// then squared deviations) in double, summed in kLanes interleaved partial sums that are combined
// in a fixed order: the loops vectorise and the result depends only on the data. A batch-norm
// channel (N rows of S values, 200 KB for 64 x 28 x 28 floats) stays in L2 between its passes,
// which run on the SIMD level's table (simd/batch_norm_kernels.h: the same lanes, AVX2/AVX-512
// where the CPU has them); layer norm's loops here are compiled for the baseline.
#include "cpu/norm.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "core/parallel.h"
#include "cpu/simd/batch_norm_kernels.h"

namespace fastnn::cpu {

namespace {

// Below this many elements per thread, waking another thread costs more than it saves.
constexpr int64_t kMinChunkElements = 16384;
constexpr int kLanes = BatchNormKernels<float>::lanes;
// Columns per layer-norm parameter-gradient block: a fixed split of the reduction's outputs.
constexpr int64_t kColumnBlock = 256;

int64_t items_per_chunk(int64_t item_size) { return std::max<int64_t>(1, kMinChunkElements / std::max<int64_t>(1, item_size)); }

// Partial sums: element i of a run goes to lane i % kLanes.
struct Lanes {
  double v[kLanes] = {};
  double total() const { return ((v[0] + v[4]) + (v[2] + v[6])) + ((v[1] + v[5]) + (v[3] + v[7])); }
};

// acc.v[i % kLanes] += f(i) for i < count.
template <class F>
inline void accumulate(Lanes& acc, int64_t count, F f) {
  int64_t i = 0;
  for (; i + kLanes <= count; i += kLanes)
    for (int l = 0; l < kLanes; ++l) acc.v[l] += f(i + l);
  for (int l = 0; i < count; ++i, ++l) acc.v[l] += f(i);
}

}  // namespace

template <class T>
void batch_norm_forward(T* y, T* mean, T* invstd, T* running_mean, T* running_var, const T* x, const T* weight,
                        const T* bias, int64_t n, int64_t c, int64_t s, bool training, double momentum, double eps) {
  const int64_t row = c * s, count = n * s;
  if (training && count == 1)  // PyTorch's rule: the unbiased variance of one value is undefined
    throw std::invalid_argument("batch_norm: expected more than 1 value per channel when training, got N * H * W = 1");
  const BatchNormKernels<T>& kernels = batch_norm_kernels(simd_level(), static_cast<T*>(nullptr));
  parallel_for(c, items_per_chunk(count), [&](int64_t begin, int64_t end) {
    for (int64_t ch = begin; ch < end; ++ch) {
      const T* xc = x + ch * s;
      double m, inv;
      if (training && count == 0) {
        // An empty batch has no statistics: nothing to normalise, the running statistics stay
        // as they are (PyTorch's behaviour), and mean = invstd = 0 make backward's sums zero.
        m = inv = 0.0;
      } else if (training) {
        Lanes sum;
        kernels.sum(sum.v, xc, n, s, row);
        m = sum.total() / double(count);
        Lanes squares;
        kernels.squared_deviations(squares.v, xc, n, s, row, m);
        const double var_sum = squares.total();
        inv = 1.0 / std::sqrt(var_sum / double(count) + eps);
        if (running_mean) running_mean[ch] = T(momentum * m + (1.0 - momentum) * double(running_mean[ch]));
        if (running_var)
          running_var[ch] = T(momentum * (var_sum / double(count - 1)) + (1.0 - momentum) * double(running_var[ch]));
      } else {
        m = double(running_mean[ch]);
        inv = 1.0 / std::sqrt(double(running_var[ch]) + eps);
      }
      mean[ch] = T(m);
      invstd[ch] = T(inv);
      const double scale = inv * (weight ? double(weight[ch]) : 1.0);
      kernels.affine(y + ch * s, xc, n, s, row, T(scale), T((bias ? double(bias[ch]) : 0.0) - m * scale));
    }
  });
}

template <class T>
void batch_norm_backward(T* dx, T* dweight, T* dbias, const T* dy, const T* x, const T* mean, const T* invstd,
                         const T* weight, int64_t n, int64_t c, int64_t s, bool training) {
  const int64_t row = c * s, count = n * s;
  const bool need_sums = dweight || dbias || (dx && training);
  const BatchNormKernels<T>& kernels = batch_norm_kernels(simd_level(), static_cast<T*>(nullptr));
  parallel_for(c, items_per_chunk(count), [&](int64_t begin, int64_t end) {
    for (int64_t ch = begin; ch < end; ++ch) {
      const T* xc = x + ch * s;
      const T* dyc = dy + ch * s;
      const double m = double(mean[ch]), inv = double(invstd[ch]), w = weight ? double(weight[ch]) : 1.0;
      double sum_dy = 0, dot = 0;
      if (need_sums) {
        Lanes sdy, sdot;
        kernels.sum_and_dot(sdy.v, sdot.v, dyc, xc, n, s, row, m);
        sum_dy = sdy.total();
        dot = sdot.total();
      }
      if (dbias) dbias[ch] = T(sum_dy);
      if (dweight) dweight[ch] = T(dot * inv);
      if (!dx) continue;
      // dx = dy a + x b + d: training a = invstd w, b = -dot invstd^3 w / M,
      // d = -(sum_dy / M) invstd w - mean b; evaluation a = invstd w, b = d = 0.
      const double a = inv * w;
      const double b = training ? -dot * inv * inv * a / double(count) : 0.0;
      const double d = training ? -(sum_dy / double(count)) * a - m * b : 0.0;
      kernels.affine_backward(dx + ch * s, dyc, xc, n, s, row, T(a), T(b), T(d));
    }
  });
}

template <class T>
void layer_norm_forward(T* y, T* mean, T* rstd, const T* x, const T* weight, const T* bias, int64_t rows,
                        int64_t cols, double eps) {
  parallel_for(rows, items_per_chunk(cols), [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const T* xr = x + r * cols;
      T* yr = y + r * cols;
      Lanes sum;
      accumulate(sum, cols, [&](int64_t j) { return double(xr[j]); });
      const double m = sum.total() / double(cols);
      Lanes squares;
      accumulate(squares, cols, [&](int64_t j) {
        const double d = double(xr[j]) - m;
        return d * d;
      });
      const double inv = 1.0 / std::sqrt(squares.total() / double(cols) + eps);
      mean[r] = T(m);
      rstd[r] = T(inv);
      const T tinv = T(inv), shift = T(-m * inv);
      for (int64_t j = 0; j < cols; ++j) {
        T v = xr[j] * tinv + shift;
        if (weight) v *= weight[j];
        if (bias) v += bias[j];
        yr[j] = v;
      }
    }
  });
}

template <class T>
void layer_norm_backward(T* dx, T* dweight, T* dbias, const T* dy, const T* x, const T* mean, const T* rstd,
                         const T* weight, int64_t rows, int64_t cols) {
  if (dx) {
    parallel_for(rows, items_per_chunk(cols), [&](int64_t begin, int64_t end) {
      for (int64_t r = begin; r < end; ++r) {
        const T* xr = x + r * cols;
        const T* dyr = dy + r * cols;
        T* dxr = dx + r * cols;
        Lanes sg, sgx;
        accumulate(sg, cols, [&](int64_t j) { return double(dyr[j]) * (weight ? double(weight[j]) : 1.0); });
        accumulate(sgx, cols, [&](int64_t j) {
          return double(dyr[j]) * (weight ? double(weight[j]) : 1.0) * double(xr[j]);
        });
        const double m = double(mean[r]), inv = double(rstd[r]), sum_g = sg.total();
        const double b = (sum_g * m - sgx.total()) * inv * inv * inv / double(cols);
        const double c = -b * m - inv * sum_g / double(cols);
        const T ta = T(inv), tb = T(b), tc = T(c);
        for (int64_t j = 0; j < cols; ++j) dxr[j] = ta * (weight ? dyr[j] * weight[j] : dyr[j]) + tb * xr[j] + tc;
      }
    });
  }
  if (!dweight && !dbias) return;
  const int64_t blocks = (cols + kColumnBlock - 1) / kColumnBlock;
  parallel_for(blocks, items_per_chunk(rows * kColumnBlock), [&](int64_t begin, int64_t end) {
    for (int64_t block = begin; block < end; ++block) {
      const int64_t j0 = block * kColumnBlock, width = std::min(kColumnBlock, cols - j0);
      double sw[kColumnBlock] = {}, sb[kColumnBlock] = {};
      for (int64_t r = 0; r < rows; ++r) {
        const T* xr = x + r * cols + j0;
        const T* dyr = dy + r * cols + j0;
        const double m = double(mean[r]), inv = double(rstd[r]);
        for (int64_t j = 0; j < width; ++j) {
          sw[j] += double(dyr[j]) * (double(xr[j]) - m) * inv;
          sb[j] += double(dyr[j]);
        }
      }
      for (int64_t j = 0; j < width; ++j) {
        if (dweight) dweight[j0 + j] = T(sw[j]);
        if (dbias) dbias[j0 + j] = T(sb[j]);
      }
    }
  });
}

#define FASTNN_NORM_INSTANTIATE(T)                                                                                   \
  template void batch_norm_forward<T>(T*, T*, T*, T*, T*, const T*, const T*, const T*, int64_t, int64_t, int64_t,  \
                                      bool, double, double);                                                         \
  template void batch_norm_backward<T>(T*, T*, T*, const T*, const T*, const T*, const T*, const T*, int64_t,        \
                                       int64_t, int64_t, bool);                                                      \
  template void layer_norm_forward<T>(T*, T*, T*, const T*, const T*, const T*, int64_t, int64_t, double);           \
  template void layer_norm_backward<T>(T*, T*, T*, const T*, const T*, const T*, const T*, const T*, int64_t, int64_t);
FASTNN_NORM_INSTANTIATE(float)
FASTNN_NORM_INSTANTIATE(double)
#undef FASTNN_NORM_INSTANTIATE

}  // namespace fastnn::cpu
