// What each SIMD level provides to the recurrent drivers (cpu/rnn.cpp): the fused pointwise
// pass of one time step over `rows` batch rows, single-threaded. Every row is contiguous:
// gate rows hold 4H values (LSTM i, f, g, o; GRU r, z, n, W_hn h + b_hn), state rows H.
// The float tables are instantiated in pointwise_{generic,avx2,avx512}.cpp (they share those
// files' vector types and vec_math.inc); double always runs the generic table with libm.
// Each element goes through the same vector code (tails through masked loads and stores), so
// results never depend on how the rows are split between threads.
#pragma once
#include <cstdint>

#include "core/cpu_features.h"

namespace fastnn::cpu {

template <class T>
struct RnnGateKernels {
  // gates: pre-activations in, activated i, f, g, o out; c = f c_prev + i g; h = o tanh(c).
  void (*lstm_forward)(T* gates, T* c, T* h, const T* c_prev, int64_t rows, int64_t H);
  // dgates [rows, 4H] <- gradients of the pre-activations, with dh = dy + dh_rec; dc holds the
  // gradient arriving at c and is overwritten with the one leaving for c_prev.
  void (*lstm_backward)(T* dgates, T* dc, const T* dy, const T* dh_rec, const T* gates, const T* c, const T* c_prev,
                        int64_t rows, int64_t H);
  // gates: columns [0, 3H) hold the input projections (with b_ih) on entry, r, z, n, hn on exit;
  // hproj [rows, 3H] = W_hh h_prev + b_hh; h = n + z (h_prev - n).
  void (*gru_forward)(T* gates, T* h, const T* hproj, const T* h_prev, int64_t rows, int64_t H);
  // dgx / dgh [rows, 3H] <- gradients of the input / hidden projections, with dh = dy + carry;
  // carry is overwritten with z dh (the direct part of the gradient for h_prev).
  void (*gru_backward)(T* dgx, T* dgh, T* carry, const T* dy, const T* gates, const T* h_prev, int64_t rows,
                       int64_t H);
  // h = act(h) in place over n contiguous pre-activations; act = relu or tanh.
  void (*rnn_forward)(T* h, int64_t n, bool relu);
  // dpre = (dy + dh_rec) act'(from the output h), n contiguous elements.
  void (*rnn_backward)(T* dpre, const T* dy, const T* dh_rec, const T* h, int64_t n, bool relu);
};

const RnnGateKernels<float>& rnn_gate_kernels(SimdLevel level, float*);
const RnnGateKernels<double>& rnn_gate_kernels(SimdLevel level, double*);

namespace generic {
extern const RnnGateKernels<float> rnn_gates_f32;
extern const RnnGateKernels<double> rnn_gates_f64;
}  // namespace generic
namespace avx2 {
extern const RnnGateKernels<float> rnn_gates_f32;
}  // namespace avx2
namespace avx512 {
extern const RnnGateKernels<float> rnn_gates_f32;
}  // namespace avx512

}  // namespace fastnn::cpu
