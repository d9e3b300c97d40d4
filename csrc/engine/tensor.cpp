// Buffers (pooled), tensors, variables, the native kernel registry and the thread pool.
#include "tensor.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <utility>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>

namespace fb {

size_t dtype_size(int dtype) {
  switch (dtype) {
    case F16: return 2;
    case F32: return 4;
    case F64: return 8;
    case I32: return 4;
    case I64: return 8;
    case BOOL: return 1;
    case U8: return 1;
    case I8: return 1;
    case I16: return 2;
    case OBJ: return sizeof(PyObject*);
  }
  throw KernelError(INVALID_ARGUMENT, "unknown dtype code " + std::to_string(dtype));
}

const char* dtype_name(int dtype) {
  static const char* names[] = {"float16", "float32", "float64", "int32", "int64",
                                "bool",    "uint8",   "int8",    "int16", "object"};
  return (dtype >= 0 && dtype <= OBJ) ? names[dtype] : "unknown";
}

std::string shape_str(const Shape& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) {
    if (i) out += ",";
    out += std::to_string(s[i]);
  }
  return out + "]";
}

int64_t checked_mul(int64_t a, int64_t b, const char* what) {
  int64_t r;
  if (__builtin_mul_overflow(a, b, &r))
    throw KernelError(INVALID_ARGUMENT, std::string(what) + ": Encountered overflow when multiplying " +
                                            std::to_string(a) + " with " + std::to_string(b));
  return r;
}

int64_t checked_num_elements(const Shape& s, const char* what) {
  int64_t n = 1;
  for (auto d : s) {
    if (d < 0)
      throw KernelError(INVALID_ARGUMENT, std::string(what) + ": Dimension " + std::to_string(d) +
                                              " must be >= 0 in shape " + shape_str(s));
    if (__builtin_mul_overflow(n, d, &n))
      throw KernelError(INVALID_ARGUMENT, std::string(what) + ": Shape " + shape_str(s) +
                                              " would have more than 2**63 - 1 elements");
  }
  return n;
}

// ---- buffer pool -------------------------------------------------------------------------
// Freed native buffers are kept per exact size (training steps reuse the same sizes every
// run), up to a byte budget, so steady-state runs do not touch malloc or fault in pages.
namespace {
std::mutex pool_mutex;
std::unordered_map<size_t, std::vector<void*>> pool_free;
size_t pool_bytes = 0;
const size_t kPoolBudget = size_t(512) << 20;

void* pool_take(size_t nbytes) {
  {
    std::lock_guard<std::mutex> lock(pool_mutex);
    auto it = pool_free.find(nbytes);
    if (it != pool_free.end() && !it->second.empty()) {
      void* p = it->second.back();
      it->second.pop_back();
      pool_bytes -= nbytes;
      return p;
    }
  }
  size_t rounded = (nbytes + 63) / 64 * 64;
  void* p = std::aligned_alloc(64, rounded ? rounded : 64);
  if (!p) throw std::bad_alloc();
  return p;
}

void pool_give(void* p, size_t nbytes) {
  std::lock_guard<std::mutex> lock(pool_mutex);
  if (pool_bytes + nbytes > kPoolBudget) {
    std::free(p);
    return;
  }
  pool_free[nbytes].push_back(p);
  pool_bytes += nbytes;
}
}  // namespace

void release_pool() {
  std::lock_guard<std::mutex> lock(pool_mutex);
  for (auto& kv : pool_free)
    for (void* p : kv.second) std::free(p);
  pool_free.clear();
  pool_bytes = 0;
}

Buffer::~Buffer() {
  if (owner) {
    if (Py_IsInitialized()) {
      PyGILState_STATE st = PyGILState_Ensure();
      Py_DECREF(owner);
      PyGILState_Release(st);
    }
  } else if (data) {
    pool_give(data, nbytes);
  }
}

BufferPtr alloc_buffer(size_t nbytes) {
  auto b = std::make_shared<Buffer>();
  b->data = pool_take(nbytes);
  b->nbytes = nbytes;
  return b;
}

BufferPtr borrow_buffer(PyObject* array, void* data, size_t nbytes) {
  auto b = std::make_shared<Buffer>();
  Py_INCREF(array);
  b->owner = array;
  b->data = data;
  b->nbytes = nbytes;
  b->writable = false;
  return b;
}

