// Convolution drivers: every algorithm is im2col (or nothing) feeding cpu::gemm. See conv.h for
// the formulas and layouts.
//
// Per image n and group g, with K = Cg*kH*kW and P = OH*OW:
//   forward          Y[n,g] (Og x P)  = W[g] (Og x K) @ col (K x P)            (+ bias per row)
//   backward input   dcol (K x P)     = W[g]^T @ dY[n,g],  dX[n,g] = col2im(dcol)
//   backward weight  dW[g]^T (K x Og) += col @ dY[n,g]^T
// The weight gradient is accumulated transposed, into a contiguous [K, Og] partial sum, and
// transposed once when the partials are combined: this way A (col) is row-major, the strided
// operand gemm must gather while packing is dY (Og/K of the data), C is stored with unit stride,
// and gemm's dot-product form (A with <= 64 rows and unit column stride, B with unit row
// stride), which is slow for long K (measured at Og 64, K 288, P 196: 15.8 GFLOP/s vs 34
// packed), only occurs for K <= 64 (first layers), where it suits the tiny weight.
// Algorithms:
//   im2col     col holds a whole image (K x P); images run one after another and gemm's own
//              threads split each product. The reference path.
//   blocked    col holds a block of output rows sized to stay in L2 (kColBlockBytes); the gemm
//              writes that block of Y (a row-strided view) or reads that block of dY. Threads
//              split images x groups x row blocks (forward) or images x groups (backward input:
//              col2im of neighbouring row blocks overlaps); gemm runs single-threaded inside.
//              Small output planes (when an image's col fills at most half the block: the deep
//              layers of ResNets, 1x1 to 8x8 maps) put several images side by side in one col
//              block instead, so the product is images*P wide rather than P: one product per
//              chunk of images packs the weight once for all of them (per image it packed the
//              weight to multiply it by 1-16 columns). Y and dY are copied between that chunk's
//              [Og, images*P] block and the NCHW planes. The im2col of such a block gathers
//              through a table of source pixels (conv_im2col.h).
//   pointwise  (1x1, stride 1, no padding) col is the image itself: X[n,g] is already Cg x P,
//              so every gemm reads/writes the NCHW planes in place.
//   winograd   (3x3, stride 1, no dilation, one group) F(2x2, 3x3) for all three passes
//              (conv_winograd.cpp).
// automatic picks pointwise when it applies, winograd when conv2d_winograd_pays, else blocked. Work items go to threads one at a time
// (a slowed thread takes fewer); with fewer items than threads (batch 1) they run on the calling
// thread and gemm's threads split each product instead.
// The weight gradient sums over the batch in a fixed order: the batch is cut into
// min(N, kWeightChunks) chunks (independent of the thread count), each chunk accumulates its
// images in order into its own partial dW (for K <= 64 several images per gemm), and the
// partials are added in chunk order. gemm's
// sums are themselves thread-count independent, so every result is bitwise identical for any
// number of threads.
#include "cpu/conv.h"

#include <algorithm>
#include <atomic>
#include <vector>

#include "core/parallel.h"
#include "core/workspace.h"
#include "cpu/conv_im2col.h"
#include "cpu/conv_winograd.h"
#include "cpu/gemm.h"

