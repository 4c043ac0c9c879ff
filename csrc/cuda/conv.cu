// Convolution on CUDA                                               (contract: conv.h, cpu/conv.h)
//
// Formulas (cpu/conv.h), with Og = O / groups, Cg = C / groups, taps = kH kW, P = OH OW:
//   y[n, g Og + o, oh, ow]  = b[o] + sum_{c < Cg, kh, kw} w[g Og + o, c, kh, kw] x[n, g Cg + c, ih, iw]
//   dx[n, g Cg + c, ih, iw] = sum_{o < Og, kh, kw} w[g Og + o, c, kh, kw] dy[n, g Og + o, oh, ow]
//   dw[g Og + o, c, kh, kw] = sum_{n, oh, ow} dy[n, g Og + o, oh, ow] x[n, g Cg + c, ih, iw]
//   with ih = oh sh - pt + kh dh, iw = ow sw - pl + kw dw (x = 0 outside the image);
//   db[o] = sum_{n, p} dy[n, o, p].
// Layouts: x, dx [N, C, H, W]; w, dw [O, Cg, kH, kW]; y, dy [N, O, OH, OW]; contiguous.
//
// Algorithms (one per shape; the `algorithm` argument is the CPU's and is not used here):
//   implicit GEMM (Cg > 1): each op is, per group g, a GEMM C[m, j] = sum_k A[m, k] B[k, j] whose
//     operands are never formed in global memory: a block stages a 64 x 8 tile of A and an
//     8 x 64 tile of B in shared memory, gathering the B tile from the image on the fly (the
//     convolution matrix, with zeros for padding and, for dx, for the taps that a stride skips),
//     as CUTLASS's implicit GEMM does; 256 threads each own a 4 x 4 register tile of C.
//       forward   m = o,  k = (c, kh, kw),  j = (n, oh, ow)   A = w,  B = x gathered
//       dx        m = c,  k = (o, kh, kw),  j = (n, ih, iw)   A = w,  B = dy gathered
//       dw        m = o,  k = (n, oh, ow),  j = (c, kh, kw)   A = dy, B = x gathered
//     Each thread's B column and its decomposition are fixed for a tile, so the gather
//     decomposes only k per element. When the C tiles are too few to fill the device (dw's C is
//     the small weight, its k the whole batch), k is split into `splits` chunks (a function of
//     the shape only): each chunk's sums go to a workspace and one thread per element of C adds
//     them in chunk order. Every element is summed in a fixed order: bitwise repeatable.
//   direct depthwise (Cg = 1: depthwise convs and any conv of one input channel per group):
//     forward one thread per output, its kH x kW taps in order; dx one thread per input element,
//     its (o, kh, kw) in order; dw one segment of segment_sums.cuh per weight element (its
//     N OH OW products in chunks of a fixed split, in double).
//   bias gradient: one segment per channel of segment_sums.cuh; conv_add_bias elementwise.
#include "cuda/conv.h"
#include "cuda/launch.cuh"
#include "cuda/segment_sums.cuh"
#include "cuda/workspace.cuh"

