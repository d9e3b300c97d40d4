// Geometry shared by the convolution and pooling kernels (NHWC).
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>

#include "tensor.h"

namespace fb {

// Input n×h×w×c, window kh×kw (oc output channels for conv), strides, dilations, output
// oh×ow and the padding before the first row (pt) and column (pl).
struct ConvGeom {
  int64_t n, h, w, c, kh, kw, oc, sh, sw, dh, dw, oh, ow, pt, pl;
};

// Output size and leading padding of one spatial axis, as TensorFlow's SAME / VALID rules.
// Window sizes, strides and dilations come from attrs (a GraphDef may hold any value): the
// sizes are computed with checked_mul, so no product wraps.
inline void out_size(int64_t in, int64_t k, int64_t s, int64_t d, bool same, int64_t& out, int64_t& pad_before) {
  int64_t keff = checked_mul(k - 1, d, "window size times dilation");
  FB_CHECK_ARG(keff < INT64_MAX / 4, "window size times dilation is too large: " + std::to_string(keff));
  keff += 1;
  if (same) {
    out = in / s + (in % s != 0);
    int64_t span = checked_mul(std::max<int64_t>(out - 1, 0), s, "output size times stride");
    FB_CHECK_ARG(span < INT64_MAX / 4, "output size times stride is too large: " + std::to_string(span));
    int64_t total = std::max<int64_t>(span + keff - in, 0);
    pad_before = total / 2;
  } else {
    out = in >= keff ? (in - keff) / s + 1 : 0;
    pad_before = 0;
  }
}

}  // namespace fb
