// Convolution kernels: Conv2D and its two gradients, as im2col + one-thread gemms split across
// the executor's thread pool.
#include <algorithm>
#include <cstring>
#include <type_traits>
#include <limits>
#include <optional>

#include "executor.h"
#include "kernels_util.h"
#include "conv_geom.h"
#include "direct_kernels.h"

namespace fb {
namespace {

ConvGeom conv_geom(const Shape& x, const Shape& f, const std::vector<int64_t>& ints, const char* name) {
  FB_CHECK_ARG(x.size() == 4, std::string(name) + ": input must be 4-dimensional NHWC, got " + shape_str(x));
  FB_CHECK_ARG(f.size() == 4, std::string(name) + ": filter must be 4-dimensional, got " + shape_str(f));
  FB_CHECK_ARG(x[3] == f[2], std::string(name) + ": input depth must equal filter in_channels: input " +
                                 shape_str(x) + " filter " + shape_str(f));
  ConvGeom g{x[0], x[1], x[2], x[3], f[0], f[1], f[3], ints.at(0), ints.at(1), ints.at(3), ints.at(4), 0, 0, 0, 0};
  FB_CHECK_ARG(g.sh >= 1 && g.sw >= 1 && g.dh >= 1 && g.dw >= 1,
               std::string(name) + ": strides and dilations must be >= 1");
  FB_CHECK_ARG(g.kh >= 1 && g.kw >= 1, std::string(name) + ": filter must be non-empty, got " + shape_str(f));
  bool same = ints.at(2) != 0;
  out_size(g.h, g.kh, g.sh, g.dh, same, g.oh, g.pt);
  out_size(g.w, g.kw, g.sw, g.dw, same, g.ow, g.pl);
  return g;
}

// Rows [r0, r1) of the im2col matrix ([n*oh*ow, kh*kw*c]). With dilation 1 the kw*c values of
// one filter row are contiguous in NHWC input, so an interior window row is one block copy.
template <class T>
void im2col(const T* x, const ConvGeom& g, int64_t r0, int64_t r1, T* col) {
  const int64_t C = g.c, K = g.kh * g.kw * C, rowlen = g.kw * C, howo = g.oh * g.ow;
  int64_t b = r0 / howo, rem = r0 % howo, oy = rem / g.ow, ox = rem % g.ow;
  for (int64_t r = r0; r < r1; ++r) {
    T* dst = col + (r - r0) * K;
    const int64_t ix0 = ox * g.sw - g.pl;
    const bool x_inside = g.dw == 1 && ix0 >= 0 && ix0 + g.kw <= g.w;
    for (int64_t ky = 0; ky < g.kh; ++ky) {
      const int64_t iy = oy * g.sh - g.pt + ky * g.dh;
      T* d = dst + ky * rowlen;
      if (iy < 0 || iy >= g.h) {
        std::fill_n(d, rowlen, T(0));
        continue;
      }
      const T* src = x + (b * g.h + iy) * g.w * C;
      if (x_inside) {
        const T* s = src + ix0 * C;
        if (rowlen <= 32) {
          for (int64_t i = 0; i < rowlen; ++i) d[i] = s[i];  // short rows: no memmove call
        } else {
          std::copy_n(s, rowlen, d);
        }
        continue;
      }
      for (int64_t kx = 0; kx < g.kw; ++kx) {
        const int64_t ix = ix0 + kx * g.dw;
        if (ix < 0 || ix >= g.w) std::fill_n(d + kx * C, C, T(0));
        else std::copy_n(src + ix * C, C, d + kx * C);
      }
    }
    if (++ox == g.ow) {
      ox = 0;
      if (++oy == g.oh) {
        oy = 0;
        ++b;
      }
    }
  }
}

template <class T>
void col2im_add(const T* col, const ConvGeom& g, int64_t r0, int64_t r1, T* dx) {
  const int64_t C = g.c, K = g.kh * g.kw * C, howo = g.oh * g.ow;
  int64_t b = r0 / howo, rem = r0 % howo, oy = rem / g.ow, ox = rem % g.ow;
  for (int64_t r = r0; r < r1; ++r) {
    const T* src = col + (r - r0) * K;
    for (int64_t ky = 0; ky < g.kh; ++ky) {
      int64_t iy = oy * g.sh - g.pt + ky * g.dh;
      if (iy < 0 || iy >= g.h) continue;
      for (int64_t kx = 0; kx < g.kw; ++kx) {
        int64_t ix = ox * g.sw - g.pl + kx * g.dw;
        if (ix < 0 || ix >= g.w) continue;
        const T* __restrict s = src + (ky * g.kw + kx) * C;
        T* __restrict d = dx + ((b * g.h + iy) * g.w + ix) * C;
        for (int64_t ch = 0; ch < C; ++ch) d[ch] += s[ch];
      }
    }
    if (++ox == g.ow) {
      ox = 0;
      if (++oy == g.oh) {
        oy = 0;
        ++b;
      }
    }
  }
}

// Rows per im2col chunk: bounded scratch so the column panel is still in cache when the gemm
// reads it.
constexpr size_t kChunkBytes = size_t(4) << 20;
int64_t chunk_rows(int64_t K, size_t es) { return std::max<int64_t>(64, (int64_t)((kChunkBytes) / (K * es))); }

// The AVX-512 direct kernels cover float32; other dtypes (and CPUs) take im2col + BLAS.
bool direct_forward(const float* x, const ConvGeom& g, const float* f, float* out) {
  return direct_conv_forward(x, g, f, out);
}
bool direct_forward(const double*, const ConvGeom&, const double*, double*) { return false; }
bool direct_filter_grad(const float* x, const ConvGeom& g, const float* dy, float* df) {
  return direct_conv_filter_grad(x, g, dy, df);
}
bool direct_filter_grad(const double*, const ConvGeom&, const double*, double*) { return false; }

bool is_pointwise(const ConvGeom& g) {
  return g.kh == 1 && g.kw == 1 && g.sh == 1 && g.sw == 1 && g.pt == 0 && g.pl == 0;
}

// Rows [rbeg, rend) of out[n*oh*ow, oc] = im2col(x) . filter[kh*kw*c, oc], in row chunks
// whose column panel stays in cache.
template <class T>
void conv_rows(const T* x, const ConvGeom& g, const T* filter, T* out, int64_t rbeg, int64_t rend) {
  int64_t K = g.kh * g.kw * g.c, cr = chunk_rows(K, sizeof(T));
  std::vector<T> col((size_t)(std::min(cr, rend - rbeg) * K));
  for (int64_t r0 = rbeg; r0 < rend; r0 += cr) {
    int64_t r1 = std::min(rend, r0 + cr);
    im2col<T>(x, g, r0, r1, col.data());
    gemm(false, false, r1 - r0, g.oc, K, T(1), col.data(), K, filter, g.oc, T(0), out + r0 * g.oc, g.oc);
  }
}

// Output rows per thread-pool part: enough multiply-adds that a part outweighs waking a worker.
int64_t conv_part_rows(const ConvGeom& g) {
  return std::max<int64_t>(64, (int64_t(4) << 20) / std::max<int64_t>(1, g.kh * g.kw * g.c * g.oc));
}

// With several threads the output rows are split across the executor's pool, each part doing
// its own im2col and a one-thread gemm (im2col scales too, and no BLAS threads nest).
template <class T>
void conv_forward(const T* x, const ConvGeom& g, const T* filter, T* out) {
  int64_t rows = g.n * g.oh * g.ow, K = g.kh * g.kw * g.c;
  if (rows == 0) return;
  if (is_pointwise(g)) {
    gemm(false, false, rows, g.oc, K, T(1), x, K, filter, g.oc, T(0), out, g.oc);
    return;
  }
  if (direct_forward(x, g, filter, out)) return;
  if (num_threads() > 1 && blas_per_thread_control()) {
    parallel_for(rows, conv_part_rows(g), [&](int64_t b, int64_t e) {
      SerialBlasScope serial;
      conv_rows<T>(x, g, filter, out, b, e);
    });
  } else {
    conv_rows<T>(x, g, filter, out, 0, rows);
  }
}

void k_Conv2D(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const Tensor& f = ctx.input(1);
  ConvGeom g = conv_geom(x.shape, f.shape, ctx.ints(), "Conv2D");
  FB_DISPATCH_FLOAT(x.dtype, "Conv2D", {
    Tensor& o = ctx.allocate(0, x.dtype, {g.n, g.oh, g.ow, g.oc});
    conv_forward<T>(x.data<T>(), g, f.data<T>(), o.data<T>());
  })
}
FB_KERNEL("Conv2D", k_Conv2D);

// Conv2DBackpropInput(input_sizes, filter, out_backprop).
void k_Conv2DBackpropInput(KernelContext& ctx) {
  Shape xs = read_int_vector(ctx.input(0));
  const Tensor& f = ctx.input(1);
  const Tensor& dy = ctx.input(2);
  ConvGeom g = conv_geom(xs, f.shape, ctx.ints(), "Conv2DBackpropInput");
  FB_CHECK_ARG(dy.shape == Shape({g.n, g.oh, g.ow, g.oc}),
               "Conv2DBackpropInput: out_backprop shape " + shape_str(dy.shape) + " does not match " +
                   shape_str({g.n, g.oh, g.ow, g.oc}));
  FB_DISPATCH_FLOAT(dy.dtype, "Conv2DBackpropInput", {
    Tensor& dx = ctx.allocate(0, dy.dtype, xs);
    int64_t rows = g.n * g.oh * g.ow, K = g.kh * g.kw * g.c;
    if (is_pointwise(g)) {
      gemm(false, true, rows, K, g.oc, T(1), dy.data<T>(), g.oc, f.data<T>(), g.oc, T(0), dx.data<T>(), K);
    } else if (g.sh == 1 && g.sw == 1 && g.dh == 1 && g.dw == 1 && g.kh > g.pt && g.kw > g.pl) {
      // Stride 1: dx is the convolution of dy with the filter rotated by 180 degrees and its
      // channel axes swapped, padded by k-1-pad. A gather (im2col of dy) plus one gemm with a
      // deep K replaces the shallow gemm and the scatter-add of col2im.
      ConvGeom t{g.n, g.oh, g.ow, g.oc, g.kh, g.kw, g.c, 1, 1, 1, 1, g.h, g.w, g.kh - 1 - g.pt, g.kw - 1 - g.pl};
      std::vector<T> ft((size_t)(g.kh * g.kw * g.oc * g.c));
      const T* pf = f.data<T>();
      for (int64_t ky = 0; ky < g.kh; ++ky)
        for (int64_t kx = 0; kx < g.kw; ++kx) {
          const T* src = pf + ((g.kh - 1 - ky) * g.kw + (g.kw - 1 - kx)) * g.c * g.oc;
          T* dst = ft.data() + (ky * g.kw + kx) * g.oc * g.c;
          for (int64_t ci = 0; ci < g.c; ++ci)
            for (int64_t o = 0; o < g.oc; ++o) dst[o * g.c + ci] = src[ci * g.oc + o];
        }
      conv_forward<T>(dy.data<T>(), t, ft.data(), dx.data<T>());
    } else {
      std::fill_n(dx.data<T>(), dx.numel(), T(0));
      int64_t cr = chunk_rows(K, sizeof(T));
      std::vector<T> col((size_t)(std::min(cr, rows) * K));
      for (int64_t r0 = 0; r0 < rows; r0 += cr) {
        int64_t r1 = std::min(rows, r0 + cr);
        gemm(false, true, r1 - r0, K, g.oc, T(1), dy.data<T>() + r0 * g.oc, g.oc, f.data<T>(), g.oc,
             T(0), col.data(), K);
        col2im_add<T>(col.data(), g, r0, r1, dx.data<T>());
      }
    }
  })
}
FB_KERNEL("Conv2DBackpropInput", k_Conv2DBackpropInput);

// Conv2DBackpropFilter(input, filter_sizes, out_backprop).
void k_Conv2DBackpropFilter(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  Shape fs = read_int_vector(ctx.input(1));
  const Tensor& dy = ctx.input(2);
  ConvGeom g = conv_geom(x.shape, fs, ctx.ints(), "Conv2DBackpropFilter");
  FB_CHECK_ARG(dy.shape == Shape({g.n, g.oh, g.ow, g.oc}),
               "Conv2DBackpropFilter: out_backprop shape " + shape_str(dy.shape) + " does not match " +
                   shape_str({g.n, g.oh, g.ow, g.oc}));
  FB_DISPATCH_FLOAT(x.dtype, "Conv2DBackpropFilter", {
    Tensor& df = ctx.allocate(0, x.dtype, fs);
    int64_t rows = g.n * g.oh * g.ow, K = g.kh * g.kw * g.c;
    if (!is_pointwise(g) && direct_filter_grad(x.data<T>(), g, dy.data<T>(), df.data<T>())) {
      // done by the float32 direct kernel
    } else if (is_pointwise(g)) {
      gemm(true, false, K, g.oc, rows, T(1), x.data<T>(), K, dy.data<T>(), g.oc, T(0), df.data<T>(), g.oc);
    } else {
      // df = sum over row chunks of im2col(x)^T . dy, split over the pool when BLAS can be
      // kept to one thread per part.
      std::fill_n(df.data<T>(), df.numel(), T(0));
      const bool split = num_threads() > 1 && blas_per_thread_control();
      parallel_partial_sums(rows, split ? conv_part_rows(g) : std::max<int64_t>(rows, 1), K * g.oc, df.data<T>(),
                            [&](int64_t rb, int64_t re, T* acc) {
                              std::optional<SerialBlasScope> serial;
                              if (split) serial.emplace();
                              int64_t cr = chunk_rows(K, sizeof(T));
                              std::vector<T> col((size_t)(std::min(cr, re - rb) * K));
                              for (int64_t r0 = rb; r0 < re; r0 += cr) {
                                int64_t r1 = std::min(re, r0 + cr);
                                im2col<T>(x.data<T>(), g, r0, r1, col.data());
                                gemm(true, false, K, g.oc, r1 - r0, T(1), col.data(), K, dy.data<T>() + r0 * g.oc,
                                     g.oc, T(1), acc, g.oc);
                              }
                            });
    }
  })
}
FB_KERNEL("Conv2DBackpropFilter", k_Conv2DBackpropFilter);


}  // namespace
}  // namespace fb
