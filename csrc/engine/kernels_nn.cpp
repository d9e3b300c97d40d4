// Neural-network kernels: MatMul (BLAS), BiasAdd, the softmax family and cross-entropies.
#include <algorithm>
#include <cstring>
#include <type_traits>
#include <limits>
#include <map>
#include <mutex>

#include "executor.h"
#include "kernels_util.h"

namespace fb {

MatMulDims matmul_dims(const Tensor& a, const Tensor& b, bool ta, bool tb) {
  FB_CHECK_ARG(a.shape.size() == 2 && b.shape.size() == 2,
               "MatMul: In[0] and In[1] must be matrices, got shapes " + shape_str(a.shape) + " and " +
                   shape_str(b.shape));
  FB_CHECK_ARG(a.dtype == b.dtype, std::string("MatMul: dtype mismatch ") + dtype_name(a.dtype) +
                                       " vs " + dtype_name(b.dtype));
  int64_t m = ta ? a.shape[1] : a.shape[0], k = ta ? a.shape[0] : a.shape[1];
  int64_t k2 = tb ? b.shape[1] : b.shape[0], n = tb ? b.shape[0] : b.shape[1];
  FB_CHECK_ARG(k == k2, "MatMul: Matrix size-incompatible: In[0]: " + shape_str(a.shape) +
                            ", In[1]: " + shape_str(b.shape));
  return {m, n, k};
}

namespace {

void k_MatMul(KernelContext& ctx) {
  const Tensor& a = ctx.input(0);
  const Tensor& b = ctx.input(1);
  bool ta = ctx.ints().at(0), tb = ctx.ints().at(1);
  const auto [m, n, k] = matmul_dims(a, b, ta, tb);
  FB_DISPATCH_FLOAT(a.dtype, "MatMul", {
    Tensor& o = ctx.allocate(0, a.dtype, {m, n});
    gemm(ta, tb, m, n, k, T(1), a.data<T>(), a.shape[1], b.data<T>(), b.shape[1], T(0), o.data<T>(), n);
  })
}
FB_KERNEL("MatMul", k_MatMul);

// Batched matmul over equal leading dims; a rank-2 operand is shared by every batch.
void k_BatchMatMulV2(KernelContext& ctx) {
  const Tensor& a = ctx.input(0);
  const Tensor& b = ctx.input(1);
  bool ta = ctx.ints().at(0), tb = ctx.ints().at(1);
  size_t ra = a.shape.size(), rb = b.shape.size();
  FB_CHECK_ARG(ra >= 2 && rb >= 2, "BatchMatMul: inputs must have rank >= 2, got " +
                                       shape_str(a.shape) + " and " + shape_str(b.shape));
  Shape ba(a.shape.begin(), a.shape.end() - 2), bb(b.shape.begin(), b.shape.end() - 2);
  Shape batch = broadcast_shapes(ba, bb, "BatchMatMul");
  int64_t nb = num_elements(batch);
  int64_t na_b = num_elements(ba), nb_b = num_elements(bb);
  FB_CHECK_ARG((na_b == nb || na_b == 1) && (nb_b == nb || nb_b == 1),
               "BatchMatMul: batch dims must match or one side be unbatched: " + shape_str(a.shape) +
                   " vs " + shape_str(b.shape));
  int64_t ar = a.shape[ra - 2], ac = a.shape[ra - 1], br = b.shape[rb - 2], bc = b.shape[rb - 1];
  int64_t m = ta ? ac : ar, k = ta ? ar : ac, k2 = tb ? bc : br, n = tb ? br : bc;
  FB_CHECK_ARG(k == k2, "BatchMatMul: In[0] mismatch In[1] shape: " + shape_str(a.shape) + " vs " + shape_str(b.shape));
  Shape os = batch;
  os.push_back(m);
  os.push_back(n);
  FB_DISPATCH_FLOAT(a.dtype, "BatchMatMulV2", {
    Tensor& o = ctx.allocate(0, a.dtype, os);
    for (int64_t i = 0; i < nb; ++i) {
      const T* pa = a.data<T>() + (na_b == 1 ? 0 : i) * ar * ac;
      const T* pb = b.data<T>() + (nb_b == 1 ? 0 : i) * br * bc;
      T* po = o.data<T>() + i * m * n;
      gemm(ta, tb, m, n, k, T(1), pa, ac, pb, bc, T(0), po, n);
    }
  })
}
FB_KERNEL("BatchMatMulV2", k_BatchMatMulV2);

void k_BiasAdd(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const Tensor& b = ctx.input(1);
  FB_CHECK_ARG(b.shape.size() == 1 && !x.shape.empty() && x.shape.back() == b.shape[0],
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
  FB_CHECK_ARG(!g.shape.empty(), "BiasAddGrad: input must have rank >= 1");
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
      const T mx = max_of(xr, c);
      const T sum = exp_shifted(xr, mx, yr, c);  // yr holds exp(x - max) until the last pass
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
  FB_CHECK_ARG(!x.shape.empty(), std::string(name) + ": logits must have rank >= 1");
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
  FB_CHECK_ARG(x.shape.size() == 2 && x.shape == l.shape,
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
        const T mx = c ? max_of(xr, c) : T(0);
        // One exp per logit: br holds exp(x - max) until the last pass.
        const T sum = exp_shifted(xr, mx, br, c);
        const T lse = std::log(sum);
        const T total = -sum_lanes<T>(c, [=](int64_t j) { return lr[j] * (xr[j] - mx - lse); });
        const T lsum = sum_lanes<T>(c, [=](int64_t j) { return lr[j]; });
        const T scale = lsum / sum;
        for (int64_t j = 0; j < c; ++j) br[j] = br[j] * scale - lr[j];
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
    FB_CHECK_ARG(pl[r] >= 0 && pl[r] < c, "SparseSoftmaxCrossEntropyWithLogits: Received a label value of " +
                                              std::to_string((int64_t)pl[r]) +
                                              " which is outside the valid range of [0, " +
                                              std::to_string(c) + ").  Label values: row " + std::to_string(r));
  for (int64_t r = 0; r < rows; ++r) {
    const T* xr = px + r * c;
    T* br = back.data<T>() + r * c;
    const T mx = max_of(xr, c);
    const T sum = exp_shifted(xr, mx, br, c);
    const T lse = std::log(sum), inv = T(1) / sum;
    for (int64_t j = 0; j < c; ++j) br[j] *= inv;
    br[pl[r]] -= T(1);
    loss.data<T>()[r] = -(xr[pl[r]] - mx - lse);
  }
}

void k_SparseXent(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const Tensor& l = ctx.input(1);
  FB_CHECK_ARG(x.shape.size() == 2 && l.shape.size() == 1 && l.shape[0] == x.shape[0],
               "SparseSoftmaxCrossEntropyWithLogits: logits must be 2-D and labels 1-D with the same "
               "first dimension, got logits shape " + shape_str(x.shape) + " and labels shape " + shape_str(l.shape));
  FB_CHECK_ARG(x.shape[1] > 0, "SparseSoftmaxCrossEntropyWithLogits: must have at least one class");
  FB_DISPATCH_FLOAT(x.dtype, "SparseSoftmaxCrossEntropyWithLogits", {
    if (l.dtype == I32) sparse_xent<T, int32_t>(ctx);
    else if (l.dtype == I64) sparse_xent<T, int64_t>(ctx);
    else throw KernelError(INVALID_ARGUMENT, "SparseSoftmaxCrossEntropyWithLogits: labels must be int32 or int64");
  })
}
FB_KERNEL("SparseSoftmaxCrossEntropyWithLogits", k_SparseXent);

}  // namespace
}  // namespace fb
