// Candidate sampling for the sampled losses: LogUniformCandidateSampler (TF's Philox-4x32-10
// stream, so a seeded sampler draws the classes TensorFlow draws), ComputeAccidentalHits, and
// SparseToDense, which turns the hits into the logits' -FLT_MAX mask.
#include <cfloat>
#include <cmath>
#include <cstring>
#include <mutex>
#include <random>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "executor.h"
#include "kernels_util.h"

namespace fb {
namespace {

// Philox-4x32-10 (Salmon et al., SC 2011) with TensorFlow's layout: the key is seed, the high
// half of the 128-bit counter is seed2, and each call returns four 32-bit words and steps the
// counter by one.
struct Philox {
  uint32_t counter[4] = {0, 0, 0, 0};
  uint32_t key[2] = {0, 0};

  Philox(uint64_t seed, uint64_t seed2) {
    key[0] = (uint32_t)seed;
    key[1] = (uint32_t)(seed >> 32);
    counter[2] = (uint32_t)seed2;
    counter[3] = (uint32_t)(seed2 >> 32);
  }

  // Advances the counter by `count` blocks of 128 bits (carries into the high words).
  void skip(uint64_t count) {
    const uint32_t lo = (uint32_t)count;
    uint32_t hi = (uint32_t)(count >> 32);
    counter[0] += lo;
    if (counter[0] < lo) ++hi;
    counter[1] += hi;
    if (counter[1] < hi && ++counter[2] == 0) ++counter[3];
  }

  void next(uint32_t out[4]) {
    uint32_t c[4] = {counter[0], counter[1], counter[2], counter[3]};
    uint32_t k0 = key[0], k1 = key[1];
    for (int round = 0; round < 10; ++round) {
      const uint64_t p0 = (uint64_t)0xD2511F53u * c[0];
      const uint64_t p1 = (uint64_t)0xCD9E8D57u * c[2];
      const uint32_t r0 = (uint32_t)(p1 >> 32) ^ c[1] ^ k0;
      const uint32_t r2 = (uint32_t)(p0 >> 32) ^ c[3] ^ k1;
      c[0] = r0;
      c[1] = (uint32_t)p1;
      c[2] = r2;
      c[3] = (uint32_t)p0;
      k0 += 0x9E3779B9u;
      k1 += 0xBB67AE85u;
    }
    std::memcpy(out, c, sizeof c);
    skip(1);
  }
};

// One 32-bit word at a time from a Philox stream (TF's SimplePhilox over a SingleSampleAdapter).
class WordStream {
 public:
  explicit WordStream(Philox gen) : gen_(gen) {}
  uint32_t word() {
    if (used_ == 4) {
      gen_.next(words_);
      used_ = 0;
    }
    return words_[used_++];
  }
  // A double in [0, 1): 52 mantissa bits, the top 20 from the first word's low bits.
  double uniform_double() {
    const uint32_t hi = word() & 0xfffffu, lo = word();
    const uint64_t bits = ((uint64_t)1023 << 52) | ((uint64_t)hi << 32) | lo;
    double d;
    std::memcpy(&d, &bits, sizeof d);
    return d - 1.0;
  }

