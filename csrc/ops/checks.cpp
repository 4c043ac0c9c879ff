#include "ops/checks.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace fastnn::ops {

std::string shape_string(const Array& a) { return shape_string(a.dims()); }

void require_float(const Array& a, const char* name) {
  if (!is_float(a.dtype))
    type_error(std::string(name) + " must have dtype float32 or float64, got " + a.type_name);
}

void require_dtype(const Array& a, DType t, const char* name) {
  if (a.dtype != t) type_error(std::string(name) + " must have dtype " + dtype_name(t) + ", got " + a.type_name);
}

void require_same_dtype(const Array& a, const Array& like, const char* name, const char* like_name) {
  if (a.dtype != like.dtype || a.dtype == DType::other)
    type_error(std::string(name) + " must have the dtype of " + like_name + " (" + like.type_name + "), got " +
               a.type_name);
}

void require_ndim(const Array& a, int ndim, const char* name) {
  if (a.ndim != ndim)
    value_error(std::string(name) + " must be " + std::to_string(ndim) + "-D, got shape " + shape_string(a) + " (" +
                std::to_string(a.ndim) + "-D)");
}

void require_shape(const Array& a, const char* name, const Shape& expected, const char* why) {
  if (a.dims() != expected)
    value_error(std::string(name) + " must have shape " + shape_string(expected) +
                (why ? std::string(" (") + why + ")" : std::string()) + ", got " + shape_string(a));
}

void require_same_shape(const Array& b, const char* b_name, const Array& a, const char* a_name) {
  if (b.dims() != a.dims())
    value_error(std::string(b_name) + " must have the shape of " + a_name + " " + shape_string(a) + ", got " +
                shape_string(b));
}

void require_valid_shape(const Shape& s, const char* name) {
  int64_t n = 1;
  for (int d = 0; d < s.ndim; ++d) {
    if (s[d] < 0) value_error(std::string(name) + " must have non-negative sizes, got " + shape_string(s));
    n = checked_mul(n, s[d], name);
  }
}

namespace {

bool bounds_meet(const Array& a, const Array& b) {
  intptr_t alo, ahi, blo, bhi;
  a.byte_bounds(&alo, &ahi);
  b.byte_bounds(&blo, &bhi);
  return alo <= ahi && blo <= bhi && alo <= bhi && blo <= ahi;
}

bool same_view(const Array& a, const Array& b) {
  if (a.data != b.data || a.dtype != b.dtype || a.ndim != b.ndim) return false;
  for (int d = 0; d < a.ndim; ++d)
    if (a.shape[d] != b.shape[d] || (a.shape[d] > 1 && a.strides[d] != b.strides[d])) return false;
  return true;
}

// True when two different indices of `a` may reach one element: after sorting the dimensions of
// size > 1 by |stride|, each stride must step over everything the smaller ones span.
bool self_overlapping(const Array& a) {
  struct Dim {
    int64_t stride, size;
  } dims[kMaxDims];
  int n = 0;
  for (int d = 0; d < a.ndim; ++d) {
    if (a.shape[d] == 0) return false;
    if (a.shape[d] > 1) dims[n++] = {a.strides[d] < 0 ? -a.strides[d] : a.strides[d], a.shape[d]};
  }
  std::sort(dims, dims + n, [](const Dim& x, const Dim& y) { return x.stride < y.stride; });
  int64_t span = 0;  // largest offset reachable by the smaller dimensions
  for (int i = 0; i < n; ++i) {
    if (dims[i].stride <= span) return true;
    span += dims[i].stride * (dims[i].size - 1);
  }
  return false;
}

bool declared_in_place(const InPlace* pairs, int count, const char* out, const char* in) {
  for (int i = 0; i < count; ++i)
    if (std::strcmp(pairs[i].output, out) == 0 && std::strcmp(pairs[i].input, in) == 0) return true;
  return false;
}

}  // namespace

void check_aliasing(const Argument* args, int count, const InPlace* in_place, int in_place_count) {
  for (int i = 0; i < count; ++i) {
    if (!args[i].output) continue;
    const Array& out = *args[i].array;
    if (self_overlapping(out))
      value_error(std::string(args[i].name) + " must not have zero or overlapping strides (an element would be "
                  "written twice), got shape " + shape_string(out));
    for (int j = 0; j < count; ++j) {
      if (j == i || (args[j].output && j < i)) continue;  // each pair of outputs once
      const Array& other = *args[j].array;
      if (!bounds_meet(out, other)) continue;
      if (!args[j].output && same_view(out, other) && declared_in_place(in_place, in_place_count, args[i].name, args[j].name))
        continue;
      if (args[j].output)
        value_error(std::string(args[i].name) + " and " + args[j].name + " must not share memory (both are written)");
      value_error(std::string(args[i].name) + " must not share memory with " + args[j].name +
                  (declared_in_place(in_place, in_place_count, args[i].name, args[j].name)
                       ? " unless it is the very same array (in place)"
                       : " (the output would overwrite an argument while it is read)"));
    }
  }
}

const int64_t* host_index_values(const Array& index, const char* name) {
  if (index.device != Device::host)
    throw std::logic_error(std::string("the values of ") + name + " are checked on the host, but it is a device array");
  return index.in<int64_t>();
}

int64_t checked_add(int64_t a, int64_t b, const char* what) {
  int64_t r;
  if (__builtin_add_overflow(a, b, &r)) value_error(std::string(what) + " overflows int64");
  return r;
}

int64_t checked_sub(int64_t a, int64_t b, const char* what) {
  int64_t r;
  if (__builtin_sub_overflow(a, b, &r)) value_error(std::string(what) + " overflows int64");
  return r;
}

int64_t checked_mul(int64_t a, int64_t b, const char* what) {
  int64_t r;
  if (__builtin_mul_overflow(a, b, &r)) value_error(std::string(what) + " overflows int64");
  return r;
}

}  // namespace fastnn::ops
