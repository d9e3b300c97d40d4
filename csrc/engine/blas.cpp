// GEMM through numpy's OpenBLAS (dlopened by path, so only one BLAS is ever in the process),
// with a cache-blocked fallback when no BLAS library could be loaded.
#include <dlfcn.h>

#include <algorithm>
#include <cctype>
#include <vector>

#include "direct_kernels.h"
#include "tensor.h"

namespace fb {
namespace {

// ILP64 cblas: enums are ints, sizes are 64-bit.
using sgemm_fn = void (*)(int, int, int, int64_t, int64_t, int64_t, float, const float*, int64_t,
                          const float*, int64_t, float, float*, int64_t);
using dgemm_fn = void (*)(int, int, int, int64_t, int64_t, int64_t, double, const double*,
                          int64_t, const double*, int64_t, double, double*, int64_t);
using sgemm32_fn = void (*)(int, int, int, int, int, int, float, const float*, int, const float*,
                            int, float, float*, int);
using dgemm32_fn = void (*)(int, int, int, int, int, int, double, const double*, int,
                            const double*, int, double, double*, int);
using set_threads_fn = void (*)(int);

constexpr int kRowMajor = 101, kNoTrans = 111, kTrans = 112;

sgemm_fn s64 = nullptr;
dgemm_fn d64 = nullptr;
sgemm32_fn s32 = nullptr;
dgemm32_fn d32 = nullptr;
set_threads_fn set_threads = nullptr;
// Per-calling-thread thread count (OpenBLAS >= 0.3.27): lets the executor pick BLAS threads per
// call without changing the count numpy (which shares this OpenBLAS) uses.
using set_local_fn = int (*)(int);
set_local_fn set_local = nullptr;
thread_local int local_threads = -1;
int blas_threads = 1;
// Below this many multiply-adds a gemm runs on one thread: waking BLAS workers costs more than
// they save, and on a loaded 2-core machine spinning workers are ruinous.
constexpr int64_t kThreadedGemmWork = int64_t(4) << 20;

thread_local bool serial_only = false;

void choose_threads(int64_t m, int64_t n, int64_t k) {
  int want = (!serial_only && m * n * k >= kThreadedGemmWork) ? blas_threads : 1;
  if (want == local_threads) return;
  if (set_local) set_local(want);
  else if (set_threads) set_threads(want);
  local_threads = want;
}
std::string backend = "blocked C++ gemm (no BLAS loaded)";
// Whether the loaded BLAS's sgemm kernels are AVX-512: set by blas_init from OpenBLAS's kernel
// family for this CPU ("Haswell", "SkylakeX", ...; Zen 4 runs the Cooperlake ones). A BLAS that
// does not say is taken to have them; our blocked fallback has none.
bool core_avx512 = false;

bool avx512_core(std::string name) {
  if (name.empty()) return true;
  for (char& ch : name) ch = (char)std::tolower((unsigned char)ch);
  for (const char* t : {"skylakex", "cooperlake", "sapphirerapids"})
    if (name == t) return true;
  return false;
}

template <class T>
void blocked_gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, T alpha, const T* a,
                  int64_t lda, const T* b, int64_t ldb, T beta, T* c, int64_t ldc) {
  // Pack op(A) and op(B) into contiguous row-major panels, then do a blocked i-k-j product
  // whose inner loop is a contiguous axpy the compiler vectorises.
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) c[i * ldc + j] = beta == T(0) ? T(0) : c[i * ldc + j] * beta;
  const int64_t MB = 64, KB = 256;
  std::vector<T> bp((size_t)std::min<int64_t>(KB, k) * n);
  for (int64_t k0 = 0; k0 < k; k0 += KB) {
    int64_t kk = std::min(KB, k - k0);
    for (int64_t p = 0; p < kk; ++p)
      for (int64_t j = 0; j < n; ++j)
        bp[p * n + j] = tb ? b[j * ldb + (k0 + p)] : b[(k0 + p) * ldb + j];
    for (int64_t i0 = 0; i0 < m; i0 += MB) {
      int64_t ii = std::min(MB, m - i0);
      for (int64_t i = i0; i < i0 + ii; ++i) {
        T* crow = c + i * ldc;
        for (int64_t p = 0; p < kk; ++p) {
          T av = alpha * (ta ? a[(k0 + p) * lda + i] : a[i * lda + (k0 + p)]);
          const T* brow = bp.data() + p * n;
          for (int64_t j = 0; j < n; ++j) crow[j] += av * brow[j];
        }
      }
    }
  }
}

}  // namespace

