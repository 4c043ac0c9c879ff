// sum_dims / vector_norms: the binding template (see binding.h); checks in ops/reduce.h,
// kernels in cpu/reduce.h.
#pragma once
#include <string>
#include <vector>

#include "bindings/binding.h"
#include "ops/reduce.h"

namespace fastnn::bindings {

namespace reduce_detail {

// Arrays per call of the array adapter (its registry holds ArrayRegistry::kMaxArrays).
constexpr size_t kNormArraysPerCall = 16;

template <class Backend>
py::object sum_dims(py::handle x_obj, py::handle begin_obj, py::handle end_obj, py::handle out_obj) {
  const int64_t dim_begin = int_arg(begin_obj, "dim_begin"), dim_end = int_arg(end_obj, "dim_end");
  typename Backend::Call call;
  const ops::Array& x = call.float_input(x_obj, "x");
  const ops::SumDimsGeometry g = ops::sum_dims_check(x, dim_begin, dim_end);
  const ops::Array& out = call.output(out_obj, "out", x.dtype, ops::sum_dims_shape(x, dim_begin, dim_end));
  call.check_aliasing();
  with_float_type(x, [&](auto tag) {
    using T = decltype(tag);
    Backend::sum_dims(call.stream(), out.out<T>(), x.in<T>(), g.outer, g.reduced, g.inner);
  });
  return call.object(out);
}

// The arrays go through the adapter kNormArraysPerCall at a time, each group with tensors[0]
// (the dtype every array must have) and `out` (allocated by the first group).
template <class Backend>
py::object vector_norms(py::handle tensors_obj, py::handle ord_obj, py::handle out_obj) {
  const double ord = float_arg(ord_obj, "ord");
  ops::vector_norm_ord_check(ord);
  if (!py::isinstance<py::sequence>(tensors_obj) || PyUnicode_Check(tensors_obj.ptr()))
    ops::type_error("tensors must be a sequence of arrays, got " + type_name(tensors_obj));
  const py::sequence tensors = py::reinterpret_borrow<py::sequence>(tensors_obj);
  const size_t count = tensors.size();
  if (count == 0) ops::value_error("tensors must hold at least one array, got an empty sequence");
  std::vector<std::string> names(count);
  for (size_t i = 0; i < count; ++i) names[i] = "tensors[" + std::to_string(i) + "]";
  py::object result = py::reinterpret_borrow<py::object>(out_obj);
  for (size_t first = 0; first < count; first += kNormArraysPerCall) {
    const size_t n = std::min(kNormArraysPerCall, count - first);
    typename Backend::Call call;
    const ops::Array& head = call.float_input(tensors[0], names[0].c_str());
    std::vector<const ops::Array*> arrays(n);
    for (size_t i = 0; i < n; ++i) {
      arrays[i] = first + i == 0 ? &head : &call.float_input(tensors[first + i], names[first + i].c_str());
      ops::vector_norms_input_check(*arrays[i], head, names[first + i].c_str());
    }
    const ops::Array& out = first == 0 ? call.output(result, "out", head.dtype, ops::Shape{int64_t(count)})
                                       : call.in_out(result, "out");
    call.check_aliasing();
    if (first == 0) result = call.object(out);
    with_float_type(head, [&](auto tag) {
      using T = decltype(tag);
      std::vector<const T*> data(n);
      std::vector<int64_t> sizes(n);
      for (size_t i = 0; i < n; ++i) data[i] = arrays[i]->template in<T>(), sizes[i] = arrays[i]->size();
      Backend::vector_norms(call.stream(), out.out<T>() + first, data.data(), sizes.data(), int(n), ord);
    });
  }
  return result;
}

}  // namespace reduce_detail

template <class Backend>
void bind_reduce(py::module_& m) {
  using namespace reduce_detail;
  using py::arg;
  m.def("sum_dims", &sum_dims<Backend>, arg("x"), arg("dim_begin"), arg("dim_end"), arg("out") = py::none(),
        R"doc(The sum of x over the consecutive dims [dim_begin, dim_end): x's shape without them.

Added in double, in an order fixed by the shape, so the result is the same for any thread
count and on every backend (x C-contiguous float32/float64; 0 <= dim_begin <= dim_end <= x.ndim).)doc");
  m.def("vector_norms", &vector_norms<Backend>, arg("tensors"), arg("ord") = 2.0, arg("out") = py::none(),
        R"doc(The ord-norm of each array of a sequence, as a 1-D array of their dtype.

ord: inf (max |x|), -inf (min |x|), 0 (count of non-zeros), 1, 2 or any real p
((sum |x|^p)^(1/p)). Arrays of one float dtype, any shapes; accumulated in double.)doc");
}

}  // namespace fastnn::bindings
