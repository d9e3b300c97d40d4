// pybind11 glue for engine._executor: plans, variables, BLAS setup, custom kernels.
#include <dlfcn.h>
#include <pybind11/stl.h>

#include "direct_kernels.h"
#include "executor.h"

namespace py = pybind11;
using namespace fb;

namespace fb {
// kernels_fused.cpp: (stage name, opcode, arity) of each FusedElementwise stage.
std::vector<std::tuple<std::string, int, int>> fused_stages();
}  // namespace fb

namespace {

PyObject* g_kernel_error = nullptr;

Step make_step(const std::string& name, const std::string& op, std::vector<int> inputs,
               std::vector<int> outputs, std::vector<int> free_after) {
  Step s;
  s.name = name;
  s.op = op;
  s.inputs = std::move(inputs);
  s.outputs = std::move(outputs);
  s.free_after = std::move(free_after);
  return s;
}

py::dict trace_to_dict(const StepTrace& t) {
  py::dict d;
  d["start_us"] = t.start_us;
  d["end_us"] = t.end_us;
  d["shapes"] = t.shapes;
  d["dtypes"] = t.dtypes;
  d["bytes"] = t.bytes;
  return d;
}

}  // namespace

PYBIND11_MODULE(_executor, m) {
  m.doc() = "Flowboard's native graph executor (plans, kernels, variables).";

  static py::exception<std::runtime_error> kernel_error(m, "KernelError");
  g_kernel_error = kernel_error.ptr();
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const KernelError& e) {
      py::tuple args = py::make_tuple(e.code, e.what());
      PyErr_SetObject(g_kernel_error, args.ptr());
    }
  });

  py::class_<Variable, VariablePtr>(m, "Variable")
      .def(py::init([](const std::string& name, int dtype) {
        auto v = std::make_shared<Variable>();
        v->name = name;
        v->dtype = dtype;
        return v;
      }))
      .def_property_readonly("initialized", [](const Variable& v) { return v.initialized; })
      .def_readonly("name", &Variable::name)
      .def("numpy", [](Variable& v) {
        // A writable view of the native storage: no copy.
        return tensor_to_numpy(v.read(), false);
      })
      .def("assign", [](Variable& v, py::array value) {
        Tensor t = tensor_from_numpy(value);
        if (t.dtype != v.dtype)
          throw KernelError(INVALID_ARGUMENT, std::string("Variable ") + v.name + " has dtype " +
                                                  dtype_name(v.dtype) + ", value has " + dtype_name(t.dtype));
        v.assign(t, false);
      })
      .def("reset", [](Variable& v) {
        v.initialized = false;
        v.value = Tensor();
      });

  py::class_<Plan, std::shared_ptr<Plan>>(m, "Plan")
      .def(py::init<int, std::vector<int>, std::vector<int>>())
      .def("add_native",
           [](Plan& p, const std::string& name, const std::string& op, const std::string& kernel,
              std::vector<int> inputs, std::vector<int> outputs, std::vector<int> inplace,
              std::vector<int> free_after, std::vector<int64_t> ints, std::vector<double> floats,
              std::vector<VariablePtr> vars) {
             Step s = make_step(name, op, std::move(inputs), std::move(outputs), std::move(free_after));
             s.kind = NATIVE;
             s.fn = find_native_kernel(kernel);
             if (!s.fn) throw KernelError(NOT_FOUND, "no native kernel named " + kernel);
             s.inplace = std::move(inplace);
             s.ints = std::move(ints);
             s.floats = std::move(floats);
             s.vars = std::move(vars);
             p.add_step(std::move(s));
           })
      .def("add_python",
           [](Plan& p, const std::string& name, const std::string& op, py::object fn,
              std::vector<int> inputs, std::vector<int> outputs, std::vector<int> free_after) {
             Step s = make_step(name, op, std::move(inputs), std::move(outputs), std::move(free_after));
             s.kind = PYTHON;
             s.pyfn = std::move(fn);
             p.add_step(std::move(s));
           })
      .def("add_custom",
           [](Plan& p, const std::string& name, const std::string& op, uintptr_t fn,
              std::vector<int> inputs, std::vector<int> outputs, std::vector<int> free_after) {
             Step s = make_step(name, op, std::move(inputs), std::move(outputs), std::move(free_after));
             s.kind = CUSTOM;
             s.cfn = reinterpret_cast<fb_kernel_fn>(fn);
             p.add_step(std::move(s));
           })
      .def("add_constant",
           [](Plan& p, const std::string& name, py::array value, int output, std::vector<int> free_after) {
             Step s = make_step(name, "Const", {}, {output}, std::move(free_after));
             s.kind = CONSTANT;
             // Own a native copy so the constant never aliases a user's array.
             Tensor src = tensor_from_numpy(value);
             if (src.dtype == OBJ) {
               s.constant = src;
             } else {
               s.constant = make_tensor(src.dtype, src.shape);
               std::memcpy(s.constant.buf->data, src.buf->data, src.nbytes());
               s.constant.buf->writable = false;
             }
             p.add_step(std::move(s));
           })
      .def("run", &Plan::run, py::arg("feeds"), py::arg("trace") = false)
      .def("run_while", &Plan::run_while, py::arg("cond"), py::arg("init"), py::arg("cond_caps"),
           py::arg("body_caps"), py::arg("limit"), py::arg("record"))
      .def_static("failed_in_cond", &Plan::failed_in_cond)
      .def_property_readonly("failed_step", &Plan::failed_step)
      .def("__len__", &Plan::size)
      .def("traces", [](const Plan& p) {
        py::list out;
        for (auto& t : p.traces()) out.append(trace_to_dict(t));
        return out;
      });

  m.def("native_kernels", &native_kernel_names);
  m.def("fused_stages", &fb::fused_stages,
        "(stage name, opcode, arity) of each FusedElementwise stage; ops name theirs with "
        "register_op(fusion=...)");
  m.def("blas_init", &blas_init, "dlopen a BLAS shared library by path");
  m.def("blas_backend", &blas_backend);
  m.def("direct_kernels", &direct_kernels_isa);
  m.def("set_num_threads", &set_num_threads);
  m.def("num_threads", &num_threads);
  m.def("release_pool", &release_pool);
  m.def("load_library", [](const std::string& path) {
    void* h = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!h) throw KernelError(NOT_FOUND, std::string("load_op_library: ") + dlerror());
    auto defs_fn = reinterpret_cast<fb_op_defs_fn>(dlsym(h, "fb_op_defs"));
    if (!defs_fn) throw KernelError(NOT_FOUND, "load_op_library: " + path + " does not export fb_op_defs");
    int count = 0;
    const fb_op_def* defs = defs_fn(&count);
    py::list out;
    for (int i = 0; i < count; ++i) {
      const fb_op_def& d = defs[i];
      if (d.num_outputs < 0 || d.num_outputs > FB_MAX_OUTPUTS)
        throw KernelError(INVALID_ARGUMENT, std::string("load_op_library: op ") + d.name + " has too many outputs");
      py::dict e;
      e["name"] = std::string(d.name);
      e["num_inputs"] = d.num_inputs;
      e["num_outputs"] = d.num_outputs;
      e["kernel"] = reinterpret_cast<uintptr_t>(d.kernel);
      e["output_shape_from_input"] = std::vector<int>(d.output_shape_from_input, d.output_shape_from_input + d.num_outputs);
      e["output_dtype"] = std::vector<int>(d.output_dtype, d.output_dtype + d.num_outputs);
      out.append(e);
    }
    return out;
  });
}
