// Helpers shared by the CPU kernels: dtype dispatch and broadcasting shapes.
#pragma once

#include <cmath>

#include "tensor.h"

namespace fb {

#define FB_CASE(code, type, ...) \
  case code: {                   \
    using T = type;              \
    __VA_ARGS__;                 \
    break;                       \
  }

#define FB_DISPATCH_FLOAT(dt, opname, ...)                                          \
  switch (dt) {                                                                     \
    FB_CASE(F32, float, __VA_ARGS__)                                                \
    FB_CASE(F64, double, __VA_ARGS__)                                               \
    default:                                                                        \
      throw KernelError(INVALID_ARGUMENT, std::string(opname) +                     \
                                              ": no CPU kernel for dtype " + dtype_name(dt)); \
  }

#define FB_DISPATCH_NUMERIC(dt, opname, ...)                                        \
  switch (dt) {                                                                     \
    FB_CASE(F32, float, __VA_ARGS__)                                                \
    FB_CASE(F64, double, __VA_ARGS__)                                               \
    FB_CASE(I32, int32_t, __VA_ARGS__)                                              \
    FB_CASE(I64, int64_t, __VA_ARGS__)                                              \
    default:                                                                        \
      throw KernelError(INVALID_ARGUMENT, std::string(opname) +                     \
                                              ": no CPU kernel for dtype " + dtype_name(dt)); \
  }

// numpy broadcasting of two shapes; throws with both shapes on mismatch.
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* opname);

// Reads a 1-D int32/int64 tensor as int64 values.
std::vector<int64_t> read_int_vector(const Tensor& t);

constexpr int64_t kParallelGrain = 1 << 18;

}  // namespace fb