 private:
  Philox gen_;
  uint32_t words_[4] = {0, 0, 0, 0};
  int used_ = 4;
};

// The sampler's generator lives in a per-session native state (step.vars[0]): an int64 [3]
// tensor holding the key and the two halves of the counter, seeded on first use.
std::mutex g_sampler_mutex;

Philox reserve_words(Variable& state, int64_t seed, int64_t seed2, int64_t words) {
  std::lock_guard<std::mutex> lock(g_sampler_mutex);
  if (!state.initialized) {
    uint64_t s = (uint64_t)seed, s2 = (uint64_t)seed2;
    if (s == 0 && s2 == 0) {  // unseeded: fresh entropy, as TF's GuardedPhiloxRandom
      std::random_device rd;
      s = ((uint64_t)rd() << 32) | rd();
      s2 = ((uint64_t)rd() << 32) | rd();
    }
    Philox init(s, s2);
    state.value = make_tensor(I64, {3});
    auto* p = state.value.data<uint64_t>();
    p[0] = (uint64_t)init.key[0] | (uint64_t)init.key[1] << 32;
    p[1] = (uint64_t)init.counter[0] | (uint64_t)init.counter[1] << 32;
    p[2] = (uint64_t)init.counter[2] | (uint64_t)init.counter[3] << 32;
    state.initialized = true;
  }
  auto* p = state.value.data<uint64_t>();
  Philox gen(0, 0);
  gen.key[0] = (uint32_t)p[0], gen.key[1] = (uint32_t)(p[0] >> 32);
  gen.counter[0] = (uint32_t)p[1], gen.counter[1] = (uint32_t)(p[1] >> 32);
  gen.counter[2] = (uint32_t)p[2], gen.counter[3] = (uint32_t)(p[2] >> 32);
  Philox local = gen;
  gen.skip((uint64_t)(words + 3) / 4);
  p[1] = (uint64_t)gen.counter[0] | (uint64_t)gen.counter[1] << 32;
  p[2] = (uint64_t)gen.counter[2] | (uint64_t)gen.counter[3] << 32;
  return local;
}

// TF's expected count of a class of probability p in a batch of `num_sampled` drawn in
// `num_tries` tries, in float as TF computes it.
float expected_count(float p, int64_t num_sampled, int64_t num_tries) {
  if (num_tries == num_sampled) return p * (float)num_sampled;
  return -std::expm1((float)num_tries * std::log1p(-p));
}

// P(k) = log((k + 2) / (k + 1)) / log(range_max + 1).
float log_uniform_probability(int64_t k, double log_range) {
  return (float)(std::log((k + 2.0) / (k + 1.0)) / log_range);
}

// LogUniformCandidateSampler(true_classes) ints=[num_true, num_sampled, unique, range_max,
// seed, seed2] -> (sampled [num_sampled] int64, true_expected [batch, num_true] float,
// sampled_expected [num_sampled] float). Each run reserves 2048 * num_sampled words of the
// stream, as TF does, so consecutive runs draw what TF's consecutive runs draw.
void k_LogUniformCandidateSampler(KernelContext& ctx) {
  const char* op = "LogUniformCandidateSampler";
  const auto& a = ctx.ints();
  const int64_t num_true = a[0], num_sampled = a[1], range_max = a[3];
  const bool unique = a[2] != 0;
  const Tensor& tc = ctx.input(0);
  FB_CHECK_ARG(tc.dtype == I64, std::string(op) + ": true_classes must be int64, got " + dtype_name(tc.dtype));
  FB_CHECK_ARG(tc.shape.size() == 2 && tc.shape[1] == num_true,
               std::string(op) + ": true_classes must be a matrix with num_true = " + std::to_string(num_true) +
                   " columns, got shape " + shape_str(tc.shape));
  FB_CHECK_ARG(num_sampled >= 1 && range_max >= 1, std::string(op) + ": num_sampled and range_max must be positive");
  FB_CHECK_ARG(!unique || num_sampled <= range_max, std::string(op) + ": Sampler's range is too small.");
  const int64_t* classes = tc.data<int64_t>();
  for (int64_t i = 0; i < tc.numel(); ++i)
    FB_CHECK_ARG(classes[i] >= 0 && classes[i] < range_max,
                 std::string(op) + ": `true_candidate` out of range [0, " + std::to_string(range_max) + "), received " +
                     std::to_string(classes[i]));
  // Allocated first: a num_sampled too large to hold fails here, before 2048 * num_sampled.
  Tensor& sampled = ctx.allocate(0, I64, {num_sampled});
  Tensor& true_exp = ctx.allocate(1, F32, tc.shape);
  Tensor& sampled_exp = ctx.allocate(2, F32, {num_sampled});
  WordStream rnd(reserve_words(ctx.var(0), a[4], a[5], checked_mul(2048, num_sampled, "the sampler's stream")));
  const double log_range = std::log1p((double)range_max);
  int64_t* out = sampled.data<int64_t>();
  int64_t tries = 0;
  auto draw = [&] { return (int64_t)std::exp(rnd.uniform_double() * log_range) - 1; };
  if (unique) {
    std::unordered_set<int64_t> seen((size_t)num_sampled * 2);
    for (int64_t picked = 0; picked < num_sampled;) {
      ++tries;
      const int64_t v = draw() % range_max;
      if (seen.insert(v).second) out[picked++] = v;
    }
  } else {
    for (int64_t i = 0; i < num_sampled; ++i) out[i] = draw() % range_max;
    tries = num_sampled;
  }
  float* te = true_exp.data<float>();
  float* se = sampled_exp.data<float>();
  for (int64_t i = 0; i < num_sampled; ++i)
    se[i] = expected_count(log_uniform_probability(out[i], log_range), num_sampled, tries);
  for (int64_t i = 0; i < tc.numel(); ++i)
    te[i] = expected_count(log_uniform_probability(classes[i], log_range), num_sampled, tries);
}
FB_KERNEL("LogUniformCandidateSampler", k_LogUniformCandidateSampler);

// ComputeAccidentalHits(true_classes [batch, num_true], sampled [S]) ints=[num_true] ->
// (row int32, position in sampled int64, -FLT_MAX float) for every true class that was
// sampled, in row-major order of true_classes; a class sampled twice names its last position.
void k_ComputeAccidentalHits(KernelContext& ctx) {
  const char* op = "ComputeAccidentalHits";
  const int64_t num_true = ctx.ints()[0];
  const Tensor& tc = ctx.input(0);
  const Tensor& sc = ctx.input(1);
  FB_CHECK_ARG(tc.dtype == I64 && sc.dtype == I64, std::string(op) + ": true_classes and sampled_candidates must be int64");
  FB_CHECK_ARG(tc.shape.size() == 2 && tc.shape[1] == num_true,
               std::string(op) + ": true_candidates must be a batch_size * num_true matrix, got shape " +
                   shape_str(tc.shape));
  FB_CHECK_ARG(sc.shape.size() == 1, std::string(op) +
                                         ": sampled_candidates must be a vector, which is typically an output from "
                                         "CandidateSampler, got shape " + shape_str(sc.shape));
  std::unordered_map<int64_t, int64_t> position((size_t)sc.numel() * 2);
  const int64_t* s = sc.data<int64_t>();
  for (int64_t k = 0; k < sc.numel(); ++k) position[s[k]] = k;
  std::vector<int32_t> rows;
  std::vector<int64_t> ids;
  const int64_t* t = tc.data<int64_t>();
  for (int64_t i = 0; i < tc.numel(); ++i) {
    auto hit = position.find(t[i]);
    if (hit == position.end()) continue;
    rows.push_back((int32_t)(i / num_true));
    ids.push_back(hit->second);
  }
  const int64_t n = (int64_t)rows.size();
  Tensor& r = ctx.allocate(0, I32, {n});
  Tensor& d = ctx.allocate(1, I64, {n});
  Tensor& w = ctx.allocate(2, F32, {n});
  if (n) {
    std::memcpy(r.data<int32_t>(), rows.data(), n * sizeof(int32_t));
    std::memcpy(d.data<int64_t>(), ids.data(), n * sizeof(int64_t));
  }
  std::fill(w.data<float>(), w.data<float>() + n, -FLT_MAX);
}
FB_KERNEL("ComputeAccidentalHits", k_ComputeAccidentalHits);

int64_t index_at(const Tensor& t, int64_t i) {
  return t.dtype == I32 ? (int64_t)t.data<int32_t>()[i] : t.data<int64_t>()[i];
}

std::string index_str(const Tensor& idx, int64_t row, int64_t per) {
  std::string s = "[";
  for (int64_t j = 0; j < per; ++j) s += (j ? "," : "") + std::to_string(index_at(idx, row * per + j));
  return s + "]";
}

std::string dims_str(const Shape& dims) {
  std::string s = "[";
  for (size_t j = 0; j < dims.size(); ++j) s += (j ? "," : "") + std::to_string(dims[j]);
  return s + "]";
}

// SparseToDense(indices, output_shape, values, default_value) ints=[validate_indices]: a tensor
// of output_shape filled with default_value and values (one per index row, or one scalar for
// all) at indices, which is a matrix of index rows, a vector of indices into a 1-D output, or
// one scalar index. With validate_indices the rows must be in bounds, sorted and distinct (TF's
// messages name the first that is not); without, only in bounds (and a repeated row's last
// value wins).
void k_SparseToDense(KernelContext& ctx) {
  const char* op = "SparseToDense";
  const Tensor& idx = ctx.input(0);
  const Tensor& shape_t = ctx.input(1);
  const Tensor& values = ctx.input(2);
  const Tensor& dflt = ctx.input(3);
  const bool validate = !ctx.ints().empty() && ctx.ints()[0];
  FB_CHECK_ARG(idx.dtype == I32 || idx.dtype == I64, std::string(op) + ": indices must be int32 or int64");
  FB_CHECK_ARG(idx.shape.size() <= 2, std::string(op) + ": sparse_indices should be a scalar, vector, or matrix, got shape " +
                                          shape_str(idx.shape));
  FB_CHECK_ARG(shape_t.shape.size() <= 1, std::string(op) + ": output_shape should be a scalar or vector, got shape " +
                                              shape_str(shape_t.shape));
  const Shape dims = read_int_vector(shape_t);
  const int64_t rank = (int64_t)dims.size();
  const int64_t n = idx.shape.empty() ? 1 : idx.shape[0];
  const int64_t per = idx.shape.size() == 2 ? idx.shape[1] : 1;
  FB_CHECK_ARG(values.shape.empty() || (values.shape.size() == 1 && values.shape[0] == n),
               "sparse_values has incorrect shape " + shape_str(values.shape) + ", should be [] or [" + std::to_string(n) +
                   "]");
  FB_CHECK_ARG(dflt.numel() == 1 && dflt.dtype == values.dtype,
               std::string(op) + ": default_value should be a scalar of the values' dtype");
  FB_CHECK_ARG(n == 0 || per == rank, "output_shape has incorrect number of elements: " + std::to_string(rank) +
                                          " should be: " + std::to_string(per));
  std::vector<int64_t> flat((size_t)n);
  for (int64_t i = 0; i < n; ++i) {
    int64_t off = 0;
    for (int64_t j = 0; j < per; ++j) {
      const int64_t k = index_at(idx, i * per + j);
      if (k < 0 || k >= dims[(size_t)j]) {
        if (!validate) throw KernelError(INVALID_ARGUMENT, "Indices are not valid (out of bounds).  Shape: " + dims_str(dims));
        throw KernelError(INVALID_ARGUMENT, "indices[" + std::to_string(i) + "] = " + index_str(idx, i, per) +
                                                " is out of bounds: need 0 <= index < " + dims_str(dims));
      }
      off = off * dims[(size_t)j] + k;
    }
    flat[(size_t)i] = off;
    // Row-major offsets order the rows as their indices do.
    if (validate && i > 0 && off <= flat[(size_t)i - 1])
      throw KernelError(INVALID_ARGUMENT, "indices[" + std::to_string(i) + "] = " + index_str(idx, i, per) +
                                              (off == flat[(size_t)i - 1]
                                                   ? " is repeated"
                                                   : " is out of order. Many sparse ops require sorted indices.\n"
                                                     "    Use `tf.sparse.reorder` to create a correctly ordered copy."));
  }
  Tensor& o = ctx.allocate(0, values.dtype, dims);
  FB_DISPATCH_NUMERIC(values.dtype, op, {
    T* dst = o.data<T>();
    std::fill(dst, dst + o.numel(), dflt.data<T>()[0]);
    const T* v = values.data<T>();
    const bool scalar = values.shape.empty();
    for (int64_t i = 0; i < n; ++i) dst[flat[(size_t)i]] = scalar ? v[0] : v[i];
  })
}
FB_KERNEL("SparseToDense", k_SparseToDense);

}  // namespace
}  // namespace fb
