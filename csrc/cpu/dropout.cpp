// Dropout forward/backward (formulas: dropout.h). Philox4x32-10 makes four 32-bit words per
// counter; element j = offset + i is kept when word j % 4 of counter j / 4 is >= p * 2^32.
// The mask is generated one counter at a time on each thread's contiguous chunk of elements.
#include "cpu/dropout.h"

#include "core/parallel.h"
#include "core/philox.h"

namespace fastnn::cpu {

namespace {

constexpr int64_t kMinChunk = 16384;

}  // namespace

template <class T>
void dropout_forward(T* y, uint8_t* mask, const T* x, int64_t n, double p, uint64_t seed, uint64_t offset) {
  const uint64_t threshold = dropout_threshold(p);
  const T scale = dropout_keep_scale<T>(p);
  parallel_for(n, kMinChunk, [&](int64_t begin, int64_t end) {
    int64_t i = begin;
    while (i < end) {
      const uint64_t j = offset + uint64_t(i);
      const Philox4x32 r = philox4x32(j / 4, seed);
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
  const T scale = dropout_keep_scale<T>(p);
  parallel_for(n, kMinChunk, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) dx[i] = dy[i] * (mask[i] ? scale : T(0));
  });
}

template void dropout_forward<float>(float*, uint8_t*, const float*, int64_t, double, uint64_t, uint64_t);
template void dropout_forward<double>(double*, uint8_t*, const double*, int64_t, double, uint64_t, uint64_t);
template void dropout_backward<float>(float*, const float*, const uint8_t*, int64_t, double);
template void dropout_backward<double>(double*, const double*, const uint8_t*, int64_t, double);

}  // namespace fastnn::cpu
