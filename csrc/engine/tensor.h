// Core native types of the executor: dtypes, pooled buffers, tensors, kernel context.
#pragma once

#include <Python.h>

#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "flowboard/kernel.h"

namespace fb {

// Same numbering as fb_dtype in kernel.h and engine.dtypes (OBJECT holds Python objects).
enum DType : int { F16 = 0, F32 = 1, F64 = 2, I32 = 3, I64 = 4, BOOL = 5, U8 = 6, I8 = 7, I16 = 8, OBJ = 9 };

size_t dtype_size(int dtype);
const char* dtype_name(int dtype);

// Error codes mirror engine.errors (TF's canonical codes).
enum ErrorCode : int {
  INVALID_ARGUMENT = 3,
  NOT_FOUND = 5,
  RESOURCE_EXHAUSTED = 8,
  FAILED_PRECONDITION = 9,
  INTERNAL = 13
};

struct KernelError : std::runtime_error {
  int code;
  KernelError(int c, const std::string& m) : std::runtime_error(m), code(c) {}
};

// Throws INVALID_ARGUMENT with the message when `ok` is false. A macro so that the message (often
// built from shapes) is formed only then: kernels check on every run, and building the messages
// anyway cost an embedding step's small ops about 4% (string appends and shape_str).
#define FB_CHECK_ARG(ok, ...)                                                  \
  do {                                                                         \
    if (!(ok)) throw ::fb::KernelError(::fb::INVALID_ARGUMENT, __VA_ARGS__); \
  } while (0)

// A block of memory. Native buffers come from a size-keyed pool and go back to it; buffers
// that borrow a numpy array keep a reference to it (released with the GIL) and are never
// written in place.
struct Buffer {
  void* data = nullptr;
  size_t nbytes = 0;
  PyObject* owner = nullptr;
  bool writable = true;
  Buffer() = default;
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  ~Buffer();
};
using BufferPtr = std::shared_ptr<Buffer>;

BufferPtr alloc_buffer(size_t nbytes);
BufferPtr borrow_buffer(PyObject* array, void* data, size_t nbytes);  // increfs array
void release_pool();

using Shape = std::vector<int64_t>;

// Element count of a shape already known to be valid (every tensor's shape is checked once,
// where it is made: make_tensor, KernelContext::allocate, reshape_to).
inline int64_t num_elements(const Shape& s) {
  int64_t n = 1;
  for (auto d : s) n *= d;
  return n;
}

std::string shape_str(const Shape& s);

// a * b, or an InvalidArgument error naming `what` when the product overflows int64.
int64_t checked_mul(int64_t a, int64_t b, const char* what);
// Element count of a shape that came from data (a shape tensor, a GraphDef, a custom kernel):
// InvalidArgument when a dimension is negative or the count overflows int64.
int64_t checked_num_elements(const Shape& s, const char* what);

struct Tensor {
  BufferPtr buf;
  int dtype = F32;
  Shape shape;
  bool var_alias = false;  // shares a variable's storage: copy before handing to the user
  int64_t numel() const { return num_elements(shape); }
  size_t nbytes() const { return (size_t)numel() * dtype_size(dtype); }
  template <class T>
  T* data() const {
    return static_cast<T*>(buf->data);
  }
  bool defined() const { return (bool)buf; }
};

// A new native tensor. Checks the shape (checked_num_elements) and the byte count, and turns a
// failed allocation into RESOURCE_EXHAUSTED instead of std::bad_alloc.
Tensor make_tensor(int dtype, const Shape& shape);

// A variable's storage: lives natively, viewed from Python as a numpy array without copies.
struct Variable {
  std::string name;
  Tensor value;
  bool initialized = false;
  int dtype = F32;
  const Tensor& read() const {
    if (!initialized)
      throw KernelError(FAILED_PRECONDITION,
                        "Attempting to use uninitialized value " + name);
    return value;
  }
  // Replace contents; reuses storage when the size matches.
  void assign(const Tensor& src, bool steal);
};
using VariablePtr = std::shared_ptr<Variable>;

struct Step;

// What a native kernel sees: its inputs, a way to allocate outputs (in place when the plan
// allows it) and the op's attributes packed by the plan compiler.
struct KernelContext {
  Step& step;
  std::vector<Tensor*> in;
  std::vector<Tensor>* slots;
  Tensor& input(int i) const { return *in[i]; }
  const std::vector<int64_t>& ints() const;
  const std::vector<double>& floats() const;
  Tensor& allocate(int out_index, int dtype, const Shape& shape);
  void set_output(int out_index, Tensor t);
  Variable& var(int i) const;
};

using KernelFn = void (*)(KernelContext&);

// Registry of native kernels by name ("AddV2", "MatMul", ...).
void register_native_kernel(const std::string& name, KernelFn fn);
KernelFn find_native_kernel(const std::string& name);
std::vector<std::string> native_kernel_names();

struct KernelRegistrar {
  KernelRegistrar(const char* name, KernelFn fn) { register_native_kernel(name, fn); }
};
#define FB_CONCAT_INNER(a, b) a##b
#define FB_CONCAT(a, b) FB_CONCAT_INNER(a, b)
#define FB_KERNEL(name, fn) static ::fb::KernelRegistrar FB_CONCAT(fb_reg_, __COUNTER__)(name, fn)

// Threads: explicit count, set from Python (engine.set_num_threads).
int num_threads();
void set_num_threads(int n);
// Runs fn(begin, end) over [0, n) split across the pool when n is large enough.
void parallel_for(int64_t n, int64_t min_chunk, const std::function<void(int64_t, int64_t)>& fn);
// While alive, the pool runs every part of this thread's tasks on this thread: work splits as
// for num_threads() (the same parts, so the same results), only no worker takes a part.
class InlinePoolScope {
 public:
  explicit InlinePoolScope(bool on);
  ~InlinePoolScope();
  InlinePoolScope(const InlinePoolScope&) = delete;
  InlinePoolScope& operator=(const InlinePoolScope&) = delete;

 private:
  bool prev_;
};

// BLAS (numpy's OpenBLAS, dlopened; a blocked fallback gemm otherwise).
bool blas_init(const std::string& path);
std::string blas_backend();
// Whether the loaded BLAS's float gemm runs AVX-512 kernels (false for OpenBLAS's AVX2 ones,
// which it also picks on AVX-512 CPUs it does not know, and for the blocked fallback).
bool blas_kernels_avx512();
void gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
          int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc);
void gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, double alpha, const double* a,
          int64_t lda, const double* b, int64_t ldb, double beta, double* c, int64_t ldc);
void blas_set_threads(int n);
// While alive, gemm calls from this thread run on one BLAS thread, so kernels can split their
// own work across the pool without nesting BLAS threads. Only honoured per thread when the BLAS
// has a per-thread thread count (or no BLAS is loaded); check blas_per_thread_control().
bool blas_per_thread_control();
class SerialBlasScope {
 public:
  SerialBlasScope();
  ~SerialBlasScope();
  SerialBlasScope(const SerialBlasScope&) = delete;
  SerialBlasScope& operator=(const SerialBlasScope&) = delete;

 private:
  bool prev_;
};

}  // namespace fb
