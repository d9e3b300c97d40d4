// AVX-512 register-blocked float32 tiles shared by the direct convolution and the small-gemm
// kernels. Include only from translation units compiled for x86-64 with GCC or Clang; every
// function here carries target("avx512f") and must run only when cpu_has_avx512().
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <immintrin.h>

#include "tensor.h"

#define FB_AVX512 __attribute__((target("avx512f,avx512vl,fma")))

namespace fb {
namespace tiles {

// Largest panel (reduction rows × 64 channels) a tile streams; beyond it the panel no longer
// sits in L2 and a cache-blocked BLAS is the better choice.
constexpr int64_t kMaxPanelBytes = int64_t(768) << 10;
// A multiple of every tile height below: splitting rows in such units leaves partial tiles
// only at the end.
constexpr int64_t kRowUnit = 24;

inline bool cpu_has_avx512() {
  static const bool ok = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl");
  return ok;
}

// The last vector of a tile row: a masked zmm, or a masked ymm when at most 8 channels are
// left. CPUs that run zmm instructions as two 256-bit halves (AMD Zen 4) spend half the time on
// a ymm, so 100 channels cost 13 half-vectors instead of 14.
template <int TW>
struct Lane;
template <>
struct Lane<16> {
  using V = __m512;
  using M = __mmask16;
  static M mask(int64_t live) { return live >= 16 ? M(0xFFFF) : M((1u << live) - 1); }
  FB_AVX512 static V load(M m, const float* p) { return _mm512_maskz_loadu_ps(m, p); }
  FB_AVX512 static void store(float* p, M m, V v) { _mm512_mask_storeu_ps(p, m, v); }
  FB_AVX512 static V narrow(__m512 v) { return v; }
  FB_AVX512 static V fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  FB_AVX512 static V mul(V a, V b) { return _mm512_mul_ps(a, b); }
  FB_AVX512 static V add(V a, V b) { return _mm512_add_ps(a, b); }
  FB_AVX512 static V zero() { return _mm512_setzero_ps(); }
};
template <>
struct Lane<8> {
  using V = __m256;
  using M = __mmask8;
  static M mask(int64_t live) { return live >= 8 ? M(0xFF) : M((1u << live) - 1); }
  FB_AVX512 static V load(M m, const float* p) { return _mm256_maskz_loadu_ps(m, p); }
  FB_AVX512 static void store(float* p, M m, V v) { _mm256_mask_storeu_ps(p, m, v); }
  FB_AVX512 static V narrow(__m512 v) { return _mm512_castps512_ps256(v); }
  FB_AVX512 static V fma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
  FB_AVX512 static V mul(V a, V b) { return _mm256_mul_ps(a, b); }
  FB_AVX512 static V add(V a, V b) { return _mm256_add_ps(a, b); }
  FB_AVX512 static V zero() { return _mm256_setzero_ps(); }
};

// How a tile writes its sums s: c = alpha·s, or c = c + alpha·s with `add` (gemm's beta 0 or 1).
// The product is rounded before the sum, as in `var -= lr * grad` (the engine is built with
// -ffp-contract=off, so neither becomes a fused multiply-add).
struct Out {
  float alpha = 1.0f;
  bool add = false;
  bool plain() const { return alpha == 1.0f && !add; }
};

// The scalar form of Out for n sums s (a partial tile's scratch row).
inline void write_out(float* c, const float* s, int64_t n, Out o) {
  if (o.plain()) std::memcpy(c, s, sizeof(float) * (size_t)n);
  else if (o.add)
    for (int64_t j = 0; j < n; ++j) c[j] = c[j] + o.alpha * s[j];
  else
    for (int64_t j = 0; j < n; ++j) c[j] = o.alpha * s[j];
}

// Channels the tail vector of an ncol-channel chunk (NV vectors) holds, and its width.
inline int64_t tail_live(int64_t ncol, int NV) { return ncol - 16 * (NV - 1); }
inline int tail_width(int64_t ncol) { return tail_live(ncol, int((ncol + 15) / 16)) <= 8 ? 8 : 16; }

// One tile row: NV - 1 full zmm vectors and a tail of width TW (FV full vectors, at least one
// array slot so that NV = 1 stays valid C++).
template <int NV, int TW>
struct Row {
  static constexpr int FV = NV - 1;
  using L = Lane<TW>;
  __m512 v[FV > 0 ? FV : 1];
  typename L::V t;

