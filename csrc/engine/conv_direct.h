// Direct float32 convolution on AVX-512: an implicit gemm that reads the (zero-padded) NHWC
// input in place instead of materialising an im2col matrix, with register-blocked
// micro-kernels (a few output pixels × up to 64 output channels per tile).
#pragma once

#include "conv_geom.h"

namespace fb {

// out[n*oh*ow, oc] = conv(x, filter) for a HWIO filter. Returns false, touching nothing, when the
// CPU has no AVX-512 or the filter panel is too large for the kernel's cache blocking; the
// caller then takes the im2col + BLAS path.
bool direct_conv_forward(const float* x, const ConvGeom& g, const float* filter, float* out);

// df[kh, kw, c, oc] = sum over output pixels of the input window times dy. Same contract.
bool direct_conv_filter_grad(const float* x, const ConvGeom& g, const float* dy, float* df);

}  // namespace fb
