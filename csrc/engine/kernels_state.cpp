// Variable kernels: reads, assignments, and the fused optimizer updates (TF's Apply* ops).
// Variables arrive through step.vars (TF's ref inputs); scalars and gradients through inputs.
#include <algorithm>
#include <cmath>

#include "direct_kernels.h"

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
    case I32: return t.data<int32_t>()[0];
    case I64: return (double)t.data<int64_t>()[0];
    default: throw KernelError(INVALID_ARGUMENT, std::string(op) + ": " + what + " has dtype " + dtype_name(t.dtype));
  }
}

void check_same(const Variable& v, const Shape& shape, int dtype, const char* op, const char* what) {
  FB_CHECK_ARG(v.value.shape == shape, std::string(op) + ": var and " + what + " do not have the same shape" +
                                           shape_str(v.value.shape) + " " + shape_str(shape));
  FB_CHECK_ARG(v.value.dtype == dtype, std::string(op) + ": var and " + what + " dtypes differ: " +
                                           dtype_name(v.value.dtype) + " vs " + dtype_name(dtype));
}
void check_same(const Variable& v, const Tensor& t, const char* op, const char* what) {
  check_same(v, t.shape, t.dtype, op, what);
}

void k_VariableV2(KernelContext& ctx) { ctx.set_output(0, alias_of(ctx.var(0))); }
FB_KERNEL("VariableV2", k_VariableV2);

void k_IsVariableInitialized(KernelContext& ctx) {
  ctx.allocate(0, BOOL, {}).data<bool>()[0] = ctx.var(0).initialized;
}
FB_KERNEL("IsVariableInitialized", k_IsVariableInitialized);

// Assign(ref, value) ints=[validate_shape].
void k_Assign(KernelContext& ctx) {
  Variable& v = ctx.var(0);
  const Tensor& val = ctx.input(0);
  bool validate = ctx.ints().empty() || ctx.ints()[0];
  if (validate && v.initialized)
    FB_CHECK_ARG(v.value.shape == val.shape, "Assign: Assign requires shapes of both tensors to match. lhs shape= " +
                                                 shape_str(v.value.shape) + " rhs shape= " + shape_str(val.shape));
  FB_CHECK_ARG(val.dtype == v.dtype, std::string("Assign: dtype mismatch: variable ") + dtype_name(v.dtype) +
                                         " value " + dtype_name(val.dtype));
  v.assign(val, true);
  ctx.set_output(0, alias_of(v));
}
FB_KERNEL("Assign", k_Assign);

template <int Sign>
void assign_update(KernelContext& ctx, const char* name) {
  Variable& v = ctx.var(0);
  v.read();
  const Tensor& d = ctx.input(0);
  check_same(v, d, name, "value");
  if (v.value.buf.use_count() > 1 && !v.value.buf->writable) v.assign(Tensor(v.value), false);
  FB_DISPATCH_NUMERIC(d.dtype, name, {
    T* p = v.value.data<T>();
    const T* q = d.data<T>();
    for (int64_t i = 0; i < d.numel(); ++i) p[i] = Sign > 0 ? p[i] + q[i] : p[i] - q[i];
  })
  ctx.set_output(0, alias_of(v));
}
void k_AssignAdd(KernelContext& ctx) { assign_update<1>(ctx, "AssignAdd"); }
void k_AssignSub(KernelContext& ctx) { assign_update<-1>(ctx, "AssignSub"); }
FB_KERNEL("AssignAdd", k_AssignAdd);
FB_KERNEL("AssignSub", k_AssignSub);

// p[0, n) -= lr * q[0, n)
template <class T>
void descend(T* p, const T* q, int64_t n, double lr) {
  const T a = T(lr);
  parallel_for(n, kParallelGrain, [&](int64_t s, int64_t e) {
    for (int64_t i = s; i < e; ++i) p[i] -= a * q[i];
  });
}

// var -= alpha * delta
void k_ApplyGradientDescent(KernelContext& ctx) {
  Variable& v = ctx.var(0);
  v.read();
  const Tensor& g = ctx.input(1);
  check_same(v, g, "ApplyGradientDescent", "delta");
  double lr = scalar_of(ctx.input(0), "ApplyGradientDescent", "alpha");
  FB_DISPATCH_FLOAT(g.dtype, "ApplyGradientDescent", descend<T>(v.value.data<T>(), g.data<T>(), g.numel(), lr))
  ctx.set_output(0, alias_of(v));
}
FB_KERNEL("ApplyGradientDescent", k_ApplyGradientDescent);

