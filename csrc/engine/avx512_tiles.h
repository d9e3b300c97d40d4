// AVX-512 register-blocked float32 tiles shared by the direct convolution and the small-gemm
// kernels. Include only from translation units compiled for x86-64 with GCC or Clang; every
// function here carries target("avx512f") and must run only when cpu_has_avx512().
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <immintrin.h>

#include "tensor.h"

#define FB_AVX512 __attribute__((target("avx512f")))

namespace fb {
namespace tiles {

// Largest panel (reduction rows × 64 channels) a tile streams; beyond it the panel no longer
// sits in L2 and a cache-blocked BLAS is the better choice.
constexpr int64_t kMaxPanelBytes = int64_t(768) << 10;
// A multiple of every tile height below: splitting rows in such units leaves partial tiles
// only at the end.
constexpr int64_t kRowUnit = 24;

inline bool cpu_has_avx512() {
  static const bool ok = __builtin_cpu_supports("avx512f");
  return ok;
}

inline __mmask16 tail_mask(int64_t ncol) {
  const int64_t r = ncol % 16;
  return r == 0 ? __mmask16(0xFFFF) : __mmask16((1u << r) - 1);
}

// NV vectors of 16 floats from p (the last one masked by `tail`).
template <int NV>
FB_AVX512 inline void load_vectors(const float* p, __mmask16 tail, __m512* v) {
#pragma GCC unroll 4
  for (int i = 0; i < NV - 1; ++i) v[i] = _mm512_loadu_ps(p + 16 * i);
  v[NV - 1] = _mm512_maskz_loadu_ps(tail, p + 16 * (NV - 1));
}

template <int R, int NV>
FB_AVX512 inline void store_rows(const __m512 (&acc)[R][NV], float* c, int64_t ldc, __mmask16 tail) {
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 4
    for (int v = 0; v < NV - 1; ++v) _mm512_storeu_ps(c + r * ldc + 16 * v, acc[r][v]);
    _mm512_mask_storeu_ps(c + r * ldc + 16 * (NV - 1), tail, acc[r][NV - 1]);
  }
}

// R pixels × NV*16 channels: c[r] = sum over segments s, k < seglen of a[r][seg[s] + k] · b[row].
template <int R, int NV>
FB_AVX512 inline void forward_tile(const float* const* a, const int64_t* seg, int64_t nseg, int64_t seglen,
                                   const float* b, int64_t ldb, float* c, int64_t ldc, __mmask16 tail) {
  __m512 acc[R][NV];
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_setzero_ps();
  const float* bp = b;
  for (int64_t s = 0; s < nseg; ++s) {
    const float* ap[R];
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) ap[r] = a[r] + seg[s];
    for (int64_t k = 0; k < seglen; ++k, bp += ldb) {
      __m512 bv[NV];
      load_vectors<NV>(bp, tail, bv);
#pragma GCC unroll 16
      for (int r = 0; r < R; ++r) {
        const __m512 av = _mm512_set1_ps(ap[r][k]);
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_fmadd_ps(av, bv[v], acc[r][v]);
      }
    }
  }
  store_rows<R, NV>(acc, c, ldc, tail);
}

// R filter rows × NV*16 channels: w[r] += sum over np pixels of x[poff[p] + koff[r]] · dy[p].
template <int R, int NV>
FB_AVX512 inline void grad_tile(const float* x, const int64_t* poff, int64_t np, const float* dy, int64_t ldd,
                                const int64_t* koff, float* w, int64_t ldw, __mmask16 tail) {
  __m512 acc[R][NV];
  int64_t ko[R];
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r) {
    ko[r] = koff[r];
    load_vectors<NV>(w + r * ldw, tail, acc[r]);
  }
  for (int64_t p = 0; p < np; ++p) {
    const float* base = x + poff[p];
    __m512 bv[NV];
    load_vectors<NV>(dy + p * ldd, tail, bv);
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) {
      const __m512 av = _mm512_set1_ps(base[ko[r]]);
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_fmadd_ps(av, bv[v], acc[r][v]);
    }
  }
  store_rows<R, NV>(acc, w, ldw, tail);
}

