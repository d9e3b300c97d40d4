// What the fused LSTM kernels share (kernels_rnn.cpp: one step; kernels_rnn_sequence.cpp: a
// whole sequence): the per-row cell pass and its gradient, and the split of a step's batch rows
// into one block per thread.
#pragma once

#include <algorithm>
#include <cstdint>
#include <utility>

#include "kernels_util.h"

namespace fb {
namespace lstm {

// Rows [s, e) of a step. run_seq_rows: g holds each row's pre-activations (i | j | f | o) and
// receives the activated gates; c and h the new state. run_grad_rows: the gradient of the
// pre-activations (dg) and of c_prev (dcp) from the activated gates and the state's gradients.
void run_seq_rows(int64_t s, int64_t e, float* g, const float* b, const float* cp, float fb, int64_t H, float* c,
                  float* h);
void run_seq_rows(int64_t s, int64_t e, double* g, const double* b, const double* cp, double fb, int64_t H,
                  double* c, double* h);
void run_grad_rows(int64_t s, int64_t e, const float* cp, const float* c, const float* act, const float* dc,
                   const float* dh, int64_t H, float* dg, float* dcp);
void run_grad_rows(int64_t s, int64_t e, const double* cp, const double* c, const double* act, const double* dc,
                   const double* dh, int64_t H, double* dg, double* dcp);

// An LSTM step is independent per batch row: row r's gates are row r of [x, h_prev] times w,
// and its cell update and gradient read only row r. So a step splits into one block of rows
// per thread, each running the whole step for its rows (copy, one-thread GEMM, cell pass) with
// no synchronisation inside the step: one pool task per step instead of one per stage. A
// block holds at least kMinBlockWork multiply-adds of GEMM, so that small steps stay on one
// thread (waking a worker costs about as much as 100k multiply-adds here).
constexpr int64_t kMinBlockWork = int64_t(1) << 18;

struct RowBlocks {
  int64_t count, rows;  // count blocks of `rows` rows (the last may be shorter)
};

RowBlocks row_blocks(int64_t B, int64_t work_per_row);

// fn(r0, r1) on each block of rows, one pool part per block; with one block, on this thread
// with its GEMMs free to use the pool themselves.
template <class Fn>
void for_row_blocks(const RowBlocks& rb, int64_t B, Fn&& fn) {
  if (rb.count <= 1) {
    fn(int64_t(0), B);
    return;
  }
  parallel_for(rb.count, 1, [&](int64_t b0, int64_t b1) {
    SerialBlasScope serial;
    for (int64_t blk = b0; blk < b1; ++blk) {
      const int64_t r0 = blk * rb.rows, r1 = std::min(B, r0 + rb.rows);
      if (r0 < r1) fn(r0, r1);
    }
  });
}
template <class Fn>
void for_row_blocks(int64_t B, int64_t work_per_row, Fn&& fn) {
  for_row_blocks(row_blocks(B, work_per_row), B, std::forward<Fn>(fn));
}

// Checks that t is [rows, cols] (what names it in op's error).
void check_2d(const Tensor& t, int64_t rows, int64_t cols, const char* what, const char* op);

}  // namespace lstm
}  // namespace fb
