// fastnn::cuda::gemm (csrc/cuda/gemm.cu), every version, against its float64 reference on
// awkward sizes (1, primes, not multiples of any tile, more than one block along m and n),
// all four transpose combinations, strided, reversed and misaligned views, every epilogue;
// C is poisoned with NaN when beta == 0. Memory goes through cudaMalloc/cudaMemcpy, so the
// same program runs on a GPU when built with nvcc.
#include <cmath>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <vector>

#include "cuda/gemm.h"
#include "harness.h"

namespace {

using fastnn::cpu::Activation;
using fastnn::cpu::GemmProblem;

// A rows x cols view into `storage` (host) at `offset`, element (i, j) at offset + i*rs + j*cs.
template <class T>
struct View {
  std::vector<T> storage;
  int64_t offset = 0, rs = 0, cs = 0;
};

enum class Layout { row_major, col_major, strided, reversed_rows, misaligned };

template <class T>
View<T> make_view(int64_t rows, int64_t cols, Layout layout, std::mt19937& rng) {
  View<T> v;
  int64_t size = rows * cols;
  switch (layout) {
    case Layout::row_major: v.rs = cols; v.cs = 1; break;
    case Layout::col_major: v.rs = 1; v.cs = rows; break;
    case Layout::strided: v.rs = cols + 5; v.cs = 1; v.offset = 2; size = rows * (cols + 5) + 2; break;
    case Layout::reversed_rows: v.rs = -cols; v.cs = 1; v.offset = (rows - 1) * cols; break;
    case Layout::misaligned: v.rs = cols; v.cs = 1; v.offset = 1; size += 1; break;
  }
  std::normal_distribution<double> normal;
  v.storage.resize(size);
  for (T& x : v.storage) x = static_cast<T>(normal(rng));
  return v;
}

template <class T>
T* to_device(const std::vector<T>& host) {
  T* d = nullptr;
  CHECK(cudaMalloc(&d, host.size() * sizeof(T)) == cudaSuccess);
  CHECK(cudaMemcpy(d, host.data(), host.size() * sizeof(T), cudaMemcpyHostToDevice) == cudaSuccess);
  return d;
}

struct Epilogue {
  double alpha, beta;
  bool bias;
  Activation act;
};

// Runs one problem; returns ||C - ref|| / ||ref|| (infinite if any element is NaN).
template <class T>
double run_case(int version, int64_t m, int64_t n, int64_t k, Layout la, Layout lb, Layout lc, Epilogue ep,
                uint32_t seed) {
  std::mt19937 rng(seed);
  View<T> a = make_view<T>(m, k, la, rng), b = make_view<T>(k, n, lb, rng), c = make_view<T>(m, n, lc, rng);
  if (ep.beta == 0)
    for (T& x : c.storage) x = static_cast<T>(NAN);
  std::vector<T> bias(n);
  for (T& x : bias) x = static_cast<T>(std::normal_distribution<double>()(rng));
  T* da = to_device(a.storage);
  T* db = to_device(b.storage);
  T* dc = to_device(c.storage);
  T* dbias = to_device(bias);
  GemmProblem<T> p;
  p.m = m, p.n = n, p.k = k;
  p.a = da + a.offset, p.rs_a = a.rs, p.cs_a = a.cs;
  p.b = db + b.offset, p.rs_b = b.rs, p.cs_b = b.cs;
  p.c = dc + c.offset, p.rs_c = c.rs, p.cs_c = c.cs;
  p.alpha = static_cast<T>(ep.alpha), p.beta = static_cast<T>(ep.beta);
  p.bias = ep.bias ? dbias : nullptr;
  p.act = ep.act;
  fastnn::cuda::gemm(p, nullptr, version);
  std::vector<T> out(c.storage.size());
  CHECK(cudaMemcpy(out.data(), dc, out.size() * sizeof(T), cudaMemcpyDeviceToHost) == cudaSuccess);
  GemmProblem<T> host = p;
  host.a = a.storage.data() + a.offset, host.b = b.storage.data() + b.offset;
  host.bias = ep.bias ? bias.data() : nullptr;
  std::vector<double> ref(m * n);
  fastnn::cuda::gemm_reference(host, c.storage.data() + c.offset, ref.data());
  double err = 0, norm = 0;
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double d = static_cast<double>(out[c.offset + i * c.rs + j * c.cs]) - ref[i * n + j];
      if (std::isnan(d)) return INFINITY;
      err += d * d;
      norm += ref[i * n + j] * ref[i * n + j];
    }
  for (T* d : {da, db, dc, dbias}) cudaFree(d);
  return norm > 0 ? std::sqrt(err / norm) : std::sqrt(err);
}

