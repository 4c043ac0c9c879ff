#include "bindings/binding.h"

namespace fastnn::bindings {

void register_errors(py::module_& m) {
  py::register_local_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const ops::Error& e) {
      switch (e.kind()) {
        case ops::ErrorKind::type: PyErr_SetString(PyExc_TypeError, e.what()); return;
        case ops::ErrorKind::value: PyErr_SetString(PyExc_ValueError, e.what()); return;
        case ops::ErrorKind::index: {
          py::object type = py::module_::import("fastnn.errors").attr("IndexOutOfRangeError");
          PyErr_SetString(type.ptr(), e.what());
          return;
        }
      }
    }
  });
}

}  // namespace fastnn::bindings

namespace fastnn::bindings {

py::set public_names(const py::module_& m) {
  py::set names;
  for (py::handle key : m.attr("__dict__"))
    if (key.cast<std::string>().rfind("_", 0) != 0) names.add(key);
  return names;
}

void set_kernel_names(py::module_& m, const py::set& before) {
  py::list names;
  for (py::handle key : public_names(m))
    if (!before.contains(key)) names.append(key);
  names.attr("sort")();
  m.attr("_kernel_names") = py::tuple(names);
}

}  // namespace fastnn::bindings