namespace fastnn::cuda {

namespace {

constexpr int kThreads = 256;
constexpr int kTileM = 64, kTileN = 64, kTileK = 8, kSide = 16, kReg = 4;  // 16 x 16 threads of 4 x 4
constexpr int64_t kTargetBlocks = 256;                                     // fewer C tiles than this split k
constexpr int64_t kMinSplitDepth = 8 * kTileK;

static_assert(kSide * kSide == kThreads && kSide * kReg == kTileM && kSide * kReg == kTileN, "tile shape");
static_assert(kTileM * kTileK % kThreads == 0 && kTileN * kTileK % kThreads == 0, "tile loads");

// The sizes every kernel derives from the shape.
struct Geometry {
  Conv2dShape s;
  int64_t og, cg, taps, in_plane, out_plane;
};

Geometry geometry(const Conv2dShape& s) {
  return {s,
          s.out_channels / s.groups,
          s.in_channels / s.groups,
          s.kernel_h * s.kernel_w,
          s.in_h * s.in_w,
          s.out_h * s.out_w};
}

// k = (channel, kh, kw) of a k x taps index.
struct Tap {
  int64_t channel, kh, kw;
};
__device__ __forceinline__ Tap tap_of(int64_t k, const Geometry& q) {
  const int64_t r = k % q.taps;
  return {k / q.taps, r / q.s.kernel_w, r % q.s.kernel_w};
}

// x[n, channel, ih, iw], 0 outside the image.
template <class T>
__device__ __forceinline__ T pixel(const T* x, const Geometry& q, int64_t n, int64_t channel, int64_t ih, int64_t iw) {
  if (ih < 0 || ih >= q.s.in_h || iw < 0 || iw >= q.s.in_w) return T(0);
  return x[(n * q.s.in_channels + channel) * q.in_plane + ih * q.s.in_w + iw];
}

// The output position (oh, ow) whose tap lands on an input point: th = ih + pt - kh dh and
// tw = iw + pl - kw dw must be whole strides inside the output; false when the stride skips it
// or it falls outside.
__device__ __forceinline__ bool output_of(const Geometry& q, int64_t th, int64_t tw, int64_t* oh, int64_t* ow) {
  if (th < 0 || tw < 0 || th % q.s.stride_h != 0 || tw % q.s.stride_w != 0) return false;
  *oh = th / q.s.stride_h, *ow = tw / q.s.stride_w;
  return *oh < q.s.out_h && *ow < q.s.out_w;
}

// ------------------------------------------------------------------------- the three GEMM views
// Each view: rows() x cols() x depth() per group; column(j) the per-thread part of B's
// addressing of column j; a(g, m, k), b(g, k, column) the operands (0 outside); store(g, m, j, v).

// A point of an image with its window's top-left corner: (n, oh sh - pt, ow sw - pl).
struct Corner {
  int64_t n, h, w;
};

template <class T>
struct ForwardView {
  T* y;
  const T* x;
  const T* w;
  const T* bias;
  Geometry q;

  __host__ __device__ int64_t rows() const { return q.og; }
  __host__ __device__ int64_t cols() const { return q.s.batch * q.out_plane; }
  __host__ __device__ int64_t depth() const { return q.cg * q.taps; }
  __device__ Corner column(int64_t j) const {
    const int64_t p = j % q.out_plane;
    return {j / q.out_plane, (p / q.s.out_w) * q.s.stride_h - q.s.pad_top,
            (p % q.s.out_w) * q.s.stride_w - q.s.pad_left};
  }
  __device__ T a(int64_t g, int64_t m, int64_t k) const { return w[(g * q.og + m) * depth() + k]; }
  __device__ T b(int64_t g, int64_t k, const Corner& c) const {
    const Tap t = tap_of(k, q);
    return pixel(x, q, c.n, g * q.cg + t.channel, c.h + t.kh * q.s.dilation_h, c.w + t.kw * q.s.dilation_w);
  }
  __device__ void store(int64_t g, int64_t m, int64_t j, T v) const {
    const int64_t o = g * q.og + m;
    y[((j / q.out_plane) * q.s.out_channels + o) * q.out_plane + j % q.out_plane] = bias ? v + bias[o] : v;
  }
};

// An input point shifted by the padding: (n, ih + pt, iw + pl).
template <class T>
struct BackwardInputView {
  T* dx;
  const T* dy;
  const T* w;
  Geometry q;

  __host__ __device__ int64_t rows() const { return q.cg; }
  __host__ __device__ int64_t cols() const { return q.s.batch * q.in_plane; }
  __host__ __device__ int64_t depth() const { return q.og * q.taps; }
  __device__ Corner column(int64_t j) const {
    const int64_t p = j % q.in_plane;
    return {j / q.in_plane, p / q.s.in_w + q.s.pad_top, p % q.s.in_w + q.s.pad_left};
  }
  __device__ T a(int64_t g, int64_t m, int64_t k) const {
    const int64_t o = k / q.taps;
    return w[((g * q.og + o) * q.cg + m) * q.taps + k % q.taps];
  }
  // dy[n, o, oh, ow] with oh sh = ih + pt - kh dh (0 when the stride skips the tap or it is outside).
  __device__ T b(int64_t g, int64_t k, const Corner& c) const {
    const Tap t = tap_of(k, q);
    int64_t oh, ow;
    if (!output_of(q, c.h - t.kh * q.s.dilation_h, c.w - t.kw * q.s.dilation_w, &oh, &ow)) return T(0);
    return dy[((c.n * q.s.out_channels + g * q.og + t.channel) * q.s.out_h + oh) * q.s.out_w + ow];
  }
  __device__ void store(int64_t g, int64_t m, int64_t j, T v) const {
    dx[((j / q.in_plane) * q.s.in_channels + g * q.cg + m) * q.in_plane + j % q.in_plane] = v;
  }
};

// A weight column: (channel, kh dh - pt, kw dw - pl).
template <class T>
struct BackwardWeightView {
  T* dw;
  const T* dy;
  const T* x;
  Geometry q;

