#include "histogram.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <limits>

namespace flowboard::records {
namespace {

// Index cells by the top bits of a positive double: 11 exponent bits and kMantissaBits of
// mantissa. A cell spans a relative width of 2^-8 (0.4 %), less than one bucket (10 %), so at
// most one limit falls inside a cell and one comparison corrects the table's estimate.
constexpr int kMantissaBits = 8;
constexpr int kShift = 52 - kMantissaBits;

uint64_t bits_of(double v) {
  uint64_t b;
  std::memcpy(&b, &v, 8);
  return b;
}

struct Buckets {
  std::vector<double> positive;  // P[k]
  std::vector<double> limits;    // the full limit list
  uint64_t first_cell = 0, last_cell = 0;
  std::vector<uint16_t> count_at_cell;  // #{P <= lowest value of the cell}

  Buckets() {
    for (double v = 1e-12; v < 1e20; v *= 1.1) positive.push_back(v);
    for (auto it = positive.rbegin(); it != positive.rend(); ++it) limits.push_back(-*it);
    limits.push_back(0.0);
    limits.insert(limits.end(), positive.begin(), positive.end());
    limits.push_back(DBL_MAX);
    first_cell = bits_of(positive.front()) >> kShift;
    last_cell = bits_of(positive.back()) >> kShift;
    count_at_cell.resize(last_cell - first_cell + 1);
    for (uint64_t cell = first_cell; cell <= last_cell; ++cell) {
      double low;
      const uint64_t low_bits = cell << kShift;
      std::memcpy(&low, &low_bits, 8);
      count_at_cell[cell - first_cell] = static_cast<uint16_t>(
          std::upper_bound(positive.begin(), positive.end(), low) - positive.begin());
    }
  }

  // #{k : P[k] <= a} for finite a > 0.
  int64_t count_le(double a) const {
    const int64_t K = static_cast<int64_t>(positive.size());
    const uint64_t cell = bits_of(a) >> kShift;
    if (cell < first_cell) return a >= positive[0] ? 1 : 0;
    if (cell > last_cell) return K;
    int64_t c = count_at_cell[cell - first_cell];
    while (c < K && positive[c] <= a) ++c;
    return c;
  }
};

const Buckets& buckets() {
  static const Buckets instance;
  return instance;
}

}  // namespace

const std::vector<double>& tensorflow_bucket_limits() { return buckets().limits; }

int64_t tensorflow_bucket_index(double v) {
  const Buckets& b = buckets();
  const int64_t K = static_cast<int64_t>(b.positive.size());
  // DBL_MAX itself belongs to the last bucket, whose right edge it is.
  if (v > 0) return K + 1 + b.count_le(v);
  if (v < 0) {
    const double a = -v;
    int64_t c = b.count_le(a);
    if (c > 0 && b.positive[c - 1] == a) --c;  // limits equal to v count as <= v
    return K - c;
  }
  return K + 1;
}

HistogramStats tensorflow_histogram(const double* data, size_t n) {
  const Buckets& b = buckets();
  std::vector<double> counts(b.limits.size(), 0.0);
  HistogramStats s;
  // Neumaier-compensated sums: values of very different magnitudes must not swallow each other.
  double sum_c = 0, squares_c = 0;
  auto add = [](double& total, double& compensation, double x) {
    const double t = total + x;
    compensation += std::fabs(total) >= std::fabs(x) ? (total - t) + x : (x - t) + total;
    total = t;
  };
  s.min = std::numeric_limits<double>::infinity();
  s.max = -std::numeric_limits<double>::infinity();
  for (size_t i = 0; i < n; ++i) {
    const double v = data[i];
    if (!std::isfinite(v)) continue;
    counts[tensorflow_bucket_index(v)] += 1.0;
    s.min = std::min(s.min, v);
    s.max = std::max(s.max, v);
    add(s.sum, sum_c, v);
    add(s.sum_squares, squares_c, v * v);
    s.num += 1.0;
  }
  if (std::isfinite(s.sum)) s.sum += sum_c;  // after an overflow the compensation is NaN
  if (std::isfinite(s.sum_squares)) s.sum_squares += squares_c;
  if (s.num == 0) {
    s.min = s.max = 0;
    return s;
  }
  size_t first = 0, last = counts.size() - 1;
  while (counts[first] == 0) ++first;
  while (counts[last] == 0) --last;
  s.first = static_cast<int64_t>(first);
  s.counts.assign(counts.begin() + first, counts.begin() + last + 1);
  return s;
}

}  // namespace flowboard::records
