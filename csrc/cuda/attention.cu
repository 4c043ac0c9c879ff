// Scaled dot-product attention on CUDA                                (contract: attention.h)
//
// Formulas (cpu/attention.h):
//   S = scale Q K^T + M,   P = softmax over each row of S,   O = P V;
//   backward dV = P^T dO,   dP = dO V^T,   dS = P (dP - D) with D_i = rowsum(dO_i O_i) (= rowsum(dP_i P_i)),
//   dQ = scale dS K,   dK = scale dS^T Q,   dM = dS.
//
// Layouts: Q [N, Tq, E], K [N, Tk, E], V [N, Tk, Ev], O and dO [N, Tq, Ev], dM [N, Tq, Tk], all
// contiguous; mask element (n, i, j) at additive[n stride_n + i stride_q + j stride_k] (0: broadcast).
//
// Algorithm: FlashAttention on 32 x 32 tiles (32 queries, 32 keys, 32 head-dim columns per chunk, so
// any E and Ev), 128 threads per block, each owning 8 elements of a tile, tiles in shared memory. No
// Tq x Tk array in global memory (grad_mask aside), no atomics: every sum runs in a fixed order, so
// results are bitwise repeatable. The accumulators (O, dQ, dK, dV) live in the output arrays
// themselves, each element read and written by the one thread that owns it, which keeps any E, Ev.
// - forward: a block per (n, query tile) loops over the key tiles (under the causal mask only those
//   up to its last query): S from Q and K chunks, then the online softmax (running row max m and sum
//   l; the earlier O terms are rescaled by exp(m_old - m_new)), O = O alpha + P V; O / l at the end.
//   A row with every key masked keeps m = -inf and l = 0 and gives 0 (exp is taken relative to 0
//   while m = -inf, so -inf - -inf never occurs).
// - backward (FlashAttention-2; the forward keeps nothing): the forward kernel again, into a
//   workspace O with the row statistics (m, l); D = rowsum(dO O); then one block per (n, key tile)
//   loops over the query tiles in order, recomputing P = exp(S - m) / l (0 where l = 0) and dS, and
//   accumulates dV += P^T dO and dK += scale dS^T Q; and one block per (n, query tile) loops over the
//   key tiles, accumulating dQ += scale dS K and writing dM = dS.
#include "cuda/attention.h"
#include "cuda/launch.cuh"
#include "cuda/math.cuh"
#include "cuda/workspace.cuh"

