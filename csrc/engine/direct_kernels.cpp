// The direct kernels' entry points (direct_kernels.h): shape checks, the padded input and the
// window offsets, then the instruction set's tiles (direct_avx512.cpp / direct_avx2.cpp).
#include "direct_kernels.h"

#include <cctype>
#include <cstdlib>
#include <cstring>
#include <string>

#include "direct_common.h"

namespace fb {

#if FB_HAVE_DIRECT_KERNELS
namespace {
using namespace tiles;

enum class Isa { NONE, AVX2, AVX512 };

Isa detect_isa() {
  Isa best = Isa::NONE;
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl")) best = Isa::AVX512;
  else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) best = Isa::AVX2;
  const char* env = std::getenv("FLOWBOARD_KERNELS");
  std::string want = env ? env : "";
  for (char& ch : want) ch = (char)std::tolower((unsigned char)ch);
  if (want == "blas") return Isa::NONE;
  if (want == "avx2" && best == Isa::AVX512) return Isa::AVX2;
  return best;
}

Isa isa() {
  static const Isa chosen = detect_isa();
  return chosen;
}

// Which products the tiles take (bench/README.md has the measurements):
// - Against OpenBLAS's AVX2 kernels (which it runs on CPUs it does not know, such as AMD Zen 5),
//   every width: on Zen 5 they run at twice its speed, from a 64 x 512 x 156 LSTM step to
//   2048 x 2048 x 1024.
// - Against its AVX-512 kernels on an AMD CPU (Zen 4: OpenBLAS's SkylakeX family), a wide
//   product on one thread (1.04-1.12x OpenBLAS from 64 x 512 x 156 to 1024 x 1024 x 1024) or
//   with at most kMaxWideRows rows (two threads: 1.11-1.22x; from 512 rows up OpenBLAS's
//   threading wins, the tiles ran at 0.94-0.97x).
// - Otherwise (Intel CPUs with AVX-512, not measured here) narrow products only.
constexpr int64_t kMaxNarrowColumns = 128;
constexpr int64_t kMaxWideRows = 128;
bool wide_on_tiles(int64_t m, bool parallel) {
  if (!blas_kernels_avx512()) return true;
  static const bool amd = __builtin_cpu_is("amd");
  return amd && (!parallel || num_threads() <= 1 || m <= kMaxWideRows);
}
// A transposed b is copied untransposed first: worth it once every row of b serves a few rows of
// c, and while the copy stays in cache (512x512 floats measured slower than OpenBLAS's own
// transposed product).
constexpr int64_t kMinRowsForTransposedB = 16;
constexpr int64_t kMaxTransposedB = int64_t(64) << 10;  // floats
// The zero-padded copy of the input is bounded: a larger input takes im2col + BLAS, whose
// scratch is a few cache-sized panels.
constexpr int64_t kMaxPaddedBytes = int64_t(256) << 20;

// Rows and columns of the zero-padded input: every window in bounds.
int64_t padded_rows(const ConvGeom& g) { return std::max((g.oh - 1) * g.sh + (g.kh - 1) * g.dh + 1, g.pt + g.h); }
int64_t padded_cols(const ConvGeom& g) { return std::max((g.ow - 1) * g.sw + (g.kw - 1) * g.dw + 1, g.pl + g.w); }

// Whether n·hp·wp·c floats fit in kMaxPaddedBytes, without wrapping: hp and wp grow with the
// dilation and SAME padding of a GraphDef's attrs, far past what the product can hold.
bool padded_copy_fits(const ConvGeom& g, int64_t hp, int64_t wp) {
  if (g.n == 0 || hp == 0 || wp == 0 || g.c == 0) return true;
  int64_t bytes = (int64_t)sizeof(float);
  for (int64_t f : {g.n, hp, wp, g.c})
    if (__builtin_mul_overflow(bytes, f, &bytes) || bytes > kMaxPaddedBytes) return false;
  return true;
}

bool usable(const ConvGeom& g) {
  const int64_t hp = padded_rows(g), wp = padded_cols(g);
  const bool padded = hp != g.h || wp != g.w;
  return isa() != Isa::NONE && g.kh * g.kw * g.c * 64 * (int64_t)sizeof(float) <= kMaxPanelBytes &&
         (!padded || padded_copy_fits(g, hp, wp));
}

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

}  // namespace

const char* direct_kernels_isa() {
  switch (isa()) {
    case Isa::AVX512: return "avx512";
    case Isa::AVX2: return "avx2";
    default: return "none";
  }
}

bool direct_conv_forward(const float* x, const ConvGeom& g, const float* filter, float* out) {
  if (!usable(g)) return false;
  if (g.n * g.oh * g.ow == 0 || g.oc == 0) return true;
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
  if (isa() == Isa::AVX512) avx512::conv_forward(xp, g, seg, seglen, filter, out);
  else avx2::conv_forward(xp, g, seg, seglen, filter, out);
  return true;
}

bool direct_conv_filter_grad(const float* x, const ConvGeom& g, const float* dy, float* df) {
  if (!usable(g)) return false;
  const int64_t K = g.kh * g.kw * g.c;
  std::fill_n(df, K * g.oc, 0.0f);
  if (g.n * g.oh * g.ow == 0 || g.oc == 0) return true;
  Padded xp = pad_input(x, g);
  std::vector<int64_t> koff;
  koff.reserve((size_t)K);
  for (int64_t ky = 0; ky < g.kh; ++ky)
    for (int64_t kx = 0; kx < g.kw; ++kx)
      for (int64_t ci = 0; ci < g.c; ++ci) koff.push_back((ky * g.dh * xp.wp + kx * g.dw) * g.c + ci);
  if (isa() == Isa::AVX512) avx512::conv_filter_grad(xp, g, koff, dy, df);
  else avx2::conv_filter_grad(xp, g, koff, dy, df);
  return true;
}

bool direct_sgemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
                  const float* b, int64_t ldb, float beta, float* c, int64_t ldc, bool parallel) {
  // AVX2 CPUs keep OpenBLAS here (see direct_avx2.cpp).
  // a·b streams a k-row panel of b per chunk; aᵀ·b takes k in blocks of kReductionBlock rows.
  if (isa() != Isa::AVX512 || (n > kMaxNarrowColumns && !wide_on_tiles(m, parallel)) ||
      (!ta && k * 64 * (int64_t)sizeof(float) > kMaxPanelBytes))
    return false;
  if (beta != 0.0f && !(beta == 1.0f && (!ta || k <= kReductionBlock))) return false;
  if (tb && (m < kMinRowsForTransposedB || n * k > kMaxTransposedB)) return false;
  if (k == 0) return false;  // nothing to multiply: gemm's c = beta·c
  if (m == 0 || n == 0) return true;
  thread_local std::vector<float> bt;
  if (tb) {
    bt.resize((size_t)(k * n));
    for (int64_t j = 0; j < n; ++j)
      for (int64_t p = 0; p < k; ++p) bt[(size_t)(p * n + j)] = b[j * ldb + p];
    b = bt.data();
    ldb = n;
  }
  avx512::sgemm(ta, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, parallel);
  return true;
}

#else

const char* direct_kernels_isa() { return "none"; }
bool direct_conv_forward(const float*, const ConvGeom&, const float*, float*) { return false; }
bool direct_conv_filter_grad(const float*, const ConvGeom&, const float*, float*) { return false; }
bool direct_sgemm(bool, bool, int64_t, int64_t, int64_t, float, const float*, int64_t, const float*, int64_t, float,
                  float*, int64_t, bool) {
  return false;
}

#endif

}  // namespace fb
