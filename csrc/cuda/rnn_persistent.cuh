// Persistent recurrent kernels (rnn.cu's path for hidden sizes up to kMaxHidden): ONE launch runs
// every time step of a layer's recurrence, instead of a gemm and a pointwise launch per step, as
// Diamos et al. (ICML 2016) and cuDNN's PERSIST algorithms do.
//
// The batch rows of a recurrence are independent, so block b owns `rows` of them (at most
// kMaxRows) for all T steps and needs no grid-wide barrier: their state stays in shared memory
// between steps, and the recurrent weights stay on chip in L2 (every block reads all of W_hh each
// step; 4H x H floats is 256 KB at H = 128), read along the dimension the block's threads run on.
//
//   forward, per step t:  pre[r][n] = sum_k h[r][k] W_hh[n][k] (+ b_hh[n] for GRU), k ascending,
//                         one thread per gate column n (W_hh^T, transposed once into a workspace,
//                         so that a warp's loads are adjacent); barrier; one thread per state
//                         element runs rnn_cells' step on (input projection + pre) and writes the
//                         saved gates, c, y and the new h; barrier.
//   backward, per step:   one thread per state element runs rnn_cells' backward step from dy,
//                         the dh (and dc) carried in shared memory and the saved gates, writing
//                         dGates (both sides for GRU) to global memory and the hidden side to
//                         shared memory; barrier; dh_prev[r][k] = sum_n dG[r][n] W_hh[n][k]
//                         (+ z dh for GRU), n ascending, one thread per k; barrier.
// The input projections before and the weight gradients after stay rnn.cu's big gemms. Every sum
// has a fixed order and one owner: bitwise repeatable, no atomics. Shared memory per block:
// forward (2 rows H + rows G) elements, backward (3 rows H + rows G), G = gate rows of W_hh (LSTM
// 4H, GRU 3H, RNN H), kept within 48 KB by choosing `rows`.
#pragma once
#include <cstdint>

#include "cuda/launch.cuh"
#include "cuda/rnn_cells.cuh"
#include "cuda/workspace.cuh"

