// Geometry shared by the convolution and pooling kernels (NHWC).
#pragma once

#include <algorithm>
#include <cstdint>

namespace fb {

// Input n×h×w×c, window kh×kw (oc output channels for conv), strides, dilations, output
// oh×ow and the padding before the first row (pt) and column (pl).
struct ConvGeom {
  int64_t n, h, w, c, kh, kw, oc, sh, sw, dh, dw, oh, ow, pt, pl;
};

// Output size and leading padding of one spatial axis, as TensorFlow's SAME / VALID rules.
inline void out_size(int64_t in, int64_t k, int64_t s, int64_t d, bool same, int64_t& out, int64_t& pad_before) {
  int64_t keff = (k - 1) * d + 1;
  if (same) {
    out = (in + s - 1) / s;
    int64_t total = std::max<int64_t>((out - 1) * s + keff - in, 0);
    pad_before = total / 2;
  } else {
    out = in >= keff ? (in - keff) / s + 1 : 0;
    pad_before = 0;
  }
}

}  // namespace fb
