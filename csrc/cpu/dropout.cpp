// Dropout forward/backward (formulas: dropout.h). Philox4x32-10 makes four 32-bit words per
// counter; element j = offset + i is kept when word j % 4 of counter j / 4 is >= p * 2^32.
// The mask is generated one counter at a time on each thread's contiguous chunk of elements.
#include "cpu/dropout.h"

#include <cmath>

#include "core/parallel.h"

namespace fastnn::cpu {

namespace {

constexpr int64_t kMinChunk = 16384;

struct Philox4x32 {
  uint32_t v[4];
};

// Philox4x32-10: ten rounds of two 32x32->64 multiplies, with the Weyl key schedule.
Philox4x32 philox(uint64_t counter, uint64_t seed) {
  uint32_t c0 = uint32_t(counter), c1 = uint32_t(counter >> 32), c2 = 0, c3 = 0;
  uint32_t k0 = uint32_t(seed), k1 = uint32_t(seed >> 32);
  for (int round = 0; round < 10; ++round) {
    const uint64_t p0 = uint64_t(0xD2511F53u) * c0, p1 = uint64_t(0xCD9E8D57u) * c2;
    const uint32_t n0 = uint32_t(p1 >> 32) ^ c1 ^ k0, n2 = uint32_t(p0 >> 32) ^ c3 ^ k1;
    c1 = uint32_t(p1);
    c3 = uint32_t(p0);
    c0 = n0;
    c2 = n2;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  return {{c0, c1, c2, c3}};
}

// The multiplier of a kept element: 1 / (1 - p), and 0 when p = 1 (everything dropped).
template <class T>
T keep_scale(double p) {
  return p < 1.0 ? T(1.0 / (1.0 - p)) : T(0);
}

}  // namespace

template <class T>
void dropout_forward(T* y, uint8_t* mask, const T* x, int64_t n, double p, uint64_t seed, uint64_t offset) {
  // keep iff word >= threshold; the threshold is 2^32 when p = 1 (no word reaches it).
  const uint64_t threshold = uint64_t(std::llround(p * 4294967296.0));
  const T scale = keep_scale<T>(p);
  parallel_for(n, kMinChunk, [&](int64_t begin, int64_t end) {
    int64_t i = begin;
    while (i < end) {
      const uint64_t j = offset + uint64_t(i);
      const Philox4x32 r = philox(j / 4, seed);
      for (uint64_t word = j % 4; word < 4 && i < end; ++word, ++i) {
        const bool keep = r.v[word] >= threshold;
        mask[i] = keep;
        y[i] = x[i] * (keep ? scale : T(0));
      }
    }
  });
}

template <class T>
void dropout_backward(T* dx, const T* dy, const uint8_t* mask, int64_t n, double p) {
  const T scale = keep_scale<T>(p);
  parallel_for(n, kMinChunk, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) dx[i] = dy[i] * (mask[i] ? scale : T(0));
  });
}

template void dropout_forward<float>(float*, uint8_t*, const float*, int64_t, double, uint64_t, uint64_t);
template void dropout_forward<double>(double*, uint8_t*, const double*, int64_t, double, uint64_t, uint64_t);
template void dropout_backward<float>(float*, const float*, const uint8_t*, int64_t, double);
template void dropout_backward<double>(double*, const double*, const uint8_t*, int64_t, double);

}  // namespace fastnn::cpu
