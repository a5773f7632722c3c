#include "ops/activations.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <numbers>
#include <string>
#include <vector>

#include "ops/common.hpp"
#include "ops/shape_ops.hpp"

namespace keras::kernels {

namespace {

template <typename F>
Tensor map(const Tensor& x_in, F fn) {
  Tensor x = detail::to_float(x_in);
  Tensor out = Tensor::uninitialized(x.shape());
  const float* in = x.data<float>();
  float* o = out.data<float>();
  for (std::int64_t i = 0, n = x.size(); i < n; ++i) o[i] = fn(in[i]);
  return out;
}

inline float sigmoid_scalar(float v) { return 1.0F / (1.0F + std::exp(-v)); }
inline float softplus_scalar(float v) { return std::max(v, 0.0F) + std::log1p(std::exp(-std::abs(v))); }
// np.maximum / np.minimum propagate NaN.
inline float np_max(float a, float b) { return std::isnan(a) || std::isnan(b) ? a + b : (a > b ? a : b); }
inline float np_min(float a, float b) { return std::isnan(a) || std::isnan(b) ? a + b : (a < b ? a : b); }
inline float hard_sigmoid_scalar(float v) {
  const float y = v / 6.0F + 0.5F;
  return y <= 0.0F ? 0.0F : (y >= 1.0F ? 1.0F : y);
}

}  // namespace

Tensor relu(const Tensor& x, float negative_slope, std::optional<float> max_value, float threshold) {
  // Mirrors keras.activations.ReLU.static_call step by step.
  if (negative_slope != 0.0F && !max_value && threshold == 0.0F) return leaky_relu(x, negative_slope);
  return map(x, [=](float v) {
    float negative_part = 0.0F;
    if (negative_slope != 0.0F) negative_part = threshold != 0.0F ? np_max(-v + threshold, 0.0F) : np_max(-v, 0.0F);
    bool clip_max = max_value.has_value();
    float y;
    if (threshold != 0.0F) {
      y = v > threshold ? v : 0.0F;
    } else if (max_value && *max_value == 6.0F) {
      y = np_min(np_max(v, 0.0F), 6.0F);
      clip_max = false;
    } else {
      y = np_max(v, 0.0F);
    }
    if (clip_max) y = np_min(np_max(y, 0.0F), *max_value);
    if (negative_slope != 0.0F) y -= negative_slope * negative_part;
    return y;
  });
}

Tensor relu6(const Tensor& x) {
  return map(x, [](float v) { return np_min(np_max(v, 0.0F), 6.0F); });
}

Tensor leaky_relu(const Tensor& x, float negative_slope) {
  return map(x, [=](float v) { return np_max(v, negative_slope * v); });
}

Tensor elu(const Tensor& x, float alpha) {
  return map(x, [=](float v) { return v >= 0.0F ? v : alpha * std::expm1(v); });
}

Tensor selu(const Tensor& x) {
  constexpr float alpha = 1.6732632423543772848170429916717F;
  constexpr float scale = 1.0507009873554804934193349852946F;
  return map(x, [=](float v) { return scale * (v >= 0.0F ? v : alpha * std::expm1(v)); });
}

Tensor gelu(const Tensor& x, bool approximate) {
  if (approximate) {
    const auto sqrt_2_over_pi = static_cast<float>(std::sqrt(2.0 / std::numbers::pi));
    return map(x, [=](float v) {
      const float cdf = 0.5F * (1.0F + std::tanh(sqrt_2_over_pi * (v + 0.044715F * (v * v * v))));
      return v * cdf;
    });
  }
  const auto sqrt_2 = static_cast<float>(std::sqrt(2.0));
  return map(x, [=](float v) { return v * (std::erf(v / sqrt_2) + 1.0F) / 2.0F; });
}

Tensor silu(const Tensor& x) {
  Tensor gate = sigmoid(x);
  return multiply(detail::to_float(x), gate);
}
Tensor hard_sigmoid(const Tensor& x) { return map(x, hard_sigmoid_scalar); }
Tensor hard_silu(const Tensor& x) {
  return map(x, [](float v) { return v * hard_sigmoid_scalar(v); });
}
Tensor softplus(const Tensor& x) { return unary(UnaryOp::softplus, x); }
Tensor softsign(const Tensor& x) { return unary(UnaryOp::softsign, x); }
Tensor exponential(const Tensor& x) { return exp(x); }
Tensor linear(const Tensor& x) { return x; }
Tensor mish(const Tensor& x) {
  return map(x, [](float v) { return v * std::tanh(softplus_scalar(v)); });
}
Tensor log_sigmoid(const Tensor& x) {
  return map(x, [](float v) { return -softplus_scalar(-v); });
}

Tensor celu(const Tensor& x, float alpha) {
  return map(x, [=](float v) { return np_max(v, 0.0F) + alpha * std::expm1(np_min(v, 0.0F) / alpha); });
}

Tensor glu(const Tensor& x, int axis) {
  const int ax = normalize_axis(axis, x.rank());
  if (x.dim(ax) % 2 != 0)
    throw ValueError("glu: axis size must be divisible by 2. Received: x.shape=" + shape_to_string(x.shape()) +
                     " with axis=" + std::to_string(axis));
  std::vector<Tensor> halves = split(detail::to_float(x), 2, ax);
  Tensor out(halves[0].shape());
  const float* a = halves[0].data<float>();
  const float* b = halves[1].data<float>();
  float* o = out.data<float>();
  for (std::int64_t i = 0; i < out.size(); ++i) o[i] = a[i] * sigmoid_scalar(b[i]);
  return out;
}

Tensor hard_tanh(const Tensor& x) {
  return map(x, [](float v) { return np_min(np_max(v, -1.0F), 1.0F); });
}

Tensor sparse_plus(const Tensor& x) {
  return map(x, [](float v) { return v <= -1.0F ? 0.0F : (v < 1.0F ? 0.25F * (v + 1.0F) * (v + 1.0F) : v); });
}

Tensor squareplus(const Tensor& x, float b) {
  return map(x, [=](float v) { return (v + std::sqrt(v * v + b)) / 2.0F; });
}

Tensor tanh_shrink(const Tensor& x) {
  return map(x, [](float v) { return v - std::tanh(v); });
}

Tensor threshold(const Tensor& x, float threshold_value, float default_value) {
  return map(x, [=](float v) { return v > threshold_value ? v : default_value; });
}

Tensor soft_shrink(const Tensor& x, float t) {
  return map(x, [=](float v) { return v > t ? v - t : (v < -t ? v + t : 0.0F); });
}

Tensor hard_shrink(const Tensor& x, float t) {
  return map(x, [=](float v) { return std::abs(v) > t ? v : 0.0F; });
}

Tensor sparse_sigmoid(const Tensor& x) {
  return map(x, [](float v) { return v <= -1.0F ? 0.0F : (v >= 1.0F ? 1.0F : 0.5F * (v + 1.0F)); });
}

Tensor sparsemax(const Tensor& x_in, int axis) {
  Tensor x = detail::to_float(x_in);
  const int ax = normalize_axis(axis, x.rank());
  // Work on rows along the last axis.
  const int last = x.rank() - 1;
  std::vector<int> perm;
  for (int i = 0; i < x.rank(); ++i) perm.push_back(i);
  std::swap(perm[static_cast<std::size_t>(ax)], perm[static_cast<std::size_t>(last)]);
  Tensor rows = transpose(x, perm);
  Tensor out(rows.shape());
  const std::int64_t n = rows.dim(-1);
  const float* in = rows.data<float>();
  float* o = out.data<float>();
  std::vector<float> sorted(static_cast<std::size_t>(n));
  for (std::int64_t row = 0; n > 0 && row < rows.size() / n; ++row) {
    const float* r = in + row * n;
    std::copy(r, r + n, sorted.begin());
    std::sort(sorted.begin(), sorted.end(), std::greater<>());
    // Keras computes tau = (sum over the support of the running sums - 1) / k;
    // every Keras backend does this, so it is reproduced as is. numpy promotes
    // the divisions by the integer ranks to float64, and so do we.
    float cumsum = 0.0F;
    float support_cumsum_total = 0.0F;
    std::int64_t k = 0;
    for (std::int64_t j = 0; j < n; ++j) {
      cumsum += sorted[static_cast<std::size_t>(j)];
      const double gap = static_cast<double>(sorted[static_cast<std::size_t>(j)]) -
                         static_cast<double>(cumsum - 1.0F) / static_cast<double>(j + 1);
      if (gap > 0.0) {
        ++k;
        support_cumsum_total += cumsum;
      }
    }
    const double tau = static_cast<double>(support_cumsum_total - 1.0F) / static_cast<double>(k);
    for (std::int64_t j = 0; j < n; ++j) {
      const double shifted = static_cast<double>(r[j]) - tau;
      o[row * n + j] = std::isnan(shifted) ? static_cast<float>(shifted) : static_cast<float>(std::max(shifted, 0.0));
    }
  }
  return transpose(out, perm);
}

}  // namespace keras::kernels