namespace fastnn::cpu {

namespace {

// The most im2col one gemm reads (a block of output rows; the size of L2 here): large enough that
// every layer of the benchmark but the 56x56 one takes a whole image per gemm, and that one
// 15 rows (n = 420) rather than 3 at 256 KiB, so the weight is packed 5x less often.
constexpr int64_t kColBlockBytes = int64_t(1024) << 10;
// Weights with at most this many columns (Cg*kH*kW) take several images per weight-gradient gemm.
constexpr int64_t kBatchedWeightMaxK = 64;
// Chunks of the batch with their own weight-gradient partial sums: at most kWeightChunks, and
// each at least kWeightChunkDepth output pixels deep, so that small maps do not turn the
// weight gradient into many shallow products that each read and write all of dW.
constexpr int64_t kWeightChunks = 8;
constexpr int64_t kWeightChunkDepth = 256;
// Output planes smaller than this take several images per weight-gradient gemm for any K.
constexpr int64_t kSmallPlane = 64;

struct Layout {
  int64_t cg, og, k, in_plane, out_plane;  // Cg, Og, K = Cg*kH*kW, H*W, P = OH*OW
  int64_t block_rows, blocks;               // output rows per col block, blocks per image
  int64_t images = 1;                       // images side by side in one col block (then blocks == 1)
};

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Images per col block when at most `most` fit: the batch cut into an even number of chunks
// where it can be, so that two threads finish together. It depends on the shape alone, never
// on the thread count: the product's width decides gemm's path (packed or not), and with it
// the rounding of every output element.
int64_t images_per_block(int64_t batch, int64_t most) {
  int64_t chunks = ceil_div(batch, std::max<int64_t>(1, most));
  chunks = std::min(batch, ceil_div(chunks, 2) * 2);
  return ceil_div(batch, chunks);
}

ConvAlgorithm resolve(const Conv2dShape& s, ConvAlgorithm algorithm) {
  if (algorithm != ConvAlgorithm::automatic) return algorithm;
  if (conv2d_is_pointwise(s)) return ConvAlgorithm::pointwise;
  return conv2d_winograd_pays(s) ? ConvAlgorithm::winograd : ConvAlgorithm::blocked;
}

Layout layout(const Conv2dShape& s, ConvAlgorithm algorithm, size_t elem) {
  Layout l;
  l.cg = s.in_channels / s.groups;
  l.og = s.out_channels / s.groups;
  l.k = l.cg * s.kernel_h * s.kernel_w;
  l.in_plane = s.in_h * s.in_w;
  l.out_plane = s.out_h * s.out_w;
  l.block_rows = s.out_h;
  if (algorithm == ConvAlgorithm::blocked) {
    const int64_t row_bytes = std::max<int64_t>(1, l.k * s.out_w * static_cast<int64_t>(elem));
    l.block_rows = std::clamp<int64_t>(kColBlockBytes / row_bytes, 1, std::max<int64_t>(1, s.out_h));
    const int64_t image_bytes = std::max<int64_t>(1, l.k * l.out_plane * static_cast<int64_t>(elem));
    if (s.batch > 1 && 2 * image_bytes <= kColBlockBytes) l.images = images_per_block(s.batch, kColBlockBytes / image_bytes);
  }
  l.blocks = s.out_h == 0 ? 0 : (s.out_h + l.block_rows - 1) / l.block_rows;
  return l;
}

// Runs body(item) for every item in [0, items): handed out to threads one at a time when each
// thread can get one, else run on the calling thread, where gemm's own threads split each
// product. Which thread runs an item never changes its arithmetic (every item writes its own
// output or its own partial sum), so handing items out dynamically keeps results bitwise
// identical while a thread that the shared machine slows down simply takes fewer items. The
// reference im2col path always runs on the calling thread.
template <class Body>
void for_each_item(int64_t items, bool threaded, Body&& body) {
  const int workers = num_threads();
  if (threaded && workers > 1 && items >= workers) {
    std::atomic<int64_t> next{0};
    parallel_region(workers, [&](int, int) {
      for (int64_t i = next.fetch_add(1, std::memory_order_relaxed); i < items;
           i = next.fetch_add(1, std::memory_order_relaxed))
        body(i);
    });
  } else {
    for (int64_t i = 0; i < items; ++i) body(i);
  }
}

template <class T>
void run_gemm(int64_t m, int64_t n, int64_t k, const T* a, int64_t rs_a, int64_t cs_a, const T* b, int64_t rs_b,
              int64_t cs_b, T* c, int64_t rs_c, int64_t cs_c, T beta) {
  GemmProblem<T> g;
  g.m = m, g.n = n, g.k = k;
  g.a = a, g.rs_a = rs_a, g.cs_a = cs_a;
  g.b = b, g.rs_b = rs_b, g.cs_b = cs_b;
  g.c = c, g.rs_c = rs_c, g.cs_c = cs_c;
  g.beta = beta;
  gemm(g);
}

// Accumulates plane (n values) into 16 lanes and a tail sum: vectorisable, and in one fixed
// order for any n.
constexpr int kLanes = 16;

template <class T>
void accumulate_lanes(T* lanes, T* tail, const T* plane, int64_t n) {
  T sums[kLanes];  // a local copy: the compiler may keep it in registers (no aliasing with plane)
  for (int l = 0; l < kLanes; ++l) sums[l] = lanes[l];
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int l = 0; l < kLanes; ++l) sums[l] += plane[i + l];
  T rest = *tail;
  for (; i < n; ++i) rest += plane[i];
  for (int l = 0; l < kLanes; ++l) lanes[l] = sums[l];
  *tail = rest;
}

template <class T>
T reduce_lanes(T* lanes, T tail) {
  for (int width = kLanes / 2; width > 0; width /= 2)
    for (int l = 0; l < width; ++l) lanes[l] += lanes[l + width];
  return lanes[0] + tail;
}

// rows x cols block of a row-strided matrix, row r += bias[r] (here: output channels of a conv).
template <class T>
void add_row_bias(T* out, const T* bias, int64_t rows, int64_t cols, int64_t row_stride) {
  for (int64_t r = 0; r < rows; ++r) {
    const T value = bias[r];
    T* row = out + r * row_stride;
    for (int64_t j = 0; j < cols; ++j) row[j] += value;
  }
}

// The [rows, images*plane] block of `images` images' [rows, plane] planes, which lie
// image_stride apart (the planes of image i form columns [i*plane, (i+1)*plane)).
template <class T>
void gather_planes(T* block, const T* planes, int64_t images, int64_t rows, int64_t plane, int64_t image_stride) {
  const int64_t width = images * plane;
  for (int64_t i = 0; i < images; ++i)
    for (int64_t r = 0; r < rows; ++r)
      std::copy_n(planes + i * image_stride + r * plane, plane, block + r * width + i * plane);
}

// The inverse of gather_planes, adding bias[r] (when given) to row r.
template <class T>
void scatter_planes(T* planes, const T* block, const T* bias, int64_t images, int64_t rows, int64_t plane,
                    int64_t image_stride) {
  const int64_t width = images * plane;
  for (int64_t i = 0; i < images; ++i)
    for (int64_t r = 0; r < rows; ++r) {
      const T* src = block + r * width + i * plane;
      T* dst = planes + i * image_stride + r * plane;
      if (bias) {
        const T add = bias[r];
        for (int64_t p = 0; p < plane; ++p) dst[p] = src[p] + add;
      } else {
        std::copy_n(src, plane, dst);
      }
    }
}

// How whole images become col blocks (several side by side, row stride ld): with `gather`
// (small planes) through the tap table, which leaves out the taps that only read padding (the
// weight, when given, restricted to the live ones, [O, Cg, live taps], built once per call);
// else row by row with every tap.
template <class T>
class ImageColumns {
 public:
  ImageColumns(const Conv2dShape& s, const Layout& l, const T* w, bool gather) : s_(s), gathered_(gather) {
    const int64_t taps = s.kernel_h * s.kernel_w;
    if (gathered_) table_ = tap_table(s);
    live_ = gathered_ ? table_.live() : taps;
    rows_ = l.cg * live_;
    live_row_.assign(static_cast<size_t>(taps), -1);
    for (int64_t t = 0; t < live_; ++t) live_row_[static_cast<size_t>(gathered_ ? table_.taps[t] : t)] = t;
    weight_ = w;
    if (w && live_ < taps) {
      const int64_t pairs = s.out_channels * l.cg;  // (o, c)
      live_weight_.resize(static_cast<size_t>(pairs * live_));
      for (int64_t r = 0; r < pairs; ++r)
        for (int64_t t = 0; t < live_; ++t) live_weight_[static_cast<size_t>(r * live_ + t)] = w[r * taps + table_.taps[t]];
      weight_ = live_weight_.data();
    }
  }
  int64_t rows() const { return rows_; }       // col rows per group: Cg x live taps
  int64_t live() const { return live_; }
  const T* weight() const { return weight_; }  // [O, rows()]
  // The position of kernel tap kh*kW + kw among the live taps, or -1.
  int64_t live_row(int64_t tap) const { return live_row_[static_cast<size_t>(tap)]; }
  void im2col(T* col, int64_t ld, const T* image) const {
    if (gathered_) im2col_gather(col, ld, image, table_, s_);
    else im2col_rows(col, ld, image, s_, 0, s_.out_h);
  }
  void col2im_add(T* image, const T* col, int64_t ld) const {
    if (gathered_) col2im_scatter_add(image, col, ld, table_, s_);
    else col2im_rows_add(image, col, ld, s_, 0, s_.out_h);
  }

