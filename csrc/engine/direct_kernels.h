// Direct float32 kernels: register-blocked tiles (a few rows × a chunk of columns held in
// vector accumulators) for convolutions and for the narrow gemms of small networks, on AVX-512
// (zmm, chunks of 64 columns) or, convolutions only, AVX2 + FMA (ymm, chunks of 16), whichever
// the CPU has. Every
// entry point returns false, touching nothing, when the CPU has neither, FLOWBOARD_KERNELS=blas,
// or the shape is outside what their cache blocking suits; the caller then takes the im2col /
// BLAS path.
#pragma once

#include <cstdint>

#include "conv_geom.h"

// FB_NO_DIRECT_KERNELS builds the stubs of other architectures (to check that they compile).
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && !defined(FB_NO_DIRECT_KERNELS)
#define FB_HAVE_DIRECT_KERNELS 1
#else
#define FB_HAVE_DIRECT_KERNELS 0
#endif

namespace fb {

// out[n*oh*ow, oc] = conv(x, filter) for an NHWC input and a HWIO filter: an implicit gemm that
// reads each window from the zero-padded input in place, with no im2col matrix.
bool direct_conv_forward(const float* x, const ConvGeom& g, const float* filter, float* out);

// df[kh, kw, c, oc] = sum over output pixels of the input window times dy.
bool direct_conv_filter_grad(const float* x, const ConvGeom& g, const float* dy, float* df);

// Row-major c[m, n] = alpha·op(a)·op(b) + beta·c for beta 0 or 1 and n <= 128 (wider products
// where they measured faster than the BLAS: see wide_on_tiles in direct_kernels.cpp), with
// op(x) = x or xᵀ (a
// transposed b is copied untransposed first, so only when m is not tiny; beta 1 with a
// transposed a only when k fits one reduction block). alpha·sum is rounded before c is added,
// so beta 1 with alpha -lr is exactly `c -= lr * (a·b)`. Splits rows of c (columns, when there
// are only a few rows) across the executor's pool when `parallel`. Declines k = 0.
bool direct_sgemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
                  const float* b, int64_t ldb, float beta, float* c, int64_t ldc, bool parallel);

// The instruction set the direct kernels use: "avx512", "avx2" or "none". The best the CPU has,
// capped by FLOWBOARD_KERNELS (avx512 | avx2 | blas; read once).
const char* direct_kernels_isa();

}  // namespace fb
