// Pooling kernels: MaxPool, AvgPool and their gradients, images split across the thread pool.
#include <algorithm>
#include <cstring>
#include <type_traits>
#include <limits>
#include <map>
#include <mutex>

#include "executor.h"
#include "kernels_util.h"
#include "conv_geom.h"

namespace fb {
namespace {

// ---- pooling: ints = [kh, kw, sh, sw, same] ---------------------------------------------------

ConvGeom pool_geom(const Shape& x, const std::vector<int64_t>& ints, const char* name) {
  FB_CHECK_ARG(x.size() == 4, std::string(name) + ": input must be 4-dimensional NHWC, got " + shape_str(x));
  ConvGeom g{x[0], x[1], x[2], x[3], ints.at(0), ints.at(1), x[3], ints.at(2), ints.at(3), 1, 1, 0, 0, 0, 0};
  FB_CHECK_ARG(g.kh >= 1 && g.kw >= 1 && g.sh >= 1 && g.sw >= 1,
               std::string(name) + ": ksize and strides must be >= 1");
  bool same = ints.at(4) != 0;
  out_size(g.h, g.kh, g.sh, 1, same, g.oh, g.pt);
  out_size(g.w, g.kw, g.sw, 1, same, g.ow, g.pl);
  return g;
}

// Visits every pooling window, images split across the executor's thread pool (windows of
// different images never touch the same input or output element).
template <class T, class Visit>
void pool_windows(const ConvGeom& g, Visit visit) {
  int64_t per_image = std::max<int64_t>(1, g.h * g.w * g.c);
  parallel_for(g.n, std::max<int64_t>(1, kParallelGrain / per_image), [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b)
      for (int64_t oy = 0; oy < g.oh; ++oy)
        for (int64_t ox = 0; ox < g.ow; ++ox) {
          int64_t y0 = std::max<int64_t>(oy * g.sh - g.pt, 0), y1 = std::min(oy * g.sh - g.pt + g.kh, g.h);
          int64_t x0 = std::max<int64_t>(ox * g.sw - g.pl, 0), x1 = std::min(ox * g.sw - g.pl + g.kw, g.w);
          visit(b, oy, ox, y0, y1, x0, x1);
        }
  });
}

// MaxPool / AvgPool: out[window] = finish(fold of combine(acc, x) from init, window size).
template <class T, class Combine, class Finish>
void pool_forward(KernelContext& ctx, const char* name, T init, Combine combine, Finish finish) {
  const Tensor& x = ctx.input(0);
  ConvGeom g = pool_geom(x.shape, ctx.ints(), name);
  Tensor& o = ctx.allocate(0, x.dtype, {g.n, g.oh, g.ow, g.c});
  const T* px = x.data<T>();
  T* po = o.data<T>();
  pool_windows<T>(g, [&](int64_t b, int64_t oy, int64_t ox, int64_t y0, int64_t y1, int64_t x0, int64_t x1) {
    T* d = po + ((b * g.oh + oy) * g.ow + ox) * g.c;
    std::fill_n(d, g.c, init);
    for (int64_t iy = y0; iy < y1; ++iy)
      for (int64_t ix = x0; ix < x1; ++ix) {
        const T* s = px + ((b * g.h + iy) * g.w + ix) * g.c;
        for (int64_t ch = 0; ch < g.c; ++ch) d[ch] = combine(d[ch], s[ch]);
      }
    finish(d, g.c, (y1 - y0) * (x1 - x0));
  });
}

void k_MaxPool(KernelContext& ctx) {
  FB_DISPATCH_FLOAT(ctx.input(0).dtype, "MaxPool", {
    pool_forward<T>(ctx, "MaxPool", std::numeric_limits<T>::lowest(), [](T a, T b) { return std::max(a, b); },
                    [](T*, int64_t, int64_t) {});
  })
}
FB_KERNEL("MaxPool", k_MaxPool);

// For one input pixel of a window: channels equal to the window max take the carried gradient
// bits, which are then cleared so later equal positions get nothing.
template <bool kAccumulate, class T, class U>
void deliver_max_grad(const T* __restrict xi, const T* __restrict target, T* __restrict di,
                      U* __restrict carry, int64_t c) {
  for (int64_t ch = 0; ch < c; ++ch) {
    U m = U(0) - U(xi[ch] == target[ch]);
    U r = carry[ch];
    U v = r & m;
    T fv;
    std::memcpy(&fv, &v, sizeof(T));
    if (kAccumulate) di[ch] += fv;
    else di[ch] = fv;
    carry[ch] = r & ~m;
  }
}

// MaxPoolGrad(orig_input, orig_output, grad): each window's gradient goes to the first input
// position (row-major within the window) equal to the window's max, per channel.
void k_MaxPoolGrad(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const Tensor& y = ctx.input(1);
  const Tensor& dy = ctx.input(2);
  ConvGeom g = pool_geom(x.shape, ctx.ints(), "MaxPoolGrad");
  const Shape ys{g.n, g.oh, g.ow, g.c};
  FB_CHECK_ARG(y.shape == ys && dy.shape == ys && y.dtype == x.dtype && dy.dtype == x.dtype,
               "MaxPoolGrad: orig_output " + shape_str(y.shape) + " and grad " + shape_str(dy.shape) +
                   " must both have shape " + shape_str(ys) + " and the input's dtype");
  FB_DISPATCH_FLOAT(x.dtype, "MaxPoolGrad", {
    Tensor& dx = ctx.allocate(0, x.dtype, x.shape);
    const T* px = x.data<T>();
    const T* py = y.data<T>();
    const T* pd = dy.data<T>();
    T* pdx = dx.data<T>();
    // Windows that tile the input exactly write each pixel once; otherwise pixels no window
    // covers stay zero and overlapping windows add up.
    const bool tiles = g.kh == g.sh && g.kw == g.sw && g.pt == 0 && g.pl == 0 && g.oh * g.kh == g.h &&
                       g.ow * g.kw == g.w;
    if (!tiles) std::fill_n(pdx, dx.numel(), T(0));
    // Branch-free per channel: walk the window in row-major order carrying the still
    // undelivered gradient (as bits, so the select is an integer mask the compiler
    // vectorises); the first position equal to the max takes it and zeroes the carry.
    using U = typename std::conditional<sizeof(T) == 4, uint32_t, uint64_t>::type;
    const int64_t c = g.c;
    pool_windows<T>(g, [&](int64_t b, int64_t oy, int64_t ox, int64_t y0, int64_t y1, int64_t x0, int64_t x1) {
      thread_local std::vector<U> carry;
      if ((int64_t)carry.size() < c) carry.resize((size_t)c);
      int64_t off = ((b * g.oh + oy) * g.ow + ox) * c;
      std::memcpy(carry.data(), pd + off, (size_t)c * sizeof(T));
      for (int64_t iy = y0; iy < y1; ++iy)
        for (int64_t ix = x0; ix < x1; ++ix) {
          int64_t pix = ((b * g.h + iy) * g.w + ix) * c;
          if (tiles) deliver_max_grad<false, T, U>(px + pix, py + off, pdx + pix, carry.data(), c);
          else deliver_max_grad<true, T, U>(px + pix, py + off, pdx + pix, carry.data(), c);
        }
    });
  })
}
FB_KERNEL("MaxPoolGrad", k_MaxPoolGrad);

void k_AvgPool(KernelContext& ctx) {
  FB_DISPATCH_FLOAT(ctx.input(0).dtype, "AvgPool", {
    pool_forward<T>(ctx, "AvgPool", T(0), [](T a, T b) { return a + b; }, [](T* d, int64_t c, int64_t count) {
      T inv = T(1) / T(count);
      for (int64_t ch = 0; ch < c; ++ch) d[ch] *= inv;
    });
  })
}
FB_KERNEL("AvgPool", k_AvgPool);

// AvgPoolGrad(orig_input_shape, grad).
void k_AvgPoolGrad(KernelContext& ctx) {
  Shape xs = read_int_vector(ctx.input(0));
  const Tensor& dy = ctx.input(1);
  ConvGeom g = pool_geom(xs, ctx.ints(), "AvgPoolGrad");
  checked_num_elements(xs, "AvgPoolGrad");
  FB_CHECK_ARG(dy.shape == Shape({g.n, g.oh, g.ow, g.c}),
               "AvgPoolGrad: grad shape " + shape_str(dy.shape) + " does not match " +
                   shape_str({g.n, g.oh, g.ow, g.c}));
  FB_DISPATCH_FLOAT(dy.dtype, "AvgPoolGrad", {
    Tensor& dx = ctx.allocate(0, dy.dtype, xs);
    const T* pd = dy.data<T>();
    T* pdx = dx.data<T>();
    std::fill_n(pdx, dx.numel(), T(0));
    pool_windows<T>(g, [&](int64_t b, int64_t oy, int64_t ox, int64_t y0, int64_t y1, int64_t x0, int64_t x1) {
      const T* s = pd + ((b * g.oh + oy) * g.ow + ox) * g.c;
      T inv = T(1) / T((y1 - y0) * (x1 - x0));
      for (int64_t iy = y0; iy < y1; ++iy)
        for (int64_t ix = x0; ix < x1; ++ix) {
          T* d = pdx + ((b * g.h + iy) * g.w + ix) * g.c;
          for (int64_t ch = 0; ch < g.c; ++ch) d[ch] += s[ch] * inv;
        }
    });
  })
}
FB_KERNEL("AvgPoolGrad", k_AvgPoolGrad);


}  // namespace
}  // namespace fb
