// Checks shared by every op description, on array descriptors: each raises ops::Error naming the
// argument, what was expected and what came. Also the aliasing rule of every kernel call (no
// output may share memory with another argument, except a declared in-place pair that is the
// very same view) and checked int64 arithmetic for geometry (overflow is a ValueError).
#pragma once
#include <cstdint>
#include <string>

#include "ops/array.h"
#include "ops/error.h"

namespace fastnn::ops {

std::string shape_string(const Array& a);

// TypeError unless a is float32 or float64.
void require_float(const Array& a, const char* name);
// TypeError unless a has dtype t.
void require_dtype(const Array& a, DType t, const char* name);
// TypeError unless a has the dtype of like.
void require_same_dtype(const Array& a, const Array& like, const char* name, const char* like_name);
// ValueError unless a.ndim == ndim.
void require_ndim(const Array& a, int ndim, const char* name);
// ValueError unless a has shape `expected`; `why` (may be null) says where the shape comes from.
void require_shape(const Array& a, const char* name, const Shape& expected, const char* why = nullptr);
// ValueError unless b has the shape of a.
void require_same_shape(const Array& b, const char* b_name, const Array& a, const char* a_name);
// ValueError unless every size in `s` is >= 0 and their product fits int64.
void require_valid_shape(const Shape& s, const char* name);

// An argument of one kernel call, for the aliasing check.
struct Argument {
  const Array* array;
  const char* name;
  bool output;
};
// An output that may be the very same view as an input (an elementwise kernel run in place).
struct InPlace {
  const char* output;
  const char* input;
};
// ValueError when the memory bounds of an output meet those of any other argument (unless the
// pair is declared in place and the two are the same view), or an output overlaps itself
// (zero or overlapping strides: one element would be written twice).
void check_aliasing(const Argument* args, int count, const InPlace* in_place, int in_place_count);

// The values of an int64 index array, for the checks that read them: host memory only. A
// device array is a logic error (std::logic_error): its backend checks the values on the device.
const int64_t* host_index_values(const Array& index, const char* name);

// Checked int64 arithmetic: ValueError "<what> overflows int64" instead of wrapping.
int64_t checked_add(int64_t a, int64_t b, const char* what);
int64_t checked_sub(int64_t a, int64_t b, const char* what);
int64_t checked_mul(int64_t a, int64_t b, const char* what);

}  // namespace fastnn::ops
