// Neural-network kernels: MatMul (BLAS), BiasAdd, softmax family, conv2d (im2col + gemm), pools.
#include <algorithm>
#include <cstring>
#include <type_traits>
#include <limits>
#include <map>
#include <mutex>

#include "executor.h"
#include "kernels_util.h"

namespace fb {
namespace {

void k_MatMul(KernelContext& ctx) {
  const Tensor& a = ctx.input(0);
  const Tensor& b = ctx.input(1);
  bool ta = ctx.ints().at(0), tb = ctx.ints().at(1);
  check_arg(a.shape.size() == 2 && b.shape.size() == 2,
            "MatMul: In[0] and In[1] must be matrices, got shapes " + shape_str(a.shape) + " and " +
                shape_str(b.shape));
  check_arg(a.dtype == b.dtype, std::string("MatMul: dtype mismatch ") + dtype_name(a.dtype) +
                                    " vs " + dtype_name(b.dtype));
  int64_t m = ta ? a.shape[1] : a.shape[0], k = ta ? a.shape[0] : a.shape[1];
  int64_t k2 = tb ? b.shape[1] : b.shape[0], n = tb ? b.shape[0] : b.shape[1];
  check_arg(k == k2, "MatMul: Matrix size-incompatible: In[0]: " + shape_str(a.shape) +
                         ", In[1]: " + shape_str(b.shape));
  FB_DISPATCH_FLOAT(a.dtype, "MatMul", {
    Tensor& o = ctx.allocate(0, a.dtype, {m, n});
    if (k == 0) std::fill_n(o.data<T>(), m * n, T(0));
    else gemm(ta, tb, m, n, k, T(1), a.data<T>(), a.shape[1], b.data<T>(), b.shape[1], T(0), o.data<T>(), n);
  })
}
FB_KERNEL("MatMul", k_MatMul);

// Batched matmul over equal leading dims; a rank-2 operand is shared by every batch.
void k_BatchMatMulV2(KernelContext& ctx) {
  const Tensor& a = ctx.input(0);
  const Tensor& b = ctx.input(1);
  bool ta = ctx.ints().at(0), tb = ctx.ints().at(1);
  size_t ra = a.shape.size(), rb = b.shape.size();
  check_arg(ra >= 2 && rb >= 2, "BatchMatMul: inputs must have rank >= 2, got " +
                                    shape_str(a.shape) + " and " + shape_str(b.shape));
  Shape ba(a.shape.begin(), a.shape.end() - 2), bb(b.shape.begin(), b.shape.end() - 2);
  Shape batch = broadcast_shapes(ba, bb, "BatchMatMul");
  int64_t nb = num_elements(batch);
  int64_t na_b = num_elements(ba), nb_b = num_elements(bb);
  check_arg((na_b == nb || na_b == 1) && (nb_b == nb || nb_b == 1),
            "BatchMatMul: batch dims must match or one side be unbatched: " + shape_str(a.shape) +
                " vs " + shape_str(b.shape));
  int64_t ar = a.shape[ra - 2], ac = a.shape[ra - 1], br = b.shape[rb - 2], bc = b.shape[rb - 1];
  int64_t m = ta ? ac : ar, k = ta ? ar : ac, k2 = tb ? bc : br, n = tb ? br : bc;
  check_arg(k == k2, "BatchMatMul: In[0] mismatch In[1] shape: " + shape_str(a.shape) + " vs " + shape_str(b.shape));
  Shape os = batch;
  os.push_back(m);
  os.push_back(n);
  FB_DISPATCH_FLOAT(a.dtype, "BatchMatMulV2", {
    Tensor& o = ctx.allocate(0, a.dtype, os);
    for (int64_t i = 0; i < nb; ++i) {
      const T* pa = a.data<T>() + (na_b == 1 ? 0 : i) * ar * ac;
      const T* pb = b.data<T>() + (nb_b == 1 ? 0 : i) * br * bc;
      T* po = o.data<T>() + i * m * n;
      if (k == 0) std::fill_n(po, m * n, T(0));
      else gemm(ta, tb, m, n, k, T(1), pa, ac, pb, bc, T(0), po, n);
    }
  })
}
FB_KERNEL("BatchMatMulV2", k_BatchMatMulV2);

void k_BiasAdd(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const Tensor& b = ctx.input(1);
  check_arg(b.shape.size() == 1 && !x.shape.empty() && x.shape.back() == b.shape[0],
            "BiasAdd: Must provide as many biases as the last dimension of the input tensor: " +
                shape_str(b.shape) + " vs. " + shape_str(x.shape));
  FB_DISPATCH_FLOAT(x.dtype, "BiasAdd", {
    Tensor& o = ctx.allocate(0, x.dtype, x.shape);
    int64_t c = b.shape[0], rows = c ? x.numel() / c : 0;
    const T* px = x.data<T>();
    const T* pb = b.data<T>();
    T* po = o.data<T>();
    parallel_for(rows, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(c, 1)), [&](int64_t s, int64_t e) {
      for (int64_t r = s; r < e; ++r)
        for (int64_t j = 0; j < c; ++j) po[r * c + j] = px[r * c + j] + pb[j];
    });
  })
}
FB_KERNEL("BiasAdd", k_BiasAdd);

void k_BiasAddGrad(KernelContext& ctx) {
  const Tensor& g = ctx.input(0);
  check_arg(!g.shape.empty(), "BiasAddGrad: input must have rank >= 1");
  FB_DISPATCH_FLOAT(g.dtype, "BiasAddGrad", {
    int64_t c = g.shape.back(), rows = c ? g.numel() / c : 0;
    Tensor& o = ctx.allocate(0, g.dtype, {c});
    T* po = o.data<T>();
    std::fill_n(po, c, T(0));
    const T* pg = g.data<T>();
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t j = 0; j < c; ++j) po[j] += pg[r * c + j];
  })
}
FB_KERNEL("BiasAddGrad", k_BiasAddGrad);

