#include "ops/image.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numbers>
#include <string>
#include <vector>

#include "ops/common.hpp"

namespace keras::kernels {

Interpolation parse_interpolation(std::string_view name) {
  if (name == "bilinear") return Interpolation::bilinear;
  if (name == "nearest") return Interpolation::nearest;
  if (name == "bicubic") return Interpolation::bicubic;
  if (name == "lanczos3") return Interpolation::lanczos3;
  if (name == "lanczos5") return Interpolation::lanczos5;
  throw ValueError("Invalid value for argument `interpolation`: '" + std::string(name) +
                   "'. Expected one of bilinear, nearest, lanczos3, lanczos5, bicubic");
}

namespace {

double triangle_kernel(double x) { return std::max(0.0, 1.0 - std::abs(x)); }

double keys_cubic_kernel(double x) {
  if (x >= 2.0) return 0.0;
  if (x >= 1.0) return ((-0.5 * x + 2.5) * x - 4.0) * x + 2.0;
  return ((1.5 * x - 2.5) * x) * x + 1.0;
}

double lanczos_kernel(double radius, double x) {
  if (x > radius) return 0.0;
  if (x <= 1e-3) return 1.0;
  const double pi = std::numbers::pi;
  return radius * std::sin(pi * x) * std::sin(pi * x / radius) / (pi * pi * x * x);
}

// Weights [input_size, output_size] of one resized dim (Keras' _compute_weight_mat,
// computed in double and then stored as float32 like the numpy backend does).
std::vector<float> weight_matrix(std::int64_t input_size, std::int64_t output_size, Interpolation method,
                                 bool antialias) {
  const double scale = static_cast<double>(output_size) / static_cast<double>(input_size);
  const double inv_scale = 1.0 / scale;
  const double kernel_scale = antialias ? std::max(inv_scale, 1.0) : 1.0;
  std::vector<double> weights(static_cast<std::size_t>(input_size * output_size));
  std::vector<float> out(weights.size());
  for (std::int64_t j = 0; j < output_size; ++j) {
    const double sample = (static_cast<double>(j) + 0.5) * inv_scale - 0.5;
    double total = 0.0;
    for (std::int64_t i = 0; i < input_size; ++i) {
      const double x = std::abs(sample - static_cast<double>(i)) / kernel_scale;
      double w = 0.0;
      switch (method) {
        case Interpolation::bilinear:
          w = triangle_kernel(x);
          break;
        case Interpolation::bicubic:
          w = keys_cubic_kernel(x);
          break;
        case Interpolation::lanczos3:
          w = lanczos_kernel(3.0, x);
          break;
        case Interpolation::lanczos5:
          w = lanczos_kernel(5.0, x);
          break;
        case Interpolation::nearest:
          break;
      }
      weights[static_cast<std::size_t>(i * output_size + j)] = w;
      total += w;
    }
    const bool in_range = sample >= -0.5 && sample <= static_cast<double>(input_size) - 0.5;
    const bool usable = std::abs(total) > 1000.0 * static_cast<double>(std::numeric_limits<float>::epsilon());
    for (std::int64_t i = 0; i < input_size; ++i) {
      auto idx = static_cast<std::size_t>(i * output_size + j);
      const double w = (usable && in_range) ? weights[idx] / (total != 0.0 ? total : 1.0) : 0.0;
      out[idx] = static_cast<float>(w);
    }
  }
  return out;
}

// out[o, j, i] = sum_k w[k, j] * in[o, k, i] for a [outer, n_in, inner] view.
Tensor apply_along(const Tensor& x, int axis, std::int64_t out_size, const std::vector<float>& w) {
  Shape shape = x.shape();
  const auto u = static_cast<std::size_t>(axis);
  const std::int64_t n_in = shape[u];
  std::int64_t outer = 1, inner = 1;
  for (std::size_t i = 0; i < u; ++i) outer *= shape[i];
  for (std::size_t i = u + 1; i < shape.size(); ++i) inner *= shape[i];
  shape[u] = out_size;
  Tensor out(shape);
  const float* in = x.data<float>();
  float* o = out.data<float>();
  for (std::int64_t b = 0; b < outer; ++b)
    for (std::int64_t j = 0; j < out_size; ++j) {
      float* dst = o + (b * out_size + j) * inner;
      for (std::int64_t k = 0; k < n_in; ++k) {
        const float weight = w[static_cast<std::size_t>(k * out_size + j)];
        if (weight == 0.0F) continue;
        const float* src = in + (b * n_in + k) * inner;
        for (std::int64_t i = 0; i < inner; ++i) dst[i] += weight * src[i];
      }
    }
  return out;
}

Tensor nearest_along(const Tensor& x, int axis, std::int64_t out_size) {
  Shape shape = x.shape();
  const auto u = static_cast<std::size_t>(axis);
  const std::int64_t n_in = shape[u];
  std::int64_t outer = 1, inner = 1;
  for (std::size_t i = 0; i < u; ++i) outer *= shape[i];
  for (std::size_t i = u + 1; i < shape.size(); ++i) inner *= shape[i];
  shape[u] = out_size;
  Tensor out(shape, x.dtype());
  const std::size_t row = static_cast<std::size_t>(inner) * dtype_size(x.dtype());
  const auto* in = static_cast<const std::byte*>(x.raw_data());
  auto* o = static_cast<std::byte*>(out.raw_data());
  for (std::int64_t j = 0; j < out_size; ++j) {
    // float32 arithmetic, as numpy evaluates (arange(n, float32) + 0.5) * m / n.
    float offset = (static_cast<float>(j) + 0.5F) * static_cast<float>(n_in);
    offset = offset / static_cast<float>(out_size);
    const auto source = std::min<std::int64_t>(static_cast<std::int64_t>(std::floor(offset)), n_in - 1);
    for (std::int64_t b = 0; b < outer; ++b)
      std::memcpy(o + static_cast<std::size_t>(b * out_size + j) * row,
                  in + static_cast<std::size_t>(b * n_in + source) * row, row);
  }
  return out;
}

}  // namespace

Tensor resize(const Tensor& images, std::int64_t height, std::int64_t width, Interpolation interpolation,
              bool antialias) {
  if (!images.defined()) throw ValueError("resize: undefined tensor");
  if (images.rank() != 3 && images.rank() != 4)
    throw ShapeMismatchError(
        "Invalid images rank: expected rank 3 (single image) or rank 4 (batch of images). Received input with shape: "
        "images.shape=" +
        shape_to_string(images.shape()));
  if (height < 1 || width < 1) throw ValueError("resize: target size must be positive");
  const int h_axis = images.rank() - 3;
  const std::int64_t target[2] = {height, width};
  if (interpolation == Interpolation::nearest) {
    Tensor out = images;
    for (int d = 0; d < 2; ++d)
      if (out.shape()[static_cast<std::size_t>(h_axis + d)] != target[d])
        out = nearest_along(out, h_axis + d, target[d]);
    return out;
  }
  const bool integer_input = !is_floating(images.dtype()) && images.dtype() != DType::bool_;
  Tensor out = detail::to_float(images);
  for (int d = 0; d < 2; ++d) {
    const std::int64_t n_in = out.shape()[static_cast<std::size_t>(h_axis + d)];
    if (n_in == target[d]) continue;
    if (n_in == 0) throw ValueError("resize: cannot resize an empty image");
    out = apply_along(out, h_axis + d, target[d], weight_matrix(n_in, target[d], interpolation, antialias));
  }
  if (!integer_input) return out;
  // Keras rounds and clips to the input's range, then casts back.
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (std::int64_t i = 0; i < images.size(); ++i) {
    lo = std::min(lo, images.at(i));
    hi = std::max(hi, images.at(i));
  }
  float* p = out.data<float>();
  for (std::int64_t i = 0; i < out.size(); ++i)
    p[i] = static_cast<float>(std::clamp(static_cast<double>(std::nearbyint(p[i])), lo, hi));
  return out.astype(images.dtype());
}

}  // namespace keras::kernels