namespace fastnn::cuda {

namespace {

constexpr int kTile = 32;  // queries, keys and head-dim columns per tile
constexpr int kThreads = 128;
constexpr int kStep = kThreads / kTile;  // rows between the elements a thread owns
constexpr int kOwned = kTile / kStep;    // elements of a tile each thread owns
constexpr int kPad = kTile + 1;          // the padding spreads column reads over the banks
static_assert(kThreads % kTile == 0 && kTile % kStep == 0, "tile must split over the threads");

template <class T>
using Tile = T[kTile][kPad];

// Thread t owns the tile elements (owned_row(e), owned_col()), e < kOwned: a warp shares a row.
__device__ __forceinline__ int owned_row(int e) { return int(threadIdx.x) / kTile + e * kStep; }
__device__ __forceinline__ int owned_col() { return int(threadIdx.x) % kTile; }

__host__ __device__ __forceinline__ int64_t tiles(int64_t n) { return (n + kTile - 1) / kTile; }
__device__ __forceinline__ int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }
__device__ __forceinline__ int tile_extent(int64_t n, int64_t start) { return int(min64(kTile, n - start)); }

// tile[r][c] = src[r * ld + c] for r < rows and c < cols, else 0 (src: the tile's first element).
template <class T>
__device__ __forceinline__ void load_tile(Tile<T>& tile, const T* src, int64_t ld, int rows, int cols) {
  const int c = owned_col();
  FASTNN_UNROLL
  for (int e = 0; e < kOwned; ++e) {
    const int r = owned_row(e);
    tile[r][c] = r < rows && c < cols ? src[r * ld + c] : T(0);
  }
}

// acc[e] += sum_d a[r][d] b[c][d] over the head dim in chunks, for the owned (r, c): a block of
// rows of x (row stride dim) times the transpose of a block of rows of y.
template <class T>
__device__ __forceinline__ void rows_times_rows(T* acc, Tile<T>& a, Tile<T>& b, const T* x, int x_rows, const T* y,
                                                int y_rows, int64_t dim) {
  const int c = owned_col();
  for (int64_t d0 = 0; d0 < dim; d0 += kTile) {
    const int cols = tile_extent(dim, d0);
    load_tile(a, x + d0, dim, x_rows, cols);
    load_tile(b, y + d0, dim, y_rows, cols);
    __syncthreads();
    FASTNN_UNROLL
    for (int e = 0; e < kOwned; ++e) {
      const int r = owned_row(e);
      T sum = acc[e];
      FASTNN_UNROLL
      for (int d = 0; d < kTile; ++d) sum += a[r][d] * b[c][d];
      acc[e] = sum;
    }
    __syncthreads();
  }
}

// dst[r * dim + c] = keep[r] dst + coef sum_j p(r, j) x[j * dim + c] over the columns in chunks, for
// r < rows: p(r, j) = p[r][j] (O += P V, dQ += dS K), or p[j][r] when transposed (dV += P^T dO,
// dK += dS^T Q). keep null: 1; zero: dst starts from 0 (the first tile). x_rows rows of x are read.
template <bool kTransposed, class T>
__device__ __forceinline__ void accumulate_product(T* dst, int rows, const T* keep, bool zero, T coef, const Tile<T>& p,
                                                   Tile<T>& buffer, const T* x, int x_rows, int64_t dim) {
  const int c = owned_col();
  for (int64_t c0 = 0; c0 < dim; c0 += kTile) {
    const int cols = tile_extent(dim, c0);
    load_tile(buffer, x + c0, dim, x_rows, cols);
    __syncthreads();
    FASTNN_UNROLL
    for (int e = 0; e < kOwned; ++e) {
      const int r = owned_row(e);
      if (r >= rows || c >= cols) continue;
      T sum = T(0);
      FASTNN_UNROLL
      for (int j = 0; j < kTile; ++j) sum += (kTransposed ? p[j][r] : p[r][j]) * buffer[j][c];
      T* out = dst + r * dim + c0 + c;
      const T before = zero ? T(0) : keep ? *out * keep[r] : *out;
      *out = before + coef * sum;
    }
    __syncthreads();
  }
}

// scale * q k^T + mask for the owned elements of the tile (query i0 + r, key j0 + c); -inf where
// the key is out of range or masked (a query out of range reads as a row of -inf).
template <class T>
__device__ __forceinline__ void scores(T* s, Tile<T>& a, Tile<T>& b, const T* q, const T* k, const AttentionSizes& z,
                                       T scale, const AttentionMask<T>& mask, int64_t n, int64_t i0, int64_t j0) {
  const int rows = tile_extent(z.tq, i0), cols = tile_extent(z.tk, j0), c = owned_col();
  FASTNN_UNROLL
  for (int e = 0; e < kOwned; ++e) s[e] = T(0);
  rows_times_rows(s, a, b, q + (n * z.tq + i0) * z.e, rows, k + (n * z.tk + j0) * z.e, cols, z.e);
  FASTNN_UNROLL
  for (int e = 0; e < kOwned; ++e) {
    const int r = owned_row(e);
    const int64_t i = i0 + r, j = j0 + c;
    T value = math::minus_infinity<T>();
    if (r < rows && c < cols && !(mask.causal && j > i)) {
      value = scale * s[e];
      if (mask.additive) value += mask.additive[n * mask.stride_n + i * mask.stride_q + j * mask.stride_k];
    }
    s[e] = value;
  }
}

// Keys the queries of the tile at i0 may see: all, or under the causal mask those before its end.
__device__ __forceinline__ int64_t key_end(const AttentionSizes& z, bool causal, int64_t i0) {
  return causal ? min64(z.tk, i0 + kTile) : z.tk;
}

// ------------------------------------------------------------------------------------- forward

// One block per (n, query tile), a grid-stride loop over them. out: [N, Tq, Ev]; stats: null or
// [N, Tq, 2] = (m, l) of each row (the backward's).
template <class T>
__global__ void __launch_bounds__(kThreads)
    attention_forward_kernel(T* out, T* stats, const T* q, const T* k, const T* v, AttentionSizes z, T scale,
                             AttentionMask<T> mask) {
  FASTNN_SHARED(T, a, [kTile][kPad]);
  FASTNN_SHARED(T, b, [kTile][kPad]);
  FASTNN_SHARED(T, p, [kTile][kPad]);
  FASTNN_SHARED(T, row_max, [kTile]);
  FASTNN_SHARED(T, row_sum, [kTile]);
  FASTNN_SHARED(T, rescale, [kTile]);
  const T ninf = math::minus_infinity<T>();
  const int64_t query_tiles = tiles(z.tq);
  const int t = threadIdx.x, c = owned_col();
  for (int64_t w = blockIdx.x; w < z.n * query_tiles; w += gridDim.x) {
    const int64_t n = w / query_tiles, i0 = (w % query_tiles) * kTile;
    const int rows = tile_extent(z.tq, i0);
    T* o = out + (n * z.tq + i0) * z.ev;
    if (t < kTile) {
      row_max[t] = ninf;
      row_sum[t] = T(0);
    }
    const int64_t j_end = key_end(z, mask.causal, i0);
    for (int64_t j0 = 0; j0 < j_end; j0 += kTile) {
      T s[kOwned];
      scores(s, a, b, q, k, z, scale, mask, n, i0, j0);
      FASTNN_UNROLL
      for (int e = 0; e < kOwned; ++e) p[owned_row(e)][c] = s[e];
      __syncthreads();
      if (t < kTile) {  // the online softmax of row t
        const T m_old = row_max[t];
        T m_new = m_old;
        for (int j = 0; j < kTile; ++j) m_new = p[t][j] > m_new ? p[t][j] : m_new;
        const T base = m_new == ninf ? T(0) : m_new;
        T sum = T(0);
        for (int j = 0; j < kTile; ++j) {
          const T x = math::exp(p[t][j] - base);
          p[t][j] = x;
          sum += x;
        }
        const T alpha = math::exp(m_old - base);
        rescale[t] = alpha;
        row_sum[t] = row_sum[t] * alpha + sum;
        row_max[t] = m_new;
      }
      __syncthreads();
      accumulate_product<false>(o, rows, &rescale[0], j0 == 0, T(1), p, b, v + (n * z.tk + j0) * z.ev,
                                tile_extent(z.tk, j0), z.ev);
    }
    __syncthreads();
    for (int64_t c0 = 0; c0 < z.ev; c0 += kTile) {
      FASTNN_UNROLL
      for (int e = 0; e < kOwned; ++e) {
        const int r = owned_row(e);
        if (r >= rows || c0 + c >= z.ev) continue;
        const T l = row_sum[r];
        T* x = o + r * z.ev + c0 + c;
        *x = l > T(0) ? *x / l : T(0);  // also no keys at all (Tk = 0): O was never written
      }
    }
    if (stats && t < rows) {
      stats[(n * z.tq + i0 + t) * 2] = row_max[t];
      stats[(n * z.tq + i0 + t) * 2 + 1] = row_sum[t];
    }
    __syncthreads();
  }
}

// ------------------------------------------------------------------------------------ backward

// delta[row] = sum_c grad_out[row, c] out[row, c], one thread per row (of R = N Tq).
template <class T>
__global__ void __launch_bounds__(kThreads)
    attention_delta_kernel(T* delta, const T* grad_out, const T* out, int64_t rows, int64_t ev) {
  for (int64_t r = int64_t(blockIdx.x) * kThreads + threadIdx.x; r < rows; r += int64_t(gridDim.x) * kThreads) {
    T sum = T(0);
    for (int64_t c = 0; c < ev; ++c) sum += grad_out[r * ev + c] * out[r * ev + c];
    delta[r] = sum;
  }
}

// For the owned elements of the tile at (i0, j0): p = P, then ds = dS = P (dP - D). The row
// statistics of the tile's queries are in m, l, d (shared; 0 for rows out of range).
template <class T>
__device__ __forceinline__ void probabilities_and_grad(T* p, T* ds, Tile<T>& a, Tile<T>& b, const T* row_m,
                                                       const T* row_l, const T* row_d, const T* q, const T* k,
                                                       const T* v, const T* grad_out, const AttentionSizes& z, T scale,
                                                       const AttentionMask<T>& mask, int64_t n, int64_t i0,
                                                       int64_t j0) {
  scores(p, a, b, q, k, z, scale, mask, n, i0, j0);
  FASTNN_UNROLL
  for (int e = 0; e < kOwned; ++e) {
    const int r = owned_row(e);
    p[e] = row_l[r] > T(0) ? math::exp(p[e] - row_m[r]) / row_l[r] : T(0);
    ds[e] = T(0);
  }
  rows_times_rows(ds, a, b, grad_out + (n * z.tq + i0) * z.ev, tile_extent(z.tq, i0), v + (n * z.tk + j0) * z.ev,
                  tile_extent(z.tk, j0), z.ev);
  FASTNN_UNROLL
  for (int e = 0; e < kOwned; ++e) ds[e] = p[e] * (ds[e] - row_d[owned_row(e)]);
}

// The statistics (m, l, D) of the query tile at i0 into shared memory (0 beyond Tq). Thread t < kTile.
template <class T>
__device__ __forceinline__ void load_row_statistics(T* row_m, T* row_l, T* row_d, const T* stats, const T* delta,
                                                    const AttentionSizes& z, int64_t n, int64_t i0) {
  const int t = threadIdx.x;
  if (t >= kTile) return;
  const bool in = i0 + t < z.tq;
  const int64_t row = n * z.tq + i0 + t;
  row_m[t] = in ? stats[row * 2] : T(0);
  row_l[t] = in ? stats[row * 2 + 1] : T(0);
  row_d[t] = in ? delta[row] : T(0);
}

// One block per (n, key tile): dK and dV of its keys over every query tile, in order.
template <class T>
__global__ void __launch_bounds__(kThreads)
    attention_backward_key_kernel(T* grad_k, T* grad_v, const T* grad_out, const T* q, const T* k, const T* v,
                                  const T* stats, const T* delta, AttentionSizes z, T scale, AttentionMask<T> mask) {
  FASTNN_SHARED(T, a, [kTile][kPad]);
  FASTNN_SHARED(T, b, [kTile][kPad]);
  FASTNN_SHARED(T, tile, [kTile][kPad]);
  FASTNN_SHARED(T, row_m, [kTile]);
  FASTNN_SHARED(T, row_l, [kTile]);
  FASTNN_SHARED(T, row_d, [kTile]);
  const int64_t key_tiles = tiles(z.tk);
  const int c = owned_col();
  for (int64_t w = blockIdx.x; w < z.n * key_tiles; w += gridDim.x) {
    const int64_t n = w / key_tiles, j0 = (w % key_tiles) * kTile;
    const int cols = tile_extent(z.tk, j0);
    T* dk = grad_k + (n * z.tk + j0) * z.e;
    T* dv = grad_v + (n * z.tk + j0) * z.ev;
    // Under the causal mask query i sees key j only when i >= j: start at the tile of query j0.
    const int64_t i_begin = mask.causal ? j0 / kTile * kTile : 0;
    bool first = true;
    for (int64_t i0 = i_begin; i0 < z.tq; i0 += kTile, first = false) {
      const int rows = tile_extent(z.tq, i0);
      load_row_statistics(&row_m[0], &row_l[0], &row_d[0], stats, delta, z, n, i0);
      __syncthreads();
      T p[kOwned], ds[kOwned];
      probabilities_and_grad(p, ds, a, b, &row_m[0], &row_l[0], &row_d[0], q, k, v, grad_out, z, scale, mask, n, i0,
                             j0);
      FASTNN_UNROLL
      for (int e = 0; e < kOwned; ++e) tile[owned_row(e)][c] = p[e];
      __syncthreads();
      accumulate_product<true>(dv, cols, static_cast<const T*>(nullptr), first, T(1), tile, b,
                               grad_out + (n * z.tq + i0) * z.ev, rows, z.ev);
      FASTNN_UNROLL
      for (int e = 0; e < kOwned; ++e) tile[owned_row(e)][c] = ds[e];
      __syncthreads();
      accumulate_product<true>(dk, cols, static_cast<const T*>(nullptr), first, scale, tile, b,
                               q + (n * z.tq + i0) * z.e, rows, z.e);
    }
    if (first) {  // no query sees these keys (Tq = 0, or causal with Tq <= j0)
      for (int64_t x = threadIdx.x; x < cols * z.e; x += kThreads) dk[x] = T(0);
      for (int64_t x = threadIdx.x; x < cols * z.ev; x += kThreads) dv[x] = T(0);
    }
    __syncthreads();
  }
}

// One block per (n, query tile): dQ of its queries over the key tiles, in order, and dM = dS.
template <class T>
__global__ void __launch_bounds__(kThreads)
    attention_backward_query_kernel(T* grad_q, T* grad_mask, const T* grad_out, const T* q, const T* k, const T* v,
                                    const T* stats, const T* delta, AttentionSizes z, T scale, AttentionMask<T> mask) {
  FASTNN_SHARED(T, a, [kTile][kPad]);
  FASTNN_SHARED(T, b, [kTile][kPad]);
  FASTNN_SHARED(T, tile, [kTile][kPad]);
  FASTNN_SHARED(T, row_m, [kTile]);
  FASTNN_SHARED(T, row_l, [kTile]);
  FASTNN_SHARED(T, row_d, [kTile]);
  const int64_t query_tiles = tiles(z.tq);
  const int c = owned_col();
  for (int64_t w = blockIdx.x; w < z.n * query_tiles; w += gridDim.x) {
    const int64_t n = w / query_tiles, i0 = (w % query_tiles) * kTile;
    const int rows = tile_extent(z.tq, i0);
    T* dq = grad_q + (n * z.tq + i0) * z.e;
    load_row_statistics(&row_m[0], &row_l[0], &row_d[0], stats, delta, z, n, i0);
    __syncthreads();
    // Every key tile when dM is wanted: those the causal mask hides then give their zeros.
    const int64_t j_end = grad_mask ? z.tk : key_end(z, mask.causal, i0);
    for (int64_t j0 = 0; j0 < j_end; j0 += kTile) {
      T p[kOwned], ds[kOwned];
      probabilities_and_grad(p, ds, a, b, &row_m[0], &row_l[0], &row_d[0], q, k, v, grad_out, z, scale, mask, n, i0,
                             j0);
      const int cols = tile_extent(z.tk, j0);
      FASTNN_UNROLL
      for (int e = 0; e < kOwned; ++e) {
        const int r = owned_row(e);
        tile[r][c] = ds[e];
        if (grad_mask && r < rows && c < cols) grad_mask[(n * z.tq + i0 + r) * z.tk + j0 + c] = ds[e];
      }
      __syncthreads();
      accumulate_product<false>(dq, rows, static_cast<const T*>(nullptr), j0 == 0, scale, tile, b,
                                k + (n * z.tk + j0) * z.e, cols, z.e);
    }
    if (j_end == 0)  // no keys at all
      for (int64_t x = threadIdx.x; x < rows * z.e; x += kThreads) dq[x] = T(0);
    __syncthreads();
  }
}

}  // namespace

