// Sparse kernels: row scatters into variables (TF's Scatter{Update,Add,Sub}), the optimizers'
// sparse updates (SparseApply{Momentum,Adagrad,RMSProp,CenteredRMSProp}) that touch only the
// rows an IndexedSlices gradient names, row gathers and UnsortedSegmentSum.
// Rows are the first dimension; a row is `width` contiguous values. Variables arrive through
// step.vars (ref inputs), everything else through inputs.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "executor.h"
#include "kernels_util.h"

namespace fb {
namespace {

Tensor alias_of(Variable& v) {
  Tensor t = v.read();
  t.var_alias = true;
  return t;
}

double scalar_of(const Tensor& t, const char* op, const char* what) {
  FB_CHECK_ARG(t.numel() == 1, std::string(op) + ": " + what + " is not a scalar: " + shape_str(t.shape));
  switch (t.dtype) {
    case F32: return t.data<float>()[0];
    case F64: return t.data<double>()[0];
    default: throw KernelError(INVALID_ARGUMENT, std::string(op) + ": " + what + " has dtype " + dtype_name(t.dtype));
  }
}

// A variable about to be written in place: storage borrowed from a numpy array is copied first.
Variable& writable(Variable& v) {
  v.read();
  if (v.value.buf.use_count() > 1 && !v.value.buf->writable) v.assign(Tensor(v.value), false);
  return v;
}

// Indices as int64, each checked to lie in [0, rows): TF's message names the position.
std::vector<int64_t> checked_rows(const Tensor& idx, int64_t rows, const char* op) {
  FB_CHECK_ARG(idx.dtype == I32 || idx.dtype == I64,
               std::string(op) + ": indices must be int32 or int64, got " + dtype_name(idx.dtype));
  std::vector<int64_t> r((size_t)idx.numel());
  for (int64_t i = 0; i < idx.numel(); ++i) {
    int64_t k = idx.dtype == I32 ? (int64_t)idx.data<int32_t>()[i] : idx.data<int64_t>()[i];
    if (k < 0 || k >= rows)
      throw KernelError(INVALID_ARGUMENT, std::string(op) + ": indices[" + std::to_string(i) + "] = " +
                                              std::to_string(k) + " is not in [0, " + std::to_string(rows) + ")");
    r[(size_t)i] = k;
  }
  return r;
}

// The width of one row of `var` and a check that `updates` is indices.shape + var.shape[1:].
int64_t row_width(const Tensor& var, const Tensor& idx, const Tensor& updates, const char* op) {
  FB_CHECK_ARG(!var.shape.empty(), std::string(op) + ": variable must be at least 1-D, got shape " + shape_str(var.shape));
  Shape want = idx.shape;
  want.insert(want.end(), var.shape.begin() + 1, var.shape.end());
  FB_CHECK_ARG(updates.shape == want, std::string(op) + ": updates must have shape indices.shape + var.shape[1:] = " +
                                          shape_str(want) + ", got " + shape_str(updates.shape));
  FB_CHECK_ARG(updates.dtype == var.dtype, std::string(op) + ": updates dtype " + dtype_name(updates.dtype) +
                                               " does not match variable dtype " + dtype_name(var.dtype));
  int64_t w = 1;
  for (size_t d = 1; d < var.shape.size(); ++d) w *= var.shape[d];
  return w;
}

// Scatter{Update,Add,Sub}(ref, indices, updates); duplicates accumulate (Add/Sub) or the last
// one wins (Update), as in TF.
template <int Mode>
void scatter(KernelContext& ctx, const char* op) {
  Variable& v = writable(ctx.var(0));
  const Tensor& idx = ctx.input(0);
  const Tensor& upd = ctx.input(1);
  const int64_t w = row_width(v.value, idx, upd, op);
  const auto rows = checked_rows(idx, v.value.shape[0], op);
  FB_DISPATCH_NUMERIC(upd.dtype, op, {
    T* p = v.value.data<T>();
    const T* u = upd.data<T>();
    for (size_t i = 0; i < rows.size(); ++i) {
      T* dst = p + rows[i] * w;
      const T* src = u + (int64_t)i * w;
      for (int64_t j = 0; j < w; ++j) dst[j] = Mode == 0 ? src[j] : Mode > 0 ? dst[j] + src[j] : dst[j] - src[j];
    }
  })
  ctx.set_output(0, alias_of(v));
}
void k_ScatterUpdate(KernelContext& ctx) { scatter<0>(ctx, "ScatterUpdate"); }
void k_ScatterAdd(KernelContext& ctx) { scatter<1>(ctx, "ScatterAdd"); }
void k_ScatterSub(KernelContext& ctx) { scatter<-1>(ctx, "ScatterSub"); }
FB_KERNEL("ScatterUpdate", k_ScatterUpdate);
FB_KERNEL("ScatterAdd", k_ScatterAdd);
FB_KERNEL("ScatterSub", k_ScatterSub);

void check_slot(const Variable& v, const Variable& slot, const char* op) {
  FB_CHECK_ARG(slot.value.shape == v.value.shape, std::string(op) + ": var and accum do not have the same shape" +
                                                      shape_str(v.value.shape) + " " + shape_str(slot.value.shape));
}

// SparseApplyMomentum(var, accum, lr, grad, indices, momentum) ints=[use_nesterov]: for each
// row i named: accum[i] = accum[i] * momentum + grad; var[i] -= lr * accum[i] (Nesterov:
// var[i] -= lr * grad + lr * momentum * accum[i]).
void k_SparseApplyMomentum(KernelContext& ctx) {
  const char* op = "SparseApplyMomentum";
  Variable& v = writable(ctx.var(0));
  Variable& acc = writable(ctx.var(1));
  check_slot(v, acc, op);
  const Tensor& g = ctx.input(1);
  const Tensor& idx = ctx.input(2);
  FB_CHECK_ARG(idx.shape.size() == 1, std::string(op) + ": indices must be 1-D, got " + shape_str(idx.shape));
  const int64_t w = row_width(v.value, idx, g, op);
  const auto rows = checked_rows(idx, v.value.shape[0], op);
  const double lr = scalar_of(ctx.input(0), op, "lr");
  const double mom = scalar_of(ctx.input(3), op, "momentum");
  const bool nesterov = !ctx.ints().empty() && ctx.ints()[0];
  FB_DISPATCH_FLOAT(g.dtype, op, {
    const T l = T(lr), m = T(mom);
    for (size_t i = 0; i < rows.size(); ++i) {
      T* p = v.value.data<T>() + rows[i] * w;
      T* a = acc.value.data<T>() + rows[i] * w;
      const T* q = g.data<T>() + (int64_t)i * w;
      for (int64_t j = 0; j < w; ++j) {
        a[j] = a[j] * m + q[j];
        p[j] -= nesterov ? l * q[j] + l * m * a[j] : l * a[j];
      }
    }
  })
  ctx.set_output(0, alias_of(v));
}
FB_KERNEL("SparseApplyMomentum", k_SparseApplyMomentum);

// SparseApplyAdagrad(var, accum, lr, grad, indices): accum[i] += grad^2;
// var[i] -= lr * grad / sqrt(accum[i]).
void k_SparseApplyAdagrad(KernelContext& ctx) {
  const char* op = "SparseApplyAdagrad";
  Variable& v = writable(ctx.var(0));
  Variable& acc = writable(ctx.var(1));
  check_slot(v, acc, op);
  const Tensor& g = ctx.input(1);
  const Tensor& idx = ctx.input(2);
  FB_CHECK_ARG(idx.shape.size() == 1, std::string(op) + ": indices must be 1-D, got " + shape_str(idx.shape));
  const int64_t w = row_width(v.value, idx, g, op);
  const auto rows = checked_rows(idx, v.value.shape[0], op);
  const double lr = scalar_of(ctx.input(0), op, "lr");
  FB_DISPATCH_FLOAT(g.dtype, op, {
    const T l = T(lr);
    for (size_t i = 0; i < rows.size(); ++i) {
      T* p = v.value.data<T>() + rows[i] * w;
      T* a = acc.value.data<T>() + rows[i] * w;
      const T* q = g.data<T>() + (int64_t)i * w;
      for (int64_t j = 0; j < w; ++j) {
        a[j] += q[j] * q[j];
        p[j] -= l * q[j] / std::sqrt(a[j]);
      }
    }
  })
  ctx.set_output(0, alias_of(v));
}
FB_KERNEL("SparseApplyAdagrad", k_SparseApplyAdagrad);

// SparseApplyRMSProp(var, ms, mom, lr, rho, momentum, epsilon, grad, indices) and the centered
// form with mg after var: the dense ApplyRMSProp's formulas on the named rows only.
template <bool Centered>
void sparse_rmsprop(KernelContext& ctx, const char* op) {
  constexpr int kSlots = Centered ? 3 : 2;
  Variable& v = writable(ctx.var(0));
  Variable* slot[3];
  for (int i = 0; i < kSlots; ++i) {
    slot[i] = &writable(ctx.var(1 + i));
    check_slot(v, *slot[i], op);
  }
  const Tensor& g = ctx.input(4);
  const Tensor& idx = ctx.input(5);
  FB_CHECK_ARG(idx.shape.size() == 1, std::string(op) + ": indices must be 1-D, got " + shape_str(idx.shape));
  const int64_t w = row_width(v.value, idx, g, op);
  const auto rows = checked_rows(idx, v.value.shape[0], op);
  const double lr = scalar_of(ctx.input(0), op, "lr");
  const double rho = scalar_of(ctx.input(1), op, "rho");
  const double momentum = scalar_of(ctx.input(2), op, "momentum");
  const double eps = scalar_of(ctx.input(3), op, "epsilon");
  FB_DISPATCH_FLOAT(g.dtype, op, {
    const T l = T(lr), r = T(rho), m = T(momentum), e = T(eps), one = T(1);
    for (size_t i = 0; i < rows.size(); ++i) {
      const int64_t o = rows[i] * w;
      T* p = v.value.data<T>() + o;
      T* mg = Centered ? slot[0]->value.data<T>() + o : nullptr;
      T* ms = slot[Centered ? 1 : 0]->value.data<T>() + o;
      T* mo = slot[Centered ? 2 : 1]->value.data<T>() + o;
      const T* q = g.data<T>() + (int64_t)i * w;
      for (int64_t j = 0; j < w; ++j) {
        ms[j] = r * ms[j] + (one - r) * q[j] * q[j];
        T denom = ms[j];
        if (Centered) {
          mg[j] = r * mg[j] + (one - r) * q[j];
          denom = ms[j] - mg[j] * mg[j];
        }
        mo[j] = m * mo[j] + l * q[j] / std::sqrt(denom + e);
        p[j] -= mo[j];
      }
    }
  })
  ctx.set_output(0, alias_of(v));
}
void k_SparseApplyRMSProp(KernelContext& ctx) { sparse_rmsprop<false>(ctx, "SparseApplyRMSProp"); }
void k_SparseApplyCenteredRMSProp(KernelContext& ctx) { sparse_rmsprop<true>(ctx, "SparseApplyCenteredRMSProp"); }
FB_KERNEL("SparseApplyRMSProp", k_SparseApplyRMSProp);
FB_KERNEL("SparseApplyCenteredRMSProp", k_SparseApplyCenteredRMSProp);

// GatherV2(params, indices, axis) for axis 0 (the plan only picks this kernel then): row copies.
void k_GatherRows(KernelContext& ctx) {
  const Tensor& p = ctx.input(0);
  const Tensor& idx = ctx.input(1);
  FB_CHECK_ARG(!p.shape.empty(), "GatherV2: params must be at least 1-D, got shape " + shape_str(p.shape));
  const auto rows = checked_rows(idx, p.shape[0], "GatherV2");
  Shape out_shape = idx.shape;
  out_shape.insert(out_shape.end(), p.shape.begin() + 1, p.shape.end());
  Tensor& o = ctx.allocate(0, p.dtype, out_shape);
  const size_t row_bytes = (size_t)(p.shape[0] ? p.numel() / p.shape[0] : 0) * dtype_size(p.dtype);
  const char* src = static_cast<const char*>(p.buf->data);
  char* dst = static_cast<char*>(o.buf->data);
  for (size_t i = 0; i < rows.size(); ++i) std::memcpy(dst + i * row_bytes, src + rows[i] * row_bytes, row_bytes);
}
FB_KERNEL("GatherRows", k_GatherRows);

// UnsortedSegmentSum(data, segment_ids, num_segments): out[segment_ids[i]] += data[i] over the
// leading segment_ids.ndim dimensions; negative ids are dropped, as in TF.
void k_UnsortedSegmentSum(KernelContext& ctx) {
  const char* op = "UnsortedSegmentSum";
  const Tensor& data = ctx.input(0);
  const Tensor& ids = ctx.input(1);
  const Tensor& n_t = ctx.input(2);
  FB_CHECK_ARG(n_t.numel() == 1 && (n_t.dtype == I32 || n_t.dtype == I64), std::string(op) + ": num_segments must be an int scalar");
  const int64_t n = n_t.dtype == I32 ? (int64_t)n_t.data<int32_t>()[0] : n_t.data<int64_t>()[0];
  FB_CHECK_ARG(n >= 0, std::string(op) + ": num_segments must be non-negative, got " + std::to_string(n));
  FB_CHECK_ARG(ids.shape.size() <= data.shape.size() && std::equal(ids.shape.begin(), ids.shape.end(), data.shape.begin()),
               std::string(op) + ": data.shape = " + shape_str(data.shape) + " does not start with segment_ids.shape = " +
                   shape_str(ids.shape));
  FB_CHECK_ARG(ids.dtype == I32 || ids.dtype == I64, std::string(op) + ": segment_ids must be int32 or int64");
  Shape out_shape{n};
  out_shape.insert(out_shape.end(), data.shape.begin() + ids.shape.size(), data.shape.end());
  Tensor& o = ctx.allocate(0, data.dtype, out_shape);
  int64_t w = 1;
  for (size_t d = ids.shape.size(); d < data.shape.size(); ++d) w *= data.shape[d];
  FB_DISPATCH_NUMERIC(data.dtype, op, {
    T* dst = o.data<T>();
    std::fill(dst, dst + o.numel(), T(0));
    const T* src = data.data<T>();
    for (int64_t i = 0; i < ids.numel(); ++i) {
      int64_t k = ids.dtype == I32 ? (int64_t)ids.data<int32_t>()[i] : ids.data<int64_t>()[i];
      if (k < 0) continue;
      if (k >= n)
        throw KernelError(INVALID_ARGUMENT, std::string(op) + ": segment_ids[" + std::to_string(i) + "] = " +
                                                std::to_string(k) + " is out of range [0, " + std::to_string(n) + ")");
      T* row = dst + k * w;
      const T* s = src + i * w;
      for (int64_t j = 0; j < w; ++j) row[j] += s[j];
    }
  })
}
FB_KERNEL("UnsortedSegmentSum", k_UnsortedSegmentSum);

}  // namespace
}  // namespace fb
