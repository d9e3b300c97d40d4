/* Flowboard custom-op kernel ABI (C, stable).
 *
 * A custom-op library is a shared object that exports one symbol:
 *
 *     const fb_op_def* fb_op_defs(int* count);
 *
 * returning an array of `count` op definitions that live as long as the library. Load it with
 * `engine.load_op_library(path)`; every op is registered through `engine.register_op`, and the
 * returned namespace has one graph-building function per op (snake_case of its name).
 *
 * A kernel receives its inputs as read-only fb_tensor views and allocates each output with
 * `ctx->allocate_output(ctx, index, dtype, ndim, shape)`, which returns a writable pointer
 * (contiguous, C order), or NULL when the shape is invalid (a negative dimension, a size past
 * int64) or memory is exhausted: the error is already set, so the kernel just returns non-zero
 * (the session raises InvalidArgumentError or ResourceExhaustedError). It returns 0 on
 * success; on failure it calls
 * `ctx->set_error(ctx, message)` and returns non-zero, and the session raises
 * InvalidArgumentError naming the node. Kernels run without the Python GIL held.
 *
 * Static output shapes: `output_shape_from_input[i]` is the input index whose shape output i
 * has (or -1 for "unknown"); `output_dtype[i]` is FB_SAME_AS_INPUT0 or an fb_dtype.
 */
#ifndef FLOWBOARD_KERNEL_H
#define FLOWBOARD_KERNEL_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum fb_dtype {
  FB_FLOAT16 = 0,
  FB_FLOAT32 = 1,
  FB_FLOAT64 = 2,
  FB_INT32 = 3,
  FB_INT64 = 4,
  FB_BOOL = 5,
  FB_UINT8 = 6,
  FB_INT8 = 7,
  FB_INT16 = 8
} fb_dtype;

#define FB_SAME_AS_INPUT0 (-1)
#define FB_MAX_OUTPUTS 8

typedef struct fb_tensor {
  void* data;           /* contiguous, C order */
  int dtype;            /* fb_dtype */
  int ndim;
  const int64_t* shape; /* ndim entries */
} fb_tensor;

typedef struct fb_context fb_context;
struct fb_context {
  void* impl; /* private to the executor */
  void* (*allocate_output)(fb_context* ctx, int index, int dtype, int ndim, const int64_t* shape);
  void (*set_error)(fb_context* ctx, const char* message);
  int num_threads; /* threads the kernel may use */
};

typedef int (*fb_kernel_fn)(fb_context* ctx, const fb_tensor* inputs, int num_inputs);

typedef struct fb_op_def {
  const char* name;        /* CamelCase op type, e.g. "ZeroOut" */
  int num_inputs;
  int num_outputs;         /* at most FB_MAX_OUTPUTS */
  fb_kernel_fn kernel;
  int output_shape_from_input[FB_MAX_OUTPUTS];
  int output_dtype[FB_MAX_OUTPUTS];
} fb_op_def;

typedef const fb_op_def* (*fb_op_defs_fn)(int* count);

static inline int64_t fb_num_elements(const fb_tensor* t) {
  int64_t n = 1;
  for (int i = 0; i < t->ndim; ++i) n *= t->shape[i];
  return n;
}

#ifdef __cplusplus
}
#endif

#endif /* FLOWBOARD_KERNEL_H */
