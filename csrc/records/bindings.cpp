// Python glue for summaries._records. Logic lives in crc32c.cpp, scan.cpp and encode.cpp.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>
#include <vector>

#include "crc32c.h"
#include "encode.h"
#include "histogram.h"
#include "scan.h"

namespace py = pybind11;
using namespace flowboard::records;

namespace {

struct BufferView {
  const uint8_t* data;
  size_t size;
};

BufferView view_of(const py::buffer_info& info) {
  return BufferView{static_cast<const uint8_t*>(info.ptr),
                    static_cast<size_t>(info.size * info.itemsize)};
}

template <typename T>
py::array_t<T> to_array(const std::vector<T>& v) {
  return py::array_t<T>(static_cast<py::ssize_t>(v.size()), v.data());
}

py::str decode_utf8(const std::string& s) {
  PyObject* obj = PyUnicode_DecodeUTF8(s.data(), static_cast<Py_ssize_t>(s.size()), "replace");
  if (!obj) throw py::error_already_set();
  return py::reinterpret_steal<py::str>(obj);
}

// One queued writer item, captured while holding the GIL.
struct Item {
  bool scalar;
  const char* data;  // tag (UTF-8) or serialized event bytes; owned by the Python list
  Py_ssize_t size;
  float value;
  int64_t step;
  double wall_time;
};

py::bytes encode_items(const py::list& items) {
  std::vector<Item> parsed;
  parsed.reserve(items.size());
  size_t estimate = 0;
  for (py::handle obj : items) {
    PyObject* o = obj.ptr();
    if (PyBytes_Check(o)) {
      parsed.push_back(Item{false, PyBytes_AS_STRING(o), PyBytes_GET_SIZE(o), 0.f, 0, 0.0});
      estimate += PyBytes_GET_SIZE(o) + 16;
      continue;
    }
    if (!PyTuple_Check(o) || PyTuple_GET_SIZE(o) != 4) {
      throw py::type_error("encode_items: each item must be bytes or (tag, value, step, wall_time)");
    }
    Item it{true, nullptr, 0, 0.f, 0, 0.0};
    it.data = PyUnicode_AsUTF8AndSize(PyTuple_GET_ITEM(o, 0), &it.size);
    if (!it.data) throw py::error_already_set();
    const double value = PyFloat_AsDouble(PyTuple_GET_ITEM(o, 1));
    it.step = PyLong_AsLongLong(PyTuple_GET_ITEM(o, 2));
    it.wall_time = PyFloat_AsDouble(PyTuple_GET_ITEM(o, 3));
    if (PyErr_Occurred()) throw py::error_already_set();
    it.value = static_cast<float>(value);
    parsed.push_back(it);
    estimate += it.size + 48;
  }
  std::string out;
  {
    py::gil_scoped_release release;
    out.reserve(estimate);
    for (const Item& it : parsed) {
      if (it.scalar) {
        append_scalar_event(out, std::string_view(it.data, it.size), it.value, it.step,
                            it.wall_time);
      } else {
        append_record(out, reinterpret_cast<const uint8_t*>(it.data), it.size);
      }
    }
  }
  return py::bytes(out);
}

py::dict scan(const py::buffer& buffer, int64_t base_offset, const py::dict& plugins) {
  py::buffer_info info = buffer.request();
  const BufferView view = view_of(info);
  ScanResult result;
  for (auto item : plugins) {
    result.plugins.emplace(item.first.cast<std::string>(), item.second.cast<std::string>());
  }
  {
    py::gil_scoped_release release;
    scan_events(view.data, view.size, base_offset, result);
  }
  py::list tags, columns, restarts;
  for (size_t i = 0; i < result.tags.size(); ++i) {
    const ScalarColumns& col = result.columns[i];
    tags.append(decode_utf8(result.tags[i]));
    columns.append(py::make_tuple(to_array(col.step), to_array(col.wall_time), to_array(col.value)));
  }
  for (const Restart& r : result.restarts) restarts.append(py::make_tuple(r.step, r.wall_time, r.offset));
  py::dict plugins_out;
  for (const auto& [tag, plugin] : result.plugins) plugins_out[decode_utf8(tag)] = decode_utf8(plugin);
  py::dict out;
  out["end_offset"] = result.end_offset;
  out["crc_errors"] = result.crc_errors;
  out["oversized"] = result.oversized;
  out["first_oversized_offset"] = result.first_oversized_offset;
  out["first_oversized_length"] = result.first_oversized_length;
  out["records"] = result.records;
  out["tags"] = tags;
  out["columns"] = columns;
  out["other_offsets"] = to_array(result.other_offsets);
  out["other_data_pos"] = to_array(result.other_data_pos);
  out["other_data_len"] = to_array(result.other_data_len);
  out["restarts"] = restarts;
  out["file_version"] = decode_utf8(result.file_version);
  out["plugins"] = plugins_out;
  return out;
}

uint32_t crc_of(const py::buffer& buffer, uint32_t crc, bool software) {
  py::buffer_info info = buffer.request();
  const BufferView view = view_of(info);
  py::gil_scoped_release release;
  return software ? crc32c_software(view.data, view.size, crc) : crc32c(view.data, view.size, crc);
}

py::tuple histogram(const py::array_t<double, py::array::c_style | py::array::forcecast>& values) {
  HistogramStats s;
  {
    py::gil_scoped_release release;
    s = tensorflow_histogram(values.data(), static_cast<size_t>(values.size()));
  }
  return py::make_tuple(s.min, s.max, s.num, s.sum, s.sum_squares, s.first, to_array(s.counts));
}

}  // namespace

