// F(2x2, 3x3) Winograd convolution: the weight transform, the chunked driver, and the three
// entry points (the tile transforms: simd/winograd_transforms_impl.inc). conv_winograd.h has the
// formulas and layouts.
//
// Per chunk of output tiles [t0, t1) (count = t1 - t0 <= chunk), the transforms from the SIMD
// level's table (simd/winograd_transform_kernels.h, vectorised across tiles):
//   V [16][C][chunk]  B^T d B of every input channel's 4x4 patch of every tile in the chunk
//   M [16][O][chunk]  M[xi] = U[xi] @ V[xi]: 16 gemms, each O x count x C
//   y                 A^T m A (+ bias) of every output channel and tile, the 2x2 block clipped
//                     at the bottom/right edge of an odd-sized output
// U [16][O][C] (G g G^T of every weight) is transformed once per call, by one gemm. Threads
// split the chunks (parallel_for: contiguous ranges); a chunk's gemms and transforms run
// single-threaded inside, or when the whole call is one chunk (the deep layers' small maps: 64
// images of 2x2 are 64 tiles) on every thread: each gemm by its own threads, each transform split
// by channels (over_channels), which changes no result.
#include "cpu/conv_winograd.h"

#include <algorithm>
#include <cstdint>

#include "core/parallel.h"
#include "core/workspace.h"
#include "cpu/gemm.h"
#include "cpu/simd/winograd_transform_kernels.h"

