// Elementwise math with broadcasting, comparisons, casts, fills and shape ops.
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
FB_BINARY(Maximum, true, x > y ? x : y)
FB_BINARY(Minimum, true, x < y ? x : y)
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
FB_UNARY(Abs, true, x < 0 ? -x : x)
FB_UNARY(Sign, true, decltype(x)((x > 0) - (x < 0)))
FB_UNARY(Square, true, x* x)
FB_UNARY(Exp, false, std::exp(x))
FB_UNARY(Log, false, std::log(x))
FB_UNARY(Log1p, false, std::log1p(x))
FB_UNARY(Sqrt, false, std::sqrt(x))
FB_UNARY(Rsqrt, false, 1 / std::sqrt(x))
FB_UNARY(Reciprocal, false, 1 / x)
FB_UNARY(Relu, true, x > 0 ? x : decltype(x)(0))
FB_UNARY(Relu6, false, x > 0 ? (x < 6 ? x : decltype(x)(6)) : decltype(x)(0))
FB_UNARY(Elu, false, x > 0 ? x : std::expm1(x))
FB_UNARY(Sigmoid, false, x >= 0 ? 1 / (1 + std::exp(-x)) : std::exp(x) / (1 + std::exp(x)))
FB_UNARY(Tanh, false, std::tanh(x))
FB_UNARY(Softplus, false, x > 20 ? x : std::log1p(std::exp(x)))
FB_UNARY(Floor, false, std::floor(x))
FB_UNARY(Ceil, false, std::ceil(x))
FB_UNARY(Round, false, std::nearbyint(x))

// ---- casts, fills, shapes ------------------------------------------------------------------------

template <class S>
void cast_from(const Tensor& src, Tensor& dst) {
  const S* s = src.data<S>();
  int64_t n = src.numel();
  switch (dst.dtype) {
#define FB_CAST_TO(code, type)                                                   \
  case code: {                                                                   \
    type* d = dst.data<type>();                                                  \
    for (int64_t i = 0; i < n; ++i) d[i] = (type)s[i];                           \
    break;                                                                       \
  }
    FB_CAST_TO(F32, float)
    FB_CAST_TO(F64, double)
    FB_CAST_TO(I32, int32_t)
    FB_CAST_TO(I64, int64_t)
    FB_CAST_TO(U8, uint8_t)
    FB_CAST_TO(I8, int8_t)
    FB_CAST_TO(I16, int16_t)
    case BOOL: {
      bool* d = dst.data<bool>();
      for (int64_t i = 0; i < n; ++i) d[i] = s[i] != S(0);
      break;
    }
    default:
      throw KernelError(INVALID_ARGUMENT, std::string("Cast: unsupported destination dtype ") +
                                              dtype_name(dst.dtype));
#undef FB_CAST_TO
  }
}

void k_Cast(KernelContext& ctx) {
  Tensor a = ctx.input(0);
  int to = (int)ctx.ints().at(0);
  Tensor& o = ctx.allocate(0, to, a.shape);
  switch (a.dtype) {
    case F32: cast_from<float>(a, o); break;
    case F64: cast_from<double>(a, o); break;
    case I32: cast_from<int32_t>(a, o); break;
    case I64: cast_from<int64_t>(a, o); break;
    case BOOL: cast_from<bool>(a, o); break;
    case U8: cast_from<uint8_t>(a, o); break;
    case I8: cast_from<int8_t>(a, o); break;
    case I16: cast_from<int16_t>(a, o); break;
    default:
      throw KernelError(INVALID_ARGUMENT, std::string("Cast: unsupported source dtype ") +
                                              dtype_name(a.dtype));
  }
}
FB_KERNEL("Cast", k_Cast);

void fill_value(Tensor& o, double v) {
  int64_t n = o.numel();
  switch (o.dtype) {
    case F32: std::fill_n(o.data<float>(), n, (float)v); break;
    case F64: std::fill_n(o.data<double>(), n, v); break;
    case I32: std::fill_n(o.data<int32_t>(), n, (int32_t)v); break;
    case I64: std::fill_n(o.data<int64_t>(), n, (int64_t)v); break;
    case BOOL: std::fill_n(o.data<bool>(), n, v != 0); break;
    case U8: std::fill_n(o.data<uint8_t>(), n, (uint8_t)v); break;
    case I8: std::fill_n(o.data<int8_t>(), n, (int8_t)v); break;
    case I16: std::fill_n(o.data<int16_t>(), n, (int16_t)v); break;
    default: throw KernelError(INVALID_ARGUMENT, std::string("fill: unsupported dtype ") + dtype_name(o.dtype));
  }
}

void k_ZerosLike(KernelContext& ctx) {
  Tensor a = ctx.input(0);
  fill_value(ctx.allocate(0, a.dtype, a.shape), 0.0);
}
FB_KERNEL("ZerosLike", k_ZerosLike);