Tensor make_tensor(int dtype, const Shape& shape) {
  const int64_t n = checked_num_elements(shape, "allocating a tensor");
  const size_t es = dtype_size(dtype);
  size_t nbytes;
  // Capped at PTRDIFF_MAX so that pointer arithmetic over the buffer and the pool's rounding
  // never wrap.
  // As TF: a count that fits but a byte size no allocator can give is out of memory, not a bad
  // argument.
  auto oom = [&] {
    return KernelError(RESOURCE_EXHAUSTED, "OOM when allocating tensor with shape" + shape_str(shape) +
                                               " and type " + dtype_name(dtype) + " on CPU");
  };
  if (__builtin_mul_overflow((size_t)n, es, &nbytes) || nbytes > (size_t)PTRDIFF_MAX) throw oom();
  Tensor t;
  t.dtype = dtype;
  t.shape = shape;
  try {
    t.buf = alloc_buffer(nbytes);
  } catch (const std::bad_alloc&) {
    throw oom();
  }
  return t;
}

void Variable::assign(const Tensor& src, bool steal) {
  bool same = initialized && value.buf && value.buf.use_count() == 1 &&
              value.dtype == src.dtype && value.shape == src.shape;
  if (same) {
    if (value.buf->data != src.buf->data) std::memcpy(value.buf->data, src.buf->data, src.nbytes());
    initialized = true;
    return;
  }
  if (steal && src.buf->writable && !src.buf->owner && src.buf.use_count() == 1 && !src.var_alias) {
    value = src;
    value.var_alias = false;
  } else {
    Tensor t = make_tensor(src.dtype, src.shape);
    std::memcpy(t.buf->data, src.buf->data, src.nbytes());
    value = t;
  }
  dtype = src.dtype;
  initialized = true;
}

// ---- native kernel registry ----------------------------------------------------------------
namespace {
std::map<std::string, KernelFn>& kernel_table() {
  static std::map<std::string, KernelFn> table;
  return table;
}
}  // namespace

void register_native_kernel(const std::string& name, KernelFn fn) { kernel_table()[name] = fn; }

KernelFn find_native_kernel(const std::string& name) {
  auto it = kernel_table().find(name);
  return it == kernel_table().end() ? nullptr : it->second;
}

std::vector<std::string> native_kernel_names() {
  std::vector<std::string> out;
  for (auto& kv : kernel_table()) out.push_back(kv.first);
  return out;
}

// ---- thread pool -----------------------------------------------------------------------------
namespace {
class ThreadPool {
 public:
  explicit ThreadPool(int n) { resize(n); }
  ~ThreadPool() { stop(); }

  int size() const { return (int)workers_.size() + 1; }

  void resize(int n) {
    if (n == size()) return;
    stop();
    stopping_ = false;
    uint64_t gen = generation_;
    for (int i = 0; i < n - 1; ++i) workers_.emplace_back([this, gen] { loop(gen); });
  }

  // Runs task(t) once for each t in [0, parts). Parts are claimed first come, first served by
  // the caller and the workers, so a worker that is slow to wake or is descheduled (its core
  // busy with another process) only takes fewer parts, and never makes the call much slower
  // than running every part on the caller. A part nested inside another runs its parts inline.
  void run(int parts, const std::function<void(int)>& task) {
    if (workers_.empty() || in_task_ || inline_only_) {
      for (int t = 0; t < parts; ++t) task(t);
      return;
    }
    // The pool serves one task at a time. A second thread's task (a tf.data map running while
    // the training step uses the pool) runs on its own thread instead of waiting: waiting made
    // the two take turns, so a background map added its whole time to the step's.
    std::unique_lock<std::mutex> serial(run_mutex_, std::try_to_lock);
    if (!serial.owns_lock()) {
      for (int t = 0; t < parts; ++t) task(t);
      return;
    }
    next_.store(0);
    {
      std::lock_guard<std::mutex> lock(m_);
      task_ = &task;
      parts_ = parts;
      ++generation_;
    }
    cv_.notify_all();
    claim_parts(task, parts);
    // A worker's last part usually ends within microseconds of the caller's: watching for it
    // (bounded as the workers' own spin) saves the caller's sleep and wake-up (20-100 us on a
    // virtual machine) at the end of every task, e.g. twice per time step of an LSTM.
    spin_until([this] { return active_.load(std::memory_order_acquire) == 0; });
    std::unique_lock<std::mutex> lock(m_);
    task_ = nullptr;  // workers waking from now on find nothing to do
    done_cv_.wait(lock, [this] { return active_ == 0; });
    if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
  }

