#include "ops/activations_grad.hpp"

#include <cmath>
#include <numbers>
#include <string>

#include "ops/activations.hpp"
#include "ops/common.hpp"
#include "ops/elementwise.hpp"
#include "ops/reduce.hpp"
#include "ops/shape_ops.hpp"

namespace keras::kernels {

namespace {

// dx[i] = fn(x[i], y[i]) * dy[i]; y may be undefined when fn ignores it.
template <typename F>
Tensor chain(const Tensor& x_in, const Tensor& y_in, const Tensor& dy_in, F fn) {
  Tensor x = detail::to_float(x_in);
  Tensor dy = detail::to_float(dy_in);
  if (dy.shape() != x.shape())
    throw ShapeMismatchError("activation backward: gradient shape " + shape_to_string(dy.shape()) +
                             " does not match input shape " + shape_to_string(x.shape()));
  Tensor y = y_in.defined() ? detail::to_float(y_in) : x;
  Tensor out(x.shape());
  const float* xs = x.data<float>();
  const float* ys = y.data<float>();
  const float* g = dy.data<float>();
  float* o = out.data<float>();
  for (std::int64_t i = 0, n = x.size(); i < n; ++i) o[i] = fn(xs[i], ys[i]) * g[i];
  return out;
}

inline float sigmoid_scalar(float v) { return 1.0F / (1.0F + std::exp(-v)); }
inline float softplus_scalar(float v) { return std::max(v, 0.0F) + std::log1p(std::exp(-std::abs(v))); }
inline float hard_sigmoid_slope(float v) {
  const float y = v / 6.0F + 0.5F;
  return y > 0.0F && y < 1.0F ? 1.0F / 6.0F : 0.0F;
}
inline float hard_sigmoid_scalar(float v) {
  const float y = v / 6.0F + 0.5F;
  return y <= 0.0F ? 0.0F : (y >= 1.0F ? 1.0F : y);
}

}  // namespace

Tensor relu_backward(const Tensor& x, const Tensor& dy, float negative_slope, std::optional<float> max_value,
                     float threshold) {
  return chain(x, {}, dy, [=](float v, float) {
    float d = 0.0F;
    if (threshold != 0.0F) {
      d = v > threshold ? 1.0F : 0.0F;
      if (max_value && !(v < *max_value)) d = 0.0F;
    } else {
      const float upper = max_value ? *max_value : INFINITY;
      d = v > 0.0F && v < upper ? 1.0F : 0.0F;
    }
    if (negative_slope != 0.0F && v < threshold) d += negative_slope;
    return d;
  });
}

Tensor leaky_relu_backward(const Tensor& x, const Tensor& dy, float negative_slope) {
  return chain(x, {}, dy, [=](float v, float) { return v > negative_slope * v ? 1.0F : negative_slope; });
}

Tensor elu_backward(const Tensor& x, const Tensor& dy, float alpha) {
  return chain(x, {}, dy, [=](float v, float) { return v >= 0.0F ? 1.0F : alpha * std::exp(v); });
}

Tensor celu_backward(const Tensor& x, const Tensor& dy, float alpha) {
  return chain(x, {}, dy, [=](float v, float) { return v > 0.0F ? 1.0F : std::exp(v / alpha); });
}

Tensor gelu_backward(const Tensor& x, const Tensor& dy, bool approximate) {
  if (approximate) {
    const auto c = static_cast<float>(std::sqrt(2.0 / std::numbers::pi));
    return chain(x, {}, dy, [=](float v, float) {
      const float t = std::tanh(c * (v + 0.044715F * v * v * v));
      return 0.5F * (1.0F + t) + 0.5F * v * (1.0F - t * t) * c * (1.0F + 3.0F * 0.044715F * v * v);
    });
  }
  const auto inv_sqrt_2 = static_cast<float>(1.0 / std::sqrt(2.0));
  const auto inv_sqrt_2pi = static_cast<float>(1.0 / std::sqrt(2.0 * std::numbers::pi));
  return chain(x, {}, dy, [=](float v, float) {
    return 0.5F * (1.0F + std::erf(v * inv_sqrt_2)) + v * std::exp(-0.5F * v * v) * inv_sqrt_2pi;
  });
}

Tensor threshold_backward(const Tensor& x, const Tensor& dy, float threshold) {
  return chain(x, {}, dy, [=](float v, float) { return v > threshold ? 1.0F : 0.0F; });
}

Tensor soft_shrink_backward(const Tensor& x, const Tensor& dy, float threshold) {
  return chain(x, {}, dy, [=](float v, float) { return std::abs(v) > threshold ? 1.0F : 0.0F; });
}

Tensor hard_shrink_backward(const Tensor& x, const Tensor& dy, float threshold) {
  return soft_shrink_backward(x, dy, threshold);
}

Tensor squareplus_backward(const Tensor& x, const Tensor& dy, float b) {
  return chain(x, {}, dy, [=](float v, float) { return 0.5F * (1.0F + v / std::sqrt(v * v + b)); });
}

Tensor glu_backward(const Tensor& x_in, const Tensor& dy_in, int axis) {
  Tensor x = detail::to_float(x_in);
  const int ax = normalize_axis(axis, x.rank());
  std::vector<Tensor> halves = split(x, 2, ax);
  Tensor dy = detail::to_float(dy_in);
  Tensor da(halves[0].shape());
  Tensor db(halves[0].shape());
  const float* a = halves[0].data<float>();
  const float* b = halves[1].data<float>();
  const float* g = dy.data<float>();
  float* oa = da.data<float>();
  float* ob = db.data<float>();
  for (std::int64_t i = 0; i < da.size(); ++i) {
    const float s = sigmoid_scalar(b[i]);
    oa[i] = g[i] * s;
    ob[i] = g[i] * a[i] * s * (1.0F - s);
  }
  return concatenate({da, db}, ax);
}

Tensor softmax_backward(const Tensor& y, const Tensor& dy, const std::vector<int>& axes) {
  Tensor dot = sum(multiply(dy, y), axes, true);
  return multiply(y, subtract(dy, dot));
}

Tensor log_softmax_backward(const Tensor& y, const Tensor& dy, const std::vector<int>& axes) {
  return subtract(dy, multiply(exp(y), sum(dy, axes, true)));
}

Tensor sparsemax_backward(const Tensor& y, const Tensor& dy, int axis) {
  Tensor support = cast(greater(y, Tensor::scalar(0.0F)), DType::float32);
  Tensor count = sum(support, {axis}, true);
  Tensor mean_grad = divide(sum(multiply(dy, support), {axis}, true), count);
  return multiply(support, subtract(dy, mean_grad));
}

Tensor activation_backward(std::string_view name, const Tensor& x, const Tensor& y, const Tensor& dy) {
  using F = float (*)(float, float);
  auto simple = [&](F fn) { return chain(x, y, dy, fn); };
  if (name == "linear") return detail::to_float(dy);
  if (name == "relu") return relu_backward(x, dy);
  if (name == "relu6") return relu_backward(x, dy, 0.0F, 6.0F);
  if (name == "leaky_relu") return leaky_relu_backward(x, dy);
  if (name == "elu") return elu_backward(x, dy);
  if (name == "celu") return celu_backward(x, dy);
  if (name == "gelu") return gelu_backward(x, dy, false);
  if (name == "glu") return glu_backward(x, dy, -1);
  if (name == "softmax") return softmax_backward(y, dy, {-1});
  if (name == "log_softmax") return log_softmax_backward(y, dy, {-1});
  if (name == "sparsemax") return sparsemax_backward(y, dy, -1);
  if (name == "soft_shrink") return soft_shrink_backward(x, dy);
  if (name == "hard_shrink") return hard_shrink_backward(x, dy);
  if (name == "squareplus") return squareplus_backward(x, dy);
  if (name == "selu")
    return simple([](float v, float) {
      constexpr float alpha = 1.6732632423543772848170429916717F;
      constexpr float scale = 1.0507009873554804934193349852946F;
      return scale * (v >= 0.0F ? 1.0F : alpha * std::exp(v));
    });
  if (name == "softplus") return simple([](float v, float) { return sigmoid_scalar(v); });
  if (name == "softsign")
    return simple([](float v, float) {
      const float d = 1.0F + std::abs(v);
      return 1.0F / (d * d);
    });
  if (name == "sparse_plus")
    return simple([](float v, float) { return v <= -1.0F ? 0.0F : (v < 1.0F ? 0.5F * (v + 1.0F) : 1.0F); });
  if (name == "silu" || name == "swish")
    return simple([](float v, float) {
      const float s = sigmoid_scalar(v);
      return s + v * s * (1.0F - s);
    });
  if (name == "tanh") return simple([](float, float t) { return 1.0F - t * t; });
  if (name == "tanh_shrink")
    return simple([](float v, float) {
      const float t = std::tanh(v);
      return t * t;
    });
  if (name == "sigmoid") return simple([](float, float s) { return s * (1.0F - s); });
  if (name == "sparse_sigmoid") return simple([](float v, float) { return v > -1.0F && v < 1.0F ? 0.5F : 0.0F; });
  if (name == "exponential") return simple([](float, float e) { return e; });
  if (name == "hard_sigmoid") return simple([](float v, float) { return hard_sigmoid_slope(v); });
  if (name == "hard_silu" || name == "hard_swish")
    return simple([](float v, float) { return hard_sigmoid_scalar(v) + v * hard_sigmoid_slope(v); });
  if (name == "hard_tanh") return simple([](float v, float) { return v > -1.0F && v < 1.0F ? 1.0F : 0.0F; });
  if (name == "mish")
    return simple([](float v, float) {
      const float t = std::tanh(softplus_scalar(v));
      return t + v * (1.0F - t * t) * sigmoid_scalar(v);
    });
  if (name == "log_sigmoid") return simple([](float v, float) { return 1.0F - sigmoid_scalar(v); });
  if (name == "threshold")
    throw ValueError("activation 'threshold' needs explicit arguments; call kernels::threshold_backward");
  throw UnknownObjectError("Could not interpret activation function identifier: " + std::string(name));
}

}  // namespace keras::kernels