// Softmax over the last axis; log=true gives log-softmax.
template <class T>
void softmax_rows(const T* x, T* y, int64_t rows, int64_t c, bool log) {
  parallel_for(rows, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(c, 1)), [&](int64_t s, int64_t e) {
    for (int64_t r = s; r < e; ++r) {
      const T* xr = x + r * c;
      T* yr = y + r * c;
      T mx = xr[0];
      for (int64_t j = 1; j < c; ++j) mx = std::max(mx, xr[j]);
      T sum = 0;
      for (int64_t j = 0; j < c; ++j) {
        T ev = std::exp(xr[j] - mx);
        if (!log) yr[j] = ev;
        sum += ev;
      }
      if (log) {
        T ls = std::log(sum);
        for (int64_t j = 0; j < c; ++j) yr[j] = xr[j] - mx - ls;
      } else {
        T inv = T(1) / sum;
        for (int64_t j = 0; j < c; ++j) yr[j] *= inv;
      }
    }
  });
}

void softmax_kernel(KernelContext& ctx, bool log, const char* name) {
  const Tensor& x = ctx.input(0);
  check_arg(!x.shape.empty(), std::string(name) + ": logits must have rank >= 1");
  FB_DISPATCH_FLOAT(x.dtype, name, {
    Tensor& o = ctx.allocate(0, x.dtype, x.shape);
    int64_t c = x.shape.back();
    if (c > 0) softmax_rows<T>(x.data<T>(), o.data<T>(), x.numel() / c, c, log);
  })
}
void k_Softmax(KernelContext& ctx) { softmax_kernel(ctx, false, "Softmax"); }
void k_LogSoftmax(KernelContext& ctx) { softmax_kernel(ctx, true, "LogSoftmax"); }
FB_KERNEL("Softmax", k_Softmax);
FB_KERNEL("LogSoftmax", k_LogSoftmax);

// SoftmaxCrossEntropyWithLogits(features [B,C], labels [B,C]) -> loss [B], backprop [B,C].
void k_SoftmaxXent(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const Tensor& l = ctx.input(1);
  check_arg(x.shape.size() == 2 && x.shape == l.shape,
            "SoftmaxCrossEntropyWithLogits: logits and labels must be same size: logits_size=" +
                shape_str(x.shape) + " labels_size=" + shape_str(l.shape));
  FB_DISPATCH_FLOAT(x.dtype, "SoftmaxCrossEntropyWithLogits", {
    int64_t rows = x.shape[0], c = x.shape[1];
    Tensor& loss = ctx.allocate(0, x.dtype, {rows});
    Tensor& back = ctx.allocate(1, x.dtype, x.shape);
    const T* px = x.data<T>();
    const T* pl = l.data<T>();
    T* pb = back.data<T>();
    T* ploss = loss.data<T>();
    parallel_for(rows, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(c, 1)), [&](int64_t s, int64_t e) {
      for (int64_t r = s; r < e; ++r) {
        const T* xr = px + r * c;
        const T* lr = pl + r * c;
        T* br = pb + r * c;
        T mx = c ? xr[0] : T(0);
        for (int64_t j = 1; j < c; ++j) mx = std::max(mx, xr[j]);
        T sum = 0;
        for (int64_t j = 0; j < c; ++j) sum += std::exp(xr[j] - mx);
        T lse = std::log(sum), total = 0, lsum = 0;
        for (int64_t j = 0; j < c; ++j) {
          T logp = xr[j] - mx - lse;
          total -= lr[j] * logp;
          lsum += lr[j];
          br[j] = std::exp(logp);
        }
        for (int64_t j = 0; j < c; ++j) br[j] = br[j] * lsum - lr[j];
        ploss[r] = total;
      }
    });
  })
}
FB_KERNEL("SoftmaxCrossEntropyWithLogits", k_SoftmaxXent);