namespace fastnn::cpu {

namespace {

constexpr int kPositions = 16;  // the 4x4 transformed tile
// V and M of one chunk together fill about this much (the L2 of one core here), but a chunk has
// at least kMinChunkTiles tiles: every gemm packs its U[xi] again, which costs as much as a
// product about 20 columns wide (measured on 256 channels at 2x2, 2 chunks of 32 tiles: the
// packing took 26% of the call).
constexpr int64_t kChunkBytes = int64_t(2048) << 10;
constexpr int64_t kMinChunkTiles = 64;
// U, V and M hold 16 matrices each, written and read together a row at a time: one matrix lies
// this many elements (a cache line) past a multiple of the matrix size from the previous one,
// or power-of-two sizes would put all 16 rows in the same L1 set (measured: the transforms ran
// 3-4x slower than the gemms on 128 channels).
constexpr int64_t kSkew = 16;
// The weight gradient's partial sums of dU: at most this many, whatever the thread count.
constexpr int64_t kWeightPartials = 8;
// The automatic choice needs at least kMinChannels input and output channels and
// kMinChannelPairs (input x output) of them: below, the 16 products are too shallow (depth C) or
// too thin (O rows) to run near the gemm's speed, and the transforms cost what the
// multiplications save. Measured (1 thread, CPU time, effective GFLOP/s Winograd / blocked):
// 16->16 at 32x32 55/51 forward, 55/63 input gradient; 32->32 at 16x16 98/65, 95/78; 32->64 at
// 14x14 105/88, 93/95; 128->128 at 4x4 166/88, 158/97; 256->256 at 2x2 143/105, 111/87.
constexpr int64_t kMinChannels = 16;
constexpr int64_t kMinChannelPairs = 1024;

// A one-chunk call's transforms give each thread at least this many channels.
constexpr int64_t kMinTransformChannels = 8;

using Geometry = WinogradGeometry;

// body(c0, c1) over channels [0, channels): split over the threads outside a parallel region (a
// one-chunk call), whole inside one (threads already split the chunks).
template <class Body>
void over_channels(int64_t channels, Body&& body) {
  parallel_for(channels, kMinTransformChannels, body);
}

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

Geometry geometry(int64_t batch, int64_t in_c, int64_t in_h, int64_t in_w, int64_t out_c, int64_t out_h,
                  int64_t out_w, int64_t pad_top, int64_t pad_left, size_t elem) {
  Geometry g{batch, in_c, in_h, in_w, out_c, out_h, out_w, pad_top, pad_left, 0, 0, 0, 0, 0};
  g.tiles_h = ceil_div(out_h, 2);
  g.tiles_w = ceil_div(out_w, 2);
  g.tiles = batch * g.tiles_h * g.tiles_w;
  const int64_t tile_bytes = kPositions * (in_c + out_c) * static_cast<int64_t>(elem);
  const int64_t most = std::max(kMinChunkTiles, kChunkBytes / std::max<int64_t>(1, tile_bytes));
  int64_t chunks = ceil_div(g.tiles, most);
  if (chunks > 1) chunks = std::min(g.tiles, ceil_div(chunks, 2) * 2);  // two threads finish together
  g.chunk = std::max<int64_t>(1, ceil_div(g.tiles, std::max<int64_t>(1, chunks)));
  g.chunks = ceil_div(g.tiles, g.chunk);
  return g;
}

// kron[a*4+b][r*3+s] = G[a][r] G[b][s], so (G g G^T)[xi] = sum_tap kron[xi][tap] g[tap] and
// (G^T d G)[tap] = sum_xi kron[xi][tap] d[xi]; `flipped` reverses the taps (a kernel turned by
// 180 degrees). Its entries are 0, +-1, +-1/2 and +-1/4: exact.
template <class T>
void kron_gg(T (&kron)[kPositions][9], bool flipped) {
  static constexpr double kG[4][3] = {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}};
  for (int a = 0; a < 4; ++a)
    for (int b = 0; b < 4; ++b)
      for (int r = 0; r < 3; ++r)
        for (int s = 0; s < 3; ++s) kron[a * 4 + b][flipped ? 8 - (r * 3 + s) : r * 3 + s] = T(kG[a][r] * kG[b][s]);
}

// u[xi][o][i] = (G g G^T)[xi] for every pair (o, i), g = w[o][i] ([out_c][in_c][3][3]); with
// `flipped`, u[xi][k][c] for g = w[k][c] turned by 180 degrees (the input gradient, which reads
// it transposed). All pairs at once are one gemm, U (16 x pairs) = kron (16 x 9) @ w^T (9 x
// pairs): vectorised, where per pair scalar code took 28% of a 256-channel call on 2x2 maps.
template <class T>
void transform_weights(T* u, const T* w, int64_t pairs, bool flipped) {
  T kron[kPositions][9];
  kron_gg(kron, flipped);
  GemmProblem<T> p;
  p.m = kPositions, p.n = pairs, p.k = 9;
  p.a = &kron[0][0], p.rs_a = 9, p.cs_a = 1;
  p.b = w, p.rs_b = 1, p.cs_b = 9;
  p.c = u, p.rs_c = pairs + kSkew, p.cs_c = 1;
  gemm(p);
}

// U[xi] is read as out_c x in_c with strides (rs_u, cs_u).
template <class T>
void correlate(T* out, const T* in, const T* u, int64_t rs_u, int64_t cs_u, const T* bias, const Geometry& g) {
  const WinogradTransformKernels<T>& kernels = winograd_transform_kernels(simd_level(), static_cast<T*>(nullptr));
  parallel_for(g.chunks, 1, [&](int64_t begin, int64_t end) {
    const int64_t ld = g.chunk;
    T* v = workspace_array<T>(WorkspaceSlot::scratch1, kPositions * ((g.in_c + g.out_c) * ld + 2 * kSkew));
    T* m = v + kPositions * (g.in_c * ld + kSkew);
    for (int64_t chunk = begin; chunk < end; ++chunk) {
      const int64_t t0 = chunk * g.chunk, t1 = std::min(g.tiles, t0 + g.chunk);
      over_channels(g.in_c,
                    [&](int64_t c0, int64_t c1) { kernels.input(v, ld, g.in_c * ld + kSkew, in, g, t0, t1, c0, c1); });
      for (int xi = 0; xi < kPositions; ++xi) {
        GemmProblem<T> p;
        p.m = g.out_c, p.n = t1 - t0, p.k = g.in_c;
        p.a = u + xi * (g.out_c * g.in_c + kSkew), p.rs_a = rs_u, p.cs_a = cs_u;
        p.b = v + xi * (g.in_c * ld + kSkew), p.rs_b = ld, p.cs_b = 1;
        p.c = m + xi * (g.out_c * ld + kSkew), p.rs_c = ld, p.cs_c = 1;
        gemm(p);
      }
      over_channels(g.out_c, [&](int64_t o0, int64_t o1) {
        kernels.output(out, m, ld, g.out_c * ld + kSkew, bias, g, t0, t1, o0, o1);
      });
    }
  });
}

}  // namespace

bool conv2d_winograd_pays(const Conv2dShape& s) {
  return conv2d_winograd_applies(s) && s.in_channels >= kMinChannels && s.out_channels >= kMinChannels &&
         s.in_channels * s.out_channels >= kMinChannelPairs && s.out_h >= 2 && s.out_w >= 2;
}

template <class T>
void conv2d_winograd_forward(T* y, const T* x, const T* w, const T* bias, const Conv2dShape& s) {
  const Geometry g = geometry(s.batch, s.in_channels, s.in_h, s.in_w, s.out_channels, s.out_h, s.out_w, s.pad_top,
                              s.pad_left, sizeof(T));
  if (g.tiles == 0) return;
  T* u = workspace_array<T>(WorkspaceSlot::scratch0, kPositions * (s.out_channels * s.in_channels + kSkew));
  transform_weights(u, w, s.out_channels * s.in_channels, false);
  correlate(y, x, u, s.in_channels, 1, bias, g);
}

