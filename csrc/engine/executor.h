// A compiled plan: a topological schedule of steps over numbered buffer slots, with liveness
// (which slots die after each step) and in-place hints, executed in one call.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <mutex>

#include "tensor.h"

namespace fb {

namespace py = pybind11;

enum StepKind : int { NATIVE = 0, PYTHON = 1, CUSTOM = 2, CONSTANT = 3 };

struct Step {
  std::string name, op;
  int kind = NATIVE;
  KernelFn fn = nullptr;
  fb_kernel_fn cfn = nullptr;
  py::object pyfn;
  std::vector<int> inputs, outputs;
  std::vector<int> inplace;  // per output: input position whose buffer it may take, or -1
  std::vector<int> free_after;
  std::vector<int64_t> ints;
  std::vector<double> floats;
  std::vector<VariablePtr> vars;
  Tensor constant;
};

struct StepTrace {
  int64_t start_us, end_us;
  std::vector<Shape> shapes;
  std::vector<int> dtypes;
  std::vector<int64_t> bytes;
};

class Plan {
 public:
  Plan(int num_slots, std::vector<int> feed_slots, std::vector<int> fetch_slots)
      : num_slots_(num_slots), feed_slots_(std::move(feed_slots)), fetch_slots_(std::move(fetch_slots)) {}

  void add_step(Step s) { steps_.push_back(std::move(s)); }
  // Runs every step. feeds are numpy arrays matching feed_slots; returns the fetches as numpy
  // arrays. With trace=true also fills traces (one per step).
  py::list run(py::list feeds, bool trace);
  // Per calling thread: the traces / failing step of this thread's last run.
  const std::vector<StepTrace>& traces() const;
  int failed_step() const;
  // A while loop with this plan as its body: cond(values + cond_caps) gives a bool scalar,
  // body(values + body_caps) the next values (its first len(init) fetches) and, with record,
  // the tensors kept per iteration (the rest). Stops after `limit` iterations when limit >= 0.
  // Loop state stays native between iterations. Returns (values, count, records or None);
  // failed_in_cond() says which plan a raised error came from.
  py::tuple run_while(Plan& cond, py::list init, py::list cond_caps, py::list body_caps,
                      int64_t limit, bool record);
  static bool failed_in_cond();
  int size() const { return (int)steps_.size(); }

 private:
  void execute(std::vector<Tensor>& slots, bool trace);
  // Runs the plan on feeds and returns its fetches (called without the GIL).
  std::vector<Tensor> run_native(std::vector<Tensor>& feeds);
  void run_step(Step& s, std::vector<Tensor>& slots);

  // Whether this run's pool tasks run on the caller alone (see choose_inline in executor.cpp),
  // and the record of how long runs took each way.
  bool choose_inline();
  void record_run(bool inlined, double us);
  double recent_best_us(int way) const;

  int num_slots_;
  std::vector<int> feed_slots_, fetch_slots_;
  std::vector<Step> steps_;
  std::mutex run_mutex_;  // one run of a plan at a time (kernels may keep per-op state)
  static constexpr int kWindow = 4;
  uint64_t runs_ = 0;                   // under run_mutex_, as the two below
  double recent_us_[2][kWindow] = {};   // [on the pool, inline]: the last kWindow run times
  int samples_[2] = {0, 0};
};

Tensor tensor_from_numpy(py::handle obj);
py::object tensor_to_numpy(const Tensor& t, bool force_copy);
py::dtype numpy_dtype(int dtype);
int dtype_from_numpy(const py::dtype& dt);

}  // namespace fb