template <class T, class L>
void sparse_xent(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const Tensor& l = ctx.input(1);
  int64_t rows = x.shape[0], c = x.shape[1];
  Tensor& loss = ctx.allocate(0, x.dtype, {rows});
  Tensor& back = ctx.allocate(1, x.dtype, x.shape);
  const T* px = x.data<T>();
  const L* pl = l.data<L>();
  for (int64_t r = 0; r < rows; ++r)
    check_arg(pl[r] >= 0 && pl[r] < c, "SparseSoftmaxCrossEntropyWithLogits: Received a label value of " +
                                           std::to_string((int64_t)pl[r]) +
                                           " which is outside the valid range of [0, " +
                                           std::to_string(c) + ").  Label values: row " + std::to_string(r));
  for (int64_t r = 0; r < rows; ++r) {
    const T* xr = px + r * c;
    T* br = back.data<T>() + r * c;
    T mx = xr[0];
    for (int64_t j = 1; j < c; ++j) mx = std::max(mx, xr[j]);
    T sum = 0;
    for (int64_t j = 0; j < c; ++j) sum += std::exp(xr[j] - mx);
    T lse = std::log(sum);
    for (int64_t j = 0; j < c; ++j) br[j] = std::exp(xr[j] - mx - lse);
    br[pl[r]] -= T(1);
    loss.data<T>()[r] = -(xr[pl[r]] - mx - lse);
  }
}

void k_SparseXent(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const Tensor& l = ctx.input(1);
  check_arg(x.shape.size() == 2 && l.shape.size() == 1 && l.shape[0] == x.shape[0],
            "SparseSoftmaxCrossEntropyWithLogits: logits must be 2-D and labels 1-D with the same "
            "first dimension, got logits shape " + shape_str(x.shape) + " and labels shape " + shape_str(l.shape));
  check_arg(x.shape[1] > 0, "SparseSoftmaxCrossEntropyWithLogits: must have at least one class");
  FB_DISPATCH_FLOAT(x.dtype, "SparseSoftmaxCrossEntropyWithLogits", {
    if (l.dtype == I32) sparse_xent<T, int32_t>(ctx);
    else if (l.dtype == I64) sparse_xent<T, int64_t>(ctx);
    else throw KernelError(INVALID_ARGUMENT, "SparseSoftmaxCrossEntropyWithLogits: labels must be int32 or int64");
  })
}
FB_KERNEL("SparseSoftmaxCrossEntropyWithLogits", k_SparseXent);

// ---- convolution -----------------------------------------------------------------------------

struct ConvGeom {
  int64_t n, h, w, c, kh, kw, oc, sh, sw, dh, dw, oh, ow, pt, pl;
};