  __host__ __device__ int64_t rows() const { return q.og; }
  __host__ __device__ int64_t cols() const { return q.cg * q.taps; }
  __host__ __device__ int64_t depth() const { return q.s.batch * q.out_plane; }
  __device__ Corner column(int64_t j) const {
    const Tap t = tap_of(j, q);
    return {t.channel, t.kh * q.s.dilation_h - q.s.pad_top, t.kw * q.s.dilation_w - q.s.pad_left};
  }
  __device__ T a(int64_t g, int64_t m, int64_t k) const {
    return dy[((k / q.out_plane) * q.s.out_channels + g * q.og + m) * q.out_plane + k % q.out_plane];
  }
  __device__ T b(int64_t g, int64_t k, const Corner& c) const {
    const int64_t n = k / q.out_plane, p = k % q.out_plane;
    return pixel(x, q, n, g * q.cg + c.n, (p / q.s.out_w) * q.s.stride_h + c.h, (p % q.s.out_w) * q.s.stride_w + c.w);
  }
  __device__ void store(int64_t g, int64_t m, int64_t j, T v) const { dw[(g * q.og + m) * cols() + j] = v; }
};

// ---------------------------------------------------------------------------- implicit GEMM
// Grid: x over column tiles, y over row tiles, z over (group, split), each a grid-stride loop.
// With splits > 1, chunk `split` of k [split chunk, (split + 1) chunk) goes to
// partial[split][g][m][j]; otherwise the view stores C.
template <class T, class View>
__global__ void __launch_bounds__(kThreads)
    implicit_gemm_kernel(View view, T* partial, int64_t groups, int64_t splits, int64_t chunk) {
  FASTNN_SHARED(T, As, [kTileK][kTileM]);
  FASTNN_SHARED(T, Bs, [kTileK][kTileN]);
  const int tid = threadIdx.x, tx = tid % kSide, ty = tid / kSide;
  const int a_q = tid % kTileK, a_row = tid / kTileK;  // A loads: rows a_row + (kThreads / kTileK) i
  const int b_col = tid % kTileN, b_q = tid / kTileN;  // B loads: depths b_q + (kThreads / kTileN) i
  const int64_t m_size = view.rows(), n_size = view.cols(), k_size = view.depth();
  for (int64_t z = blockIdx.z; z < groups * splits; z += gridDim.z) {
    const int64_t g = z / splits, split = z % splits;
    const int64_t k_begin = split * chunk, k_end = k_begin + chunk < k_size ? k_begin + chunk : k_size;
    for (int64_t m0 = int64_t(blockIdx.y) * kTileM; m0 < m_size; m0 += int64_t(gridDim.y) * kTileM)
      for (int64_t n0 = int64_t(blockIdx.x) * kTileN; n0 < n_size; n0 += int64_t(gridDim.x) * kTileN) {
        const bool column_inside = n0 + b_col < n_size;
        const auto column = view.column(column_inside ? n0 + b_col : 0);
        T acc[kReg][kReg] = {};
        for (int64_t k0 = k_begin; k0 < k_end; k0 += kTileK) {
          FASTNN_UNROLL
          for (int i = 0; i < kTileM * kTileK / kThreads; ++i) {
            const int row = a_row + (kThreads / kTileK) * i;
            const int64_t k = k0 + a_q;
            As[a_q][row] = m0 + row < m_size && k < k_end ? view.a(g, m0 + row, k) : T(0);
          }
          FASTNN_UNROLL
          for (int i = 0; i < kTileN * kTileK / kThreads; ++i) {
            const int qk = b_q + (kThreads / kTileN) * i;
            const int64_t k = k0 + qk;
            Bs[qk][b_col] = column_inside && k < k_end ? view.b(g, k, column) : T(0);
          }
          __syncthreads();
          FASTNN_UNROLL
          for (int qk = 0; qk < kTileK; ++qk) {
            T a[kReg], b[kReg];
            FASTNN_UNROLL
            for (int r = 0; r < kReg; ++r) a[r] = As[qk][ty + kSide * r];
            FASTNN_UNROLL
            for (int c = 0; c < kReg; ++c) b[c] = Bs[qk][tx + kSide * c];
            FASTNN_UNROLL
            for (int r = 0; r < kReg; ++r) FASTNN_UNROLL
            for (int c = 0; c < kReg; ++c) acc[r][c] += a[r] * b[c];
          }
          __syncthreads();
        }
        FASTNN_UNROLL
        for (int r = 0; r < kReg; ++r) FASTNN_UNROLL
        for (int c = 0; c < kReg; ++c) {
          const int64_t m = m0 + ty + kSide * r, j = n0 + tx + kSide * c;
          if (m >= m_size || j >= n_size) continue;
          if (partial)
            partial[((split * groups + g) * m_size + m) * n_size + j] = acc[r][c];
          else
            view.store(g, m, j, acc[r][c]);
        }
      }
  }
}

// C[g][m][j] = the splits' partial sums added in split order; one thread per element.
template <class T, class View>
__global__ void __launch_bounds__(kThreads)
    split_sum_kernel(View view, const T* partial, int64_t groups, int64_t splits) {
  const int64_t m_size = view.rows(), n_size = view.cols(), count = groups * m_size * n_size;
  FASTNN_GRID_STRIDE(e, count, kThreads) {
    T sum = partial[e];
    for (int64_t split = 1; split < splits; ++split) sum += partial[split * count + e];
    view.store(e / (m_size * n_size), (e / n_size) % m_size, e % n_size, sum);
  }
}

inline int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }
inline unsigned grid_dim(int64_t n) { return static_cast<unsigned>(n < kMaxGridBlocks ? n : kMaxGridBlocks); }

// The split of k for m x n x k per group: a function of the shape only.
struct KSplit {
  int64_t splits, chunk;
};
KSplit k_split(int64_t groups, int64_t m, int64_t n, int64_t k) {
  if (k == 0) return {1, kTileK};  // nothing to sum: one split, which stores zeros
  const int64_t tiles = groups * ceil_div(m, kTileM) * ceil_div(n, kTileN);
  int64_t splits = 1;
  if (tiles < kTargetBlocks && k > kMinSplitDepth) {
    splits = ceil_div(kTargetBlocks, tiles);
    if (splits > ceil_div(k, kMinSplitDepth)) splits = ceil_div(k, kMinSplitDepth);
  }
  const int64_t chunk = ceil_div(ceil_div(k, splits), kTileK) * kTileK;
  return {ceil_div(k, chunk), chunk};
}

// Runs a view's GEMM for every group.
template <class T, class View>
void implicit_gemm(cudaStream_t stream, const View& view, int64_t groups) {
  const int64_t m = view.rows(), n = view.cols(), k = view.depth();
  if (groups == 0 || m == 0 || n == 0) return;
  const KSplit split = k_split(groups, m, n, k);
  const dim3 grid(grid_dim(ceil_div(n, kTileN)), grid_dim(ceil_div(m, kTileM)), grid_dim(groups * split.splits));
  if (split.splits == 1) {
    FASTNN_LAUNCH(implicit_gemm_kernel<T, View>)(grid, dim3(kThreads), 0, stream, view, static_cast<T*>(nullptr),
                                                 groups, int64_t(1), split.chunk);
    return;
  }
  const int64_t count = groups * m * n;
  Workspace partial(sizeof(T) * split.splits * count, stream);
  FASTNN_LAUNCH(implicit_gemm_kernel<T, View>)(grid, dim3(kThreads), 0, stream, view, partial.as<T>(), groups,
                                               split.splits, split.chunk);
  FASTNN_LAUNCH(split_sum_kernel<T, View>)(grid_stride_blocks(count, kThreads), dim3(kThreads), 0, stream, view,
                                           partial.as<const T>(), groups, split.splits);
}

// ------------------------------------------------------------------------- direct depthwise
// Cg = 1: output channel o reads input channel o / Og.
template <class T>
__global__ void __launch_bounds__(kThreads)
    depthwise_forward_kernel(T* y, const T* x, const T* w, const T* bias, Geometry q) {
  const int64_t count = q.s.batch * q.s.out_channels * q.out_plane;
  FASTNN_GRID_STRIDE(e, count, kThreads) {
    const int64_t p = e % q.out_plane, o = (e / q.out_plane) % q.s.out_channels,
                  n = e / (q.out_plane * q.s.out_channels);
    const int64_t h0 = (p / q.s.out_w) * q.s.stride_h - q.s.pad_top, w0 = (p % q.s.out_w) * q.s.stride_w - q.s.pad_left;
    const T* wo = w + o * q.taps;
    T acc = 0;
    for (int64_t kh = 0; kh < q.s.kernel_h; ++kh)
      for (int64_t kw = 0; kw < q.s.kernel_w; ++kw)
        acc +=
            wo[kh * q.s.kernel_w + kw] * pixel(x, q, n, o / q.og, h0 + kh * q.s.dilation_h, w0 + kw * q.s.dilation_w);
    y[e] = bias ? acc + bias[o] : acc;
  }
}

template <class T>
__global__ void __launch_bounds__(kThreads)
    depthwise_backward_input_kernel(T* dx, const T* dy, const T* w, Geometry q) {
  const int64_t count = q.s.batch * q.s.in_channels * q.in_plane;
  FASTNN_GRID_STRIDE(e, count, kThreads) {
    const int64_t p = e % q.in_plane, c = (e / q.in_plane) % q.s.in_channels, n = e / (q.in_plane * q.s.in_channels);
    const int64_t h = p / q.s.in_w + q.s.pad_top, wd = p % q.s.in_w + q.s.pad_left;
    T acc = 0;
    for (int64_t j = 0; j < q.og; ++j) {
      const int64_t o = c * q.og + j;
      const T* dyo = dy + (n * q.s.out_channels + o) * q.out_plane;
      for (int64_t kh = 0; kh < q.s.kernel_h; ++kh)
        for (int64_t kw = 0; kw < q.s.kernel_w; ++kw) {
          int64_t oh, ow;
          if (output_of(q, h - kh * q.s.dilation_h, wd - kw * q.s.dilation_w, &oh, &ow))
            acc += w[o * q.taps + kh * q.s.kernel_w + kw] * dyo[oh * q.s.out_w + ow];
        }
    }
    dx[e] = acc;
  }
}

// Segment k = weight element (o, kh, kw); its element i = (n, oh, ow): dy[n, o, oh, ow] x[...].
template <class T>
struct DepthwiseWeightTerms {
  const T* dy;
  const T* x;
  Geometry q;
  __device__ __forceinline__ void operator()(double* acc, int64_t k, int64_t i) const {
    const int64_t o = k / q.taps, r = k % q.taps, n = i / q.out_plane, p = i % q.out_plane;
    const int64_t ih = (p / q.s.out_w) * q.s.stride_h - q.s.pad_top + (r / q.s.kernel_w) * q.s.dilation_h;
    const int64_t iw = (p % q.s.out_w) * q.s.stride_w - q.s.pad_left + (r % q.s.kernel_w) * q.s.dilation_w;
    acc[0] += double(dy[(n * q.s.out_channels + o) * q.out_plane + p]) * double(pixel(x, q, n, o / q.og, ih, iw));
  }
};

// out[k] = sum over i < m of terms(k, i), for `segments` segments.
template <class T, class Terms>
void segment_sums_into(cudaStream_t stream, T* out, const Terms& terms, int64_t segments, int64_t m) {
  if (segments == 0) return;
  const segment::Split split = segment::split_for(m);
  Workspace partial(sizeof(double) * segments * split.parts, stream);
  segment::partial_sums<1>(stream, partial.as<double>(), terms, segments, m, split);
  FASTNN_LAUNCH(segment::totals_kernel<1, T>)(dim3(segment::blocks_for(segments)), dim3(segment::kThreads), 0, stream,
                                              out, partial.as<const double>(), segments, split.parts, 0, 1.0);
}

template <class T>
__global__ void __launch_bounds__(kThreads)
    add_bias_kernel(T* y, const T* bias, int64_t channels, int64_t plane, int64_t count) {
  FASTNN_GRID_STRIDE(e, count, kThreads)
  y[e] += bias[(e / plane) % channels];
}

bool depthwise(const Geometry& q) { return q.cg == 1; }

}  // namespace