// ------------------------------------------------------------------------------------- launchers

template <class T>
void attention_forward(cudaStream_t stream, T* out, const T* q, const T* k, const T* v, const AttentionSizes& s,
                       T scale, const AttentionMask<T>& mask) {
  const int64_t blocks = s.n * tiles(s.tq);
  if (blocks == 0 || s.ev == 0) return;
  FASTNN_LAUNCH(attention_forward_kernel<T>)(grid_stride_blocks(blocks, 1), dim3(kThreads), 0, stream, out,
                                             static_cast<T*>(nullptr), q, k, v, s, scale, mask);
}

template <class T>
void attention_backward(cudaStream_t stream, T* grad_q, T* grad_k, T* grad_v, T* grad_mask, const T* grad_out,
                        const T* q, const T* k, const T* v, const AttentionSizes& s, T scale,
                        const AttentionMask<T>& mask) {
  const int64_t rows = s.n * s.tq, query_blocks = s.n * tiles(s.tq);
  const int64_t key_blocks = s.n * tiles(s.tk);
  // The forward's O [N, Tq, Ev], then the row statistics (m, l) [N, Tq, 2] and D [N, Tq].
  const Workspace scratch(size_t(rows * (s.ev + 3)) * sizeof(T), stream);
  T* out = scratch.as<T>();
  T* stats = out + rows * s.ev;
  T* delta = stats + rows * 2;
  if (query_blocks > 0) {
    FASTNN_LAUNCH(attention_forward_kernel<T>)(grid_stride_blocks(query_blocks, 1), dim3(kThreads), 0, stream, out,
                                               stats, q, k, v, s, scale, mask);
    FASTNN_LAUNCH(attention_delta_kernel<T>)(grid_stride_blocks(rows, kThreads), dim3(kThreads), 0, stream, delta,
                                             grad_out, out, rows, s.ev);
  }
  if (key_blocks > 0)
    FASTNN_LAUNCH(attention_backward_key_kernel<T>)(grid_stride_blocks(key_blocks, 1), dim3(kThreads), 0, stream,
                                                    grad_k, grad_v, grad_out, q, k, v, stats, delta, s, scale, mask);
  if (query_blocks > 0)
    FASTNN_LAUNCH(attention_backward_query_kernel<T>)(grid_stride_blocks(query_blocks, 1), dim3(kThreads), 0, stream,
                                                      grad_q, grad_mask, grad_out, q, k, v, stats, delta, s, scale,
                                                      mask);
}

#define FASTNN_INSTANTIATE(T)                                                                                  \
  template void attention_forward<T>(cudaStream_t, T*, const T*, const T*, const T*, const AttentionSizes&, T, \
                                     const AttentionMask<T>&);                                                 \
  template void attention_backward<T>(cudaStream_t, T*, T*, T*, T*, const T*, const T*, const T*, const T*,    \
                                      const AttentionSizes&, T, const AttentionMask<T>&);
FASTNN_INSTANTIATE(float)
FASTNN_INSTANTIATE(double)
#undef FASTNN_INSTANTIATE

}  // namespace fastnn::cuda