  FB_AVX512 void zero() {
#pragma GCC unroll 4
    for (int i = 0; i < FV; ++i) v[i] = _mm512_setzero_ps();
    t = L::zero();
  }
  FB_AVX512 void load(const float* p, typename L::M tail) {
#pragma GCC unroll 4
    for (int i = 0; i < FV; ++i) v[i] = _mm512_loadu_ps(p + 16 * i);
    t = L::load(tail, p + 16 * FV);
  }
  FB_AVX512 void store(float* p, typename L::M tail) const {
#pragma GCC unroll 4
    for (int i = 0; i < FV; ++i) _mm512_storeu_ps(p + 16 * i, v[i]);
    L::store(p + 16 * FV, tail, t);
  }
  FB_AVX512 void store(float* p, typename L::M tail, Out o) const {
    if (o.plain()) return store(p, tail);
    const __m512 al = _mm512_set1_ps(o.alpha);
#pragma GCC unroll 4
    for (int i = 0; i < FV; ++i) {
      __m512 x = _mm512_mul_ps(al, v[i]);
      if (o.add) x = _mm512_add_ps(_mm512_loadu_ps(p + 16 * i), x);
      _mm512_storeu_ps(p + 16 * i, x);
    }
    typename L::V x = L::mul(L::narrow(al), t);
    if (o.add) x = L::add(L::load(tail, p + 16 * FV), x);
    L::store(p + 16 * FV, tail, x);
  }
  // this += a (broadcast) · b
  FB_AVX512 void fma(__m512 a, const Row& b) {
#pragma GCC unroll 4
    for (int i = 0; i < FV; ++i) v[i] = _mm512_fmadd_ps(a, b.v[i], v[i]);
    t = L::fma(L::narrow(a), b.t, t);
  }
};

// R pixels × NV*16 channels: c[r] = sum over segments s, k < seglen of a[r][seg[s] + k] · b[row].
template <int R, int NV, int TW>
FB_AVX512 inline void forward_tile(const float* const* a, const int64_t* seg, int64_t nseg, int64_t seglen,
                                   const float* b, int64_t ldb, float* c, int64_t ldc, typename Lane<TW>::M tail,
                                   Out out) {
  Row<NV, TW> acc[R];
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r) acc[r].zero();
  const float* bp = b;
  for (int64_t s = 0; s < nseg; ++s) {
    const float* ap[R];
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) ap[r] = a[r] + seg[s];
    for (int64_t k = 0; k < seglen; ++k, bp += ldb) {
      Row<NV, TW> bv;
      bv.load(bp, tail);
#pragma GCC unroll 16
      for (int r = 0; r < R; ++r) acc[r].fma(_mm512_set1_ps(ap[r][k]), bv);
    }
  }
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r) acc[r].store(c + r * ldc, tail, out);
}

// R filter rows × NV*16 channels: s[r] = (accumulate ? w[r] : 0) + sum over np pixels of
// x[poff[p] + koff[r]] · dy[p], written to w[r] through `out`.
template <int R, int NV, int TW>
FB_AVX512 inline void grad_tile(const float* x, const int64_t* poff, int64_t np, const float* dy, int64_t ldd,
                                const int64_t* koff, float* w, int64_t ldw, typename Lane<TW>::M tail,
                                bool accumulate, Out out) {
  Row<NV, TW> acc[R];
  int64_t ko[R];
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r) {
    ko[r] = koff[r];
    if (accumulate) acc[r].load(w + r * ldw, tail);
    else acc[r].zero();
  }
  for (int64_t p = 0; p < np; ++p) {
    const float* base = x + poff[p];
    Row<NV, TW> bv;
    bv.load(dy + p * ldd, tail);
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) acc[r].fma(_mm512_set1_ps(base[ko[r]]), bv);
  }
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r) acc[r].store(w + r * ldw, tail, out);
}

// forward_tile for `live` <= R rows (a[0, live) set; the rest are filled with a[live - 1]),
// channels [0, ncol): a short tile computes into scratch and copies its live rows out.
template <int R, int NV, int TW>
FB_AVX512 inline void forward_rows(const float** a, int64_t live, const int64_t* seg, int64_t nseg, int64_t seglen,
                                   const float* b, int64_t ldb, float* c, int64_t ldc, int64_t ncol, Out out = {}) {
  const auto tail = Lane<TW>::mask(tail_live(ncol, NV));
  if (live == R) return forward_tile<R, NV, TW>(a, seg, nseg, seglen, b, ldb, c, ldc, tail, out);
  float scratch[R * 64];
  for (int64_t r = live; r < R; ++r) a[r] = a[live - 1];
  forward_tile<R, NV, TW>(a, seg, nseg, seglen, b, ldb, scratch, 64, tail, Out{});
  for (int64_t r = 0; r < live; ++r) write_out(c + r * ldc, scratch + r * 64, ncol, out);
}

// grad_tile for `live` <= R filter rows koff[0, live), channels [0, ncol). `out` must not add
// when accumulating (w holds the partial sums then).
template <int R, int NV, int TW>
FB_AVX512 inline void grad_rows(const float* x, const int64_t* poff, int64_t np, const float* dy, int64_t ldd,
                                const int64_t* koff, int64_t live, float* w, int64_t ldw, int64_t ncol,
                                bool accumulate = true, Out out = {}) {
  const auto tail = Lane<TW>::mask(tail_live(ncol, NV));
  if (live == R) return grad_tile<R, NV, TW>(x, poff, np, dy, ldd, koff, w, ldw, tail, accumulate, out);
  int64_t ko[R];
  float scratch[R * 64];
  for (int64_t r = 0; r < R; ++r) ko[r] = koff[std::min<int64_t>(r, live - 1)];
  if (accumulate)
    for (int64_t r = 0; r < live; ++r) std::memcpy(scratch + r * 64, w + r * ldw, sizeof(float) * (size_t)ncol);
  grad_tile<R, NV, TW>(x, poff, np, dy, ldd, ko, scratch, 64, tail, accumulate, Out{});
  for (int64_t r = 0; r < live; ++r) write_out(w + r * ldw, scratch + r * 64, ncol, out);
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
// TW is the width of the tail vector (see Lane).
#define FB_TILE_SWITCH(ncol, W, CALL)                                  \
  switch ((ncol + 15) / 16) {                                          \
    case 4: { constexpr int R = 6, NV = 4, TW = W; CALL; break; }      \
    case 3: { constexpr int R = 8, NV = 3, TW = W; CALL; break; }      \
    case 2: { constexpr int R = 8, NV = 2, TW = W; CALL; break; }      \
    default: { constexpr int R = 12, NV = 1, TW = W; CALL; break; }    \
  }
#define FB_WITH_TILE_SHAPE(ncol, CALL)                             \
  if (::fb::tiles::tail_width(ncol) == 8) {                         \
    FB_TILE_SWITCH(ncol, 8, CALL)                                   \
  } else {                                                          \
    FB_TILE_SWITCH(ncol, 16, CALL)                                  \
  }

}  // namespace tiles
}  // namespace fb
