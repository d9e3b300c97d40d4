// Reductions (Sum, Mean, Max, Min, Prod, L2Loss) and ArgMax / ArgMin.
#include <algorithm>
#include <limits>

#include "executor.h"
#include "kernels_util.h"

namespace fb {
namespace {

enum Red { SUM, MEAN, MAX, MIN, PROD };

template <class T>
T red_init(int kind) {
  switch (kind) {
    case MAX: return std::numeric_limits<T>::lowest();
    case MIN: return std::numeric_limits<T>::max();
    case PROD: return T(1);
    default: return T(0);
  }
}

template <class T>
inline T red_step(int kind, T acc, T x) {
  switch (kind) {
    case MAX: return x > acc || x != x ? x : acc;
    case MIN: return x < acc || x != x ? x : acc;
    case PROD: return acc * x;
    default: return acc + x;
  }
}

// Reduces the middle dim of [outer, red, inner].
template <class T>
void reduce_middle(int kind, const T* x, T* y, int64_t outer, int64_t red, int64_t inner) {
  T init = red_init<T>(kind);
  auto body = [&](int64_t s, int64_t e) {
    for (int64_t o = s; o < e; ++o) {
      T* yo = y + o * inner;
      const T* xo = x + o * red * inner;
      if (inner == 1) {
        T acc = init;
        if (kind == SUM || kind == MEAN) {
          for (int64_t r = 0; r < red; ++r) acc += xo[r];
        } else {
          for (int64_t r = 0; r < red; ++r) acc = red_step(kind, acc, xo[r]);
        }
        yo[0] = acc;
        continue;
      }
      std::fill_n(yo, inner, init);
      for (int64_t r = 0; r < red; ++r) {
        const T* xr = xo + r * inner;
        if (kind == SUM || kind == MEAN) {
          for (int64_t i = 0; i < inner; ++i) yo[i] += xr[i];
        } else {
          for (int64_t i = 0; i < inner; ++i) yo[i] = red_step(kind, yo[i], xr[i]);
        }
      }
    }
  };
  int64_t work = red * inner;
  parallel_for(outer, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(work, 1)), body);
}

template <class T>
void reduce_kernel(KernelContext& ctx, int kind, const char* name) {
  const Tensor& x = ctx.input(0);
  std::vector<int64_t> axes = read_int_vector(ctx.input(1));
  bool keep = ctx.ints().at(0) != 0;
  int64_t rank = (int64_t)x.shape.size();
  std::vector<bool> reduce(rank, false);
  for (auto a : axes) {
    FB_CHECK_ARG(a >= -rank && a < std::max<int64_t>(rank, 1),
                 std::string(name) + ": Invalid reduction dimension " + std::to_string(a) +
                     " for input with " + std::to_string(rank) + " dimensions.");
    if (rank) reduce[a < 0 ? a + rank : a] = true;
  }
  Shape out_shape, kept_shape;
  int64_t count = 1;
  for (int64_t d = 0; d < rank; ++d) {
    if (reduce[d]) {
      count *= x.shape[d];
      if (keep) out_shape.push_back(1);
    } else {
      out_shape.push_back(x.shape[d]);
    }
  }
  // Merge adjacent dims with the same flag, then reduce one group at a time.
  std::vector<int64_t> dims;
  std::vector<bool> flags;
  for (int64_t d = 0; d < rank; ++d) {
    if (x.shape[d] == 1) continue;
    if (!flags.empty() && flags.back() == reduce[d]) dims.back() *= x.shape[d];
    else {
      dims.push_back(x.shape[d]);
      flags.push_back(reduce[d]);
    }
  }
  Tensor& out = ctx.allocate(0, x.dtype, out_shape);
  T* y = out.data<T>();
  if (x.numel() == 0) {
    std::fill_n(y, out.numel(), kind == MEAN ? std::numeric_limits<T>::quiet_NaN() : red_init<T>(kind));
    return;
  }
  const T* src = x.data<T>();
  std::vector<T> tmp_a, tmp_b;
  bool any = false;
  for (size_t g = 0; g < dims.size(); ++g) {
    if (!flags[g]) continue;
    int64_t outer = 1, inner = 1;
    for (size_t i = 0; i < g; ++i) outer *= dims[i];
    for (size_t i = g + 1; i < dims.size(); ++i) inner *= dims[i];
    // Later groups remain: write to a temporary; the last group writes the output.
    bool last = true;
    for (size_t h = g + 1; h < dims.size(); ++h)
      if (flags[h]) last = false;
    std::vector<T>& tmp = (tmp_a.data() == src) ? tmp_b : tmp_a;
    T* dst = y;
    if (!last) {
      tmp.assign((size_t)(outer * inner), T(0));
      dst = tmp.data();
    }
    reduce_middle<T>(kind, src, dst, outer, dims[g], inner);
    src = dst;
    dims[g] = 1;
    any = true;
  }
  if (!any) std::copy_n(src, out.numel(), y);
  if (kind == MEAN && count > 0) {
    int64_t n = out.numel();
    for (int64_t i = 0; i < n; ++i) y[i] = y[i] / T(count);
  }
}

#define FB_REDUCE(NAME, KIND)                                                            \
  void k_##NAME(KernelContext& ctx) {                                                  \
    FB_DISPATCH_NUMERIC(ctx.input(0).dtype, #NAME, reduce_kernel<T>(ctx, KIND, #NAME)) \
  }                                                                                     \
  FB_KERNEL(#NAME, k_##NAME);

FB_REDUCE(Sum, SUM)
FB_REDUCE(Mean, MEAN)
FB_REDUCE(Max, MAX)
FB_REDUCE(Min, MIN)
FB_REDUCE(Prod, PROD)

void k_L2Loss(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  FB_DISPATCH_FLOAT(x.dtype, "L2Loss", {
    const T* p = x.data<T>();
    double acc = 0;
    for (int64_t i = 0; i < x.numel(); ++i) acc += (double)p[i] * p[i];
    ctx.allocate(0, x.dtype, {}).data<T>()[0] = T(acc / 2);
  })
}
FB_KERNEL("L2Loss", k_L2Loss);

template <class T>
void arg_kernel(KernelContext& ctx, bool is_max) {
  const Tensor& x = ctx.input(0);
  std::vector<int64_t> av = read_int_vector(ctx.input(1));
  FB_CHECK_ARG(av.size() == 1, "ArgMax/ArgMin: axis must be a scalar");
  int64_t rank = (int64_t)x.shape.size(), axis = av[0];
  FB_CHECK_ARG(axis >= -rank && axis < rank, "ArgMax/ArgMin: Expected dimension in the range [" +
                                                 std::to_string(-rank) + ", " + std::to_string(rank) +
                                                 "), but got " + std::to_string(axis));
  if (axis < 0) axis += rank;
  FB_CHECK_ARG(x.shape[axis] > 0, "ArgMax/ArgMin: Reduction axis " + std::to_string(axis) + " is empty in shape " + shape_str(x.shape));
  Shape os;
  int64_t outer = 1, inner = 1, red = x.shape[axis];
  for (int64_t d = 0; d < rank; ++d) {
    if (d == axis) continue;
    os.push_back(x.shape[d]);
    if (d < axis) outer *= x.shape[d];
    else inner *= x.shape[d];
  }
  int out_dtype = (int)ctx.ints().at(0);
  Tensor& out = ctx.allocate(0, out_dtype, os);
  const T* p = x.data<T>();
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      int64_t best = 0;
      T bv = p[o * red * inner + i];
      for (int64_t r = 1; r < red; ++r) {
        T v = p[(o * red + r) * inner + i];
        if (is_max ? v > bv : v < bv) {
          bv = v;
          best = r;
        }
      }
      if (out_dtype == I64) out.data<int64_t>()[o * inner + i] = best;
      else out.data<int32_t>()[o * inner + i] = (int32_t)best;
    }
}

void k_ArgMax(KernelContext& ctx) { FB_DISPATCH_NUMERIC(ctx.input(0).dtype, "ArgMax", arg_kernel<T>(ctx, true)) }
void k_ArgMin(KernelContext& ctx) { FB_DISPATCH_NUMERIC(ctx.input(0).dtype, "ArgMin", arg_kernel<T>(ctx, false)) }
FB_KERNEL("ArgMax", k_ArgMax);
FB_KERNEL("ArgMin", k_ArgMin);

}  // namespace
}  // namespace fb
