// The direct kernels on AVX-512 (with AVX-512VL for 8-lane tails): zmm tiles of up to 64
// channels. Runs only where direct_kernels_isa() is "avx512" (direct_kernels.cpp).
#include "direct_kernels.h"

#if FB_HAVE_DIRECT_KERNELS
#include <immintrin.h>

#include "direct_common.h"
#include "kernels_util.h"

#define FB_TARGET __attribute__((target("avx512f,avx512vl,fma")))
#define FB_DIRECT_GEMM 1

namespace fb {
namespace avx512 {
using namespace tiles;

constexpr int kW = 16;
constexpr int64_t kChunk = 64;

#include "direct_ymm.inc"

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
  FB_TARGET static V loadu(const float* p) { return _mm512_loadu_ps(p); }
  FB_TARGET static void storeu(float* p, V v) { _mm512_storeu_ps(p, v); }
  FB_TARGET static V set1(float x) { return _mm512_set1_ps(x); }
  FB_TARGET static V load(M m, const float* p) { return _mm512_maskz_loadu_ps(m, p); }
  FB_TARGET static void store(float* p, M m, V v) { _mm512_mask_storeu_ps(p, m, v); }
  FB_TARGET static V narrow(__m512 v) { return v; }
  FB_TARGET static V fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  FB_TARGET static V mul(V a, V b) { return _mm512_mul_ps(a, b); }
  FB_TARGET static V add(V a, V b) { return _mm512_add_ps(a, b); }
  FB_TARGET static V zero() { return _mm512_setzero_ps(); }
};
template <>
struct Lane<8> : Ymm {
  using M = __mmask8;
  static M mask(int64_t live) { return live >= 8 ? M(0xFF) : M((1u << live) - 1); }
  FB_TARGET static V load(M m, const float* p) { return _mm256_maskz_loadu_ps(m, p); }
  FB_TARGET static void store(float* p, M m, V v) { _mm256_mask_storeu_ps(p, m, v); }
  FB_TARGET static V narrow(__m512 v) { return _mm512_castps512_ps256(v); }
};

inline int tail_width(int64_t ncol) { return ncol - kW * ((ncol - 1) / kW) <= 8 ? 8 : 16; }

#include "direct_tiles.inc"

// The tile shape of a chunk of ncol <= 64 channels (NV vectors of 16): R×NV accumulators fill
// most of the 32 zmm registers, and the R row pointers must fit the general registers too
// (12×2 measured 2-3 % slower than 8×2 on a 32-channel conv: its pointers spill).
#define FB_TILE_SWITCH(ncol, W, CALL)                               \
  switch ((ncol + 15) / 16) {                                       \
    case 4: { constexpr int R = 6, NV = 4, TW = W; CALL; break; }   \
    case 3: { constexpr int R = 8, NV = 3, TW = W; CALL; break; }   \
    case 2: { constexpr int R = 8, NV = 2, TW = W; CALL; break; }   \
    default: { constexpr int R = 12, NV = 1, TW = W; CALL; break; } \
  }
#define FB_WITH_TILE_SHAPE(ncol, CALL) \
  if (tail_width(ncol) == 8) {         \
    FB_TILE_SWITCH(ncol, 8, CALL)      \
  } else {                             \
    FB_TILE_SWITCH(ncol, 16, CALL)     \
  }

#include "direct_drivers.inc"

}  // namespace avx512
}  // namespace fb

#endif
