// ConcatV2, its gradient's split (_ConcatGrad) and Unpack: all are row-block copies. Along axis a,
// every tensor is `outer` blocks (the product of the dimensions before a), and block i of the
// output is block i of each input in turn.
#include <cstring>
#include <string>

#include "executor.h"
#include "kernels_util.h"

namespace fb {
namespace {

int64_t axis_of(const Tensor& t, int64_t rank, const char* op) {
  FB_CHECK_ARG(t.numel() == 1 && (t.dtype == I32 || t.dtype == I64), std::string(op) + ": axis must be an int scalar");
  int64_t a = t.dtype == I32 ? (int64_t)t.data<int32_t>()[0] : t.data<int64_t>()[0];
  FB_CHECK_ARG(a >= -rank && a < rank, std::string(op) + ": Expected concatenating dimensions in the range [" +
                                           std::to_string(-rank) + ", " + std::to_string(rank) + "), but got " +
                                           std::to_string(a));
  return a < 0 ? a + rank : a;
}

int64_t product(const Shape& s, size_t begin, size_t end) {
  int64_t n = 1;
  for (size_t d = begin; d < end; ++d) n *= s[d];
  return n;
}

// ConcatV2(values..., axis): shapes must agree except along axis.
void k_ConcatV2(KernelContext& ctx) {
  const char* op = "ConcatV2";
  const int n = (int)ctx.in.size() - 1;
  FB_CHECK_ARG(n >= 1, std::string(op) + ": needs at least one value");
  const Tensor& first = ctx.input(0);
  FB_CHECK_ARG(!first.shape.empty(), std::string(op) + ": Can't concatenate scalars (use tf.stack instead)");
  const int64_t rank = (int64_t)first.shape.size();
  const size_t a = (size_t)axis_of(ctx.input(n), rank, op);
  Shape out_shape = first.shape;
  out_shape[a] = 0;
  for (int i = 0; i < n; ++i) {
    const Tensor& t = ctx.input(i);
    FB_CHECK_ARG(t.dtype == first.dtype, std::string(op) + ": values must all have dtype " + dtype_name(first.dtype) +
                                             ", input " + std::to_string(i) + " has " + dtype_name(t.dtype));
    bool same = (int64_t)t.shape.size() == rank;
    for (size_t d = 0; same && d < (size_t)rank; ++d) same = d == a || t.shape[d] == first.shape[d];
    FB_CHECK_ARG(same, std::string(op) + ": input " + std::to_string(i) + " has shape " + shape_str(t.shape) +
                           ", which does not match " + shape_str(first.shape) + " outside dimension " +
                           std::to_string(a));
    out_shape[a] += t.shape[a];
  }
  Tensor& o = ctx.allocate(0, first.dtype, out_shape);
  const int64_t outer = product(out_shape, 0, a);
  const size_t inner_bytes = (size_t)product(out_shape, a + 1, out_shape.size()) * dtype_size(first.dtype);
  const size_t out_block = (size_t)out_shape[a] * inner_bytes;
  if (!out_block) return;
  char* dst = static_cast<char*>(o.buf->data);
  size_t col = 0;
  for (int i = 0; i < n; ++i) {
    const Tensor& t = ctx.input(i);
    const size_t block = (size_t)t.shape[a] * inner_bytes;
    if (!block) continue;
    const char* src = static_cast<const char*>(t.buf->data);
    for (int64_t r = 0; r < outer; ++r) std::memcpy(dst + r * out_block + col, src + r * block, block);
    col += block;
  }
}
FB_KERNEL("ConcatV2", k_ConcatV2);

// _ConcatGrad(grad, axis, shape_0, ..., shape_{N-1}): grad split along axis into the sizes the
// concatenated values had there.
void k_ConcatGrad(KernelContext& ctx) {
  const char* op = "_ConcatGrad";
  const Tensor& g = ctx.input(0);
  const int n = (int)ctx.in.size() - 2;
  FB_CHECK_ARG(!g.shape.empty(), std::string(op) + ": gradient must be at least 1-D");
  const size_t a = (size_t)axis_of(ctx.input(1), (int64_t)g.shape.size(), op);
  std::vector<int64_t> sizes((size_t)n);
  int64_t total = 0;
  for (int i = 0; i < n; ++i) {
    const Shape s = read_int_vector(ctx.input(2 + i));
    FB_CHECK_ARG(s.size() == g.shape.size(), std::string(op) + ": shape " + std::to_string(i) + " has rank " +
                                                 std::to_string(s.size()) + ", gradient " + shape_str(g.shape));
    sizes[(size_t)i] = s[a];
    total += s[a];
  }
  FB_CHECK_ARG(total == g.shape[a], std::string(op) + ": sizes along dimension " + std::to_string(a) + " add up to " +
                                        std::to_string(total) + ", gradient has " + shape_str(g.shape));
  const int64_t outer = product(g.shape, 0, a);
  const size_t inner_bytes = (size_t)product(g.shape, a + 1, g.shape.size()) * dtype_size(g.dtype);
  const size_t g_block = (size_t)g.shape[a] * inner_bytes;
  const char* src = static_cast<const char*>(g.buf ? g.buf->data : nullptr);
  size_t col = 0;
  for (int i = 0; i < n; ++i) {
    Shape s = g.shape;
    s[a] = sizes[(size_t)i];
    Tensor& o = ctx.allocate(i, g.dtype, s);
    const size_t block = (size_t)sizes[(size_t)i] * inner_bytes;
    if (block) {
      char* dst = static_cast<char*>(o.buf->data);
      for (int64_t r = 0; r < outer; ++r) std::memcpy(dst + r * block, src + r * g_block + col, block);
    }
    col += block;
  }
}
FB_KERNEL("_ConcatGrad", k_ConcatGrad);

// Unpack(x) along ints[0] (normalised): output k is slice k of that dimension, each a copy of
// `outer` blocks of `inner` elements (as _ConcatGrad with equal sizes). Not for strings.
void k_Unpack(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const int64_t rank = (int64_t)x.shape.size();
  const int64_t a = ctx.ints().at(0);
  FB_CHECK_ARG(a >= 0 && a < rank, "Unpack: axis " + std::to_string(a) + " out of range for shape " + shape_str(x.shape));
  const int64_t num = x.shape[a];
  FB_CHECK_ARG(num == (int64_t)ctx.step.outputs.size(), "Unpack: dimension " + std::to_string(a) + " of " +
                                                            shape_str(x.shape) + " is not num=" +
                                                            std::to_string(ctx.step.outputs.size()));
  const int64_t outer = product(x.shape, 0, a), inner = product(x.shape, a + 1, x.shape.size());
  Shape os = x.shape;
  os.erase(os.begin() + a);
  const size_t es = dtype_size(x.dtype), block = es * (size_t)inner;
  const char* src = static_cast<const char*>(x.buf->data);
  for (int64_t k = 0; k < num; ++k) {
    char* dst = static_cast<char*>(ctx.allocate((int)k, x.dtype, os).buf->data);
    for (int64_t i = 0; i < outer; ++i) std::memcpy(dst + i * block, src + (i * num + k) * block, block);
  }
}
FB_KERNEL("Unpack", k_Unpack);

}  // namespace
}  // namespace fb
