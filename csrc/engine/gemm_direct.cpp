// Narrow float32 gemms (n <= 128 columns) on the AVX-512 tiles (see direct_kernels.h). These
// are the shapes of small networks' layers — batch × features times features × units — where
// a general BLAS spends a large share of the call packing panels and splits rows poorly over
// two threads; here b's panel streams from L2 and rows of c split evenly over the pool.
#include <algorithm>
#include <cstring>

#include "direct_kernels.h"
#include "tensor.h"

#if FB_HAVE_AVX512_KERNELS
#include "avx512_tiles.h"
#endif

namespace fb {

#if FB_HAVE_AVX512_KERNELS
namespace {
using namespace tiles;

constexpr int64_t kMaxColumns = 128;
// Reduction rows per block of the transposed case: 256 rows of b (64 columns) is 64 KB.
constexpr int64_t kReductionBlock = 256;
// Multiply-adds per pool part: below this, waking a worker costs more than it saves.
constexpr int64_t kPartWork = int64_t(1) << 20;

// c rows [m0, m1), columns [col0, col0 + ncol) of a·b: rows of a are contiguous in k.
template <int R, int NV>
FB_AVX512 void rows_nn(const float* a, int64_t lda, const float* b, int64_t ldb, float* c, int64_t ldc, int64_t k,
                       int64_t m0, int64_t m1, int64_t col0, int64_t ncol) {
  const int64_t seg = 0;
  const float* rows[R];
  for (int64_t m = m0; m < m1; m += R) {
    const int64_t live = std::min<int64_t>(R, m1 - m);
    for (int64_t r = 0; r < live; ++r) rows[r] = a + (m + r) * lda;
    forward_rows<R, NV>(rows, live, &seg, 1, k, b + col0, ldb, c + m * ldc + col0, ldc, ncol);
  }
}

// The same for aᵀ·b with a stored k × m: row r of c reduces column r of a against b, over
// blocks of k whose rows of b stay in cache. c must be zero on entry.
template <int R, int NV>
FB_AVX512 void rows_tn(const float* a, int64_t lda, const float* b, int64_t ldb, float* c, int64_t ldc, int64_t k,
                       int64_t m0, int64_t m1, int64_t col0, int64_t ncol) {
  int64_t poff[kReductionBlock];
  int64_t cols[R];
  for (int64_t p0 = 0; p0 < k; p0 += kReductionBlock) {
    const int64_t np = std::min(kReductionBlock, k - p0);
    for (int64_t p = 0; p < np; ++p) poff[p] = (p0 + p) * lda;
    for (int64_t m = m0; m < m1; m += R) {
      const int64_t live = std::min<int64_t>(R, m1 - m);
      for (int64_t r = 0; r < live; ++r) cols[r] = m + r;
      grad_rows<R, NV>(a, poff, np, b + p0 * ldb + col0, ldb, cols, live, c + m * ldc + col0, ldc, ncol);
    }
  }
}

}  // namespace

bool direct_sgemm(bool ta, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b,
                  int64_t ldb, float* c, int64_t ldc, bool parallel) {
  if (!cpu_has_avx512() || n > kMaxColumns || k * 64 * (int64_t)sizeof(float) > kMaxPanelBytes) return false;
  if (m == 0 || n == 0) return true;
  auto part = [&](int64_t m0, int64_t m1) {
    if (ta) {
      for (int64_t r = m0; r < m1; ++r) std::memset(c + r * ldc, 0, sizeof(float) * (size_t)n);
    }
    for (int64_t col0 = 0; col0 < n; col0 += 64) {
      const int64_t ncol = std::min<int64_t>(64, n - col0);
      if (ta) {
        FB_WITH_TILE_SHAPE(ncol, (rows_tn<R, NV>(a, lda, b, ldb, c, ldc, k, m0, m1, col0, ncol)))
      } else {
        FB_WITH_TILE_SHAPE(ncol, (rows_nn<R, NV>(a, lda, b, ldb, c, ldc, k, m0, m1, col0, ncol)))
      }
    }
  };
  if (parallel) parallel_rows(m, std::max<int64_t>(1, kPartWork / std::max<int64_t>(1, n * k)), part);
  else part(0, m);
  return true;
}

#else

bool direct_sgemm(bool, int64_t, int64_t, int64_t, const float*, int64_t, const float*, int64_t, float*, int64_t,
                  bool) {
  return false;
}

#endif

}  // namespace fb