void k_OnesLike(KernelContext& ctx) {
  Tensor a = ctx.input(0);
  fill_value(ctx.allocate(0, a.dtype, a.shape), 1.0);
}
FB_KERNEL("OnesLike", k_OnesLike);

// Fill(dims, value): output dtype is value's.
void k_Fill(KernelContext& ctx) {
  Shape dims = read_int_vector(ctx.input(0));
  Tensor v = ctx.input(1);
  check_arg(v.numel() == 1, "Fill: value must be a scalar, got shape " + shape_str(v.shape));
  for (auto d : dims) check_arg(d >= 0, "Fill: dims must be non-negative, got " + shape_str(dims));
  Tensor& o = ctx.allocate(0, v.dtype, dims);
  size_t es = dtype_size(v.dtype);
  char* d = static_cast<char*>(o.buf->data);
  for (int64_t i = 0; i < o.numel(); ++i) std::memcpy(d + i * es, v.buf->data, es);
}
FB_KERNEL("Fill", k_Fill);

void k_Shape(KernelContext& ctx) {
  Tensor a = ctx.input(0);
  int out = ctx.ints().empty() ? I32 : (int)ctx.ints()[0];
  Tensor& o = ctx.allocate(0, out, {(int64_t)a.shape.size()});
  for (size_t i = 0; i < a.shape.size(); ++i) {
    if (out == I64) o.data<int64_t>()[i] = a.shape[i];
    else o.data<int32_t>()[i] = (int32_t)a.shape[i];
  }
}
FB_KERNEL("Shape", k_Shape);

void k_Size(KernelContext& ctx) {
  Tensor a = ctx.input(0);
  int out = ctx.ints().empty() ? I32 : (int)ctx.ints()[0];
  Tensor& o = ctx.allocate(0, out, {});
  if (out == I64) o.data<int64_t>()[0] = a.numel();
  else o.data<int32_t>()[0] = (int32_t)a.numel();
}
FB_KERNEL("Size", k_Size);

// Aliasing ops share the input's buffer.
void k_Identity(KernelContext& ctx) { ctx.set_output(0, ctx.input(0)); }
FB_KERNEL("Identity", k_Identity);
FB_KERNEL("StopGradient", k_Identity);
FB_KERNEL("Snapshot", k_Identity);

void k_Reshape(KernelContext& ctx) {
  Tensor a = ctx.input(0);
  Shape want = read_int_vector(ctx.input(1));
  int64_t known = 1, unknown = -1;
  for (size_t i = 0; i < want.size(); ++i) {
    if (want[i] == -1) {
      check_arg(unknown < 0, "Reshape: only one input size may be -1, not both " +
                                 std::to_string(unknown) + " and " + std::to_string(i));
      unknown = (int64_t)i;
    } else {
      known *= want[i];
    }
  }
  if (unknown >= 0) {
    check_arg(known > 0 && a.numel() % known == 0,
              "Reshape: Input to reshape is a tensor with " + std::to_string(a.numel()) +
                  " values, but the requested shape requires a multiple of " + std::to_string(known));
    want[unknown] = a.numel() / known;
  } else {
    check_arg(known == a.numel(), "Reshape: Input to reshape is a tensor with " +
                                      std::to_string(a.numel()) +
                                      " values, but the requested shape has " + std::to_string(known));
  }
  a.shape = want;
  ctx.set_output(0, a);
}
FB_KERNEL("Reshape", k_Reshape);

// Sums grad (shape of the broadcast result) down to the shape of `like` (TF does this with
// BroadcastGradientArgs + Sum + Reshape).
template <class T>
void sum_to_shape(const Tensor& g, const Shape& target, Tensor& o) {
  size_t r = g.shape.size();
  Shape t(r, 1);
  for (size_t i = 0; i < target.size(); ++i) t[r - target.size() + i] = target[i];
  std::fill_n(o.data<T>(), o.numel(), T(0));
  std::vector<int64_t> st(r, 0);
  int64_t s = 1;
  for (int64_t i = (int64_t)r - 1; i >= 0; --i) {
    st[i] = t[i] == 1 ? 0 : s;
    s *= t[i];
  }
  const T* src = g.data<T>();
  T* dst = o.data<T>();
  int64_t inner = r ? g.shape[r - 1] : 1;
  int64_t rows = inner ? g.numel() / inner : 0;
  std::vector<int64_t> idx(r, 0);
  for (int64_t row = 0; row < rows; ++row) {
    int64_t off = 0;
    for (size_t d = 0; d + 1 < r; ++d) off += idx[d] * st[d];
    const T* p = src + row * inner;
    if (r && st[r - 1]) {
      for (int64_t i = 0; i < inner; ++i) dst[off + i] += p[i];
    } else {
      T acc = 0;
      for (int64_t i = 0; i < inner; ++i) acc += p[i];
      dst[off] += acc;
    }
    for (int64_t d = (int64_t)r - 2; d >= 0; --d) {
      if (++idx[d] < g.shape[d]) break;
      idx[d] = 0;
    }
  }
}