bool overlaps(const Tensor& x, const Tensor& y) {
  auto* x0 = static_cast<const char*>(x.buf->data);
  auto* y0 = static_cast<const char*>(y.buf->data);
  return x0 < y0 + y.nbytes() && y0 < x0 + x.nbytes();
}

// ApplyGradientDescent(var, alpha, MatMul(a, b)) as one step, fused by the planner when the
// product feeds only the update (inputs alpha, a, b; ints [transpose_a, transpose_b]). A float32
// product on the direct tiles is subtracted from var as each tile finishes — the same rounding
// as the two ops, without writing and re-reading the gradient; otherwise the two ops run as
// they are.
void k_MatMulApplyGradientDescent(KernelContext& ctx) {
  Variable& v = ctx.var(0);
  v.read();
  const Tensor& a = ctx.input(1);
  const Tensor& b = ctx.input(2);
  const bool ta = ctx.ints().at(0), tb = ctx.ints().at(1);
  const auto [m, n, k] = matmul_dims(a, b, ta, tb);
  check_same(v, Shape{m, n}, a.dtype, "ApplyGradientDescent", "delta");
  const double lr = scalar_of(ctx.input(0), "ApplyGradientDescent", "alpha");
  const bool in_place = a.dtype == F32 && !overlaps(v.value, a) && !overlaps(v.value, b);
  if (!(in_place && direct_sgemm(ta, tb, m, n, k, -float(lr), a.data<float>(), a.shape[1], b.data<float>(),
                                 b.shape[1], 1.0f, v.value.data<float>(), n, true))) {
    FB_DISPATCH_FLOAT(a.dtype, "MatMul", {
      Tensor g = make_tensor(a.dtype, {m, n});
      gemm(ta, tb, m, n, k, T(1), a.data<T>(), a.shape[1], b.data<T>(), b.shape[1], T(0), g.data<T>(), n);
      descend<T>(v.value.data<T>(), g.data<T>(), m * n, lr);
    })
  }
  ctx.set_output(0, alias_of(v));
}
FB_KERNEL("MatMulApplyGradientDescent", k_MatMulApplyGradientDescent);

// accum = accum * momentum + grad; var -= lr * accum (Nesterov: var -= lr*grad + lr*momentum*accum)
// inputs: lr, grad, momentum; ints=[use_nesterov]
void k_ApplyMomentum(KernelContext& ctx) {
  Variable& v = ctx.var(0);
  Variable& acc = ctx.var(1);
  v.read();
  acc.read();
  const Tensor& g = ctx.input(1);
  check_same(v, g, "ApplyMomentum", "grad");
  check_same(acc, g, "ApplyMomentum", "grad");
  double lr = scalar_of(ctx.input(0), "ApplyMomentum", "lr");
  double mom = scalar_of(ctx.input(2), "ApplyMomentum", "momentum");
  bool nesterov = !ctx.ints().empty() && ctx.ints()[0];
  FB_DISPATCH_FLOAT(g.dtype, "ApplyMomentum", {
    T* p = v.value.data<T>();
    T* a = acc.value.data<T>();
    const T* q = g.data<T>();
    T l = T(lr), m = T(mom);
    for (int64_t i = 0; i < g.numel(); ++i) {
      a[i] = a[i] * m + q[i];
      p[i] -= nesterov ? l * q[i] + l * m * a[i] : l * a[i];
    }
  })
  ctx.set_output(0, alias_of(v));
}
FB_KERNEL("ApplyMomentum", k_ApplyMomentum);

// accum += grad^2; var -= lr * grad / sqrt(accum). inputs: lr, grad
void k_ApplyAdagrad(KernelContext& ctx) {
  Variable& v = ctx.var(0);
  Variable& acc = ctx.var(1);
  v.read();
  acc.read();
  const Tensor& g = ctx.input(1);
  check_same(v, g, "ApplyAdagrad", "grad");
  double lr = scalar_of(ctx.input(0), "ApplyAdagrad", "lr");
  FB_DISPATCH_FLOAT(g.dtype, "ApplyAdagrad", {
    T* p = v.value.data<T>();
    T* a = acc.value.data<T>();
    const T* q = g.data<T>();
    T l = T(lr);
    for (int64_t i = 0; i < g.numel(); ++i) {
      a[i] += q[i] * q[i];
      p[i] -= l * q[i] / std::sqrt(a[i]);
    }
  })
  ctx.set_output(0, alias_of(v));
}
FB_KERNEL("ApplyAdagrad", k_ApplyAdagrad);