bool blas_init(const std::string& path) {
  void* h = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!h) return false;
  auto sym = [&](const char* name) { return dlsym(h, name); };
  using corename_fn = const char* (*)();
  std::string core;
  for (const char* name : {"scipy_openblas_get_corename64_", "openblas_get_corename64_", "openblas_get_corename"})
    if (auto f = (corename_fn)sym(name)) {
      const char* c = f();
      core = c ? c : "";
      break;
    }
  core_avx512 = avx512_core(core);
  const std::string core_note = core.empty() ? "" : ", " + core + " kernels";
  const char* prefixes[][3] = {{"scipy_cblas_sgemm64_", "scipy_cblas_dgemm64_",
                                "scipy_openblas_set_num_threads64_"},
                               {"cblas_sgemm64_", "cblas_dgemm64_", "openblas_set_num_threads64_"}};
  for (auto& p : prefixes) {
    if (sym(p[0]) && sym(p[1])) {
      s64 = (sgemm_fn)sym(p[0]);
      d64 = (dgemm_fn)sym(p[1]);
      set_threads = (set_threads_fn)sym(p[2]);
      set_local = (set_local_fn)sym("openblas_set_num_threads_local");
      backend = path + " (" + p[0] + core_note + ")";
      return true;
    }
  }
  if (sym("cblas_sgemm") && sym("cblas_dgemm")) {
    s32 = (sgemm32_fn)sym("cblas_sgemm");
    d32 = (dgemm32_fn)sym("cblas_dgemm");
    set_threads = (set_threads_fn)sym("openblas_set_num_threads");
    set_local = (set_local_fn)sym("openblas_set_num_threads_local");
    backend = path + " (cblas_sgemm, LP64" + core_note + ")";
    return true;
  }
  core_avx512 = false;
  dlclose(h);
  return false;
}

std::string blas_backend() { return backend; }

bool blas_kernels_avx512() { return core_avx512; }

bool blas_per_thread_control() { return set_local != nullptr || (!s64 && !s32); }

SerialBlasScope::SerialBlasScope() : prev_(serial_only) { serial_only = true; }
SerialBlasScope::~SerialBlasScope() { serial_only = prev_; }

void blas_set_threads(int n) {
  blas_threads = n < 1 ? 1 : n;
  local_threads = -1;
}

namespace {
// Row-major C = alpha·op(A)·op(B) + beta·C through the ILP64 cblas entry point when numpy's
// OpenBLAS has one, else the LP64 one, else our blocked gemm.
template <class T, class Fn64, class Fn32>
void gemm_call(Fn64 f64, Fn32 f32, bool ta, bool tb, int64_t m, int64_t n, int64_t k, T alpha, const T* a,
               int64_t lda, const T* b, int64_t ldb, T beta, T* c, int64_t ldc) {
  if (f64)
    f64(kRowMajor, ta ? kTrans : kNoTrans, tb ? kTrans : kNoTrans, m, n, k, alpha, a, lda, b, ldb,
        beta, c, ldc);
  else if (f32)
    f32(kRowMajor, ta ? kTrans : kNoTrans, tb ? kTrans : kNoTrans, (int)m, (int)n, (int)k, alpha,
        a, (int)lda, b, (int)ldb, beta, c, (int)ldc);
  else
    blocked_gemm<T>(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

// A large product on several threads is split by the executor's pool into one-thread BLAS calls
// (rows of c, or columns when c is wide and short), so OpenBLAS starts no threads of its own:
// its workers and the pool's both busy-wait between tasks, and on 2 cores they fought for them
// (a 784-512-512-10 MLP step with gemms alternating between the direct kernels and OpenBLAS:
// 9.3-10.6 ms with OpenBLAS's threads, 4.8 ms split here). Alone, a split gemm is within a few
// percent of OpenBLAS's own two threads.
template <class T, class Fn64, class Fn32>
void gemm_dispatch(Fn64 f64, Fn32 f32, bool ta, bool tb, int64_t m, int64_t n, int64_t k,
                   T alpha, const T* a, int64_t lda, const T* b, int64_t ldb, T beta, T* c,
                   int64_t ldc) {
  if (m == 0 || n == 0) return;
  if (k == 0) {  // an empty sum: c = beta·c
    for (int64_t r = 0; r < m; ++r)
      for (int64_t j = 0; j < n; ++j) c[r * ldc + j] = beta == T(0) ? T(0) : beta * c[r * ldc + j];
    return;
  }
  const int threads = num_threads();
  const bool split = !serial_only && threads > 1 && set_local && m * n * k >= kThreadedGemmWork;
  if (!split) {
    choose_threads(m, n, k);
    gemm_call<T>(f64, f32, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    return;
  }
  if (m >= n) {
    parallel_for(m, (m + threads - 1) / threads, [&](int64_t r0, int64_t r1) {
      SerialBlasScope serial;
      choose_threads(r1 - r0, n, k);
      gemm_call<T>(f64, f32, ta, tb, r1 - r0, n, k, alpha, ta ? a + r0 : a + r0 * lda, lda, b, ldb, beta,
                   c + r0 * ldc, ldc);
    });
  } else {
    parallel_for(n, (n + threads - 1) / threads, [&](int64_t c0, int64_t c1) {
      SerialBlasScope serial;
      choose_threads(m, c1 - c0, k);
      gemm_call<T>(f64, f32, ta, tb, m, c1 - c0, k, alpha, a, lda, tb ? b + c0 * ldb : b + c0, ldb, beta,
                   c + c0, ldc);
    });
  }
}
}  // namespace

void gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
          int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  // Narrow products (small networks' layers) run on our AVX-512 tiles when the CPU has them.
  if (direct_sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, !serial_only)) return;
  gemm_dispatch<float>(s64, s32, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, double alpha, const double* a,
          int64_t lda, const double* b, int64_t ldb, double beta, double* c, int64_t ldc) {
  gemm_dispatch<double>(d64, d32, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

}  // namespace fb
