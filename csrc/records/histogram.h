// TensorFlow's default histogram buckets, computed natively for the writer.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace flowboard::records {

struct HistogramStats {
  double min = 0, max = 0, num = 0, sum = 0, sum_squares = 0;
  int64_t first = 0;            // index (into tensorflow_bucket_limits()) of the first bucket kept
  std::vector<double> counts;   // buckets first .. last non-empty, inclusive
};

// The limits: -P[K-1] .. -P[0], 0, P[0] .. P[K-1], DBL_MAX with P[k] = 1e-12 * 1.1^k (by
// repeated multiplication) below 1e20. Bucket i holds limits[i-1] <= v < limits[i].
const std::vector<double>& tensorflow_bucket_limits();

// Bucket index of finite v: the number of limits <= v (std::upper_bound), except that
// DBL_MAX falls in the last bucket (whose right edge it is).
int64_t tensorflow_bucket_index(double v);

// Histogram of the finite values among data[0..n).
HistogramStats tensorflow_histogram(const double* data, size_t n);

}  // namespace flowboard::records
