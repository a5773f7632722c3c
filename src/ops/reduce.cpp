#include "ops/reduce.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "ops/common.hpp"
#include "ops/elementwise.hpp"
#include "ops/row_clones.hpp"
#include "ops/shape_ops.hpp"

namespace keras::kernels {

namespace {

// x viewed as [outer, reduced, inner] with the reduced axes in the middle
// (transposed to the end when they are not one contiguous block).
struct ReduceView {
  Tensor data;
  std::int64_t outer = 1;
  std::int64_t reduced = 1;
  std::int64_t inner = 1;
  Shape out_shape;
};

ReduceView make_view(const Tensor& x, const std::vector<int>& axes_in, bool keepdims, const char* what) {
  ReduceView view;
  const std::vector<int> axes = detail::normalize_axes(axes_in, x.rank(), what);
  const bool contiguous_block = axes.empty() || axes.back() - axes.front() + 1 == static_cast<int>(axes.size());
  std::vector<bool> is_reduced(static_cast<std::size_t>(x.rank()), false);
  for (int a : axes) is_reduced[static_cast<std::size_t>(a)] = true;
  for (int i = 0; i < x.rank(); ++i) {
    const std::int64_t d = x.shape()[static_cast<std::size_t>(i)];
    if (is_reduced[static_cast<std::size_t>(i)]) {
      view.reduced *= d;
      if (keepdims) view.out_shape.push_back(1);
    } else {
      view.out_shape.push_back(d);
      if (contiguous_block && !axes.empty() && i > axes.back())
        view.inner *= d;
      else
        view.outer *= d;
    }
  }
  if (contiguous_block) {
    view.data = x;
  } else {
    std::vector<int> perm;
    for (int i = 0; i < x.rank(); ++i)
      if (!is_reduced[static_cast<std::size_t>(i)]) perm.push_back(i);
    perm.insert(perm.end(), axes.begin(), axes.end());
    view.data = transpose(x, perm);
  }
  return view;
}

// Generic reduction: acc = step(acc, value) over the reduced elements, then
// out = finish(acc, count).
template <typename Acc, typename Out, typename Step, typename Finish>
Tensor reduce(const Tensor& x_in, const std::vector<int>& axes, bool keepdims, DType out_dtype, Acc init, Step step,
              Finish finish, const char* what) {
  Tensor x = detail::to_float(x_in);
  ReduceView v = make_view(x, axes, keepdims, what);
  Tensor out(v.out_shape, out_dtype);
  const float* in = v.data.data<float>();
  Out* o = out.data<Out>();
  std::vector<Acc> acc(static_cast<std::size_t>(v.inner));
  for (std::int64_t outer = 0; outer < v.outer; ++outer) {
    std::fill(acc.begin(), acc.end(), init);
    const float* base = in + outer * v.reduced * v.inner;
    for (std::int64_t r = 0; r < v.reduced; ++r) {
      const float* row = base + r * v.inner;
      for (std::int64_t i = 0; i < v.inner; ++i)
        acc[static_cast<std::size_t>(i)] = step(acc[static_cast<std::size_t>(i)], row[i]);
    }
    for (std::int64_t i = 0; i < v.inner; ++i)
      o[outer * v.inner + i] = finish(acc[static_cast<std::size_t>(i)], v.reduced);
  }
  return out;
}

// acc[i] += row[i] in double, cloned for AVX-512 and AVX2 (chosen when the library loads): the
// baseline ISA converts and adds two values at a time, which made GlobalAveragePooling2D a
// tenth of EfficientNetB0's batch-64 predict. The same additions in the same order either way.
KERAS_ROW_CLONES void accumulate_row(double* __restrict acc, const float* __restrict row, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) acc[i] += static_cast<double>(row[i]);
}

// sum (average = false) or mean of float values in double, as reduce() with its + step.
Tensor sum_in_double(const Tensor& x_in, const std::vector<int>& axes, bool keepdims, bool average, const char* what) {
  Tensor x = detail::to_float(x_in);
  ReduceView v = make_view(x, axes, keepdims, what);
  Tensor out = Tensor::uninitialized(v.out_shape, DType::float32);
  const float* in = v.data.data<float>();
  float* o = out.data<float>();
  std::vector<double> acc(static_cast<std::size_t>(v.inner));
  for (std::int64_t outer = 0; outer < v.outer; ++outer) {
    std::fill(acc.begin(), acc.end(), 0.0);
    const float* base = in + outer * v.reduced * v.inner;
    for (std::int64_t r = 0; r < v.reduced; ++r) accumulate_row(acc.data(), base + r * v.inner, v.inner);
    for (std::int64_t i = 0; i < v.inner; ++i) {
      const double a = acc[static_cast<std::size_t>(i)];
      o[outer * v.inner + i] = !average         ? static_cast<float>(a)
                               : v.reduced == 0 ? std::numeric_limits<float>::quiet_NaN()
                                                : static_cast<float>(a / static_cast<double>(v.reduced));
    }
  }
  return out;
}

float nan_aware_max(float acc, float v) {
  return (std::isnan(acc) || std::isnan(v)) ? std::numeric_limits<float>::quiet_NaN() : (v > acc ? v : acc);
}
float nan_aware_min(float acc, float v) {
  return (std::isnan(acc) || std::isnan(v)) ? std::numeric_limits<float>::quiet_NaN() : (v < acc ? v : acc);
}

Tensor arg_reduce(const Tensor& x_in, int axis, bool keepdims, bool want_max) {
  Tensor x = detail::to_float(x_in);
  if (x.rank() == 0) throw ValueError(std::string(want_max ? "argmax" : "argmin") + ": needs at least one axis");
  ReduceView v = make_view(x, {axis}, keepdims, want_max ? "argmax" : "argmin");
  if (v.reduced == 0) throw ValueError("argmax/argmin of an empty axis");
  Tensor out(v.out_shape, DType::int32);
  const float* in = v.data.data<float>();
  auto* o = out.data<std::int32_t>();
  for (std::int64_t outer = 0; outer < v.outer; ++outer)
    for (std::int64_t i = 0; i < v.inner; ++i) {
      const float* p = in + outer * v.reduced * v.inner + i;
      std::int64_t best = 0;
      float best_value = p[0];
      for (std::int64_t r = 1; r < v.reduced && !std::isnan(best_value); ++r) {
        const float value = p[r * v.inner];
        if (std::isnan(value) || (want_max ? value > best_value : value < best_value)) {
          best = r;
          best_value = value;
        }
      }
      o[outer * v.inner + i] = static_cast<std::int32_t>(best);
    }
  return out;
}

}  // namespace

