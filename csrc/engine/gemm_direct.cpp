// Narrow float32 gemms (n <= 128 columns) on the AVX-512 tiles (see direct_kernels.h). These
// are the shapes of small networks' layers — batch × features times features × units — where
// a general BLAS spends a large share of the call packing panels and splits rows poorly over
// two threads; here b's panel streams from L2 and rows of c split evenly over the pool.
#include <algorithm>
#include <cstring>
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

// c rows [m0, m1), columns [col0, col0 + ncol) of a·b: rows of a are contiguous in k.
template <int R, int NV>
FB_AVX512 void rows_nn(const float* a, int64_t lda, const float* b, int64_t ldb, float* c, int64_t ldc, int64_t k,
                       int64_t m0, int64_t m1, int64_t col0, int64_t ncol) {
  const __mmask16 tail = tail_mask(ncol);
  const int64_t seg = 0;
  const float* rows[R];
  float scratch[R * 64];
  for (int64_t m = m0; m < m1; m += R) {
    const int64_t live = std::min<int64_t>(R, m1 - m);
    for (int64_t r = 0; r < R; ++r) rows[r] = a + (m + std::min<int64_t>(r, live - 1)) * lda;
    if (live == R) {
      forward_tile<R, NV>(rows, &seg, 1, k, b + col0, ldb, c + m * ldc + col0, ldc, tail);
      continue;
    }
    forward_tile<R, NV>(rows, &seg, 1, k, b + col0, ldb, scratch, 64, tail);
    for (int64_t r = 0; r < live; ++r) std::memcpy(c + (m + r) * ldc + col0, scratch + r * 64, sizeof(float) * (size_t)ncol);
  }
}

// The same for aᵀ·b with a stored k × m: row r of c reduces column r of a against b, over
// blocks of k whose rows of b stay in cache. c must be zero on entry.
template <int R, int NV>
FB_AVX512 void rows_tn(const float* a, int64_t lda, const float* b, int64_t ldb, float* c, int64_t ldc, int64_t k,
                       int64_t m0, int64_t m1, int64_t col0, int64_t ncol) {
  const __mmask16 tail = tail_mask(ncol);
  std::vector<int64_t> poff((size_t)std::min(kReductionBlock, k));
  int64_t cols[R];
  float scratch[R * 64];
  for (int64_t p0 = 0; p0 < k; p0 += kReductionBlock) {
    const int64_t np = std::min(kReductionBlock, k - p0);
    for (int64_t p = 0; p < np; ++p) poff[(size_t)p] = (p0 + p) * lda;
    const float* bb = b + p0 * ldb + col0;
    for (int64_t m = m0; m < m1; m += R) {
      const int64_t live = std::min<int64_t>(R, m1 - m);
      for (int64_t r = 0; r < R; ++r) cols[r] = m + std::min<int64_t>(r, live - 1);
      float* w = c + m * ldc + col0;
      if (live == R) {
        grad_tile<R, NV>(a, poff.data(), np, bb, ldb, cols, w, ldc, tail);
        continue;
      }
      std::memset(scratch, 0, sizeof(scratch));
      for (int64_t r = 0; r < live; ++r) std::memcpy(scratch + r * 64, w + r * ldc, sizeof(float) * (size_t)ncol);
      grad_tile<R, NV>(a, poff.data(), np, bb, ldb, cols, scratch, 64, tail);
      for (int64_t r = 0; r < live; ++r) std::memcpy(w + r * ldc, scratch + r * 64, sizeof(float) * (size_t)ncol);
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
  const int threads = num_threads();
  const int64_t units = (m + kRowUnit - 1) / kRowUnit;
  if (parallel && threads > 1 && units < 4 * threads) {
    // Few rows (a batch of 100): one even part per thread; whole-tile units would split
    // 60 / 40 at best.
    const int64_t per_thread = (m + threads - 1) / threads;
    if (per_thread * n * k >= kPartWork) parallel_for(m, per_thread, part);
    else part(0, m);
  } else if (parallel) {
    // Parts are whole multiples of every tile height (6, 8, 12), so only the last one has a
    // partial tile.
    const int64_t min_units = std::max<int64_t>(1, kPartWork / std::max<int64_t>(1, n * k * kRowUnit));
    parallel_for(units, min_units, [&](int64_t u0, int64_t u1) { part(u0 * kRowUnit, std::min(m, u1 * kRowUnit)); });
  } else {
    part(0, m);
  }
  return true;
}

#else

bool direct_sgemm(bool, int64_t, int64_t, int64_t, const float*, int64_t, const float*, int64_t, float*, int64_t,
                  bool) {
  return false;
}

#endif

}  // namespace fb
