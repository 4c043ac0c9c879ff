// Dropout with a counter-based random mask:
//   forward:  keep_i = u_i >= p  (u_i uniform in [0, 1)),  mask_i = keep_i,  y_i = x_i * m_i
//   backward: dx_i = dy_i * m_i,   m_i = keep_i / (1 - p), and m_i = 0 for every i when p = 1
// like PyTorch (x * noise, so NaN/inf in x stay NaN where dropped). u_i comes from Philox4x32-10
// (Salmon et al., SC'11) keyed by the 64-bit seed, counter (offset + i) / 4, word (offset + i) % 4:
// the mask depends only on (seed, offset + i), never on the thread count or chunking, and a call
// at offset k continues the stream of a call at offset 0 over the first k elements.
// Arrays are contiguous, n elements; mask is uint8 (0 or 1).
#pragma once
#include <cmath>
#include <cstdint>

namespace fastnn::cpu {

// An element is kept iff its Philox word is >= this; 2^32 when p = 1 (no word reaches it).
inline uint64_t dropout_threshold(double p) { return uint64_t(std::llround(p * 4294967296.0)); }

// The multiplier of a kept element: 1 / (1 - p), and 0 when p = 1 (everything dropped).
template <class T>
T dropout_keep_scale(double p) {
  return p < 1.0 ? T(1.0 / (1.0 - p)) : T(0);
}

template <class T>
void dropout_forward(T* y, uint8_t* mask, const T* x, int64_t n, double p, uint64_t seed, uint64_t offset);

template <class T>
void dropout_backward(T* dx, const T* dy, const uint8_t* mask, int64_t n, double p);

}  // namespace fastnn::cpu
