// The pointwise part of one recurrent step (cpu/rnn.h's formulas), on values: what the per-step
// kernels (rnn.cu) and the persistent ones (rnn_persistent.cuh) compute for each state element,
// so both paths run the same arithmetic. Backward takes the derivatives from saved outputs:
// sigm' = s (1 - s), tanh' = (1 - t)(1 + t).
#pragma once
#include "cuda/launch.cuh"
#include "cuda/math.cuh"

namespace fastnn::cuda::rnn_cells {

using math::sigmoid;

template <class T>
__device__ __forceinline__ T dsigmoid(T s) {
  return s * (T(1) - s);
}
template <class T>
__device__ __forceinline__ T dtanh(T t) {
  return (T(1) - t) * (T(1) + t);
}

// LSTM: pre-activations (i, f, g, o) and c_prev -> the activated gates, c and h.
template <class T>
struct LstmForward {
  T i, f, g, o, c, h;
};
template <class T>
__device__ __forceinline__ LstmForward<T> lstm_forward(T pi, T pf, T pg, T po, T c_prev) {
  LstmForward<T> r;
  r.i = sigmoid(pi), r.f = sigmoid(pf), r.g = math::tanh(pg), r.o = sigmoid(po);
  r.c = r.f * c_prev + r.i * r.g;
  r.h = r.o * math::tanh(r.c);
  return r;
}

// LSTM backward: from the saved gates, c, c_prev and the gradients reaching h (dh) and c (dc_in):
// the gradients of the pre-activations and the one reaching c_prev.
template <class T>
struct LstmBackward {
  T di, df, dg, do_, dc_prev;
};
template <class T>
__device__ __forceinline__ LstmBackward<T> lstm_backward(T i, T f, T g, T o, T c, T c_prev, T dh, T dc_in) {
  const T tc = math::tanh(c);
  const T dcv = dh * o * dtanh(tc) + dc_in;
  return {dcv * g * dsigmoid(i), dcv * c_prev * dsigmoid(f), dcv * i * dtanh(g), dh * tc * dsigmoid(o), dcv * f};
}

// GRU: input projections (xr, xz, xn, with b_ih), hidden projections (hr, hz, hn, with b_hh) and
// h_prev -> r, z, n and h.
template <class T>
struct GruForward {
  T r, z, n, h;
};
template <class T>
__device__ __forceinline__ GruForward<T> gru_forward(T xr, T xz, T xn, T hr, T hz, T hn, T h_prev) {
  GruForward<T> out;
  out.r = sigmoid(xr + hr);
  out.z = sigmoid(xz + hz);
  out.n = math::tanh(out.r * hn + xn);
  out.h = out.z * (h_prev - out.n) + out.n;
  return out;
}

// GRU backward from the saved r, z, n, hn, h_prev and dh: the gradients of the input projections
// (dr, dz, dn; the hidden ones are dr, dz, dn r) and z dh, the direct part of dh_prev.
template <class T>
struct GruBackward {
  T dr, dz, dn, carry;
};
template <class T>
__device__ __forceinline__ GruBackward<T> gru_backward(T r, T z, T nv, T hn, T h_prev, T dh) {
  GruBackward<T> out;
  out.dn = dh * (T(1) - z) * dtanh(nv);
  out.dz = dh * (h_prev - nv) * dsigmoid(z);
  out.dr = out.dn * hn * dsigmoid(r);
  out.carry = dh * z;
  return out;
}

// Elman RNN: h = act(a) (relu: 0 > a ? 0 : a, so NaN stays NaN); backward from h and dh.
template <class T>
__device__ __forceinline__ T rnn_forward(T a, bool relu) {
  return relu ? (T(0) > a ? T(0) : a) : math::tanh(a);
}
template <class T>
__device__ __forceinline__ T rnn_backward(T h, T dh, bool relu) {
  return relu ? (h <= T(0) ? T(0) : dh) : dh * dtanh(h);
}

}  // namespace fastnn::cuda::rnn_cells
