// Elementwise math with broadcasting, comparisons, and BroadcastTo.
#include <algorithm>

#include "executor.h"
#include "kernels_util.h"

namespace fb {

Shape broadcast_shapes(const Shape& a, const Shape& b, const char* opname) {
  size_t r = std::max(a.size(), b.size());
  Shape out(r);
  for (size_t i = 0; i < r; ++i) {
    int64_t da = i < r - a.size() ? 1 : a[i - (r - a.size())];
    int64_t db = i < r - b.size() ? 1 : b[i - (r - b.size())];
    if (da != db && da != 1 && db != 1)
      throw KernelError(INVALID_ARGUMENT, std::string(opname) + ": Incompatible shapes: " +
                                              shape_str(a) + " vs. " + shape_str(b));
    out[i] = da == 1 ? db : da;
  }
  return out;
}

std::vector<int64_t> read_int_vector(const Tensor& t) {
  std::vector<int64_t> v(t.numel());
  if (t.dtype == I32)
    for (int64_t i = 0; i < t.numel(); ++i) v[i] = t.data<int32_t>()[i];
  else if (t.dtype == I64)
    for (int64_t i = 0; i < t.numel(); ++i) v[i] = t.data<int64_t>()[i];
  else
    throw KernelError(INVALID_ARGUMENT, std::string("expected an int32/int64 tensor, got ") +
                                            dtype_name(t.dtype));
  return v;
}

namespace {

// Applies f elementwise over the broadcast of a and b into out (already sized).
template <class A, class B, class O, class F>
void broadcast_apply(const Tensor& ta, const Tensor& tb, Tensor& to, F f) {
  const A* a = ta.data<A>();
  const B* b = tb.data<B>();
  O* o = to.data<O>();
  int64_t n = to.numel(), na = ta.numel(), nb = tb.numel();
  if (n == 0) return;
  if (na == n && nb == n) {
    parallel_for(n, kParallelGrain, [&](int64_t s, int64_t e) {
      for (int64_t i = s; i < e; ++i) o[i] = f(a[i], b[i]);
    });
    return;
  }
  if (nb == 1 && na == n) {
    B bv = b[0];
    parallel_for(n, kParallelGrain, [&](int64_t s, int64_t e) {
      for (int64_t i = s; i < e; ++i) o[i] = f(a[i], bv);
    });
    return;
  }
  if (na == 1 && nb == n) {
    A av = a[0];
    parallel_for(n, kParallelGrain, [&](int64_t s, int64_t e) {
      for (int64_t i = s; i < e; ++i) o[i] = f(av, b[i]);
    });
    return;
  }
  // General case: collapse to rank r with per-input strides (0 on broadcast dims); the last
  // dim is the inner loop.
  const Shape& os = to.shape;
  size_t r = os.size();
  std::vector<int64_t> sa(r, 0), sb(r, 0);
  {
    int64_t st = 1;
    for (int64_t i = (int64_t)r - 1, j = (int64_t)ta.shape.size() - 1; i >= 0; --i, --j) {
      int64_t d = j >= 0 ? ta.shape[j] : 1;
      sa[i] = d == 1 ? 0 : st;
      st *= d;
    }
    st = 1;
    for (int64_t i = (int64_t)r - 1, j = (int64_t)tb.shape.size() - 1; i >= 0; --i, --j) {
      int64_t d = j >= 0 ? tb.shape[j] : 1;
      sb[i] = d == 1 ? 0 : st;
      st *= d;
    }
  }
  int64_t inner = os[r - 1];
  int64_t ia = sa[r - 1], ib = sb[r - 1];
  int64_t outer = n / inner;
  auto body = [&](int64_t s, int64_t e) {
    std::vector<int64_t> idx(r, 0);
    int64_t rem = s;
    for (int64_t d = (int64_t)r - 2; d >= 0; --d) {
      idx[d] = rem % os[d];
      rem /= os[d];
    }
    for (int64_t row = s; row < e; ++row) {
      int64_t offa = 0, offb = 0;
      for (size_t d = 0; d + 1 < r; ++d) {
        offa += idx[d] * sa[d];
        offb += idx[d] * sb[d];
      }
      const A* pa = a + offa;
      const B* pb = b + offb;
      O* po = o + row * inner;
      if (ia == 1 && ib == 1)
        for (int64_t i = 0; i < inner; ++i) po[i] = f(pa[i], pb[i]);
      else if (ia == 1)
        for (int64_t i = 0; i < inner; ++i) po[i] = f(pa[i], pb[0]);
      else if (ib == 1)
        for (int64_t i = 0; i < inner; ++i) po[i] = f(pa[0], pb[i]);
      else
        for (int64_t i = 0; i < inner; ++i) po[i] = f(pa[0], pb[0]);
      for (int64_t d = (int64_t)r - 2; d >= 0; --d) {
        if (++idx[d] < os[d]) break;
        idx[d] = 0;
      }
    }
  };
  parallel_for(outer, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(inner, 1)), body);
}

template <class F>
void binary_same_type(KernelContext& ctx, const char* name, bool numeric, F f_generic) {
  Tensor& a = ctx.input(0);
  Tensor& b = ctx.input(1);
  if (a.dtype != b.dtype)
    throw KernelError(INVALID_ARGUMENT, std::string(name) + ": dtype mismatch " +
                                            dtype_name(a.dtype) + " vs " + dtype_name(b.dtype));
  Shape os = broadcast_shapes(a.shape, b.shape, name);
  if (numeric) {
    FB_DISPATCH_NUMERIC(a.dtype, name, {
      Tensor& o = ctx.allocate(0, a.dtype, os);
      broadcast_apply<T, T, T>(a, b, o, [&](T x, T y) { return f_generic(x, y); });
    })
  } else {
    FB_DISPATCH_FLOAT(a.dtype, name, {
      Tensor& o = ctx.allocate(0, a.dtype, os);
      broadcast_apply<T, T, T>(a, b, o, [&](T x, T y) { return f_generic(x, y); });
    })
  }
}

#define FB_BINARY(NAME, NUMERIC, EXPR)                                            \
  void k_##NAME(KernelContext& ctx) {                                           \
    binary_same_type(ctx, #NAME, NUMERIC, [](auto x, auto y) { return EXPR; });  \
  }                                                                              \
  FB_KERNEL(#NAME, k_##NAME);

FB_BINARY(AddV2, true, x + y)
FB_BINARY(Sub, true, x - y)
FB_BINARY(Mul, true, x* y)
FB_BINARY(RealDiv, false, x / y)
FB_BINARY(Maximum, true, nan_max(x, y))
FB_BINARY(Minimum, true, nan_min(x, y))
FB_BINARY(Pow, false, std::pow(x, y))
FB_BINARY(SquaredDifference, true, (x - y) * (x - y))
// Gradient helpers (TF's op names and argument order).
FB_BINARY(ReluGrad, false, y > 0 ? x : decltype(x)(0))
FB_BINARY(Relu6Grad, false, (y > 0 && y < 6) ? x : decltype(x)(0))
FB_BINARY(EluGrad, false, y > 0 ? x : x * (y + 1))
FB_BINARY(SigmoidGrad, false, y * x * (1 - x))
FB_BINARY(TanhGrad, false, y * (1 - x * x))
FB_BINARY(SoftplusGrad, false, x / (1 + std::exp(-y)))
FB_BINARY(SqrtGrad, false, y * decltype(x)(0.5) / x)
FB_BINARY(RsqrtGrad, false, y * decltype(x)(-0.5) * x * x * x)
FB_BINARY(ReciprocalGrad, false, -y * x * x)
FB_BINARY(DivNoNan, false, y == 0 ? decltype(x)(0) : x / y)

template <class F>
void compare(KernelContext& ctx, const char* name, F f) {
  Tensor a = ctx.input(0), b = ctx.input(1);
  if (a.dtype != b.dtype)
    throw KernelError(INVALID_ARGUMENT, std::string(name) + ": dtype mismatch " +
                                            dtype_name(a.dtype) + " vs " + dtype_name(b.dtype));
  Shape os = broadcast_shapes(a.shape, b.shape, name);
  Tensor& o = ctx.allocate(0, BOOL, os);
  FB_DISPATCH_NUMERIC(a.dtype, name, {
    broadcast_apply<T, T, bool>(a, b, o, [&](T x, T y) { return (bool)f(x, y); });
  })
}

#define FB_COMPARE(NAME, EXPR)                                            \
  void k_##NAME(KernelContext& ctx) {                                   \
    compare(ctx, #NAME, [](auto x, auto y) { return EXPR; });            \
  }                                                                      \
  FB_KERNEL(#NAME, k_##NAME);

FB_COMPARE(Less, x < y)
FB_COMPARE(LessEqual, x <= y)
FB_COMPARE(Greater, x > y)
FB_COMPARE(GreaterEqual, x >= y)
FB_COMPARE(Equal, x == y)
FB_COMPARE(NotEqual, x != y)

template <class F>
void unary(KernelContext& ctx, const char* name, bool numeric, F f) {
  const Tensor& a = ctx.input(0);
  auto run = [&](auto tag) {
    using T = decltype(tag);
    Tensor& o = ctx.allocate(0, a.dtype, a.shape);
    const T* x = a.data<T>();
    T* y = o.data<T>();
    parallel_for(a.numel(), kParallelGrain, [&](int64_t s, int64_t e) {
      for (int64_t i = s; i < e; ++i) y[i] = f(x[i]);
    });
  };
  if (numeric) {
    FB_DISPATCH_NUMERIC(a.dtype, name, run(T()))
  } else {
    FB_DISPATCH_FLOAT(a.dtype, name, run(T()))
  }
}

#define FB_UNARY(NAME, NUMERIC, EXPR)                                  \
  void k_##NAME(KernelContext& ctx) {                                \
    unary(ctx, #NAME, NUMERIC, [](auto x) { return EXPR; });          \
  }                                                                   \
  FB_KERNEL(#NAME, k_##NAME);

using std::exp;
FB_UNARY(Neg, true, -x)
FB_UNARY(Abs, true, std::abs(x))  // clears the sign of -0 (TF: abs(-0) = +0)
FB_UNARY(Sign, true, decltype(x)((x > 0) - (x < 0)))
FB_UNARY(Square, true, x* x)
FB_UNARY(Exp, false, std::exp(x))
FB_UNARY(Log, false, std::log(x))
FB_UNARY(Log1p, false, std::log1p(x))
FB_UNARY(Sqrt, false, std::sqrt(x))
FB_UNARY(Rsqrt, false, 1 / std::sqrt(x))
FB_UNARY(Reciprocal, false, 1 / x)
FB_UNARY(Relu, true, relu_of(x))
FB_UNARY(Relu6, false, relu6_of(x))
FB_UNARY(Elu, false, x > 0 ? x : std::expm1(x))
FB_UNARY(Sigmoid, false, x >= 0 ? 1 / (1 + std::exp(-x)) : std::exp(x) / (1 + std::exp(x)))
FB_UNARY(Tanh, false, std::tanh(x))
FB_UNARY(Softplus, false, x > 20 ? x : std::log1p(std::exp(x)))
FB_UNARY(Floor, false, std::floor(x))
FB_UNARY(Ceil, false, std::ceil(x))
FB_UNARY(Round, false, std::nearbyint(x))

// BroadcastTo(input, shape): numpy broadcasting copy.
void k_BroadcastTo(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  Shape target = read_int_vector(ctx.input(1));
  Shape os = broadcast_shapes(x.shape, target, "BroadcastTo");
  FB_CHECK_ARG(os == target, "BroadcastTo: cannot broadcast " + shape_str(x.shape) + " to " + shape_str(target));
  if (x.shape == target) {
    ctx.set_output(0, x);
    return;
  }
  Tensor zero;
  zero.dtype = x.dtype;
  zero.buf = x.buf;  // values unused: the lambda ignores the second operand
  zero.shape = {};
  FB_DISPATCH_NUMERIC(x.dtype, "BroadcastTo", {
    Tensor& o = ctx.allocate(0, x.dtype, target);
    broadcast_apply<T, T, T>(x, zero, o, [](T a, T) { return a; });
  })
}
FB_KERNEL("BroadcastTo", k_BroadcastTo);

}  // namespace
}  // namespace fb