 private:
  const Conv2dShape& s_;
  bool gathered_;
  TapTable table_;
  int64_t live_ = 0, rows_ = 0;
  std::vector<int64_t> live_row_;
  std::vector<T> live_weight_;
  const T* weight_ = nullptr;
};

}  // namespace

template <class T>
void conv2d_forward(T* y, const T* x, const T* w, const T* bias, const Conv2dShape& s, ConvAlgorithm algorithm) {
  algorithm = resolve(s, algorithm);
  if (algorithm == ConvAlgorithm::winograd) return conv2d_winograd_forward(y, x, w, bias, s);
  const Layout l = layout(s, algorithm, sizeof(T));
  const bool pointwise = algorithm == ConvAlgorithm::pointwise;
  if (l.images > 1) {
    const int64_t chunks = ceil_div(s.batch, l.images);
    const ImageColumns<T> columns(s, l, w, l.out_plane < kSmallPlane);
    const int64_t k = columns.rows();
    for_each_item(chunks * s.groups, true, [&](int64_t item) {
      const int64_t g = item % s.groups, n0 = item / s.groups * l.images;
      const int64_t images = std::min(l.images, s.batch - n0), width = images * l.out_plane;
      T* col = workspace_array<T>(WorkspaceSlot::scratch1, (k + l.og) * width);
      T* out = col + k * width;  // [Og, width]
      for (int64_t i = 0; i < images; ++i)
        columns.im2col(col + i * l.out_plane, width, x + ((n0 + i) * s.in_channels + g * l.cg) * l.in_plane);
      run_gemm<T>(l.og, width, k, columns.weight() + g * l.og * k, k, 1, col, width, 1, out, width, 1, T(0));
      scatter_planes(y + (n0 * s.out_channels + g * l.og) * l.out_plane, out, bias ? bias + g * l.og : nullptr, images,
                     l.og, l.out_plane, s.out_channels * l.out_plane);
    });
    return;
  }
  const int64_t blocks = pointwise ? 1 : l.blocks;
  const int64_t items = s.batch * s.groups * blocks;
  for_each_item(items, algorithm != ConvAlgorithm::im2col, [&](int64_t item) {
    const int64_t blk = item % blocks, g = (item / blocks) % s.groups, n = item / (blocks * s.groups);
    const int64_t oh0 = pointwise ? 0 : blk * l.block_rows, oh1 = pointwise ? s.out_h : std::min(s.out_h, oh0 + l.block_rows);
    const int64_t cols = (oh1 - oh0) * s.out_w;
    const T* image = x + (n * s.in_channels + g * l.cg) * l.in_plane;
    const T* b = image;
    int64_t rs_b = l.in_plane;
    if (!pointwise) {
      T* col = workspace_array<T>(WorkspaceSlot::scratch1, l.k * cols);
      im2col_rows(col, cols, image, s, oh0, oh1);
      b = col;
      rs_b = cols;
    }
    T* out = y + (n * s.out_channels + g * l.og) * l.out_plane + oh0 * s.out_w;
    run_gemm<T>(l.og, cols, l.k, w + g * l.og * l.k, l.k, 1, b, rs_b, 1, out, l.out_plane, 1, T(0));
    if (bias) add_row_bias(out, bias + g * l.og, l.og, cols, l.out_plane);
  });
}