namespace fastnn::cuda::rnn_persistent {

constexpr int kThreads = 256;
constexpr int kMaxRows = 4;
constexpr int64_t kMaxHidden = 256;
constexpr size_t kMaxSharedBytes = 48 * 1024;  // the limit without an opt-in attribute

enum class Cell { lstm, gru, rnn_tanh, rnn_relu };

__host__ __device__ constexpr int64_t gate_rows(Cell cell, int64_t hidden) {
  return cell == Cell::lstm ? 4 * hidden : cell == Cell::gru ? 3 * hidden : hidden;
}
// The width of a saved gate row: LSTM and GRU 4H (GRU keeps W_hn h + b_hn), RNN H (y itself).
__host__ __device__ constexpr int64_t saved_width(Cell cell, int64_t hidden) {
  return cell == Cell::lstm || cell == Cell::gru ? 4 * hidden : hidden;
}

// Rows of H per batch row in shared memory: forward h and c, backward dh, dc and carry; each
// batch row also has one row of G.
constexpr int kForwardStates = 2;
constexpr int kBackwardStates = 3;

inline size_t shared_bytes(Cell cell, int64_t hidden, int rows, int states, size_t element) {
  return size_t(rows * (states * hidden + gate_rows(cell, hidden))) * element;
}

// Batch rows per block whose shared arrays fit in kMaxSharedBytes (0: none fit, or H is above
// kMaxHidden: the per-step path runs).
inline int rows_per_block(Cell cell, int64_t hidden, int states, size_t element) {
  if (hidden > kMaxHidden) return 0;
  for (int rows = kMaxRows; rows > 0; --rows)
    if (shared_bytes(cell, hidden, rows, states, element) <= kMaxSharedBytes) return rows;
  return 0;
}

template <class T>
struct ForwardArgs {
  T* gates;       // [T, B, saved width]: input projections (+ biases but b_hh of GRU) in, saved gates out
  T* y;           // [T, B, H] (RNN: gates itself)
  T* cell;        // LSTM [T, B, H]
  const T* h0;    // [B, H] or null
  const T* c0;    // LSTM [B, H] or null
  const T* w_t;   // W_hh^T [H, G]
  const T* b_hh;  // GRU [3H] or null
  int64_t steps, batch, hidden;
  bool reverse;
  int rows;
};

template <class T>
struct BackwardArgs {
  T* dgx;          // [T, B, G]: dGates (GRU: its input side)
  T* dgh;          // GRU [T, B, G]: the hidden side; others: dgx
  T* dh0;          // [B, H] or null
  T* dc0;          // LSTM [B, H] or null
  const T* dy;     // [T, B, H]
  const T* dh_n;   // [B, H] or null
  const T* dc_n;   // LSTM [B, H] or null
  const T* gates;  // the saved gates [T, B, saved width] (RNN: y)
  const T* cell;   // LSTM [T, B, H]
  const T* c0;     // LSTM [B, H] or null
  const T* y;      // GRU: h_prev of later steps
  const T* h0;     // GRU: h_prev of the first step, or null
  const T* w_hh;   // [G, H]
  int64_t steps, batch, hidden;
  bool reverse;
  int rows;
};

// wt [H, G] = w [G, H]^T.
template <class T>
__global__ void __launch_bounds__(kThreads) transpose_kernel(T* wt, const T* w, int64_t g, int64_t h) {
  FASTNN_GRID_STRIDE(e, g * h, kThreads)
  wt[(e % h) * g + e / h] = w[e];
}

template <class T, Cell kCell>
__global__ void __launch_bounds__(kThreads) forward_kernel(ForwardArgs<T> a) {
  FASTNN_DYNAMIC_SHARED(T, shared);
  const int64_t H = a.hidden, G = gate_rows(kCell, H), W = saved_width(kCell, H), R = a.rows, B = a.batch;
  T* h = shared;       // [R, H]
  T* c = h + R * H;    // [R, H] (LSTM)
  T* pre = c + R * H;  // [R, G]
  const int64_t b0 = int64_t(blockIdx.x) * R, rows = B - b0 < R ? B - b0 : R;
  for (int64_t e = threadIdx.x; e < R * H; e += kThreads) {
    const int64_t r = e / H, i = (b0 + r) * H + e % H;
    h[e] = r < rows && a.h0 ? a.h0[i] : T(0);
    c[e] = r < rows && a.c0 ? a.c0[i] : T(0);
  }
  __syncthreads();
  for (int64_t step = 0; step < a.steps; ++step) {
    const int64_t t = a.reverse ? a.steps - 1 - step : step;
    for (int64_t n = threadIdx.x; n < G; n += kThreads) {
      T acc[kMaxRows] = {};  // unrolled over kMaxRows with a guard, so that it stays in registers
      for (int64_t k = 0; k < H; ++k) {
        const T w = a.w_t[k * G + n];
        FASTNN_UNROLL
        for (int r = 0; r < kMaxRows; ++r)
          if (r < rows) acc[r] += h[r * H + k] * w;
      }
      FASTNN_UNROLL
      for (int r = 0; r < kMaxRows; ++r)
        if (r < rows) pre[r * G + n] = a.b_hh ? acc[r] + a.b_hh[n] : acc[r];
    }
    __syncthreads();
    for (int64_t e = threadIdx.x; e < rows * H; e += kThreads) {
      const int64_t r = e / H, j = e % H, row = t * B + b0 + r;
      T* g = a.gates + row * W + j;
      const T* p = pre + r * G + j;
      if constexpr (kCell == Cell::lstm) {
        const auto s =
            rnn_cells::lstm_forward(g[0] + p[0], g[H] + p[H], g[2 * H] + p[2 * H], g[3 * H] + p[3 * H], c[e]);
        g[0] = s.i, g[H] = s.f, g[2 * H] = s.g, g[3 * H] = s.o;
        c[e] = s.c;
        a.cell[row * H + j] = s.c;
        a.y[row * H + j] = h[e] = s.h;
      } else if constexpr (kCell == Cell::gru) {
        const auto s = rnn_cells::gru_forward(g[0], g[H], g[2 * H], p[0], p[H], p[2 * H], h[e]);
        g[0] = s.r, g[H] = s.z, g[2 * H] = s.n, g[3 * H] = p[2 * H];
        a.y[row * H + j] = h[e] = s.h;
      } else {
        g[0] = h[e] = rnn_cells::rnn_forward(g[0] + p[0], kCell == Cell::rnn_relu);
      }
    }
    __syncthreads();
  }
}

template <class T, Cell kCell>
__global__ void __launch_bounds__(kThreads) backward_kernel(BackwardArgs<T> a) {
  FASTNN_DYNAMIC_SHARED(T, shared);
  const int64_t H = a.hidden, G = gate_rows(kCell, H), W = saved_width(kCell, H), R = a.rows, B = a.batch;
  T* dh = shared;         // [R, H]: the gradient reaching h from the later step
  T* dc = dh + R * H;     // [R, H]: and reaching c (LSTM)
  T* carry = dc + R * H;  // [R, H]: z dh (GRU)
  T* dg = carry + R * H;  // [R, G]: the hidden side of dGates
  const int64_t b0 = int64_t(blockIdx.x) * R, rows = B - b0 < R ? B - b0 : R;
  for (int64_t e = threadIdx.x; e < R * H; e += kThreads) {
    const int64_t r = e / H, i = (b0 + r) * H + e % H;
    dh[e] = r < rows && a.dh_n ? a.dh_n[i] : T(0);
    dc[e] = r < rows && a.dc_n ? a.dc_n[i] : T(0);
    carry[e] = T(0);
  }
  __syncthreads();
  for (int64_t step = a.steps - 1; step >= 0; --step) {
    const int64_t t = a.reverse ? a.steps - 1 - step : step;
    const int64_t t_prev = a.reverse ? t + 1 : t - 1;  // the step before in the loop's order
    for (int64_t e = threadIdx.x; e < rows * H; e += kThreads) {
      const int64_t r = e / H, j = e % H, row = t * B + b0 + r, state = (b0 + r) * H + j;
      const T grad_h = a.dy[row * H + j] + dh[e];
      T* gx = a.dgx + row * G + j;
      T* p = dg + r * G + j;
      if constexpr (kCell == Cell::lstm) {
        const T* s = a.gates + row * W + j;
        const T c_prev = step > 0 ? a.cell[(t_prev * B + b0 + r) * H + j] : a.c0 ? a.c0[state] : T(0);
        const auto d =
            rnn_cells::lstm_backward(s[0], s[H], s[2 * H], s[3 * H], a.cell[row * H + j], c_prev, grad_h, dc[e]);
        gx[0] = p[0] = d.di, gx[H] = p[H] = d.df, gx[2 * H] = p[2 * H] = d.dg, gx[3 * H] = p[3 * H] = d.do_;
        dc[e] = d.dc_prev;
      } else if constexpr (kCell == Cell::gru) {
        const T* s = a.gates + row * W + j;
        const T h_prev = step > 0 ? a.y[(t_prev * B + b0 + r) * H + j] : a.h0 ? a.h0[state] : T(0);
        const auto d = rnn_cells::gru_backward(s[0], s[H], s[2 * H], s[3 * H], h_prev, grad_h);
        T* gh = a.dgh + row * G + j;
        gx[0] = d.dr, gx[H] = d.dz, gx[2 * H] = d.dn;
        gh[0] = p[0] = d.dr, gh[H] = p[H] = d.dz, gh[2 * H] = p[2 * H] = d.dn * s[0];
        carry[e] = d.carry;
      } else {
        gx[0] = p[0] = rnn_cells::rnn_backward(a.gates[row * W + j], grad_h, kCell == Cell::rnn_relu);
      }
    }
    __syncthreads();
    if (step == 0 && !a.dh0) break;  // the same for every thread of the block
    for (int64_t k = threadIdx.x; k < H; k += kThreads) {
      T acc[kMaxRows] = {};
      for (int64_t n = 0; n < G; ++n) {
        const T w = a.w_hh[n * H + k];
        FASTNN_UNROLL
        for (int r = 0; r < kMaxRows; ++r)
          if (r < rows) acc[r] += dg[r * G + n] * w;
      }
      FASTNN_UNROLL
      for (int r = 0; r < kMaxRows; ++r) {
        if (r >= rows) continue;
        const T v = kCell == Cell::gru ? acc[r] + carry[r * H + k] : acc[r];
        if (step == 0)
          a.dh0[(b0 + r) * H + k] = v;
        else
          dh[r * H + k] = v;
      }
    }
    __syncthreads();
  }
  if (a.dc0)
    for (int64_t e = threadIdx.x; e < rows * H; e += kThreads) a.dc0[(b0 + e / H) * H + e % H] = dc[e];
}

inline unsigned blocks(int64_t batch, int rows) { return static_cast<unsigned>((batch + rows - 1) / rows); }

// The forward recurrence (rows from rows_per_block(cell, H, kForwardStates, sizeof(T)), > 0; batch > 0).
template <class T, Cell kCell>
void forward(cudaStream_t stream, ForwardArgs<T> a, const T* w_hh) {
  const int64_t G = gate_rows(kCell, a.hidden);
  Workspace w_t(sizeof(T) * size_t(G * a.hidden), stream);
  FASTNN_LAUNCH(transpose_kernel<T>)(grid_stride_blocks(G * a.hidden, kThreads), dim3(kThreads), 0, stream, w_t.as<T>(),
                                     w_hh, G, a.hidden);
  a.w_t = w_t.as<const T>();
  const size_t smem = shared_bytes(kCell, a.hidden, a.rows, kForwardStates, sizeof(T));
  FASTNN_LAUNCH(forward_kernel<T, kCell>)(dim3(blocks(a.batch, a.rows)), dim3(kThreads), smem, stream, a);
}

// The backward recurrence (rows from rows_per_block(cell, H, kBackwardStates, sizeof(T)), > 0; batch > 0).
template <class T, Cell kCell>
void backward(cudaStream_t stream, const BackwardArgs<T>& a) {
  const size_t smem = shared_bytes(kCell, a.hidden, a.rows, kBackwardStates, sizeof(T));
  FASTNN_LAUNCH(backward_kernel<T, kCell>)(dim3(blocks(a.batch, a.rows)), dim3(kThreads), smem, stream, a);
}

}  // namespace fastnn::cuda::rnn_persistent
