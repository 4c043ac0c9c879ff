// fastnn._C.gather_forward / scatter_add_forward: converts the arrays (checks in cpu/gather.h),
// then runs the kernels of cpu/gather.h without the GIL.
#include <vector>

#include "bindings/arrays.h"
#include "bindings/bindings.h"
#include "cpu/gather.h"

namespace fastnn::bindings {

namespace {

struct Along {
  int64_t o = 1, n = 1, k = 1, i = 1;
};

// The index as C-contiguous int64, checked against x's shape and size at dim; the [O, N, K, I] view.
py::array checked_index(py::handle obj, const py::array& x, int64_t dim, Along* along) {
  if (!py::isinstance<py::array>(obj) || py::reinterpret_borrow<py::array>(obj).dtype().kind() != 'i')
    throw py::type_error("index must be a numpy.ndarray of integers");
  py::array index = py::array_t<int64_t, py::array::c_style | py::array::forcecast>::ensure(obj);
  std::vector<int64_t> xs(x.shape(), x.shape() + x.ndim()), is(index.shape(), index.shape() + index.ndim());
  const std::string shapes = cpu::check_gather_shapes(xs.data(), is.data(), int(x.ndim()), int(index.ndim()), int(dim));
  if (!shapes.empty()) throw py::value_error(shapes);
  const std::string bounds = cpu::check_gather_index(static_cast<const int64_t*>(index.data()), index.size(), xs[dim]);
  if (!bounds.empty()) throw_index_out_of_range(bounds);
  for (int64_t d = 0; d < dim; ++d) along->o *= xs[d];
  for (int64_t d = dim + 1; d < int64_t(xs.size()); ++d) along->i *= xs[d];
  along->n = xs[dim];
  along->k = is[dim];
  return index;
}

py::array gather_forward(py::object x_obj, py::object index_obj, int64_t dim, py::object out_obj) {
  const py::array x = c_contiguous(float_array(x_obj, "x"));
  Along a;
  const py::array index = checked_index(index_obj, x, dim, &a);
  py::array out = output_array(out_obj, "out", x.dtype(), shape_of(index));
  require_no_overlap(out, "out", x, "x");
  const int64_t* idx = static_cast<const int64_t*>(index.data());
  const bool f32 = is_float32(x);
  py::gil_scoped_release no_gil;
  if (f32)
    cpu::gather_forward(static_cast<float*>(out.mutable_data()), static_cast<const float*>(x.data()), idx, a.o, a.n, a.k,
                        a.i);
  else
    cpu::gather_forward(static_cast<double*>(out.mutable_data()), static_cast<const double*>(x.data()), idx, a.o, a.n,
                        a.k, a.i);
  return out;
}

py::array scatter_add_forward(py::object out_obj, py::object src_obj, py::object index_obj, int64_t dim) {
  const py::array src = c_contiguous(float_array(src_obj, "src"));
  if (!py::isinstance<py::array>(out_obj)) throw py::type_error("out must be a numpy.ndarray");
  py::array out = output_array(out_obj, "out", src.dtype(), shape_of(py::reinterpret_borrow<py::array>(out_obj)));
  Along a;
  const py::array index = checked_index(index_obj, out, dim, &a);
  require_same_shape(src, "src", index, "index");
  require_no_overlap(out, "out", src, "src");
  const int64_t* idx = static_cast<const int64_t*>(index.data());
  const bool f32 = is_float32(src);
  py::gil_scoped_release no_gil;
  if (f32)
    cpu::scatter_add_forward(static_cast<float*>(out.mutable_data()), static_cast<const float*>(src.data()), idx, a.o,
                             a.n, a.k, a.i);
  else
    cpu::scatter_add_forward(static_cast<double*>(out.mutable_data()), static_cast<const double*>(src.data()), idx,
                             a.o, a.n, a.k, a.i);
  return out;
}

}  // namespace

void bind_gather(py::module_& m) {
  m.def("gather_forward", &gather_forward, py::arg("x"), py::arg("index"), py::arg("dim"), py::arg("out") = py::none(),
        "out[o, k, i] = x[o, index[o, k, i], i] with x seen as [O, N, I] around `dim`; index: int64 of x's "
        "shape except at dim, each in [0, N). out: None or index.shape, x's dtype.");
  m.def("scatter_add_forward", &scatter_add_forward, py::arg("out"), py::arg("src"), py::arg("index"), py::arg("dim"),
        "out[o, index[o, k, i], i] += src[o, k, i] in place (in the order of k, for any thread count); src and "
        "index of one shape, out's shape except at dim. Returns out.");
}

}  // namespace fastnn::bindings