template <class T>
void conv2d_backward_input(T* dx, const T* dy, const T* w, const Conv2dShape& s, ConvAlgorithm algorithm) {
  algorithm = resolve(s, algorithm);
  if (algorithm == ConvAlgorithm::winograd) return conv2d_winograd_backward_input(dx, dy, w, s);
  const Layout l = layout(s, algorithm, sizeof(T));
  const bool pointwise = algorithm == ConvAlgorithm::pointwise;
  if (l.images > 1) {
    const int64_t chunks = ceil_div(s.batch, l.images);
    const ImageColumns<T> columns(s, l, w, l.out_plane < kSmallPlane);
    const int64_t k = columns.rows();
    for_each_item(chunks * s.groups, true, [&](int64_t item) {
      const int64_t g = item % s.groups, n0 = item / s.groups * l.images;
      const int64_t images = std::min(l.images, s.batch - n0), width = images * l.out_plane;
      T* col = workspace_array<T>(WorkspaceSlot::scratch1, (k + l.og) * width);
      T* grads = col + k * width;  // [Og, width]
      gather_planes(grads, dy + (n0 * s.out_channels + g * l.og) * l.out_plane, images, l.og, l.out_plane,
                    s.out_channels * l.out_plane);
      run_gemm<T>(k, width, l.og, columns.weight() + g * l.og * k, 1, k, grads, width, 1, col, width, 1, T(0));
      for (int64_t i = 0; i < images; ++i) {
        T* image = dx + ((n0 + i) * s.in_channels + g * l.cg) * l.in_plane;
        std::fill(image, image + l.cg * l.in_plane, T(0));
        columns.col2im_add(image, col + i * l.out_plane, width);
      }
    });
    return;
  }
  for_each_item(s.batch * s.groups, algorithm != ConvAlgorithm::im2col, [&](int64_t item) {
    const int64_t g = item % s.groups, n = item / s.groups;
    T* image = dx + (n * s.in_channels + g * l.cg) * l.in_plane;
    const T* w_g = w + g * l.og * l.k;
    const T* grad = dy + (n * s.out_channels + g * l.og) * l.out_plane;
    if (pointwise) {
      run_gemm<T>(l.k, l.out_plane, l.og, w_g, 1, l.k, grad, l.out_plane, 1, image, l.in_plane, 1, T(0));
      return;
    }
    std::fill(image, image + l.cg * l.in_plane, T(0));
    for (int64_t oh0 = 0; oh0 < s.out_h; oh0 += l.block_rows) {
      const int64_t oh1 = std::min(s.out_h, oh0 + l.block_rows), cols = (oh1 - oh0) * s.out_w;
      T* col = workspace_array<T>(WorkspaceSlot::scratch1, l.k * cols);
      run_gemm<T>(l.k, cols, l.og, w_g, 1, l.k, grad + oh0 * s.out_w, l.out_plane, 1, col, cols, 1, T(0));
      col2im_rows_add(image, col, cols, s, oh0, oh1);
    }
  });
}

