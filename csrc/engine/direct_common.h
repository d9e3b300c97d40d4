// The ISA-independent half of the direct float32 kernels (see direct_kernels.h): how tiles
// write their sums, the zero-padded conv input, row splitting over the pool, and the entry
// points each instruction set provides (direct_avx512.cpp, direct_avx2.cpp).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "conv_geom.h"
#include "tensor.h"

namespace fb {
namespace tiles {

// Largest panel (reduction rows × 64 channels) a tile streams; beyond it the panel no longer
// sits in L2 and a cache-blocked BLAS is the better choice.
constexpr int64_t kMaxPanelBytes = int64_t(768) << 10;
// A multiple of every tile height: splitting rows in such units leaves partial tiles only at
// the end.
constexpr int64_t kRowUnit = 24;
// Reduction rows per block of aᵀ·b and output pixels per block of a filter gradient: 256 rows
// of 64 channels is 64 KB.
constexpr int64_t kReductionBlock = 256;

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

// The input with its SAME padding materialised as zeros, so every window is in bounds.
struct Padded {
  std::unique_ptr<float[]> owned;
  const float* data;
  int64_t hp, wp;
};

// Walks output pixels in order, giving each one's offset into the padded input.
struct PixelWalk {
  const ConvGeom& g;
  int64_t hp, wp, n, oy, ox;
  PixelWalk(const ConvGeom& geom, const Padded& xp, int64_t m)
      : g(geom), hp(xp.hp), wp(xp.wp), n(m / (g.oh * g.ow)), oy((m % (g.oh * g.ow)) / g.ow), ox(m % g.ow) {}
  int64_t offset() const { return ((n * hp + oy * g.sh) * wp + ox * g.sw) * g.c; }
  void next() {
    if (++ox == g.ow) {
      ox = 0;
      if (++oy == g.oh) {
        oy = 0;
        ++n;
      }
    }
  }
};

// Output pixels per thread-pool part: enough multiply-adds that a part outweighs waking a worker.
inline int64_t part_pixels(const ConvGeom& g) {
  return std::max<int64_t>(64, (int64_t(4) << 20) / std::max<int64_t>(1, g.kh * g.kw * g.c * g.oc));
}

}  // namespace tiles

// What each instruction set's translation unit provides; the checks and dispatch are in
// direct_kernels.cpp. conv_forward: out = conv over the padded input, the window's filter rows
// at offsets seg (each seglen floats); conv_filter_grad: df += the filter gradient, filter row
// r at offset koff[r] of each window; sgemm (AVX-512 only): c = alpha·op(a)·b + beta·c, b not
// transposed.
#define FB_DECLARE_DIRECT_CONV(NS)                                                                                \
  namespace NS {                                                                                                  \
  void conv_forward(const tiles::Padded& xp, const ConvGeom& g, const std::vector<int64_t>& seg, int64_t seglen, \
                    const float* filter, float* out);                                                             \
  void conv_filter_grad(const tiles::Padded& xp, const ConvGeom& g, const std::vector<int64_t>& koff,           \
                        const float* dy, float* df);                                                              \
  }
FB_DECLARE_DIRECT_CONV(avx512)
FB_DECLARE_DIRECT_CONV(avx2)
#undef FB_DECLARE_DIRECT_CONV
namespace avx512 {
void sgemm(bool ta, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda, const float* b,
           int64_t ldb, float beta, float* c, int64_t ldc, bool parallel);
}

}  // namespace fb
