// Pixel shuffle / unshuffle on CUDA                                (contract: pixel_shuffle.h)
//
// Formulas (cpu/pixel_shuffle.h), upscale factor r, BC = B * C:
//   shuffle:   y[bc, h r + i, w r + j] = x[bc r^2 + i r + j, h, w]
//   unshuffle: y[bc r^2 + i r + j, h, w] = x[bc, h r + i, w r + j]
//
// Layouts: shuffle x [B, C r^2, H, W] -> y [B, C, H r, W r]; unshuffle the reverse; contiguous.
//
// Algorithm: one thread per y element (consecutive threads write consecutive y elements:
// coalesced stores; shuffle's loads are strided by the plane size across j), 256 threads per
// block, a grid-stride loop past kMaxGridBlocks blocks. A copy: the CPU kernel's result exactly.
#include "cuda/pixel_shuffle.h"

#include "cuda/launch.cuh"

namespace fastnn::cuda {

namespace {

using cpu::PixelShuffleGeometry;

constexpr int kThreads = 256;

// The element count of x and y (0 first when a dimension is empty, before products that the
// checks did not bound).
int64_t elements(const PixelShuffleGeometry& g) {
  if (g.batch == 0 || g.channels == 0 || g.height == 0 || g.width == 0) return 0;
  return g.batch * g.channels * g.factor * g.factor * g.height * g.width;
}

template <class T>
__global__ void __launch_bounds__(kThreads)
    pixel_shuffle_forward_kernel(T* y, const T* x, PixelShuffleGeometry g, int64_t total) {
  const int64_t r = g.factor, h = g.height, w = g.width, out_w = w * r, out_h = h * r;
  const int64_t stride = int64_t(gridDim.x) * kThreads;
  for (int64_t e = int64_t(blockIdx.x) * kThreads + threadIdx.x; e < total; e += stride) {
    const int64_t ow = e % out_w, oh = e / out_w % out_h, bc = e / (out_w * out_h);
    const int64_t hh = oh / r, i = oh % r, ww = ow / r, j = ow % r;
    y[e] = x[((bc * r * r + i * r + j) * h + hh) * w + ww];
  }
}

template <class T>
__global__ void __launch_bounds__(kThreads)
    pixel_unshuffle_forward_kernel(T* y, const T* x, PixelShuffleGeometry g, int64_t total) {
  const int64_t r = g.factor, h = g.height, w = g.width, in_w = w * r;
  const int64_t stride = int64_t(gridDim.x) * kThreads;
  for (int64_t e = int64_t(blockIdx.x) * kThreads + threadIdx.x; e < total; e += stride) {
    const int64_t ww = e % w, hh = e / w % h, plane = e / (w * h);
    const int64_t j = plane % r, i = plane / r % r, bc = plane / (r * r);
    y[e] = x[(bc * h * r + hh * r + i) * in_w + ww * r + j];
  }
}

}  // namespace

template <class T>
void pixel_shuffle_forward(cudaStream_t stream, T* y, const T* x, const PixelShuffleGeometry& g) {
  const int64_t total = elements(g);
  if (total == 0) return;
  FASTNN_LAUNCH(pixel_shuffle_forward_kernel<T>)(grid_stride_blocks(total, kThreads), dim3(kThreads), 0, stream, y, x,
                                                 g, total);
}

template <class T>
void pixel_unshuffle_forward(cudaStream_t stream, T* y, const T* x, const PixelShuffleGeometry& g) {
  const int64_t total = elements(g);
  if (total == 0) return;
  FASTNN_LAUNCH(pixel_unshuffle_forward_kernel<T>)(grid_stride_blocks(total, kThreads), dim3(kThreads), 0, stream, y, x,
                                                   g, total);
}

template void pixel_shuffle_forward<float>(cudaStream_t, float*, const float*, const PixelShuffleGeometry&);
template void pixel_shuffle_forward<double>(cudaStream_t, double*, const double*, const PixelShuffleGeometry&);
template void pixel_unshuffle_forward<float>(cudaStream_t, float*, const float*, const PixelShuffleGeometry&);
template void pixel_unshuffle_forward<double>(cudaStream_t, double*, const double*, const PixelShuffleGeometry&);

}  // namespace fastnn::cuda