void out_size(int64_t in, int64_t k, int64_t s, int64_t d, bool same, int64_t& out, int64_t& pad_before) {
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

ConvGeom conv_geom(const Shape& x, const Shape& f, const std::vector<int64_t>& ints, const char* name) {
  check_arg(x.size() == 4, std::string(name) + ": input must be 4-dimensional NHWC, got " + shape_str(x));
  check_arg(f.size() == 4, std::string(name) + ": filter must be 4-dimensional, got " + shape_str(f));
  check_arg(x[3] == f[2], std::string(name) + ": input depth must equal filter in_channels: input " +
                              shape_str(x) + " filter " + shape_str(f));
  ConvGeom g{x[0], x[1], x[2], x[3], f[0], f[1], f[3], ints.at(0), ints.at(1), ints.at(3), ints.at(4), 0, 0, 0, 0};
  check_arg(g.sh >= 1 && g.sw >= 1 && g.dh >= 1 && g.dw >= 1,
            std::string(name) + ": strides and dilations must be >= 1");
  check_arg(g.kh >= 1 && g.kw >= 1, std::string(name) + ": filter must be non-empty, got " + shape_str(f));
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
  check_arg(dy.shape == Shape({g.n, g.oh, g.ow, g.oc}),
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
  FB_DISPATCH_FLOAT(x.dtype, "Conv2DBackpropFilter", {
    Tensor& df = ctx.allocate(0, x.dtype, fs);
    int64_t rows = g.n * g.oh * g.ow, K = g.kh * g.kw * g.c;
    if (is_pointwise(g)) {
      gemm(true, false, K, g.oc, rows, T(1), x.data<T>(), K, dy.data<T>(), g.oc, T(0), df.data<T>(), g.oc);
    } else {
      std::fill_n(df.data<T>(), df.numel(), T(0));
      // df = sum over row chunks of im2col(x)^T . dy; each pool part sums its rows into a
      // private buffer, and the buffers are added in row order (deterministic for a given
      // thread count).
      std::mutex m;
      std::map<int64_t, std::vector<T>> partials;
      auto part = [&](int64_t rb, int64_t re) {
        int64_t cr = chunk_rows(K, sizeof(T));
        std::vector<T> col((size_t)(std::min(cr, re - rb) * K));
        std::vector<T> acc((size_t)(K * g.oc));
        for (int64_t r0 = rb; r0 < re; r0 += cr) {
          int64_t r1 = std::min(re, r0 + cr);
          im2col<T>(x.data<T>(), g, r0, r1, col.data());
          gemm(true, false, K, g.oc, r1 - r0, T(1), col.data(), K, dy.data<T>() + r0 * g.oc, g.oc,
               r0 == rb ? T(0) : T(1), acc.data(), g.oc);
        }
        std::lock_guard<std::mutex> lock(m);
        partials.emplace(rb, std::move(acc));
      };
      if (rows == 0) {
      } else if (num_threads() > 1 && blas_per_thread_control()) {
        parallel_for(rows, conv_part_rows(g), [&](int64_t b, int64_t e) {
          SerialBlasScope serial;
          part(b, e);
        });
      } else {
        part(0, rows);
      }
      T* pdf = df.data<T>();
      for (auto& kv : partials)
        for (int64_t i = 0; i < K * g.oc; ++i) pdf[i] += kv.second[i];
    }
  })
}
FB_KERNEL("Conv2DBackpropFilter", k_Conv2DBackpropFilter);

// ---- pooling: ints = [kh, kw, sh, sw, same] ---------------------------------------------------

ConvGeom pool_geom(const Shape& x, const std::vector<int64_t>& ints, const char* name) {
  check_arg(x.size() == 4, std::string(name) + ": input must be 4-dimensional NHWC, got " + shape_str(x));
  ConvGeom g{x[0], x[1], x[2], x[3], ints.at(0), ints.at(1), x[3], ints.at(2), ints.at(3), 1, 1, 0, 0, 0, 0};
  check_arg(g.kh >= 1 && g.kw >= 1 && g.sh >= 1 && g.sw >= 1,
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

void k_MaxPool(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  ConvGeom g = pool_geom(x.shape, ctx.ints(), "MaxPool");
  FB_DISPATCH_FLOAT(x.dtype, "MaxPool", {
    Tensor& o = ctx.allocate(0, x.dtype, {g.n, g.oh, g.ow, g.c});
    const T* px = x.data<T>();
    T* po = o.data<T>();
    pool_windows<T>(g, [&](int64_t b, int64_t oy, int64_t ox, int64_t y0, int64_t y1, int64_t x0, int64_t x1) {
      T* d = po + ((b * g.oh + oy) * g.ow + ox) * g.c;
      std::fill_n(d, g.c, std::numeric_limits<T>::lowest());
      for (int64_t iy = y0; iy < y1; ++iy)
        for (int64_t ix = x0; ix < x1; ++ix) {
          const T* s = px + ((b * g.h + iy) * g.w + ix) * g.c;
          for (int64_t ch = 0; ch < g.c; ++ch) d[ch] = std::max(d[ch], s[ch]);
        }
    });
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
  const Tensor& x = ctx.input(0);
  ConvGeom g = pool_geom(x.shape, ctx.ints(), "AvgPool");
  FB_DISPATCH_FLOAT(x.dtype, "AvgPool", {
    Tensor& o = ctx.allocate(0, x.dtype, {g.n, g.oh, g.ow, g.c});
    const T* px = x.data<T>();
    T* po = o.data<T>();
    pool_windows<T>(g, [&](int64_t b, int64_t oy, int64_t ox, int64_t y0, int64_t y1, int64_t x0, int64_t x1) {
      T* d = po + ((b * g.oh + oy) * g.ow + ox) * g.c;
      std::fill_n(d, g.c, T(0));
      for (int64_t iy = y0; iy < y1; ++iy)
        for (int64_t ix = x0; ix < x1; ++ix) {
          const T* s = px + ((b * g.h + iy) * g.w + ix) * g.c;
          for (int64_t ch = 0; ch < g.c; ++ch) d[ch] += s[ch];
        }
      T inv = T(1) / T((y1 - y0) * (x1 - x0));
      for (int64_t ch = 0; ch < g.c; ++ch) d[ch] *= inv;
    });
  })
}
FB_KERNEL("AvgPool", k_AvgPool);

// AvgPoolGrad(orig_input_shape, grad).
void k_AvgPoolGrad(KernelContext& ctx) {
  Shape xs = read_int_vector(ctx.input(0));
  const Tensor& dy = ctx.input(1);
  ConvGeom g = pool_geom(xs, ctx.ints(), "AvgPoolGrad");
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
