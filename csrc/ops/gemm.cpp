#include "ops/gemm.h"

#include "ops/checks.h"

namespace fastnn::ops {

GemmActivation parse_gemm_activation(const std::string& name) {
  if (name == "relu") return GemmActivation::relu;
  if (name == "none") return GemmActivation::none;
  value_error("activation must be None or 'relu', got '" + name + "'");
}

GemmSizes gemm_check(const Array& a, bool trans_a, const Array& b, bool trans_b, const Array* bias, double beta,
                     bool has_c) {
  require_float(a, "a");
  require_float(b, "b");
  require_ndim(a, 2, "a");
  require_ndim(b, 2, "b");
  require_same_dtype(b, a, "b", "a");
  GemmSizes s;
  s.m = trans_a ? a.shape[1] : a.shape[0];
  s.k = trans_a ? a.shape[0] : a.shape[1];
  const int64_t kb = trans_b ? b.shape[1] : b.shape[0];
  s.n = trans_b ? b.shape[0] : b.shape[1];
  if (s.k != kb)
    value_error("a and b do not multiply: op(a) has shape (" + std::to_string(s.m) + ", " + std::to_string(s.k) +
                ") and op(b) has shape (" + std::to_string(kb) + ", " + std::to_string(s.n) +
                "); op(a).shape[1] must equal op(b).shape[0]");
  if (!has_c && beta != 0.0)
    value_error("beta must be 0 when c is None (there is no C to scale), got " + std::to_string(beta));
  if (bias) {
    require_float(*bias, "bias");
    require_same_dtype(*bias, a, "bias", "a");
    require_shape(*bias, "bias", {s.n});
  }
  return s;
}

}  // namespace fastnn::ops
