// Runs a compiled plan: one call, GIL released; Python kernels take the GIL only for themselves.
#include "executor.h"

#include <algorithm>
#include <chrono>

namespace fb {

// ---- numpy interop -----------------------------------------------------------------------------

py::dtype numpy_dtype(int dtype) {
  static const char* names[] = {"float16", "float32", "float64", "int32", "int64",
                                "bool",    "uint8",   "int8",    "int16", "object"};
  if (dtype < 0 || dtype > OBJ) throw KernelError(INTERNAL, "bad dtype code");
  return py::dtype(names[dtype]);
}

int dtype_from_numpy(const py::dtype& dt) {
  char kind = dt.kind();
  auto size = dt.itemsize();
  if (kind == 'f') return size == 2 ? F16 : size == 4 ? F32 : size == 8 ? F64 : -1;
  if (kind == 'i') return size == 4 ? I32 : size == 8 ? I64 : size == 1 ? I8 : size == 2 ? I16 : -1;
  if (kind == 'u' && size == 1) return U8;
  if (kind == 'b') return BOOL;
  if (kind == 'O') return OBJ;
  return -1;
}

Tensor tensor_from_numpy(py::handle obj) {
  auto arr = py::array::ensure(obj, py::array::c_style);
  if (!arr) throw KernelError(INVALID_ARGUMENT, "expected an array-like value");
  Tensor t;
  t.dtype = dtype_from_numpy(arr.dtype());
  if (t.dtype < 0)
    throw KernelError(INVALID_ARGUMENT,
                      "unsupported numpy dtype " + std::string(py::str(arr.dtype())));
  t.shape.assign(arr.shape(), arr.shape() + arr.ndim());
  t.buf = borrow_buffer(arr.ptr(), const_cast<void*>(arr.data()), t.nbytes());
  return t;
}

py::object tensor_to_numpy(const Tensor& t, bool force_copy) {
  std::vector<py::ssize_t> shape(t.shape.begin(), t.shape.end());
  if (t.buf->owner && !force_copy && !t.var_alias) {
    py::array base = py::reinterpret_borrow<py::array>(t.buf->owner);
    if (base.data() == t.buf->data && (size_t)base.nbytes() == t.nbytes()) {
      return base.attr("reshape")(py::tuple(py::cast(shape)));
    }
  }
  if (force_copy || t.var_alias || t.dtype == OBJ) {
    py::array out(numpy_dtype(t.dtype), shape);
    if (t.dtype == OBJ) {
      PyObject** src = t.data<PyObject*>();
      PyObject** dst = static_cast<PyObject**>(out.mutable_data());
      for (int64_t i = 0; i < t.numel(); ++i) {
        Py_XINCREF(src[i]);
        Py_XDECREF(dst[i]);
        dst[i] = src[i];
      }
    } else {
      std::memcpy(out.mutable_data(), t.buf->data, t.nbytes());
    }
    return std::move(out);
  }
  // Zero-copy: the array keeps the native buffer alive through a capsule.
  auto* holder = new BufferPtr(t.buf);
  py::capsule cap(holder, [](void* p) { delete static_cast<BufferPtr*>(p); });
  return py::array(numpy_dtype(t.dtype), shape, t.buf->data, cap);
}

static py::array readonly_view(const Tensor& t) {
  std::vector<py::ssize_t> shape(t.shape.begin(), t.shape.end());
  auto* holder = new BufferPtr(t.buf);
  py::capsule cap(holder, [](void* p) { delete static_cast<BufferPtr*>(p); });
  py::array a(numpy_dtype(t.dtype), shape, t.buf->data, cap);
  py::detail::array_proxy(a.ptr())->flags &= ~py::detail::npy_api::NPY_ARRAY_WRITEABLE_;
  return a;
}

// ---- kernel context ---------------------------------------------------------------------------

const std::vector<int64_t>& KernelContext::ints() const { return step.ints; }
const std::vector<double>& KernelContext::floats() const { return step.floats; }

Variable& KernelContext::var(int i) const { return *step.vars.at(i); }

Tensor& KernelContext::allocate(int out_index, int dtype, const Shape& shape) {
  Tensor& out = (*slots)[step.outputs[out_index]];
  int cand = step.inplace.empty() ? -1 : step.inplace[out_index];
  if (cand >= 0) {
    Tensor& src = *in[cand];
    // Checked before the size comparison: an overflowing shape could wrap to the input's size.
    const int64_t n = checked_num_elements(shape, "allocating an output");
    if (src.buf && src.buf.use_count() == 1 && src.buf->writable && !src.buf->owner &&
        !src.var_alias && src.dtype == dtype && src.numel() == n) {
      out.buf = src.buf;
      out.dtype = dtype;
      out.shape = shape;
      out.var_alias = false;
      return out;
    }
  }
  out = make_tensor(dtype, shape);
  return out;
}

void KernelContext::set_output(int out_index, Tensor t) { (*slots)[step.outputs[out_index]] = std::move(t); }

// ---- custom C kernels -----------------------------------------------------------------------------

namespace {
struct CustomCtx {
  fb_context c;
  KernelContext* kc;
  std::string error;
  int code = INVALID_ARGUMENT;
};

void* custom_allocate(fb_context* c, int index, int dtype, int ndim, const int64_t* shape) {
  auto* cc = reinterpret_cast<CustomCtx*>(c);
  if (index < 0 || index >= (int)cc->kc->step.outputs.size()) {
    cc->error = "allocate_output: output index out of range";
    return nullptr;
  }
  if (ndim < 0 || (ndim > 0 && !shape)) {
    cc->error = "allocate_output: bad rank " + std::to_string(ndim);
    return nullptr;
  }
  if (dtype < 0 || dtype >= OBJ) {
    cc->error = "allocate_output: bad dtype code " + std::to_string(dtype);
    return nullptr;
  }
  // No C++ exception may cross the C kernel's frames: report it through the context instead.
  try {
    Shape s(shape, shape + ndim);
    return cc->kc->allocate(index, dtype, s).buf->data;
  } catch (const KernelError& e) {
    cc->error = e.what();
    cc->code = e.code;
  } catch (const std::bad_alloc&) {
    cc->error = "allocate_output: out of memory";
    cc->code = RESOURCE_EXHAUSTED;
  }
  return nullptr;
}

void custom_set_error(fb_context* c, const char* message) {
  reinterpret_cast<CustomCtx*>(c)->error = message ? message : "unknown error";
}
}  // namespace

// ---- execution ----------------------------------------------------------------------------------

static int64_t now_us() {
  using namespace std::chrono;
  return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

void Plan::run_step(Step& s, std::vector<Tensor>& slots) {
  KernelContext ctx{s, {}, &slots};
  ctx.in.reserve(s.inputs.size());
  for (int idx : s.inputs) {
    Tensor& t = slots[idx];
    if (!t.buf) throw KernelError(INTERNAL, "input slot " + std::to_string(idx) + " is empty");
    ctx.in.push_back(&t);
  }
  switch (s.kind) {
    case CONSTANT:
      slots[s.outputs[0]] = s.constant;
      break;
    case NATIVE:
      s.fn(ctx);
      break;
    case CUSTOM: {
      std::vector<fb_tensor> ins(ctx.in.size());
      for (size_t i = 0; i < ctx.in.size(); ++i) {
        ins[i].data = ctx.in[i]->buf->data;
        ins[i].dtype = ctx.in[i]->dtype;
        ins[i].ndim = (int)ctx.in[i]->shape.size();
        ins[i].shape = ctx.in[i]->shape.data();
      }
      CustomCtx cc{{nullptr, custom_allocate, custom_set_error, num_threads()}, &ctx, {}};
      int rc = s.cfn(&cc.c, ins.data(), (int)ins.size());
      if (rc != 0 || !cc.error.empty())
        throw KernelError(cc.code, cc.error.empty() ? "custom kernel failed" : cc.error);
      for (int o : s.outputs)
        if (!slots[o].buf) throw KernelError(INTERNAL, "custom kernel did not allocate an output");
      break;
    }
    case PYTHON: {
      py::gil_scoped_acquire gil;
      py::tuple args(ctx.in.size());
      for (size_t i = 0; i < ctx.in.size(); ++i) args[i] = readonly_view(*ctx.in[i]);
      py::object result = s.pyfn(*args);
      if (s.outputs.size() == 1 && !py::isinstance<py::tuple>(result) && !py::isinstance<py::list>(result)) {
        slots[s.outputs[0]] = tensor_from_numpy(result);
      } else {
        py::sequence seq = result;
        if (seq.size() != s.outputs.size())
          throw KernelError(INTERNAL, "Python kernel returned " + std::to_string(seq.size()) +
                                          " outputs, expected " + std::to_string(s.outputs.size()));
        for (size_t i = 0; i < s.outputs.size(); ++i) slots[s.outputs[i]] = tensor_from_numpy(seq[i]);
      }
      break;
    }
  }
}

namespace {
thread_local std::vector<StepTrace> tls_traces;
thread_local int tls_failed_step = -1;
// Plans run inside a running plan (control-flow bodies, from a Python kernel) keep the outer
// run's traces.
thread_local int tls_run_depth = 0;
struct RunDepth {
  RunDepth() { ++tls_run_depth; }
  ~RunDepth() { --tls_run_depth; }
};
}  // namespace

const std::vector<StepTrace>& Plan::traces() const { return tls_traces; }
int Plan::failed_step() const { return tls_failed_step; }

void Plan::execute(std::vector<Tensor>& slots, bool trace) {
  for (size_t i = 0; i < steps_.size(); ++i) {
    Step& s = steps_[i];
    tls_failed_step = (int)i;
    try {
      if (trace) {
        StepTrace tr;
        tr.start_us = now_us();
        run_step(s, slots);
        tr.end_us = now_us();
        for (int o : s.outputs) {
          tr.shapes.push_back(slots[o].shape);
          tr.dtypes.push_back(slots[o].dtype);
          tr.bytes.push_back((int64_t)slots[o].nbytes());
        }
        tls_traces.push_back(std::move(tr));
      } else {
        run_step(s, slots);
      }
    } catch (...) {
      tls_failed_step = (int)i;  // a nested plan's run may have set it to its own step
      throw;
    }
    // A fetched read of a variable is its value when the read ran, as in TF: an update later
    // in the same run (the optimizer's, the global step's increment) must not show through.
    for (int o : s.outputs) {
      Tensor& t = slots[o];
      if (t.var_alias && t.buf && t.dtype != OBJ &&
          std::find(fetch_slots_.begin(), fetch_slots_.end(), o) != fetch_slots_.end()) {
        Tensor c = make_tensor(t.dtype, t.shape);
        std::memcpy(c.buf->data, t.buf->data, t.nbytes());
        t = std::move(c);
      }
    }
    for (int f : s.free_after) slots[f] = Tensor();
  }
  tls_failed_step = -1;
}

// A run split over the pool pays only when the workers get their cores: on a machine whose
// other processes keep the cores busy, a worker descheduled mid-part stalls the caller, and a
// 2-thread LSTM step took 48 ms where one thread took 30. So each plan times its runs both ways
// (the pool's parts run on the caller alone, or on the workers too: the same parts, so the same
// results) and takes the faster, trying the other every kExplore runs to notice a change. Each
// way is judged by the fastest of its last kWindow runs: one slow run (a page fault, the first
// runs' allocations) would have tipped a moving average for the next hundred runs, which then
// ran on one thread (an LSTM step at 9.8 ms instead of 5.3).
namespace {
constexpr uint64_t kExplore = 16;
constexpr int kWarm = 3;  // runs on the pool before any alone (after the first run)
}  // namespace

double Plan::recent_best_us(int way) const {
  const int n = std::min(samples_[way], kWindow);
  return *std::min_element(recent_us_[way], recent_us_[way] + n);
}

bool Plan::choose_inline() {
  if (num_threads() <= 1) return false;
  ++runs_;
  if (runs_ == 1 || samples_[0] < kWarm) return false;
  if (samples_[1] == 0) return runs_ % kExplore == 0;  // the first try alone waits as any other
  const double pool = recent_best_us(0), alone = recent_best_us(1);
  const bool best = alone < pool;
  // A way that lost by half again is tried a quarter as often (each try costs that much more).
  const uint64_t every = std::max(pool, alone) > 1.5 * std::min(pool, alone) ? 4 * kExplore : kExplore;
  return runs_ % every == 0 ? !best : best;
}

void Plan::record_run(bool inlined, double us) {
  if (num_threads() <= 1 || runs_ == 1) return;  // the first run pays for first allocations
  const int i = inlined ? 1 : 0;
  recent_us_[i][samples_[i]++ % kWindow] = us;
}

py::list Plan::run(py::list feeds, bool trace) {
  if (feeds.size() != feed_slots_.size())
    throw KernelError(INTERNAL, "plan expects " + std::to_string(feed_slots_.size()) + " feeds");
  std::vector<Tensor> slots(num_slots_);
  for (size_t i = 0; i < feed_slots_.size(); ++i) slots[feed_slots_[i]] = tensor_from_numpy(feeds[i]);
  RunDepth depth;
  if (tls_run_depth == 1) tls_traces.clear();
  tls_failed_step = -1;
  {
    py::gil_scoped_release nogil;
    // Taken without the GIL: a run holding it may need the GIL for a Python kernel.
    std::lock_guard<std::mutex> lock(run_mutex_);
    try {
      const bool inlined = choose_inline();
      const auto start = std::chrono::steady_clock::now();
      {
        InlinePoolScope scope(inlined);
        execute(slots, trace);
      }
      record_run(inlined, std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count());
    } catch (const std::bad_alloc&) {
      // A kernel's scratch allocation failed (tensors report their own shape): the step that
      // failed is still in failed_step, so Python names the node.
      py::gil_scoped_acquire gil;
      slots.clear();
      throw KernelError(RESOURCE_EXHAUSTED, "OOM: a kernel could not allocate its scratch memory on CPU");
    } catch (const std::length_error&) {
      py::gil_scoped_acquire gil;
      slots.clear();
      throw KernelError(RESOURCE_EXHAUSTED, "OOM: a kernel's scratch buffer is larger than the address space");
    } catch (...) {
      // Slots may hold Python-owned buffers; free them after the GIL is back.
      py::gil_scoped_acquire gil;
      slots.clear();
      throw;
    }
  }
  py::list out;
  for (size_t i = 0; i < fetch_slots_.size(); ++i) {
    const Tensor& t = slots[fetch_slots_[i]];
    if (!t.buf) throw KernelError(INTERNAL, "fetch slot was not produced");
    // A slot fetched twice, or a feed fetched back, must not hand out a shared buffer twice.
    out.append(tensor_to_numpy(t, false));
  }
  return out;
}


// ---- while loops ----------------------------------------------------------------------------------

namespace {
thread_local bool tls_failed_in_cond = false;
}  // namespace

bool Plan::failed_in_cond() { return tls_failed_in_cond; }

std::vector<Tensor> Plan::run_native(std::vector<Tensor>& feeds) {
  if (feeds.size() != feed_slots_.size())
    throw KernelError(INTERNAL, "plan expects " + std::to_string(feed_slots_.size()) + " feeds");
  std::vector<Tensor> slots(num_slots_);
  for (size_t i = 0; i < feed_slots_.size(); ++i) slots[feed_slots_[i]] = feeds[i];
  RunDepth depth;
  tls_failed_step = -1;
  {
    std::lock_guard<std::mutex> lock(run_mutex_);
    execute(slots, false);
  }
  std::vector<Tensor> out;
  out.reserve(fetch_slots_.size());
  for (int f : fetch_slots_) {
    Tensor& t = slots[f];
    if (!t.buf) throw KernelError(INTERNAL, "fetch slot was not produced");
    if (t.var_alias) {  // a variable's storage changes later: keep the value it has now
      Tensor c = make_tensor(t.dtype, t.shape);
      std::memcpy(c.buf->data, t.buf->data, t.nbytes());
      out.push_back(std::move(c));
    } else {
      out.push_back(t);
    }
  }
  return out;
}

static std::vector<Tensor> tensors_of(py::list values) {
  std::vector<Tensor> out;
  out.reserve(values.size());
  for (auto v : values) out.push_back(tensor_from_numpy(v));
  return out;
}

static bool truth(const Tensor& t) {
  if (t.numel() != 1) throw KernelError(INVALID_ARGUMENT, "the loop condition must be a scalar");
  switch (t.dtype) {
    case BOOL:
    case U8:
    case I8:
      return *static_cast<const uint8_t*>(t.buf->data) != 0;
    default:
      throw KernelError(INVALID_ARGUMENT, "the loop condition must be a bool");
  }
}

py::tuple Plan::run_while(Plan& cond, py::list init, py::list cond_caps, py::list body_caps,
                          int64_t limit, bool record) {
  const size_t n = init.size();
  std::vector<Tensor> values = tensors_of(init), ccaps = tensors_of(cond_caps),
                      bcaps = tensors_of(body_caps);
  std::vector<std::vector<Tensor>> records;
  int64_t count = 0;
  tls_failed_in_cond = false;
  {
    py::gil_scoped_release nogil;
    // Buffers may be Python-owned: the vectors are cleared with the GIL on every exit.
    try {
      std::vector<Tensor> feeds;
      while (limit < 0 || count < limit) {
        feeds.assign(values.begin(), values.end());
        feeds.insert(feeds.end(), ccaps.begin(), ccaps.end());
        tls_failed_in_cond = true;
        std::vector<Tensor> c = cond.run_native(feeds);
        tls_failed_in_cond = false;
        if (c.empty() || !truth(c[0])) break;
        feeds.assign(values.begin(), values.end());
        feeds.insert(feeds.end(), bcaps.begin(), bcaps.end());
        std::vector<Tensor> out = run_native(feeds);
        if (out.size() < n) throw KernelError(INTERNAL, "loop body returned too few values");
        values.assign(out.begin(), out.begin() + n);
        if (record) records.emplace_back(out.begin() + n, out.end());
        ++count;
      }
    } catch (...) {
      py::gil_scoped_acquire gil;
      values.clear();
      ccaps.clear();
      bcaps.clear();
      records.clear();
      throw;
    }
  }
  py::list vals;
  for (auto& t : values) vals.append(tensor_to_numpy(t, false));
  py::object recs = py::none();
  if (record) {
    py::list all;
    for (auto& r : records) {
      py::list one;
      for (auto& t : r) one.append(tensor_to_numpy(t, false));
      all.append(one);
    }
    recs = all;
  }
  return py::make_tuple(vals, count, recs);
}

}  // namespace fb
