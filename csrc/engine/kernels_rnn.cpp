// Fused LSTM cell kernels: one LSTM step (one GEMM for the four gates, then the gate
// nonlinearities and the cell update in one pass) and its gradient (one pass, then the GEMMs
// for the inputs' and previous output's gradients); the per-row passes shared with the
// sequence kernels (kernels_rnn_sequence.cpp, lstm_rows.h).
//
// Gate layout (as TensorFlow's BasicLSTMCell/LSTMCell): each row of the [B, 4H] pre-activation
// holds i | j | f | o, H values each.
//   i = sigmoid(a_i), j = tanh(a_j), f = sigmoid(a_f + forget_bias), o = sigmoid(a_o)
//   c = f * c_prev + i * j,  h = o * tanh(c)
#include <algorithm>
#include <cmath>
#include <cstring>
#include <utility>

#include "executor.h"
#include "kernels_util.h"
#include "lstm_rows.h"

namespace fb {
namespace {

#define FB_RNN_INLINE inline __attribute__((always_inline))

// The cell's sigmoid and tanh clamp exp's argument into its range, so they need none of vexp's
// checks at the ends (a fifth fewer vector instructions in the cell pass): a sigmoid below
// -88.4 gives a denormal instead of 0; tanh(|x|) = 1 - 2 / (exp(2|x|) + 1) with 2|x| <= 20,
// where it is 1 in float (absolute error about 1e-7). NaN stays NaN.
FB_RNN_INLINE float sigmoid_v(float x) {
  const float s = 1.0f / (1.0f + vexp_in_range(std::min(kExpHi, std::max(kExpLo, -x))));
  return x != x ? x : s;
}
FB_RNN_INLINE float tanh_v(float x) {
  const float t = 1.0f - 2.0f / (vexp_in_range(std::min(20.0f, 2.0f * std::fabs(x))) + 1.0f);
  return x != x ? x : std::copysign(t, x);
}
inline double sigmoid_v(double x) {
  return x >= 0 ? 1.0 / (1.0 + std::exp(-x)) : std::exp(x) / (1.0 + std::exp(x));
}
inline double tanh_v(double x) { return std::tanh(x); }

template <class T>
FB_RNN_INLINE void lstm_grad_row(const T* __restrict c_prev, const T* __restrict c,
                          const T* __restrict act, const T* __restrict dc,
                          const T* __restrict dh, int64_t H, T* __restrict dgates,
                          T* __restrict dc_prev) {
  for (int64_t k = 0; k < H; ++k) {
    T i = act[k], j = act[H + k], f = act[2 * H + k], o = act[3 * H + k];
    T tc = tanh_v(c[k]);
    T dct = dc[k] + dh[k] * o * (T(1) - tc * tc);
    T cp = c_prev[k];
    dgates[k] = dct * j * i * (T(1) - i);
    dgates[H + k] = dct * i * (T(1) - j * j);
    dgates[2 * H + k] = dct * cp * f * (T(1) - f);
    dgates[3 * H + k] = dh[k] * tc * o * (T(1) - o);
    dc_prev[k] = dct * f;
  }
}

// Rows [s, e) of a step. The float versions are compiled for AVX-512 and AVX2 as well and the
// best one for this CPU is picked at load time (the build itself stays portable).
#define FB_RNN_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))

template <class T>
FB_RNN_INLINE void lstm_grad_rows(int64_t s, int64_t e, const T* cp, const T* c, const T* act, const T* dc,
                    const T* dh, int64_t H, T* dg, T* dcp) {
  for (int64_t r = s; r < e; ++r)
    lstm_grad_row<T>(cp + r * H, c + r * H, act + r * 4 * H, dc + r * H, dh + r * H, H,
                     dg + r * 4 * H, dcp + r * H);
}
FB_RNN_CLONES void lstm_grad_rows_f32(int64_t s, int64_t e, const float* cp, const float* c,
                                      const float* act, const float* dc, const float* dh,
                                      int64_t H, float* dg, float* dcp) {
  lstm_grad_rows<float>(s, e, cp, c, act, dc, dh, H, dg, dcp);
}

// In place: g holds a row's pre-activations (i | j | f | o) and receives the activated gates.
template <class T>
FB_RNN_INLINE void lstm_row_inplace(T* g, const T* __restrict bias, const T* __restrict c_prev,
                                    T fb, int64_t H, T* __restrict c, T* __restrict h) {
  for (int64_t k = 0; k < H; ++k) {
    T ai = g[k] + bias[k];
    T aj = g[H + k] + bias[H + k];
    T af = g[2 * H + k] + bias[2 * H + k] + fb;
    T ao = g[3 * H + k] + bias[3 * H + k];
    T i = sigmoid_v(ai), j = tanh_v(aj), f = sigmoid_v(af), o = sigmoid_v(ao);
    T cn = f * c_prev[k] + i * j;
    c[k] = cn;
    h[k] = o * tanh_v(cn);
    g[k] = i;
    g[H + k] = j;
    g[2 * H + k] = f;
    g[3 * H + k] = o;
  }
}

template <class T>
FB_RNN_INLINE void seq_rows(int64_t s, int64_t e, T* g, const T* b, const T* cp, T fb, int64_t H,
                            T* c, T* h) {
  for (int64_t r = s; r < e; ++r)
    lstm_row_inplace<T>(g + r * 4 * H, b, cp + r * H, fb, H, c + r * H, h + r * H);
}
FB_RNN_CLONES void seq_rows_f32(int64_t s, int64_t e, float* g, const float* b, const float* cp,
                                float fb, int64_t H, float* c, float* h) {
  seq_rows<float>(s, e, g, b, cp, fb, H, c, h);
}

}  // namespace

namespace lstm {

void run_seq_rows(int64_t s, int64_t e, float* g, const float* b, const float* cp, float fb,
                  int64_t H, float* c, float* h) {
  seq_rows_f32(s, e, g, b, cp, fb, H, c, h);
}
void run_seq_rows(int64_t s, int64_t e, double* g, const double* b, const double* cp, double fb,
                  int64_t H, double* c, double* h) {
  seq_rows<double>(s, e, g, b, cp, fb, H, c, h);
}
void run_grad_rows(int64_t s, int64_t e, const float* cp, const float* c, const float* act,
                   const float* dc, const float* dh, int64_t H, float* dg, float* dcp) {
  lstm_grad_rows_f32(s, e, cp, c, act, dc, dh, H, dg, dcp);
}
void run_grad_rows(int64_t s, int64_t e, const double* cp, const double* c, const double* act,
                   const double* dc, const double* dh, int64_t H, double* dg, double* dcp) {
  lstm_grad_rows<double>(s, e, cp, c, act, dc, dh, H, dg, dcp);
}

RowBlocks row_blocks(int64_t B, int64_t work_per_row) {
  const int64_t threads = blas_per_thread_control() ? num_threads() : 1;
  const int64_t min_rows = std::max<int64_t>(1, kMinBlockWork / std::max<int64_t>(work_per_row, 1));
  const int64_t want = std::max<int64_t>(1, std::min(threads, B / min_rows));
  const int64_t rows = std::max<int64_t>(1, (B + want - 1) / want);
  return {B ? (B + rows - 1) / rows : 1, rows};
}

void check_2d(const Tensor& t, int64_t rows, int64_t cols, const char* what, const char* op) {
  FB_CHECK_ARG(t.shape.size() == 2 && t.shape[0] == rows && t.shape[1] == cols,
               std::string(op) + ": " + what + " must have shape [" + std::to_string(rows) + ", " +
                   std::to_string(cols) + "], got " + shape_str(t.shape));
}

}  // namespace lstm

namespace {
using namespace lstm;

// LSTMBlockCell(x [B, D], c_prev [B, H], h_prev [B, H], w [D + H, 4H], b [4H]) -> c [B, H],
// h [B, H], act [B, 4H] (the activated i, j, f, o), xh [B, D + H] (concat([x, h_prev], 1), for
// the kernel's gradient). One GEMM xh · w for all four gates, then one pass for the rest.
// floats: [forget_bias].
void k_LSTMBlockCell(KernelContext& ctx) {
  const char* op = "LSTMBlockCell";
  const Tensor& x = ctx.input(0);
  const Tensor& cp = ctx.input(1);
  const Tensor& hp = ctx.input(2);
  const Tensor& w = ctx.input(3);
  const Tensor& b = ctx.input(4);
  FB_CHECK_ARG(x.shape.size() == 2, std::string(op) + ": x must be rank 2, got " + shape_str(x.shape));
  FB_CHECK_ARG(cp.shape.size() == 2, std::string(op) + ": c_prev must be rank 2, got " + shape_str(cp.shape));
  const int64_t B = x.shape[0], D = x.shape[1], H = cp.shape[1];
  check_2d(cp, B, H, "c_prev", op);
  check_2d(hp, B, H, "h_prev", op);
  check_2d(w, D + H, 4 * H, "w", op);
  FB_CHECK_ARG(b.shape.size() == 1 && b.shape[0] == 4 * H,
               std::string(op) + ": b must have shape [" + std::to_string(4 * H) + "], got " + shape_str(b.shape));
  for (const Tensor* t : {&cp, &hp, &w, &b})
    FB_CHECK_ARG(t->dtype == x.dtype, std::string(op) + ": input dtypes differ");
  FB_DISPATCH_FLOAT(x.dtype, op, {
    Tensor& xh = ctx.allocate(3, x.dtype, {B, D + H});
    Tensor& c = ctx.allocate(0, x.dtype, {B, H});
    Tensor& h = ctx.allocate(1, x.dtype, {B, H});
    Tensor& act = ctx.allocate(2, x.dtype, {B, 4 * H});  // the GEMM's output, activated in place
    T* pxh = xh.data<T>();
    const T* px = x.data<T>();
    const T* ph = hp.data<T>();
    const T* pw = w.data<T>();
    const T fb = T(ctx.floats().at(0));
    const T* pb = b.data<T>();
    const T* pc = cp.data<T>();
    T* oc = c.data<T>();
    T* oh = h.data<T>();
    T* oa = act.data<T>();
    for_row_blocks(B, (D + H) * 4 * H, [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        std::memcpy(pxh + r * (D + H), px + r * D, sizeof(T) * D);
        std::memcpy(pxh + r * (D + H) + D, ph + r * H, sizeof(T) * H);
      }
      gemm(false, false, r1 - r0, 4 * H, D + H, T(1), pxh + r0 * (D + H), D + H, pw, 4 * H, T(0),
           oa + r0 * 4 * H, 4 * H);
      run_seq_rows(r0, r1, oa, pb, pc, fb, H, oc, oh);
    });
  })
}
FB_KERNEL("LSTMBlockCell", k_LSTMBlockCell);

// LSTMBlockCellGrad(w_t, c_prev, c, act, dc, dh) -> dc_prev [B, H], dh_prev [B, H], d_gates
// [B, 4H] (the gradient of the pre-activation: the bias's per-row gradient, and with xh the
// kernel's). w_t is the kernel transposed, [4H, D + H] (built once per run in the graph, shared
// by the steps: gemm's transposed-b paths would copy w column by column every step).
// dh_prev = d_gates · w_t[:, D:], one GEMM on the recurrent columns; the inputs' gradient
// d_gates · w_t[:, :D] is a separate MatMul in the graph, pruned when nothing needs it.
void k_LSTMBlockCellGrad(KernelContext& ctx) {
  const char* op = "LSTMBlockCellGrad";
  const Tensor& wt = ctx.input(0);
  const Tensor& cp = ctx.input(1);
  const Tensor& c = ctx.input(2);
  const Tensor& act = ctx.input(3);
  const Tensor& dc = ctx.input(4);
  const Tensor& dh = ctx.input(5);
  FB_CHECK_ARG(act.shape.size() == 2 && act.shape[1] % 4 == 0,
               std::string(op) + ": act must be [batch, 4 * units], got " + shape_str(act.shape));
  const int64_t B = act.shape[0], H = act.shape[1] / 4;
  FB_CHECK_ARG(wt.shape.size() == 2 && wt.shape[0] == 4 * H && wt.shape[1] >= H,
               std::string(op) + ": w_t must be [" + std::to_string(4 * H) + ", depth + " +
                   std::to_string(H) + "], got " + shape_str(wt.shape));
  const int64_t DH = wt.shape[1], D = DH - H;
  check_2d(cp, B, H, "c_prev", op);
  check_2d(c, B, H, "c", op);
  check_2d(dc, B, H, "dc", op);
  check_2d(dh, B, H, "dh", op);
  for (const Tensor* t : {&cp, &c, &act, &dc, &dh})
    FB_CHECK_ARG(t->dtype == wt.dtype, std::string(op) + ": input dtypes differ");
  FB_DISPATCH_FLOAT(wt.dtype, op, {
    Tensor& dcp = ctx.allocate(0, wt.dtype, {B, H});
    Tensor& dhp = ctx.allocate(1, wt.dtype, {B, H});
    Tensor& dg = ctx.allocate(2, wt.dtype, {B, 4 * H});
    const T* pcp = cp.data<T>();
    const T* pc = c.data<T>();
    const T* pa = act.data<T>();
    const T* pdc = dc.data<T>();
    const T* pdh = dh.data<T>();
    T* odg = dg.data<T>();
    T* odc = dcp.data<T>();
    const T* pwh = wt.data<T>() + D;
    T* odh = dhp.data<T>();
    for_row_blocks(B, 4 * H * H, [&](int64_t r0, int64_t r1) {
      run_grad_rows(r0, r1, pcp, pc, pa, pdc, pdh, H, odg, odc);
      gemm(false, false, r1 - r0, H, 4 * H, T(1), odg + r0 * 4 * H, 4 * H, pwh, DH, T(0), odh + r0 * H, H);
    });
  })
}
FB_KERNEL("LSTMBlockCellGrad", k_LSTMBlockCellGrad);

// LSTMBlockCellParamGrad(xh_1 .. xh_n, d_gates_1 .. d_gates_n) -> dw [D + H, 4H], db [4H]: the
// kernel's and the bias's gradients summed over n steps, dw = sum_t xh_tᵀ · d_gates_t and db =
// sum_t (column sums of d_gates_t), in the order given. gradients() merges the steps of a
// static unroll into one such op instead of a chain of adds of [D + H, 4H] partial products
// (see engine/ops/rnn.py). The 4H columns split into one block per thread, each summing its
// columns over every step in the same order: on the engine's AVX-512 tiles the result does not
// depend on the thread count; OpenBLAS (CPUs without AVX-512) may round a block's last columns
// differently in its edge kernels.
void k_LSTMBlockCellParamGrad(KernelContext& ctx) {
  const char* op = "LSTMBlockCellParamGrad";
  const int pairs = (int)ctx.in.size() / 2;
  FB_CHECK_ARG(pairs >= 1 && (int)ctx.in.size() == 2 * pairs,
               std::string(op) + ": needs as many d_gates as xh inputs, got " + std::to_string(ctx.in.size()) +
                   " inputs");
  const Tensor& xh0 = ctx.input(0);
  const Tensor& dg0 = ctx.input(pairs);
  FB_CHECK_ARG(xh0.shape.size() == 2 && dg0.shape.size() == 2,
               std::string(op) + ": xh and d_gates must be rank 2, got " + shape_str(xh0.shape) + " and " +
                   shape_str(dg0.shape));
  const int64_t DH = xh0.shape[1], G = dg0.shape[1];
  int64_t rows = 0;
  for (int t = 0; t < pairs; ++t) {
    const Tensor& xh = ctx.input(t);
    const Tensor& dg = ctx.input(pairs + t);
    FB_CHECK_ARG(xh.shape.size() == 2 && dg.shape.size() == 2 && xh.shape[1] == DH && dg.shape[1] == G &&
                     xh.shape[0] == dg.shape[0],
                 std::string(op) + ": step " + std::to_string(t) + ": xh " + shape_str(xh.shape) + " and d_gates " +
                     shape_str(dg.shape) + " do not match [batch, " + std::to_string(DH) + "] and [batch, " +
                     std::to_string(G) + "]");
    FB_CHECK_ARG(xh.dtype == xh0.dtype && dg.dtype == xh0.dtype, std::string(op) + ": input dtypes differ");
    rows += xh.shape[0];
  }
  FB_DISPATCH_FLOAT(xh0.dtype, op, {
    Tensor& dw = ctx.allocate(0, xh0.dtype, {DH, G});
    Tensor& db = ctx.allocate(1, xh0.dtype, {G});
    T* pdw = dw.data<T>();
    T* pdb = db.data<T>();
    auto columns = [&](int64_t c0, int64_t c1) {
      std::fill(pdb + c0, pdb + c1, T(0));
      for (int t = 0; t < pairs; ++t) {
        const Tensor& xh = ctx.input(t);
        const T* dg = ctx.input(pairs + t).data<T>();
        const int64_t B = xh.shape[0];
        gemm(true, false, DH, c1 - c0, B, T(1), xh.data<T>(), DH, dg + c0, G, t ? T(1) : T(0), pdw + c0, G);
        for (int64_t r = 0; r < B; ++r)
          for (int64_t k = c0; k < c1; ++k) pdb[k] += dg[r * G + k];
      }
    };
    // Blocks of whole 16-column groups (one cache line of floats), each with enough work.
    const int64_t threads = blas_per_thread_control() ? num_threads() : 1;
    const int64_t groups = (G + 15) / 16;
    const int64_t min_groups = std::max<int64_t>(1, kMinBlockWork / std::max<int64_t>(16 * rows * DH, 1));
    const int64_t count = std::max<int64_t>(1, std::min(threads, groups / min_groups));
    if (count <= 1) {
      columns(0, G);
    } else {
      const int64_t per = (groups + count - 1) / count * 16;
      parallel_for(count, 1, [&](int64_t b0, int64_t b1) {
        SerialBlasScope serial;
        for (int64_t blk = b0; blk < b1; ++blk) {
          const int64_t c0 = blk * per, c1 = std::min(G, c0 + per);
          if (c0 < c1) columns(c0, c1);
        }
      });
    }
  })
}
FB_KERNEL("LSTMBlockCellParamGrad", k_LSTMBlockCellParamGrad);

}  // namespace
}  // namespace fb
