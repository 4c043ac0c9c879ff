#include "bindings/args.h"

#include <cmath>
#include <limits>

#include "bindings/host_array.h"
#include "ops/error.h"

namespace fastnn::bindings {

namespace {

std::string repr_of(py::handle obj) {
  std::string r = py::repr(obj).cast<std::string>();
  return r.size() > 80 ? r.substr(0, 77) + "..." : r;
}

bool is_bool(py::handle obj) {
  if (PyBool_Check(obj.ptr())) return true;
  const std::string t = type_name(obj);
  return t == "numpy.bool" || t == "numpy.bool_";
}

// The exact Python int of an int-like object (int or __index__), or a null object.
py::object as_index(py::handle obj) {
  if (is_bool(obj)) return py::object();
  PyObject* i = PyNumber_Index(obj.ptr());
  if (!i) {
    PyErr_Clear();
    return py::object();
  }
  return py::reinterpret_steal<py::object>(i);
}

}  // namespace

int64_t int_arg(py::handle obj, const char* name) {
  py::object i = as_index(obj);
  if (!i) ops::type_error(std::string(name) + " must be an int, got " + type_name(obj) + " " + repr_of(obj));
  int overflow = 0;
  const long long v = PyLong_AsLongLongAndOverflow(i.ptr(), &overflow);
  if (overflow) ops::value_error(std::string(name) + " must fit in int64 [-2**63, 2**63), got " + repr_of(obj));
  return static_cast<int64_t>(v);
}

uint64_t uint64_arg(py::handle obj, const char* name) {
  py::object i = as_index(obj);
  if (!i) ops::type_error(std::string(name) + " must be an int, got " + type_name(obj) + " " + repr_of(obj));
  const unsigned long long v = PyLong_AsUnsignedLongLong(i.ptr());
  if (v == static_cast<unsigned long long>(-1) && PyErr_Occurred()) {
    PyErr_Clear();
    ops::value_error(std::string(name) + " must be in [0, 2**64), got " + repr_of(obj));
  }
  return static_cast<uint64_t>(v);
}

double float_arg(py::handle obj, const char* name) {
  if (PyFloat_Check(obj.ptr())) return PyFloat_AS_DOUBLE(obj.ptr());
  if (is_bool(obj) || obj.is_none() || PyUnicode_Check(obj.ptr()) || PyBytes_Check(obj.ptr()) ||
      PyComplex_Check(obj.ptr()) || !(PyNumber_Check(obj.ptr())))
    ops::type_error(std::string(name) + " must be a real number, got " + type_name(obj) + " " + repr_of(obj));
  const double v = PyFloat_AsDouble(obj.ptr());
  if (v == -1.0 && PyErr_Occurred()) {
    PyErr_Clear();
    ops::value_error(std::string(name) + " must be a real number that fits a float64, got " + repr_of(obj));
  }
  return v;
}

bool bool_arg(py::handle obj, const char* name) {
  if (obj.ptr() == Py_True) return true;
  if (obj.ptr() == Py_False) return false;
  if (is_bool(obj)) return PyObject_IsTrue(obj.ptr()) == 1;
  if (PyLong_Check(obj.ptr())) {
    int overflow = 0;
    const long long v = PyLong_AsLongLongAndOverflow(obj.ptr(), &overflow);
    if (!overflow && (v == 0 || v == 1)) return v == 1;
  }
  ops::type_error(std::string(name) + " must be a bool, got " + type_name(obj) + " " + repr_of(obj));
}

std::string str_arg(py::handle obj, const char* name) {
  if (!PyUnicode_Check(obj.ptr()))
    ops::type_error(std::string(name) + " must be a str, got " + type_name(obj) + " " + repr_of(obj));
  return obj.cast<std::string>();
}

ops::Shape shape_arg(py::handle obj, const char* name) {
  ops::Shape shape;
  auto add = [&](py::handle item) {
    const int64_t v = int_arg(item, name);
    if (v < 0) ops::value_error(std::string(name) + " must hold non-negative sizes, got " + repr_of(obj));
    shape.push_back(v);
  };
  if (as_index(obj)) {
    add(obj);
    return shape;
  }
  if (PyUnicode_Check(obj.ptr()) || PyBytes_Check(obj.ptr()) || !py::isinstance<py::iterable>(obj))
    ops::type_error(std::string(name) + " must be an int or a sequence of ints, got " + type_name(obj) + " " +
                    repr_of(obj));
  for (py::handle item : py::reinterpret_borrow<py::iterable>(obj)) {
    // the iterator owns `item` until the next step: it is converted before that
    if (shape.ndim == ops::kMaxDims)
      ops::value_error(std::string(name) + " must have at most " + std::to_string(ops::kMaxDims) + " sizes");
    add(item);
  }
  return shape;
}

void int_tuple_arg(py::handle obj, const char* name, int count, int64_t* values) {
  if (as_index(obj)) {
    const int64_t v = int_arg(obj, name);
    for (int i = 0; i < count; ++i) values[i] = v;
    return;
  }
  if (PyUnicode_Check(obj.ptr()) || PyBytes_Check(obj.ptr()) || !py::isinstance<py::iterable>(obj))
    ops::type_error(std::string(name) + " must be an int or a tuple of " + std::to_string(count) + " ints, got " +
                    type_name(obj) + " " + repr_of(obj));
  int n = 0;
  for (py::handle item : py::reinterpret_borrow<py::iterable>(obj)) {
    if (n < count) values[n] = int_arg(item, (std::string(name) + "[" + std::to_string(n) + "]").c_str());
    ++n;
  }
  if (n != count)
    ops::value_error(std::string(name) + " must have " + std::to_string(count) + " elements, got " + repr_of(obj));
}

namespace {

template <class T, class Parse>
std::vector<T> list_arg(py::handle obj, const char* name, const char* what, Parse parse) {
  if (PyUnicode_Check(obj.ptr()) || PyBytes_Check(obj.ptr()) || !py::isinstance<py::iterable>(obj))
    ops::type_error(std::string(name) + " must be a sequence of " + what + ", got " + type_name(obj) + " " +
                    repr_of(obj));
  std::vector<T> values;
  for (py::handle item : py::reinterpret_borrow<py::iterable>(obj))
    values.push_back(parse(item, (std::string(name) + "[" + std::to_string(values.size()) + "]").c_str()));
  return values;
}

}  // namespace

std::vector<int64_t> int_list_arg(py::handle obj, const char* name) {
  return list_arg<int64_t>(obj, name, "ints", int_arg);
}

std::vector<double> float_list_arg(py::handle obj, const char* name) {
  return list_arg<double>(obj, name, "real numbers", float_arg);
}

}  // namespace fastnn::bindings
