// Casts, fills, shape queries and the ops that only reshape or alias their input.
#include <algorithm>

#include "executor.h"
#include "kernels_util.h"

namespace fb {
namespace {


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
  FB_CHECK_ARG(v.numel() == 1, "Fill: value must be a scalar, got shape " + shape_str(v.shape));
  for (auto d : dims) FB_CHECK_ARG(d >= 0, "Fill: dims must be non-negative, got " + shape_str(dims));
  Tensor& o = ctx.allocate(0, v.dtype, dims);
  const size_t es = dtype_size(v.dtype);
  const int64_t n = o.numel();
  void* d = o.buf->data;
  // The value's bytes, copied as one integer of its size (a memcpy per element took 100 us
  // for LSTM zero states of [128, 128]).
  auto fill_as = [&](auto word) {
    using W = decltype(word);
    std::memcpy(&word, v.buf->data, sizeof(W));
    std::fill_n(static_cast<W*>(d), n, word);
  };
  switch (es) {
    case 1: fill_as(uint8_t{}); break;
    case 2: fill_as(uint16_t{}); break;
    case 4: fill_as(uint32_t{}); break;
    case 8: fill_as(uint64_t{}); break;
    default:
      for (int64_t i = 0; i < n; ++i) std::memcpy(static_cast<char*>(d) + i * es, v.buf->data, es);
  }
}
FB_KERNEL("Fill", k_Fill);

// Output dimension d of Transpose is x's dimension perm[d]. The output is written in order, the
// dimensions before the last one (or two) stepping the source offset like an odometer. A last
// pair that swaps x's innermost dimension with another (a matrix transpose, batched or not)
// goes through transpose_into's blocks (one element at a time, a [156, 512] float transpose
// took 160 us, 75 us blocked); any other last dimension is read with its stride.
template <class W>
void transpose_words(const W* src, W* dst, const Shape& os, const std::vector<int64_t>& strides, int64_t n) {
  const int64_t r = (int64_t)os.size();
  if (r == 0) {
    dst[0] = src[0];
    return;
  }
  const bool matrix = r >= 2 && strides[r - 2] == 1 && strides[r - 1] != 1 && os[r - 2] > 1 && os[r - 1] > 1;
  const int64_t rows = matrix ? os[r - 2] : 1, cols = os[r - 1], step = strides[r - 1];
  const int64_t inner = rows * cols, outer = matrix ? r - 2 : r - 1;
  std::vector<int64_t> idx((size_t)r, 0);
  int64_t off = 0;
  for (int64_t done = 0; done < n; done += inner) {
    const W* s = src + off;
    if (matrix) {  // dst[rows, cols] from x's [cols, rows] block, its rows step apart
      transpose_into(s, cols, rows, step, dst);
    } else {
      for (int64_t k = 0; k < inner; ++k) dst[k] = s[k * step];
    }
    dst += inner;
    for (int64_t d = outer - 1; d >= 0; --d) {
      off += strides[d];
      if (++idx[d] < os[d]) break;
      off -= strides[d] * os[d];
      idx[d] = 0;
    }
  }
}

void k_Transpose(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const std::vector<int64_t> perm = read_int_vector(ctx.input(1));
  const int64_t r = (int64_t)x.shape.size();
  std::vector<bool> seen((size_t)r, false);
  bool ok = (int64_t)perm.size() == r;
  for (int64_t p : perm) {
    ok = ok && p >= 0 && p < r && !seen[(size_t)p];
    if (ok) seen[(size_t)p] = true;
  }
  FB_CHECK_ARG(ok, "Transpose: perm must be a permutation of the " + std::to_string(r) + " dimensions of " +
                       shape_str(x.shape) + ", got " + shape_str(perm));
  std::vector<int64_t> xstride((size_t)r, 1), strides((size_t)r);
  for (int64_t d = r - 2; d >= 0; --d) xstride[d] = xstride[d + 1] * x.shape[d + 1];
  Shape os((size_t)r);
  for (int64_t d = 0; d < r; ++d) {
    os[d] = x.shape[perm[d]];
    strides[d] = xstride[perm[d]];
  }
  Tensor& o = ctx.allocate(0, x.dtype, os);
  const int64_t n = x.numel();
  if (n == 0) return;
  switch (dtype_size(x.dtype)) {
    case 1: transpose_words(x.data<uint8_t>(), o.data<uint8_t>(), os, strides, n); break;
    case 2: transpose_words(x.data<uint16_t>(), o.data<uint16_t>(), os, strides, n); break;
    case 4: transpose_words(x.data<uint32_t>(), o.data<uint32_t>(), os, strides, n); break;
    case 8: transpose_words(x.data<uint64_t>(), o.data<uint64_t>(), os, strides, n); break;
    default: throw KernelError(INVALID_ARGUMENT, std::string("Transpose: no CPU kernel for dtype ") + dtype_name(x.dtype));
  }
}
FB_KERNEL("Transpose", k_Transpose);

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
      FB_CHECK_ARG(unknown < 0, "Reshape: only one input size may be -1, not both " +
                                    std::to_string(unknown) + " and " + std::to_string(i));
      unknown = (int64_t)i;
    } else {
      FB_CHECK_ARG(want[i] >= 0, "Reshape: Size " + std::to_string(i) + " must be non-negative, not " +
                                     std::to_string(want[i]));
      FB_CHECK_ARG(!__builtin_mul_overflow(known, want[i], &known),
                   "Reshape: Shape " + shape_str(want) + " has too many elements");
    }
  }
  if (unknown >= 0) {
    FB_CHECK_ARG(known > 0 && a.numel() % known == 0,
                 "Reshape: Input to reshape is a tensor with " + std::to_string(a.numel()) +
                     " values, but the requested shape requires a multiple of " + std::to_string(known));
    want[unknown] = a.numel() / known;
  } else {
    FB_CHECK_ARG(known == a.numel(), "Reshape: Input to reshape is a tensor with " +
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
  FB_CHECK_ARG(target.size() <= g.shape.size(), "SumToShapeOf: target rank larger than gradient");
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

void k_NoOp(KernelContext&) {}
FB_KERNEL("NoOp", k_NoOp);

// ExpandDims(x, axis): shares x's buffer.
void k_ExpandDims(KernelContext& ctx) {
  Tensor a = ctx.input(0);
  std::vector<int64_t> av = read_int_vector(ctx.input(1));
  FB_CHECK_ARG(av.size() == 1, "ExpandDims: axis must be a scalar");
  int64_t r = (int64_t)a.shape.size(), axis = av[0];
  FB_CHECK_ARG(axis >= -r - 1 && axis <= r, "ExpandDims: Tried to expand dim index " + std::to_string(axis) +
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
      FB_CHECK_ARG(i >= 0 && i < r, "Squeeze: dimension " + std::to_string(d) + " out of range for rank " + std::to_string(r));
      FB_CHECK_ARG(a.shape[i] == 1, "Squeeze: Can not squeeze dim[" + std::to_string(i) +
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