// ------------------------------------------------------------------------------- launchers

template <class T>
void conv2d_forward(cudaStream_t stream, T* y, const T* x, const T* w, const T* bias, const Conv2dShape& s,
                    ConvAlgorithm) {
  const Geometry q = geometry(s);
  if (depthwise(q)) {
    const int64_t count = s.batch * s.out_channels * q.out_plane;
    if (count == 0) return;
    FASTNN_LAUNCH(depthwise_forward_kernel<T>)(grid_stride_blocks(count, kThreads), dim3(kThreads), 0, stream, y, x, w,
                                               bias, q);
    return;
  }
  implicit_gemm<T>(stream, ForwardView<T>{y, x, w, bias, q}, s.groups);
}

template <class T>
void conv2d_backward_input(cudaStream_t stream, T* dx, const T* dy, const T* w, const Conv2dShape& s, ConvAlgorithm) {
  const Geometry q = geometry(s);
  if (depthwise(q)) {
    const int64_t count = s.batch * s.in_channels * q.in_plane;
    if (count == 0) return;
    FASTNN_LAUNCH(depthwise_backward_input_kernel<T>)(grid_stride_blocks(count, kThreads), dim3(kThreads), 0, stream,
                                                      dx, dy, w, q);
    return;
  }
  implicit_gemm<T>(stream, BackwardInputView<T>{dx, dy, w, q}, s.groups);
}