PYBIND11_MODULE(_records, m) {
  m.doc() = "Native TFRecord framing, CRC32C and scalar-event scanning for summaries.";
  m.def("crc32c", [](const py::buffer& b, uint32_t crc) { return crc_of(b, crc, false); },
        py::arg("data"), py::arg("crc") = 0, "CRC32C of data, continuing from crc.");
  m.def("crc32c_software", [](const py::buffer& b, uint32_t crc) { return crc_of(b, crc, true); },
        py::arg("data"), py::arg("crc") = 0, "CRC32C through the portable slice-by-8 path.");
  m.def("masked_crc32c", [](const py::buffer& b) { return mask_crc(crc_of(b, 0, false)); },
        py::arg("data"), "TFRecord's masked CRC32C of data.");
  m.def("hardware_crc32c", &crc32c_uses_hardware, "True when the SSE4.2 instruction is used.");
  m.def("frame", [](const py::buffer& b) {
          py::buffer_info info = b.request();
          const BufferView view = view_of(info);
          std::string out;
          append_record(out, view.data, view.size);
          return py::bytes(out);
        },
        py::arg("data"), "One TFRecord: header, data, footer.");
  m.def("encode_items", &encode_items, py::arg("items"),
        "Frames a list of writer items: bytes (a serialized Event) or (tag, value, step, "
        "wall_time) tuples encoded as simple_value scalar events. Encoding runs without the GIL.");
  m.def("tensorflow_histogram", &histogram, py::arg("values"),
        "(min, max, num, sum, sum_squares, first, counts) over TensorFlow's default buckets of "
        "the finite values; counts covers limits[first : first + len(counts)].");
  m.def("tensorflow_bucket_limits", [] { return to_array(tensorflow_bucket_limits()); },
        "TensorFlow's default bucket limits (right edges), DBL_MAX last.");
  m.def("tensorflow_bucket_index",
        [](const py::array_t<double, py::array::c_style | py::array::forcecast>& values) {
          std::vector<int64_t> out(values.size());
          for (py::ssize_t i = 0; i < values.size(); ++i) out[i] = tensorflow_bucket_index(values.data()[i]);
          return to_array(out);
        },
        py::arg("values"), "Bucket index (upper_bound over the limits) of each finite value.");
  m.attr("MAX_RECORD_BYTES") = kMaxRecordBytes;
  m.def("next_header",
        [](const py::buffer& b, size_t start) {
          py::buffer_info info = b.request();
          const BufferView view = view_of(info);
          py::gil_scoped_release release;
          return next_header(view.data, view.size, start);
        },
        py::arg("data"), py::arg("start"),
        "First position >= start holding a valid record header; if none, the first position "
        "where more bytes could still complete one.");
  m.def("scan", &scan, py::arg("data"), py::arg("base_offset"), py::arg("plugins"),
        "Scans TFRecord-framed events; see summaries.reader.read_scalars for the contract.");
}
