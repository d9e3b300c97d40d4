// FusedElementwise: one pass over a block for a whole chain of elementwise stages.
#include <algorithm>
#include <string>
#include <tuple>
#include <vector>

#include "executor.h"
#include "kernels_util.h"

namespace fb {
namespace {

// FusedElementwise: a chain of unary ops, and binary ops whose other operand is a scalar,
// applied block by block so each block stays in L1 across the whole chain.
// inputs: [chain input, scalar operands...]; ints: [n, (opcode, operand input or -1,
// chain-is-lhs) x n]. The opcodes reach Python only through kFusedStages below (exported as
// engine._executor.fused_stages()): an op's registry entry names its stage, never a number.
enum FusedOp : int {
  F_NEG = 0, F_ABS, F_SQUARE, F_EXP, F_LOG, F_SQRT, F_RSQRT, F_RECIP, F_RELU, F_RELU6, F_SIGMOID,
  F_TANH, F_SOFTPLUS, F_ELU, F_SIGN,
  F_ADD = 20, F_SUB, F_MUL, F_DIV, F_MAX, F_MIN, F_POW
};

struct FusedStageInfo {
  const char* name;
  int code;
  int arity;  // 1: the chain value alone; 2: the chain value and a scalar operand
};

constexpr FusedStageInfo kFusedStages[] = {
    {"neg", F_NEG, 1},         {"abs", F_ABS, 1},         {"square", F_SQUARE, 1},
    {"exp", F_EXP, 1},         {"log", F_LOG, 1},         {"sqrt", F_SQRT, 1},
    {"rsqrt", F_RSQRT, 1},     {"reciprocal", F_RECIP, 1}, {"relu", F_RELU, 1},
    {"relu6", F_RELU6, 1},     {"sigmoid", F_SIGMOID, 1}, {"tanh", F_TANH, 1},
    {"softplus", F_SOFTPLUS, 1}, {"elu", F_ELU, 1},       {"sign", F_SIGN, 1},
    {"add", F_ADD, 2},         {"sub", F_SUB, 2},         {"mul", F_MUL, 2},
    {"div", F_DIV, 2},         {"maximum", F_MAX, 2},     {"minimum", F_MIN, 2},
    {"pow", F_POW, 2},
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
    case F_RELU: for (int64_t i = 0; i < n; ++i) v[i] = relu_of(v[i]); break;
    case F_RELU6: for (int64_t i = 0; i < n; ++i) v[i] = relu6_of(v[i]); break;
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
    case F_MAX:
      if (lhs) for (int64_t i = 0; i < n; ++i) v[i] = nan_max(v[i], s);
      else for (int64_t i = 0; i < n; ++i) v[i] = nan_max(s, v[i]);
      break;
    case F_MIN:
      if (lhs) for (int64_t i = 0; i < n; ++i) v[i] = nan_min(v[i], s);
      else for (int64_t i = 0; i < n; ++i) v[i] = nan_min(s, v[i]);
      break;
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
      FB_CHECK_ARG(st.numel() == 1 && st.dtype == x.dtype,
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

std::vector<std::tuple<std::string, int, int>> fused_stages() {
  std::vector<std::tuple<std::string, int, int>> out;
  for (const auto& st : kFusedStages) out.emplace_back(st.name, st.code, st.arity);
  return out;
}
}  // namespace fb