template <class T>
void conv2d_backward_weight(T* dw, const T* dy, const T* x, const Conv2dShape& s, ConvAlgorithm algorithm) {
  algorithm = resolve(s, algorithm);
  if (algorithm == ConvAlgorithm::winograd) return conv2d_winograd_backward_weight(dw, dy, x, s);
  const Layout l = layout(s, algorithm, sizeof(T));
  const bool pointwise = algorithm == ConvAlgorithm::pointwise;
  const int64_t weight_size = s.out_channels * l.k;
  if (s.batch == 0) {
    std::fill(dw, dw + weight_size, T(0));
    return;
  }
  const int64_t chunks = algorithm == ConvAlgorithm::im2col
      ? 1
      : std::clamp<int64_t>(s.batch / ceil_div(kWeightChunkDepth, std::max<int64_t>(1, l.out_plane)), 1,
                            std::min<int64_t>(s.batch, kWeightChunks));

  // A small weight (K <= kBatchedWeightMaxK, first layers): several images side by side in one
  // col buffer, their dY rows copied side by side, make one product with fewer, longer dot
  // products. Measured (1 thread, CPU time): K 27 39 -> 50 GFLOP/s, K 9 36 -> 39; but K 288
  // lost (63 -> 54): for a large K the deeper product only slows gemm's blocking. Small planes
  // (P < kSmallPlane) take enough images for a kWeightChunkDepth-deep product whatever K is:
  // one image of a 2x2 map would make a 4-deep product that reads and writes all of dW.
  const int64_t col_images =
      std::max<int64_t>(1, kColBlockBytes / std::max<int64_t>(1, l.k * l.out_plane * static_cast<int64_t>(sizeof(T))));
  const bool batched = algorithm == ConvAlgorithm::blocked && l.blocks == 1;
  const int64_t images_per_gemm = !batched ? 1
      : l.k <= kBatchedWeightMaxK ? col_images
      : l.out_plane < kSmallPlane ? std::max(col_images, ceil_div(kWeightChunkDepth, std::max<int64_t>(1, l.out_plane)))
      : 1;
  // Several images per product go through ImageColumns (small planes: live taps only, and the
  // partial sums hold the live taps' rows only); one image at a time, row blocks of every tap.
  const bool by_images = images_per_gemm > 1 && !pointwise;
  const ImageColumns<T> columns(s, l, nullptr, by_images && l.out_plane < kSmallPlane);
  const int64_t taps = s.kernel_h * s.kernel_w, live = columns.live();
  const int64_t k = columns.rows();  // partial rows per group
  const int64_t partial_size = s.groups * k * l.og;
  T* partials = workspace_array<T>(WorkspaceSlot::scratch0, chunks * partial_size);
  for_each_item(chunks, algorithm != ConvAlgorithm::im2col, [&](int64_t chunk) {
    T* sum = partials + chunk * partial_size;  // [groups][k][Og]: dW transposed
    const int64_t width = images_per_gemm * l.block_rows * s.out_w;  // col columns
    const int64_t col_size = pointwise ? 0 : (k * width + 15) / 16 * 16;
    T* col = workspace_array<T>(WorkspaceSlot::scratch1, col_size + (images_per_gemm > 1 ? l.og * width : 0));
    T* grads = col + col_size;  // [Og, width]: dY rows of the images in col
    int64_t first, last;
    split_range(s.batch, static_cast<int>(chunk), static_cast<int>(chunks), &first, &last);
    for (int64_t n0 = first; n0 < last; n0 += images_per_gemm) {
      const int64_t images = std::min(images_per_gemm, last - n0);
      for (int64_t g = 0; g < s.groups; ++g) {
        const T* image = x + (n0 * s.in_channels + g * l.cg) * l.in_plane;
        const T* grad = dy + (n0 * s.out_channels + g * l.og) * l.out_plane;
        T* sum_g = sum + g * k * l.og;
        if (pointwise) {
          run_gemm<T>(l.k, l.og, l.out_plane, image, l.in_plane, 1, grad, 1, l.out_plane, sum_g, l.og, 1,
                      T(n0 == first ? 0 : 1));
          continue;
        }
        if (by_images) {
          const int64_t ld = images * l.out_plane;
          for (int64_t i = 0; i < images; ++i)
            columns.im2col(col + i * l.out_plane, ld, image + i * s.in_channels * l.in_plane);
          gather_planes(grads, grad, images, l.og, l.out_plane, s.out_channels * l.out_plane);
          run_gemm<T>(k, l.og, ld, col, ld, 1, grads, 1, ld, sum_g, l.og, 1, T(n0 == first ? 0 : 1));
          continue;
        }
        for (int64_t oh0 = 0; oh0 < s.out_h; oh0 += l.block_rows) {
          const int64_t oh1 = std::min(s.out_h, oh0 + l.block_rows), cols = (oh1 - oh0) * s.out_w;
          im2col_rows(col, cols, image, s, oh0, oh1);
          run_gemm<T>(l.k, l.og, cols, col, cols, 1, grad + oh0 * s.out_w, 1, l.out_plane, sum_g, l.og, 1,
                      n0 == first && oh0 == 0 ? T(0) : T(1));
        }
      }
    }
  });

  // dw[g, o, c, tap] = sum over chunks, in chunk order, of the transposed partials [g, (c, live
  // tap), o]; 0 for a dead tap. Row by row of dw, so that no index is divided per element.
  parallel_for(s.groups * l.og, std::max<int64_t>(1, 4096 / std::max<int64_t>(1, l.k)), [&](int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row) {
      const int64_t g = row / l.og, o = row % l.og;
      T* out = dw + row * l.k;
      for (int64_t c = 0; c < l.cg; ++c)
        for (int64_t tap = 0; tap < taps; ++tap) {
          const int64_t t = columns.live_row(tap);
          T total = T(0);
          if (t >= 0) {
            const int64_t at = (g * k + c * live + t) * l.og + o;
            total = partials[at];
            for (int64_t chunk = 1; chunk < chunks; ++chunk) total += partials[chunk * partial_size + at];
          }
          out[c * taps + tap] = total;
        }
    }
  });
}