Tensor sum(const Tensor& x, const std::vector<int>& axes, bool keepdims) {
  return sum_in_double(x, axes, keepdims, false, "sum");
}

Tensor mean(const Tensor& x, const std::vector<int>& axes, bool keepdims) {
  return sum_in_double(x, axes, keepdims, true, "mean");
}

Tensor max(const Tensor& x, const std::vector<int>& axes, bool keepdims) {
  if (x.defined() && x.size() == 0) throw ValueError("max: zero-size array has no maximum");
  return reduce<float, float>(
      x, axes, keepdims, DType::float32, -std::numeric_limits<float>::infinity(), nan_aware_max,
      [](float a, std::int64_t) { return a; }, "max");
}

Tensor min(const Tensor& x, const std::vector<int>& axes, bool keepdims) {
  if (x.defined() && x.size() == 0) throw ValueError("min: zero-size array has no minimum");
  return reduce<float, float>(
      x, axes, keepdims, DType::float32, std::numeric_limits<float>::infinity(), nan_aware_min,
      [](float a, std::int64_t) { return a; }, "min");
}

Tensor prod(const Tensor& x, const std::vector<int>& axes, bool keepdims) {
  return reduce<double, float>(
      x, axes, keepdims, DType::float32, 1.0, [](double a, float v) { return a * v; },
      [](double a, std::int64_t) { return static_cast<float>(a); }, "prod");
}

Tensor var(const Tensor& x_in, const std::vector<int>& axes, bool keepdims) {
  // Two passes (mean, then mean squared deviation) for accuracy.
  Tensor x = detail::to_float(x_in);
  Tensor centered = subtract(x, mean(x, axes, true));
  return mean(square(centered), axes, keepdims);
}

Tensor stddev(const Tensor& x, const std::vector<int>& axes, bool keepdims) { return sqrt(var(x, axes, keepdims)); }

Tensor any(const Tensor& x, const std::vector<int>& axes, bool keepdims) {
  return reduce<bool, std::uint8_t>(
      x, axes, keepdims, DType::bool_, false, [](bool a, float v) { return a || v != 0.0F; },
      [](bool a, std::int64_t) { return static_cast<std::uint8_t>(a); }, "any");
}