// forward_tile for `live` <= R rows (a[0, live) set; the rest are filled with a[live - 1]),
// channels [0, ncol): a short tile computes into scratch and copies its live rows out.
template <int R, int NV>
FB_AVX512 inline void forward_rows(const float** a, int64_t live, const int64_t* seg, int64_t nseg, int64_t seglen,
                                   const float* b, int64_t ldb, float* c, int64_t ldc, int64_t ncol) {
  const __mmask16 tail = tail_mask(ncol);
  if (live == R) return forward_tile<R, NV>(a, seg, nseg, seglen, b, ldb, c, ldc, tail);
  float scratch[R * 64];
  for (int64_t r = live; r < R; ++r) a[r] = a[live - 1];
  forward_tile<R, NV>(a, seg, nseg, seglen, b, ldb, scratch, 64, tail);
  for (int64_t r = 0; r < live; ++r) std::memcpy(c + r * ldc, scratch + r * 64, sizeof(float) * (size_t)ncol);
}

// grad_tile for `live` <= R filter rows koff[0, live), channels [0, ncol).
template <int R, int NV>
FB_AVX512 inline void grad_rows(const float* x, const int64_t* poff, int64_t np, const float* dy, int64_t ldd,
                                const int64_t* koff, int64_t live, float* w, int64_t ldw, int64_t ncol) {
  const __mmask16 tail = tail_mask(ncol);
  if (live == R) return grad_tile<R, NV>(x, poff, np, dy, ldd, koff, w, ldw, tail);
  int64_t ko[R];
  float scratch[R * 64] = {};
  for (int64_t r = 0; r < R; ++r) ko[r] = koff[std::min<int64_t>(r, live - 1)];
  for (int64_t r = 0; r < live; ++r) std::memcpy(scratch + r * 64, w + r * ldw, sizeof(float) * (size_t)ncol);
  grad_tile<R, NV>(x, poff, np, dy, ldd, ko, scratch, 64, tail);
  for (int64_t r = 0; r < live; ++r) std::memcpy(w + r * ldw, scratch + r * 64, sizeof(float) * (size_t)ncol);
}

// Splits rows [0, m) over the executor's pool for fn(r0, r1), parts of at least `min_rows`.
// Parts are whole multiples of every tile height (6, 8, 12), so only the last one has a partial
// tile; with only a few such units (a batch of 100) it is one even part per thread instead,
// since whole units would split 60 / 40 at best.
template <class Fn>
void parallel_rows(int64_t m, int64_t min_rows, Fn&& fn) {
  const int threads = num_threads();
  const int64_t units = (m + kRowUnit - 1) / kRowUnit;
  if (threads > 1 && units < 4 * threads) {
    const int64_t per_thread = (m + threads - 1) / threads;
    if (per_thread >= min_rows) parallel_for(m, per_thread, fn);
    else fn(0, m);
    return;
  }
  parallel_for(units, std::max<int64_t>(1, min_rows / kRowUnit),
               [&](int64_t u0, int64_t u1) { fn(u0 * kRowUnit, std::min(m, u1 * kRowUnit)); });
}

// The tile shape of a channel chunk of ncol <= 64 channels (NV vectors of 16): R×NV
// accumulators fill most of the 32 zmm registers, and the R row pointers must fit the general
// registers too (12×2 measured 2-3 % slower than 8×2 on a 32-channel conv: its pointers spill).
#define FB_WITH_TILE_SHAPE(ncol, CALL)            \
  switch ((ncol + 15) / 16) {                     \
    case 4: { constexpr int R = 6, NV = 4; CALL; break; }  \
    case 3: { constexpr int R = 8, NV = 3; CALL; break; }  \
    case 2: { constexpr int R = 8, NV = 2; CALL; break; } \
    default: { constexpr int R = 12, NV = 1; CALL; break; } \
  }

}  // namespace tiles
}  // namespace fb
