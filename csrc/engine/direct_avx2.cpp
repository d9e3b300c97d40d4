// The direct convolutions on AVX2 + FMA (16 ymm registers): tiles of up to 16 channels, tails
// through vmaskmov. Run only where direct_kernels_isa() is "avx2" (direct_kernels.cpp): x86-64
// CPUs without AVX-512, or FLOWBOARD_KERNELS=avx2.
#include "direct_kernels.h"

#if FB_HAVE_DIRECT_KERNELS
#include <immintrin.h>

#include "direct_common.h"
#include "kernels_util.h"

#define FB_TARGET __attribute__((target("avx2,fma")))
// Convolutions only: on the narrow gemms these tiles lose to OpenBLAS's own AVX2 kernel
// (100x784x100 on one thread: 188 us against 163 us with OPENBLAS_CORETYPE=Haswell), while
// the convnet's convolutions gain (2 threads 26.3 ms per step against 29.8 ms with im2col).
#define FB_DIRECT_GEMM 0

namespace fb {
namespace avx2 {
using namespace tiles;

constexpr int kW = 8;
constexpr int64_t kChunk = 16;

#include "direct_ymm.inc"

template <int TW>
struct Lane;
template <>
struct Lane<8> : Ymm {
  using M = __m256i;  // lanes to load / store: all bits set
  FB_TARGET static M mask(int64_t live) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)std::min<int64_t>(live, 8)),
                              _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  }
  FB_TARGET static V load(M m, const float* p) { return _mm256_maskload_ps(p, m); }
  FB_TARGET static void store(float* p, M m, V v) { _mm256_maskstore_ps(p, m, v); }
  FB_TARGET static V narrow(V v) { return v; }
};

inline int tail_width(int64_t) { return 8; }

#include "direct_tiles.inc"

// The tile shape of a chunk of ncol <= 16 channels (NV vectors of 8): R×NV accumulators, NV
// vectors of b and one broadcast fit the 16 ymm registers (6×2 is the classic AVX2 sgemm block).
#define FB_WITH_TILE_SHAPE(ncol, CALL)                             \
  switch ((ncol + 7) / 8) {                                        \
    case 2: { constexpr int R = 6, NV = 2, TW = 8; CALL; break; }  \
    default: { constexpr int R = 12, NV = 1, TW = 8; CALL; break; } \
  }

#include "direct_drivers.inc"

}  // namespace avx2
}  // namespace fb

#endif
