// Direct float32 convolution on AVX-512 (see direct_kernels.h).
//
// Forward: each tile is R output pixels × up to 64 output channels held in R×NV zmm
// accumulators; the reduction runs over the filter rows (ky, kx, c), reading each pixel's window
// straight from the zero-padded input (with dilation 1 a window row is kw*c contiguous floats)
// and the filter rows as contiguous vectors. Filter gradient: each tile is R filter rows × up to
// 64 output channels, reduced over a block of output pixels whose dy rows stay in cache.
#include "direct_kernels.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

#include "kernels_util.h"

#if FB_HAVE_AVX512_KERNELS
#include "avx512_tiles.h"
#endif

namespace fb {

#if FB_HAVE_AVX512_KERNELS
namespace {
using namespace tiles;

// Output pixels per filter-gradient block: 256 dy rows of 64 channels is 64 KB.
constexpr int64_t kGradPixelBlock = 256;

// The input with its SAME padding materialised as zeros, so every window is in bounds.
struct Padded {
  std::unique_ptr<float[]> owned;
  const float* data;
  int64_t hp, wp;
};

// Rows and columns of the zero-padded input: every window in bounds.
int64_t padded_rows(const ConvGeom& g) { return std::max((g.oh - 1) * g.sh + (g.kh - 1) * g.dh + 1, g.pt + g.h); }
int64_t padded_cols(const ConvGeom& g) { return std::max((g.ow - 1) * g.sw + (g.kw - 1) * g.dw + 1, g.pl + g.w); }

Padded pad_input(const float* x, const ConvGeom& g) {
  const int64_t hp = padded_rows(g), wp = padded_cols(g);
  Padded p{nullptr, x, hp, wp};
  if (hp == g.h && wp == g.w) return p;  // VALID: the input already covers every window
  const int64_t C = g.c, image = hp * wp * C;
  p.owned.reset(new float[(size_t)(g.n * image)]);
  float* buf = p.owned.get();
  parallel_for(g.n, std::max<int64_t>(1, (int64_t(1) << 16) / std::max<int64_t>(1, image)),
               [&](int64_t b, int64_t e) {
                 for (int64_t n = b; n < e; ++n) {
                   float* dst = buf + n * image;
                   std::memset(dst, 0, sizeof(float) * (size_t)image);
                   for (int64_t iy = 0; iy < g.h; ++iy)
                     std::memcpy(dst + ((iy + g.pt) * wp + g.pl) * C, x + ((n * g.h + iy) * g.w) * C,
                                 sizeof(float) * (size_t)(g.w * C));
                 }
               });
  p.data = buf;
  return p;
}

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

// Output pixels [m0, m1), channels [col0, col0 + ncol).
template <int R, int NV, int TW>
FB_AVX512 void forward_pixels(const Padded& xp, const ConvGeom& g, const std::vector<int64_t>& seg, int64_t seglen,
                              const float* filter, float* out, int64_t m0, int64_t m1, int64_t col0, int64_t ncol) {
  PixelWalk walk(g, xp, m0);
  const float* a[R];
  for (int64_t m = m0; m < m1; m += R) {
    const int64_t live = std::min<int64_t>(R, m1 - m);
    for (int64_t r = 0; r < live; ++r, walk.next()) a[r] = xp.data + walk.offset();
    forward_rows<R, NV, TW>(a, live, seg.data(), (int64_t)seg.size(), seglen, filter + col0, g.oc,
                        out + m * g.oc + col0, g.oc, ncol);
  }
}

// Adds the filter gradient of output pixels [m0, m1) into acc ([K, oc]), channels
// [col0, col0 + ncol).
template <int R, int NV, int TW>
FB_AVX512 void grad_pixels(const Padded& xp, const ConvGeom& g, const std::vector<int64_t>& koff, const float* dy,
                           float* acc, int64_t m0, int64_t m1, int64_t col0, int64_t ncol) {
  const int64_t K = (int64_t)koff.size();
  int64_t poff[kGradPixelBlock];
  PixelWalk walk(g, xp, m0);
  for (int64_t pb = m0; pb < m1; pb += kGradPixelBlock) {
    const int64_t np = std::min(kGradPixelBlock, m1 - pb);
    for (int64_t p = 0; p < np; ++p, walk.next()) poff[p] = walk.offset();
    for (int64_t k0 = 0; k0 < K; k0 += R)
      grad_rows<R, NV, TW>(xp.data, poff, np, dy + pb * g.oc + col0, g.oc, koff.data() + k0,
                       std::min<int64_t>(R, K - k0), acc + k0 * g.oc + col0, g.oc, ncol);
  }
}

// Output pixels per thread-pool part: enough multiply-adds that a part outweighs waking a worker.
int64_t part_pixels(const ConvGeom& g) {
  return std::max<int64_t>(64, (int64_t(4) << 20) / std::max<int64_t>(1, g.kh * g.kw * g.c * g.oc));
}

// The zero-padded copy of the input is bounded: a larger input takes im2col + BLAS, whose
// scratch is a few cache-sized panels.
constexpr int64_t kMaxPaddedBytes = int64_t(256) << 20;

bool usable(const ConvGeom& g) {
  const int64_t hp = padded_rows(g), wp = padded_cols(g);
  const bool padded = hp != g.h || wp != g.w;
  return cpu_has_avx512() && g.kh * g.kw * g.c * 64 * (int64_t)sizeof(float) <= kMaxPanelBytes &&
         (!padded || g.n * hp * wp * g.c * (int64_t)sizeof(float) <= kMaxPaddedBytes);
}

}  // namespace

bool direct_conv_forward(const float* x, const ConvGeom& g, const float* filter, float* out) {
  if (!usable(g)) return false;
  const int64_t M = g.n * g.oh * g.ow;
  if (M == 0 || g.oc == 0) return true;
  Padded xp = pad_input(x, g);
  std::vector<int64_t> seg;
  int64_t seglen;
  if (g.dw == 1) {  // one contiguous run of kw*c floats per filter row
    for (int64_t ky = 0; ky < g.kh; ++ky) seg.push_back(ky * g.dh * xp.wp * g.c);
    seglen = g.kw * g.c;
  } else {
    for (int64_t ky = 0; ky < g.kh; ++ky)
      for (int64_t kx = 0; kx < g.kw; ++kx) seg.push_back((ky * g.dh * xp.wp + kx * g.dw) * g.c);
    seglen = g.c;
  }
  parallel_rows(M, part_pixels(g), [&](int64_t m0, int64_t m1) {
    for (int64_t col0 = 0; col0 < g.oc; col0 += 64) {
      const int64_t ncol = std::min<int64_t>(64, g.oc - col0);
      FB_WITH_TILE_SHAPE(ncol, (forward_pixels<R, NV, TW>(xp, g, seg, seglen, filter, out, m0, m1, col0, ncol)))
    }
  });
  return true;
}

bool direct_conv_filter_grad(const float* x, const ConvGeom& g, const float* dy, float* df) {
  if (!usable(g)) return false;
  const int64_t M = g.n * g.oh * g.ow, K = g.kh * g.kw * g.c;
  std::fill_n(df, K * g.oc, 0.0f);
  if (M == 0 || g.oc == 0) return true;
  Padded xp = pad_input(x, g);
  std::vector<int64_t> koff;
  koff.reserve((size_t)K);
  for (int64_t ky = 0; ky < g.kh; ++ky)
    for (int64_t kx = 0; kx < g.kw; ++kx)
      for (int64_t ci = 0; ci < g.c; ++ci) koff.push_back((ky * g.dh * xp.wp + kx * g.dw) * g.c + ci);
  parallel_partial_sums(M, part_pixels(g), K * g.oc, df, [&](int64_t m0, int64_t m1, float* acc) {
    for (int64_t col0 = 0; col0 < g.oc; col0 += 64) {
      const int64_t ncol = std::min<int64_t>(64, g.oc - col0);
      FB_WITH_TILE_SHAPE(ncol, (grad_pixels<R, NV, TW>(xp, g, koff, dy, acc, m0, m1, col0, ncol)))
    }
  });
  return true;
}

#else

bool direct_conv_forward(const float*, const ConvGeom&, const float*, float*) { return false; }
bool direct_conv_filter_grad(const float*, const ConvGeom&, const float*, float*) { return false; }

#endif

}  // namespace fb