Tensor all(const Tensor& x, const std::vector<int>& axes, bool keepdims) {
  return reduce<bool, std::uint8_t>(
      x, axes, keepdims, DType::bool_, true, [](bool a, float v) { return a && v != 0.0F; },
      [](bool a, std::int64_t) { return static_cast<std::uint8_t>(a); }, "all");
}

Tensor argmax(const Tensor& x, int axis, bool keepdims) { return arg_reduce(x, axis, keepdims, true); }
Tensor argmin(const Tensor& x, int axis, bool keepdims) { return arg_reduce(x, axis, keepdims, false); }

Tensor logsumexp(const Tensor& x_in, const std::vector<int>& axes, bool keepdims) {
  Tensor x = detail::to_float(x_in);
  Tensor m = max(x, axes, true);
  // Like scipy: a non-finite maximum is replaced by 0 before shifting.
  float* pm = m.data<float>();
  for (std::int64_t i = 0; i < m.size(); ++i)
    if (!std::isfinite(pm[i])) pm[i] = 0.0F;
  Tensor s = sum(exp(subtract(x, m)), axes, true);
  Tensor out = add(log(s), m);
  if (keepdims) return out;
  return reshape(out, make_view(x, axes, false, "logsumexp").out_shape);
}

namespace {

// exp(x) for x <= 0 (NaN passes through), written so that a loop over it vectorizes: x = n ln2 + r
// with |r| <= ln2 / 2 (ln2 in two parts, so that r is exact), exp(r) by its Taylor series to the
// 7th power (the remainder is below 1e-8 relative, under float32's resolution) and 2^n put
// into the exponent bits. Below -87.33 the result is 0 (float32's normal range ends there).
inline float exp_nonpositive(float x) {
  constexpr float kLog2e = 1.44269504088896341F;
  constexpr float kLn2High = 0.693359375F;  // few mantissa bits: n * kLn2High is exact
  constexpr float kLn2Low = -2.12194440e-4F;
  constexpr float kLowest = -87.33654F;
  // NaN (and anything past the contract) clamped too: converting it to int below would be undefined.
  const float clamped = (x < kLowest || x != x) ? kLowest : (x > 0.0F ? 0.0F : x);
  // Round to nearest by adding and taking away 1.5 * 2^23 (exact for |t| < 2^22; no floor call,
  // which the baseline ISA cannot vectorize).
  constexpr float kRound = 12582912.0F;
  const float n = (clamped * kLog2e + kRound) - kRound;
  const float r = (clamped - n * kLn2High) - n * kLn2Low;
  float p = 1.0F / 5040.0F;
  p = p * r + 1.0F / 720.0F;
  p = p * r + 1.0F / 120.0F;
  p = p * r + 1.0F / 24.0F;
  p = p * r + 1.0F / 6.0F;
  p = p * r + 0.5F;
  p = p * r + 1.0F;
  p = p * r + 1.0F;
  const auto bits = static_cast<std::uint32_t>(static_cast<std::int32_t>(n) + 127) << 23U;
  const float scaled = p * std::bit_cast<float>(bits);
  return x != x ? x : (x < kLowest ? 0.0F : scaled);
}

// One contiguous row's softmax (or log-softmax), cloned for AVX-512 and AVX2: Eigen's exp at
// the baseline ISA (four lanes) was the largest step of the transformer block's batch-1 predict. Partial
// maxima and sums in 16 lanes, combined in a fixed order, so results repeat bit for bit.
KERAS_ROW_CLONES void softmax_row(const float* __restrict x, float* __restrict y, std::int64_t n, bool log_output) {
  constexpr int kLanes = 16;
  float lane_max[kLanes];
  for (float& m : lane_max) m = -std::numeric_limits<float>::infinity();
  // A NaN, once taken, stays: then the whole row is NaN, as in numpy.
  auto take = [](float m, float v) { return (v > m || v != v) ? v : m; };
  std::int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int l = 0; l < kLanes; ++l) lane_max[l] = take(lane_max[l], x[i + l]);
  float m = -std::numeric_limits<float>::infinity();
  for (; i < n; ++i) m = take(m, x[i]);
  // Lanes combined by halves (a few vector steps, not sixteen dependent ones: rows are short).
  for (int width = kLanes / 2; width > 0; width /= 2)
    for (int l = 0; l < width; ++l) lane_max[l] = take(lane_max[l], lane_max[l + width]);
  m = take(m, lane_max[0]);
  float lane_sum[kLanes] = {};
  i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int l = 0; l < kLanes; ++l) {
      const float e = exp_nonpositive(x[i + l] - m);
      y[i + l] = e;
      lane_sum[l] += e;
    }
  float total = 0.0F;
  for (; i < n; ++i) {
    y[i] = exp_nonpositive(x[i] - m);
    total += y[i];
  }
  for (int width = kLanes / 2; width > 0; width /= 2)
    for (int l = 0; l < width; ++l) lane_sum[l] += lane_sum[l + width];
  total += lane_sum[0];
  if (log_output) {
    const float shift = m + std::log(total);
    for (i = 0; i < n; ++i) y[i] = x[i] - shift;
  } else {
    const float inv = 1.0F / total;
    for (i = 0; i < n; ++i) y[i] *= inv;
  }
}

