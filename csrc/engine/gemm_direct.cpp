// Narrow float32 gemms (n <= 128 columns) on the AVX-512 tiles (see direct_kernels.h). These
// are the shapes of small networks' layers — batch × features times features × units — where
// a general BLAS spends a large share of the call packing panels and splits rows poorly over
// two threads; here b's panel streams from L2 and rows of c split evenly over the pool.
#include <algorithm>
#include <vector>

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
constexpr int64_t kMinRowsForTransposedB = 16;

// c rows [m0, m1), columns [col0, col0 + ncol) of a·b: rows of a are contiguous in k.
template <int R, int NV, int TW>
FB_AVX512 void rows_nn(const float* a, int64_t lda, const float* b, int64_t ldb, float* c, int64_t ldc, int64_t k,
                       int64_t m0, int64_t m1, int64_t col0, int64_t ncol, Out out) {
  const int64_t seg = 0;
  const float* rows[R];
  for (int64_t m = m0; m < m1; m += R) {
    const int64_t live = std::min<int64_t>(R, m1 - m);
    for (int64_t r = 0; r < live; ++r) rows[r] = a + (m + r) * lda;
    forward_rows<R, NV, TW>(rows, live, &seg, 1, k, b + col0, ldb, c + m * ldc + col0, ldc, ncol, out);
  }
}

// The same for aᵀ·b with a stored k × m: row r of c reduces column r of a against b, over
// blocks of k whose rows of b stay in cache; c holds the partial sums between blocks, so `out`
// may add only when k is one block.
template <int R, int NV, int TW>
FB_AVX512 void rows_tn(const float* a, int64_t lda, const float* b, int64_t ldb, float* c, int64_t ldc, int64_t k,
                       int64_t m0, int64_t m1, int64_t col0, int64_t ncol, Out out) {
  int64_t poff[kReductionBlock];
  int64_t cols[R];
  for (int64_t p0 = 0; p0 < k; p0 += kReductionBlock) {
    const int64_t np = std::min(kReductionBlock, k - p0);
    for (int64_t p = 0; p < np; ++p) poff[p] = (p0 + p) * lda;
    const Out block_out = p0 + np == k ? out : Out{};
    for (int64_t m = m0; m < m1; m += R) {
      const int64_t live = std::min<int64_t>(R, m1 - m);
      for (int64_t r = 0; r < live; ++r) cols[r] = m + r;
      grad_rows<R, NV, TW>(a, poff, np, b + p0 * ldb + col0, ldb, cols, live, c + m * ldc + col0, ldc, ncol,
                           p0 > 0, block_out);
    }
  }
}

}  // namespace

bool direct_sgemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
                  const float* b, int64_t ldb, float beta, float* c, int64_t ldc, bool parallel) {
  if (!cpu_has_avx512() || n > kMaxColumns || k * 64 * (int64_t)sizeof(float) > kMaxPanelBytes) return false;
  if (beta != 0.0f && !(beta == 1.0f && (!ta || k <= kReductionBlock))) return false;
  const Out out{alpha, beta == 1.0f};
  // A transposed b is copied to k × n first: worth it once every row of b serves a few rows of c.
  if (tb && m < kMinRowsForTransposedB) return false;
  if (m == 0 || n == 0) return true;
  if (k == 0) {  // no blocks to run: c = beta·c
    if (beta == 0.0f)
      for (int64_t r = 0; r < m; ++r) std::fill_n(c + r * ldc, n, 0.0f);
    return true;
  }
  thread_local std::vector<float> bt;
  if (tb) {
    bt.resize((size_t)(k * n));
    for (int64_t j = 0; j < n; ++j)
      for (int64_t p = 0; p < k; ++p) bt[(size_t)(p * n + j)] = b[j * ldb + p];
    b = bt.data();
    ldb = n;
  }
  auto part = [&](int64_t m0, int64_t m1) {
    for (int64_t col0 = 0; col0 < n; col0 += 64) {
      const int64_t ncol = std::min<int64_t>(64, n - col0);
      if (ta) {
        FB_WITH_TILE_SHAPE(ncol, (rows_tn<R, NV, TW>(a, lda, b, ldb, c, ldc, k, m0, m1, col0, ncol, out)))
      } else {
        FB_WITH_TILE_SHAPE(ncol, (rows_nn<R, NV, TW>(a, lda, b, ldb, c, ldc, k, m0, m1, col0, ncol, out)))
      }
    }
  };
  if (parallel) parallel_rows(m, std::max<int64_t>(1, kPartWork / std::max<int64_t>(1, n * k)), part);
  else part(0, m);
  return true;
}

#else

bool direct_sgemm(bool, bool, int64_t, int64_t, int64_t, float, const float*, int64_t, const float*, int64_t, float,
                  float*, int64_t, bool) {
  return false;
}

#endif

}  // namespace fb
