// A custom op library for Flowboard's engine, compiled against the documented C header
// engine/include/flowboard/kernel.h. Build:
//   g++ -O2 -shared -fPIC -I$(python -c "import engine.custom as c; print(c.include_dir())") \
//       zero_out.cc -o libzero_out.so
// and load with engine.load_op_library("libzero_out.so").
#include <flowboard/kernel.h>

#include <cstring>

namespace {

// ZeroOut: keeps the first element of the (flattened) input and zeroes the rest.
int zero_out(fb_context* ctx, const fb_tensor* in, int n) {
  if (n != 1) {
    ctx->set_error(ctx, "ZeroOut expects one input");
    return 1;
  }
  if (in[0].dtype != FB_FLOAT32 && in[0].dtype != FB_INT32) {
    ctx->set_error(ctx, "ZeroOut supports float32 and int32 only");
    return 1;
  }
  void* out = ctx->allocate_output(ctx, 0, in[0].dtype, in[0].ndim, in[0].shape);
  if (!out) return 1;  // the error (bad shape, out of memory) is set already
  int64_t count = fb_num_elements(&in[0]);
  std::memset(out, 0, count * 4);
  if (count > 0) std::memcpy(out, in[0].data, 4);
  return 0;
}

// AxpyPlus: out = a * x + y elementwise (float32), a scalar.
int axpy(fb_context* ctx, const fb_tensor* in, int n) {
  if (n != 3 || in[0].dtype != FB_FLOAT32 || fb_num_elements(&in[0]) != 1 ||
      fb_num_elements(&in[1]) != fb_num_elements(&in[2])) {
    ctx->set_error(ctx, "Axpy expects a float32 scalar and two float32 tensors of equal size");
    return 1;
  }
  float a = *static_cast<const float*>(in[0].data);
  const float* x = static_cast<const float*>(in[1].data);
  const float* y = static_cast<const float*>(in[2].data);
  float* out = static_cast<float*>(ctx->allocate_output(ctx, 0, FB_FLOAT32, in[1].ndim, in[1].shape));
  if (!out) return 1;
  for (int64_t i = 0; i < fb_num_elements(&in[1]); ++i) out[i] = a * x[i] + y[i];
  return 0;
}

const fb_op_def kOps[] = {
    {"ZeroOut", 1, 1, zero_out, {0}, {FB_SAME_AS_INPUT0}},
    {"Axpy", 3, 1, axpy, {1}, {FB_FLOAT32}},
};

}  // namespace

extern "C" const fb_op_def* fb_op_defs(int* count) {
  *count = sizeof(kOps) / sizeof(kOps[0]);
  return kOps;
}