// Threads split the channels; each walks the batch in order (memory order: image by image over
// its channel range), so every channel's sum has one fixed order.
template <class T>
void conv2d_backward_bias(T* db, const T* dy, int64_t batch, int64_t channels, int64_t plane) {
  const int64_t per_channel = std::max<int64_t>(1, batch * plane);
  parallel_for(channels, std::max<int64_t>(1, (int64_t(1) << 16) / per_channel), [&](int64_t begin, int64_t end) {
    const int64_t count = end - begin;
    T* lanes = workspace_array<T>(WorkspaceSlot::scratch1, count * (kLanes + 1));
    T* tails = lanes + count * kLanes;
    std::fill(lanes, lanes + count * (kLanes + 1), T(0));
    for (int64_t n = 0; n < batch; ++n)
      for (int64_t o = begin; o < end; ++o)
        accumulate_lanes(lanes + (o - begin) * kLanes, tails + (o - begin), dy + (n * channels + o) * plane, plane);
    for (int64_t o = begin; o < end; ++o) db[o] = reduce_lanes(lanes + (o - begin) * kLanes, tails[o - begin]);
  });
}

template <class T>
void conv_add_bias(T* y, const T* bias, int64_t batch, int64_t channels, int64_t plane) {
  parallel_for(batch, 1, [&](int64_t begin, int64_t end) {
    for (int64_t n = begin; n < end; ++n) add_row_bias(y + n * channels * plane, bias, channels, plane, plane);
  });
}

#define FASTNN_INSTANTIATE_CONV(T)                                                                                   \
  template void conv2d_forward<T>(T*, const T*, const T*, const T*, const Conv2dShape&, ConvAlgorithm);            \
  template void conv2d_backward_input<T>(T*, const T*, const T*, const Conv2dShape&, ConvAlgorithm);               \
  template void conv2d_backward_weight<T>(T*, const T*, const T*, const Conv2dShape&, ConvAlgorithm);              \
  template void conv2d_backward_bias<T>(T*, const T*, int64_t, int64_t, int64_t);                               \
  template void conv_add_bias<T>(T*, const T*, int64_t, int64_t, int64_t);
FASTNN_INSTANTIATE_CONV(float)
FASTNN_INSTANTIATE_CONV(double)

}  // namespace fastnn::cpu