// Softmax / log-softmax along one axis on the [outer, n, inner] view.
Tensor softmax_axis(const Tensor& x_in, int axis, bool log_output) {
  Tensor x = detail::to_float(x_in);
  if (x.rank() == 0) return log_output ? Tensor::scalar(0.0F) : Tensor::scalar(1.0F);
  ReduceView v = make_view(x, {axis}, true, "softmax");
  const float* in = x.data<float>();
  const std::int64_t n = v.reduced;
  if (v.inner == 1) {  // contiguous rows: the usual last-axis case
    Tensor out = Tensor::uninitialized(x.shape());
    float* o = out.data<float>();
    if (n > 0)
      for (std::int64_t row = 0; row < v.outer; ++row) softmax_row(in + row * n, o + row * n, n, log_output);
    return out;
  }
  Tensor out(x.shape());
  float* o = out.data<float>();
  for (std::int64_t outer = 0; outer < v.outer; ++outer)
    for (std::int64_t i = 0; i < v.inner; ++i) {
      const std::int64_t base = outer * n * v.inner + i;
      float m = -std::numeric_limits<float>::infinity();
      for (std::int64_t r = 0; r < n; ++r) m = nan_aware_max(m, in[base + r * v.inner]);
      double total = 0.0;
      for (std::int64_t r = 0; r < n; ++r) {
        const float e = std::exp(in[base + r * v.inner] - m);
        total += e;
        if (!log_output) o[base + r * v.inner] = e;
      }
      if (log_output) {
        const auto log_total = static_cast<float>(std::log(total));
        for (std::int64_t r = 0; r < n; ++r) o[base + r * v.inner] = in[base + r * v.inner] - m - log_total;
      } else {
        const auto inv = static_cast<float>(1.0 / total);
        for (std::int64_t r = 0; r < n; ++r) o[base + r * v.inner] *= inv;
      }
    }
  return out;
}

Tensor softmax_axes(const Tensor& x_in, const std::vector<int>& axes, bool log_output) {
  if (axes.size() == 1) return softmax_axis(x_in, axes[0], log_output);
  Tensor x = detail::to_float(x_in);
  Tensor shifted = subtract(x, max(x, axes, true));
  Tensor e = exp(shifted);
  Tensor total = sum(e, axes, true);
  return log_output ? subtract(shifted, log(total)) : divide(e, total);
}

}  // namespace

Tensor softmax(const Tensor& x, int axis) { return softmax_axis(x, axis, false); }
Tensor softmax(const Tensor& x, const std::vector<int>& axes) { return softmax_axes(x, axes, false); }
Tensor log_softmax(const Tensor& x, int axis) { return softmax_axis(x, axis, true); }
Tensor log_softmax(const Tensor& x, const std::vector<int>& axes) { return softmax_axes(x, axes, true); }

Tensor l2_normalize(const Tensor& x_in, const std::vector<int>& axes, float epsilon) {
  Tensor x = detail::to_float(x_in);
  if (x.rank() == 0) x = x.reshape({1});
  Tensor square_sum = sum(square(x), axes, true);
  float* p = square_sum.data<float>();
  const float floor_value = epsilon * epsilon;
  for (std::int64_t i = 0; i < square_sum.size(); ++i) p[i] = 1.0F / std::sqrt(std::max(p[i], floor_value));
  return multiply(x, square_sum);
}

}  // namespace keras::kernels