// RMSProp: ms = rho*ms + (1-rho)*g^2; mom = momentum*mom + lr*g/sqrt(ms + epsilon); var -= mom.
// Centered, also mg = rho*mg + (1-rho)*g, a running mean of the gradient whose square is taken
// off the second moment: sqrt(ms - mg^2 + epsilon). vars: var, [mg,] ms, mom; inputs: lr, rho,
// momentum, epsilon, grad.
template <bool Centered>
void rmsprop(KernelContext& ctx, const char* name) {
  constexpr int kSlots = Centered ? 3 : 2;
  Variable& v = ctx.var(0);
  Variable* slot[3];
  const Tensor& g = ctx.input(4);
  v.read();
  check_same(v, g, name, "grad");
  for (int i = 0; i < kSlots; ++i) {
    slot[i] = &ctx.var(1 + i);
    slot[i]->read();
    check_same(*slot[i], g, name, "grad");
  }
  double lr = scalar_of(ctx.input(0), name, "lr");
  double rho = scalar_of(ctx.input(1), name, "rho");
  double mom = scalar_of(ctx.input(2), name, "momentum");
  double eps = scalar_of(ctx.input(3), name, "epsilon");
  FB_DISPATCH_FLOAT(g.dtype, name, {
    T* p = v.value.data<T>();
    T* mg = slot[0]->value.data<T>();  // ms when not centered
    T* s = slot[kSlots - 2]->value.data<T>();
    T* m = slot[kSlots - 1]->value.data<T>();
    const T* q = g.data<T>();
    const T r = T(rho), r1 = T(1 - rho), mo = T(mom), l = T(lr), e = T(eps);
    for (int64_t i = 0; i < g.numel(); ++i) {
      s[i] = r * s[i] + r1 * q[i] * q[i];
      T second = s[i];
      if constexpr (Centered) {
        mg[i] = r * mg[i] + r1 * q[i];
        second = s[i] - mg[i] * mg[i];
      }
      m[i] = mo * m[i] + l * q[i] / std::sqrt(second + e);
      p[i] -= m[i];
    }
  })
  ctx.set_output(0, alias_of(v));
}
void k_ApplyRMSProp(KernelContext& ctx) { rmsprop<false>(ctx, "ApplyRMSProp"); }
void k_ApplyCenteredRMSProp(KernelContext& ctx) { rmsprop<true>(ctx, "ApplyCenteredRMSProp"); }
FB_KERNEL("ApplyRMSProp", k_ApplyRMSProp);
FB_KERNEL("ApplyCenteredRMSProp", k_ApplyCenteredRMSProp);

// lr_t = lr*sqrt(1-beta2^t)/(1-beta1^t); m += (g-m)(1-beta1); v += (g^2-v)(1-beta2);
// var -= lr_t*m/(sqrt(v)+eps). vars: var, m, v;
// inputs: beta1_power, beta2_power, lr, beta1, beta2, epsilon, grad; ints=[use_nesterov]
void k_ApplyAdam(KernelContext& ctx) {
  Variable& var = ctx.var(0);
  Variable& mv = ctx.var(1);
  Variable& vv = ctx.var(2);
  var.read();
  mv.read();
  vv.read();
  const Tensor& g = ctx.input(6);
  check_same(var, g, "ApplyAdam", "grad");
  double b1p = scalar_of(ctx.input(0), "ApplyAdam", "beta1_power");
  double b2p = scalar_of(ctx.input(1), "ApplyAdam", "beta2_power");
  double lr = scalar_of(ctx.input(2), "ApplyAdam", "lr");
  double b1 = scalar_of(ctx.input(3), "ApplyAdam", "beta1");
  double b2 = scalar_of(ctx.input(4), "ApplyAdam", "beta2");
  double eps = scalar_of(ctx.input(5), "ApplyAdam", "epsilon");
  bool nesterov = !ctx.ints().empty() && ctx.ints()[0];
  double lr_t = lr * std::sqrt(1 - b2p) / (1 - b1p);
  FB_DISPATCH_FLOAT(g.dtype, "ApplyAdam", {
    T* p = var.value.data<T>();
    T* m = mv.value.data<T>();
    T* v = vv.value.data<T>();
    const T* q = g.data<T>();
    T c1 = T(1 - b1), c2 = T(1 - b2), lt = T(lr_t), e = T(eps), tb1 = T(b1);
    for (int64_t i = 0; i < g.numel(); ++i) {
      m[i] += (q[i] - m[i]) * c1;
      v[i] += (q[i] * q[i] - v[i]) * c2;
      T upd = nesterov ? (m[i] * tb1 + c1 * q[i]) : m[i];
      p[i] -= lt * upd / (std::sqrt(v[i]) + e);
    }
  })
  ctx.set_output(0, alias_of(var));
}
FB_KERNEL("ApplyAdam", k_ApplyAdam);

}  // namespace
}  // namespace fb