struct Size {
  int64_t m, n, k;
};

// 131 x 257 spans two block rows and three block columns of the largest tile (128 x 128);
// sizes that are multiples of 4 let version 4 take its vector loads (strides multiples of the
// vector width), the others its scalar ones.
const Size kSizes[] = {{1, 1, 1}, {1, 7, 3}, {5, 1, 9}, {7, 13, 5}, {31, 17, 37}, {131, 257, 19}, {12, 8, 16}, {132, 140, 44}};
const Epilogue kEpilogues[] = {{1.0, 0.0, false, Activation::none},
                               {-0.7, 0.3, true, Activation::relu},
                               {2.0, 0.0, true, Activation::none}};

template <class T>
void check_all_versions(double tolerance) {
  uint32_t seed = 1;
  for (int version = 0; version < fastnn::cuda::kGemmVersions; ++version)
    for (Layout la : {Layout::row_major, Layout::col_major})
      for (Layout lb : {Layout::row_major, Layout::col_major})
        for (const Size& s : kSizes)
          for (const Epilogue& ep : kEpilogues) {
            double e = run_case<T>(version, s.m, s.n, s.k, la, lb, Layout::row_major, ep, seed++);
            if (!(e <= tolerance))
              emu_test::fail(__FILE__, __LINE__,
                             "version " + std::to_string(version) + " m=" + std::to_string(s.m) + " n=" +
                                 std::to_string(s.n) + " k=" + std::to_string(s.k) + " layouts " +
                                 std::to_string(int(la)) + std::to_string(int(lb)) + ": relative error " +
                                 std::to_string(e));
          }
}

EMU_TEST(gemm_float_every_version) { check_all_versions<float>(1e-5); }
EMU_TEST(gemm_double_every_version) { check_all_versions<double>(1e-14); }

// Slices with a row stride wider than the row, reversed rows, a base off the 16-byte grid
// (forces scalar loads), and C stored column-major.
template <class T>
void check_views(double tolerance) {
  const Layout views[] = {Layout::strided, Layout::reversed_rows, Layout::misaligned, Layout::col_major};
  uint32_t seed = 100;
  for (int version = 0; version < fastnn::cuda::kGemmVersions; ++version)
    for (Layout la : views)
      for (Layout lb : views)
        for (Layout lc : {Layout::row_major, Layout::col_major}) {
          double e = run_case<T>(version, 133, 70, 45, la, lb, lc, kEpilogues[1], seed++);
          if (!(e <= tolerance))
            emu_test::fail(__FILE__, __LINE__,
                           "version " + std::to_string(version) + " views " + std::to_string(int(la)) +
                               std::to_string(int(lb)) + std::to_string(int(lc)) + ": relative error " +
                               std::to_string(e));
        }
}

EMU_TEST(gemm_float_views) { check_views<float>(1e-5); }
EMU_TEST(gemm_double_views) { check_views<double>(1e-14); }

EMU_TEST(gemm_k_zero_is_the_epilogue_alone) {
  for (int version = 0; version < fastnn::cuda::kGemmVersions; ++version) {
    double e = run_case<float>(version, 9, 11, 0, Layout::row_major, Layout::row_major, Layout::row_major,
                               kEpilogues[1], 7);
    CHECK(e <= 1e-7);
  }
}

EMU_TEST(gemm_bad_version_is_rejected) {
  GemmProblem<float> p;
  p.m = p.n = p.k = 1;
  bool threw = false;
  try {
    fastnn::cuda::gemm(p, nullptr, fastnn::cuda::kGemmVersions);
  } catch (const std::invalid_argument& e) {
    threw = emu_test::contains(e.what(), "version must be in [0, 4], got 5");
  }
  CHECK(threw);
}

}  // namespace