 private:
  // Runs unclaimed parts until none is left; the first exception is kept for run() to rethrow
  // once every part has finished.
  void claim_parts(const std::function<void(int)>& task, int parts) {
    in_task_ = true;
    for (int t; (t = next_.fetch_add(1)) < parts;) {
      try {
        task(t);
      } catch (...) {
        std::lock_guard<std::mutex> lock(error_mutex_);
        if (!error_) error_ = std::current_exception();
      }
    }
    in_task_ = false;
  }

  // Before sleeping, a worker that just finished watches for the next task for up to a
  // millisecond: a training step publishes one every few tens of microseconds, and waking a
  // sleeping thread (on a virtual machine, an idle vCPU) costs 50-100 us, as much as the
  // kernel it would help with; measured, a 100 x 784 x 100 gemm on two threads took 154 us
  // with no spin, 113 us with 1 ms, 85 us with the worker always awake. Bounded, so an idle
  // pool costs nothing; on a loaded machine the default is one thread and no workers.
  void spin_for_work(uint64_t seen) const {
    spin_until([&] {
      return generation_.load(std::memory_order_acquire) != seen || stopping_.load(std::memory_order_relaxed);
    });
  }

  // Busy-waits until done() or for kSpinMicros.
  template <class Done>
  static void spin_until(Done&& done) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(kSpinMicros);
    for (int i = 1;; ++i) {
      if (done()) return;
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause();
#endif
      if ((i & 63) == 0 && std::chrono::steady_clock::now() >= until) return;
    }
  }

  // A worker only runs tasks published after it started (generation > start).
  void loop(uint64_t start) {
    uint64_t seen = start;
    for (;;) {
      spin_for_work(seen);
      const std::function<void(int)>* task;
      int parts;
      {
        std::unique_lock<std::mutex> lock(m_);
        cv_.wait(lock, [&] { return stopping_ || generation_ != seen; });
        if (stopping_) return;
        seen = generation_;
        task = task_;
        if (!task) continue;
        parts = parts_;
        ++active_;
      }
      claim_parts(*task, parts);
      std::lock_guard<std::mutex> lock(m_);
      if (--active_ == 0) done_cv_.notify_one();
    }
  }

  void stop() {
    {
      std::lock_guard<std::mutex> lock(m_);
      stopping_ = true;
    }
    cv_.notify_all();
    for (auto& w : workers_) w.join();
    workers_.clear();
  }

  std::vector<std::thread> workers_;
  std::mutex m_, run_mutex_;
  std::condition_variable cv_, done_cv_;
  const std::function<void(int)>* task_ = nullptr;
  std::atomic<int> active_{0};  // workers inside claim_parts for the current task (written under m_)
  int parts_ = 0;   // of the current task
  std::mutex error_mutex_;
  std::exception_ptr error_;
  std::atomic<int> next_{0};
  static thread_local bool in_task_;

 public:
  static thread_local bool inline_only_;  // set by InlinePoolScope
  std::atomic<uint64_t> generation_{0};  // written under m_, read without it while spinning
  static constexpr int kSpinMicros = 1000;
  std::atomic<bool> stopping_{false};  // written under m_, read without it while spinning
};

thread_local bool ThreadPool::in_task_ = false;
thread_local bool ThreadPool::inline_only_ = false;

int default_threads() {
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : (int)n;
}

std::atomic<int> g_threads{0};
ThreadPool& pool() {
  static ThreadPool p(default_threads());
  return p;
}
}  // namespace

int num_threads() {
  int n = g_threads.load();
  return n > 0 ? n : default_threads();
}

void set_num_threads(int n) {
  if (n < 1) n = 1;
  g_threads = n;
  pool().resize(n);
  blas_set_threads(n);
}

InlinePoolScope::InlinePoolScope(bool on) : prev_(ThreadPool::inline_only_) { ThreadPool::inline_only_ = on || prev_; }
InlinePoolScope::~InlinePoolScope() { ThreadPool::inline_only_ = prev_; }

void parallel_for(int64_t n, int64_t min_chunk, const std::function<void(int64_t, int64_t)>& fn) {
  int threads = num_threads();
  if (threads <= 1 || n < 2 * min_chunk) {
    fn(0, n);
    return;
  }
  // A few parts per thread, so that when one thread is slowed by another process the others
  // take over its share.
  ThreadPool& p = pool();
  const int64_t parts = std::min<int64_t>(int64_t(p.size()) * 4, n / min_chunk);
  const int64_t chunk = (n + parts - 1) / parts;
  p.run((int)parts, [&](int t) {
    int64_t b = t * chunk, e = std::min(n, b + chunk);
    if (b < e) fn(b, e);
  });
}

}  // namespace fb