template <class T>
void conv2d_backward_weight(cudaStream_t stream, T* dw, const T* dy, const T* x, const Conv2dShape& s, ConvAlgorithm) {
  const Geometry q = geometry(s);
  if (depthwise(q)) {
    segment_sums_into(stream, dw, DepthwiseWeightTerms<T>{dy, x, q}, s.out_channels * q.taps, s.batch * q.out_plane);
    return;
  }
  implicit_gemm<T>(stream, BackwardWeightView<T>{dw, dy, x, q}, s.groups);
}

template <class T>
void conv2d_backward_bias(cudaStream_t stream, T* db, const T* dy, int64_t batch, int64_t channels, int64_t plane) {
  segment_sums_into(stream, db, segment::Values<T, segment::ChannelIndex>{dy, {channels, plane}}, channels,
                    batch * plane);
}

template <class T>
void conv_add_bias(cudaStream_t stream, T* y, const T* bias, int64_t batch, int64_t channels, int64_t plane) {
  const int64_t count = batch * channels * plane;
  if (count == 0) return;
  FASTNN_LAUNCH(add_bias_kernel<T>)(grid_stride_blocks(count, kThreads), dim3(kThreads), 0, stream, y, bias, channels,
                                    plane, count);
}

#define FASTNN_CONV_INSTANTIATE(T)                                                                                    \
  template void conv2d_forward<T>(cudaStream_t, T*, const T*, const T*, const T*, const Conv2dShape&, ConvAlgorithm); \
  template void conv2d_backward_input<T>(cudaStream_t, T*, const T*, const T*, const Conv2dShape&, ConvAlgorithm);    \
  template void conv2d_backward_weight<T>(cudaStream_t, T*, const T*, const T*, const Conv2dShape&, ConvAlgorithm);   \
  template void conv2d_backward_bias<T>(cudaStream_t, T*, const T*, int64_t, int64_t, int64_t);                       \
  template void conv_add_bias<T>(cudaStream_t, T*, const T*, int64_t, int64_t, int64_t);
FASTNN_CONV_INSTANTIATE(float)
FASTNN_CONV_INSTANTIATE(double)
#undef FASTNN_CONV_INSTANTIATE

}  // namespace fastnn::cuda