template <class T>
void conv2d_winograd_backward_input(T* dx, const T* dy, const T* w, const Conv2dShape& s) {
  const Geometry g = geometry(s.batch, s.out_channels, s.out_h, s.out_w, s.in_channels, s.in_h, s.in_w,
                              2 - s.pad_top, 2 - s.pad_left, sizeof(T));
  if (g.tiles == 0) return;
  T* u = workspace_array<T>(WorkspaceSlot::scratch0, kPositions * (s.in_channels * s.out_channels + kSkew));
  transform_weights(u, w, s.out_channels * s.in_channels, true);  // [16][O][C]: read as C x O
  correlate(dx, dy, u, 1, s.in_channels, static_cast<const T*>(nullptr), g);
}

// dW = G^T dU G with dU[xi] (O x C) = sum over tiles of D[xi] (O x P) @ V[xi]^T (P x C). The
// chunks are cut into at most kWeightPartials groups (shape only); group j sums its chunks in
// order into partial j (gemm's beta), and the partials are added in group order, so the sum has
// one order for any thread count.
template <class T>
void conv2d_winograd_backward_weight(T* dw, const T* dy, const T* x, const Conv2dShape& s) {
  const Geometry g = geometry(s.batch, s.in_channels, s.in_h, s.in_w, s.out_channels, s.out_h, s.out_w, s.pad_top,
                              s.pad_left, sizeof(T));
  const int64_t pairs = s.out_channels * s.in_channels, matrix = pairs + kSkew;
  if (g.tiles == 0) {
    std::fill(dw, dw + pairs * 9, T(0));
    return;
  }
  const int64_t groups = std::min(g.chunks, kWeightPartials);
  const WinogradTransformKernels<T>& kernels = winograd_transform_kernels(simd_level(), static_cast<T*>(nullptr));
  T* partials = workspace_array<T>(WorkspaceSlot::scratch0, groups * kPositions * matrix);
  parallel_for(groups, 1, [&](int64_t begin, int64_t end) {
    const int64_t ld = g.chunk;
    T* v = workspace_array<T>(WorkspaceSlot::scratch1, kPositions * ((g.in_c + g.out_c) * ld + 2 * kSkew));
    T* d = v + kPositions * (g.in_c * ld + kSkew);
    for (int64_t group = begin; group < end; ++group) {
      int64_t first, last;
      split_range(g.chunks, static_cast<int>(group), static_cast<int>(groups), &first, &last);
      T* sum = partials + group * kPositions * matrix;
      for (int64_t chunk = first; chunk < last; ++chunk) {
        const int64_t t0 = chunk * g.chunk, t1 = std::min(g.tiles, t0 + g.chunk);
        over_channels(g.in_c,
                      [&](int64_t c0, int64_t c1) { kernels.input(v, ld, g.in_c * ld + kSkew, x, g, t0, t1, c0, c1); });
        over_channels(g.out_c, [&](int64_t o0, int64_t o1) {
          kernels.output_gradient(d, ld, g.out_c * ld + kSkew, dy, g, t0, t1, o0, o1);
        });
        for (int xi = 0; xi < kPositions; ++xi) {
          GemmProblem<T> p;
          p.m = g.out_c, p.n = g.in_c, p.k = t1 - t0;
          p.a = d + xi * (g.out_c * ld + kSkew), p.rs_a = ld, p.cs_a = 1;
          p.b = v + xi * (g.in_c * ld + kSkew), p.rs_b = 1, p.cs_b = ld;
          p.c = sum + xi * matrix, p.rs_c = g.in_c, p.cs_c = 1;
          p.beta = chunk == first ? T(0) : T(1);
          gemm(p);
        }
      }
    }
  });
  parallel_for(kPositions * matrix, 4096, [&](int64_t begin, int64_t end) {
    for (int64_t group = 1; group < groups; ++group) {
      const T* add = partials + group * kPositions * matrix;
      for (int64_t i = begin; i < end; ++i) partials[i] += add[i];
    }
  });
  T kron[kPositions][9];
  kron_gg(kron, false);
  GemmProblem<T> p;  // dw (pairs x 9) = dU^T (pairs x 16) @ kron (16 x 9)
  p.m = pairs, p.n = 9, p.k = kPositions;
  p.a = partials, p.rs_a = 1, p.cs_a = matrix;
  p.b = &kron[0][0], p.rs_b = 9, p.cs_b = 1;
  p.c = dw, p.rs_c = 9, p.cs_c = 1;
  gemm(p);
}

#define FASTNN_INSTANTIATE_WINOGRAD(T)                                                                       \
  template void conv2d_winograd_forward<T>(T*, const T*, const T*, const T*, const Conv2dShape&); \
  template void conv2d_winograd_backward_input<T>(T*, const T*, const T*, const Conv2dShape&);      \
  template void conv2d_winograd_backward_weight<T>(T*, const T*, const T*, const Conv2dShape&);
FASTNN_INSTANTIATE_WINOGRAD(float)
FASTNN_INSTANTIATE_WINOGRAD(double)

}  // namespace fastnn::cpu