void k_SumToShapeOf(KernelContext& ctx) {
  Tensor g = ctx.input(0);
  Shape target = ctx.input(1).shape;
  if (g.shape == target) {
    ctx.set_output(0, g);
    return;
  }
  check_arg(target.size() <= g.shape.size(), "SumToShapeOf: target rank larger than gradient");
  if (num_elements(target) == g.numel()) {
    g.shape = target;
    ctx.set_output(0, g);
    return;
  }
  FB_DISPATCH_NUMERIC(g.dtype, "SumToShapeOf", {
    Tensor& o = ctx.allocate(0, g.dtype, target);
    sum_to_shape<T>(g, target, o);
  })
}
FB_KERNEL("SumToShapeOf", k_SumToShapeOf);

}  // namespace
}  // namespace fb

namespace fb {
namespace {
// BroadcastTo(input, shape): numpy broadcasting copy.
void k_BroadcastTo(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  Shape target = read_int_vector(ctx.input(1));
  Shape os = broadcast_shapes(x.shape, target, "BroadcastTo");
  check_arg(os == target, "BroadcastTo: cannot broadcast " + shape_str(x.shape) + " to " + shape_str(target));
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

namespace fb {
namespace {
void k_NoOp(KernelContext&) {}
FB_KERNEL("NoOp", k_NoOp);

// ExpandDims(x, axis): shares x's buffer.
void k_ExpandDims(KernelContext& ctx) {
  Tensor a = ctx.input(0);
  std::vector<int64_t> av = read_int_vector(ctx.input(1));
  check_arg(av.size() == 1, "ExpandDims: axis must be a scalar");
  int64_t r = (int64_t)a.shape.size(), axis = av[0];
  check_arg(axis >= -r - 1 && axis <= r, "ExpandDims: Tried to expand dim index " + std::to_string(axis) +
                                             " for tensor with " + std::to_string(r) + " dimensions.");
  if (axis < 0) axis += r + 1;
  a.shape.insert(a.shape.begin() + axis, 1);
  ctx.set_output(0, a);
}
FB_KERNEL("ExpandDims", k_ExpandDims);

// Squeeze(x) ints = dims to squeeze (empty: every size-1 dim).
void k_Squeeze(KernelContext& ctx) {
  Tensor a = ctx.input(0);
  int64_t r = (int64_t)a.shape.size();
  std::vector<bool> drop(r, false);
  if (ctx.ints().empty()) {
    for (int64_t i = 0; i < r; ++i) drop[i] = a.shape[i] == 1;
  } else {
    for (auto d : ctx.ints()) {
      int64_t i = d < 0 ? d + r : d;
      check_arg(i >= 0 && i < r, "Squeeze: dimension " + std::to_string(d) + " out of range for rank " + std::to_string(r));
      check_arg(a.shape[i] == 1, "Squeeze: Can not squeeze dim[" + std::to_string(i) +
                                     "], expected a dimension of 1, got " + std::to_string(a.shape[i]));
      drop[i] = true;
    }
  }
  Shape s;
  for (int64_t i = 0; i < r; ++i)
    if (!drop[i]) s.push_back(a.shape[i]);
  a.shape = s;
  ctx.set_output(0, a);
}
FB_KERNEL("Squeeze", k_Squeeze);
}  // namespace
}  // namespace fb

namespace fb {
namespace {

// FusedElementwise: a chain of unary ops, and binary ops whose other operand is a scalar,
// applied block by block so each block stays in L1 across the whole chain.
// inputs: [chain input, scalar operands...]; ints: [n, (opcode, operand input or -1,
// chain-is-lhs) x n]. Opcodes match engine/plan.py FUSIBLE.
enum FusedOp : int {
  F_NEG = 0, F_ABS, F_SQUARE, F_EXP, F_LOG, F_SQRT, F_RSQRT, F_RECIP, F_RELU, F_RELU6, F_SIGMOID,
  F_TANH, F_SOFTPLUS, F_ELU, F_SIGN,
  F_ADD = 20, F_SUB, F_MUL, F_DIV, F_MAX, F_MIN, F_POW
};

template <class T>
void apply_stage(int code, T* v, int64_t n, T s, bool lhs) {
  switch (code) {
    case F_NEG: for (int64_t i = 0; i < n; ++i) v[i] = -v[i]; break;
    case F_ABS: for (int64_t i = 0; i < n; ++i) v[i] = std::abs(v[i]); break;
    case F_SQUARE: for (int64_t i = 0; i < n; ++i) v[i] = v[i] * v[i]; break;
    case F_EXP: for (int64_t i = 0; i < n; ++i) v[i] = std::exp(v[i]); break;
    case F_LOG: for (int64_t i = 0; i < n; ++i) v[i] = std::log(v[i]); break;
    case F_SQRT: for (int64_t i = 0; i < n; ++i) v[i] = std::sqrt(v[i]); break;
    case F_RSQRT: for (int64_t i = 0; i < n; ++i) v[i] = T(1) / std::sqrt(v[i]); break;
    case F_RECIP: for (int64_t i = 0; i < n; ++i) v[i] = T(1) / v[i]; break;
    case F_RELU: for (int64_t i = 0; i < n; ++i) v[i] = v[i] > 0 ? v[i] : T(0); break;
    case F_RELU6: for (int64_t i = 0; i < n; ++i) v[i] = v[i] > 0 ? (v[i] < 6 ? v[i] : T(6)) : T(0); break;
    case F_SIGMOID:
      for (int64_t i = 0; i < n; ++i)
        v[i] = v[i] >= 0 ? T(1) / (T(1) + std::exp(-v[i])) : std::exp(v[i]) / (T(1) + std::exp(v[i]));
      break;
    case F_TANH: for (int64_t i = 0; i < n; ++i) v[i] = std::tanh(v[i]); break;
    case F_SOFTPLUS: for (int64_t i = 0; i < n; ++i) v[i] = v[i] > 20 ? v[i] : std::log1p(std::exp(v[i])); break;
    case F_ELU: for (int64_t i = 0; i < n; ++i) v[i] = v[i] > 0 ? v[i] : std::expm1(v[i]); break;
    case F_SIGN: for (int64_t i = 0; i < n; ++i) v[i] = T((v[i] > 0) - (v[i] < 0)); break;
    case F_ADD: for (int64_t i = 0; i < n; ++i) v[i] = v[i] + s; break;
    case F_SUB:
      if (lhs) for (int64_t i = 0; i < n; ++i) v[i] = v[i] - s;
      else for (int64_t i = 0; i < n; ++i) v[i] = s - v[i];
      break;
    case F_MUL: for (int64_t i = 0; i < n; ++i) v[i] = v[i] * s; break;
    case F_DIV:
      if (lhs) for (int64_t i = 0; i < n; ++i) v[i] = v[i] / s;
      else for (int64_t i = 0; i < n; ++i) v[i] = s / v[i];
      break;
    case F_MAX: for (int64_t i = 0; i < n; ++i) v[i] = v[i] > s ? v[i] : s; break;
    case F_MIN: for (int64_t i = 0; i < n; ++i) v[i] = v[i] < s ? v[i] : s; break;
    case F_POW:
      if (lhs) for (int64_t i = 0; i < n; ++i) v[i] = std::pow(v[i], s);
      else for (int64_t i = 0; i < n; ++i) v[i] = std::pow(s, v[i]);
      break;
    default: throw KernelError(INTERNAL, "FusedElementwise: bad opcode " + std::to_string(code));
  }
}

template <class T>
void fused_run(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const auto& code = ctx.ints();
  int64_t stages = code.at(0);
  std::vector<T> scalars((size_t)stages, T(0));
  for (int64_t k = 0; k < stages; ++k) {
    int64_t side = code.at(2 + 3 * k);
    if (side >= 0) {
      const Tensor& st = ctx.input((int)side);
      check_arg(st.numel() == 1 && st.dtype == x.dtype,
                "FusedElementwise: operand " + std::to_string(side) + " must be a scalar of the chain's dtype, got " +
                    shape_str(st.shape));
      scalars[k] = st.data<T>()[0];
    }
  }
  Tensor& o = ctx.allocate(0, x.dtype, x.shape);
  const T* src = x.data<T>();
  T* dst = o.data<T>();
  const int64_t n = x.numel(), block = 2048;
  parallel_for((n + block - 1) / block, std::max<int64_t>(1, kParallelGrain / block), [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      int64_t s = b * block, len = std::min(block, n - s);
      if (dst + s != src + s) std::copy_n(src + s, len, dst + s);
      for (int64_t k = 0; k < stages; ++k)
        apply_stage<T>((int)code[1 + 3 * k], dst + s, len, scalars[k], code[3 + 3 * k] != 0);
    }
  });
}

void k_FusedElementwise(KernelContext& ctx) {
  FB_DISPATCH_FLOAT(ctx.input(0).dtype, "FusedElementwise", fused_run<T>(ctx))
}
FB_KERNEL("FusedElementwise", k_FusedElementwise);

}  // namespace
}  // namespace fb
