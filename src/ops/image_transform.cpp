#include "ops/image_transform.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "ops/common.hpp"
#include "ops/shape_ops.hpp"

namespace keras::kernels {

FillMode parse_fill_mode(std::string_view name) {
  if (name == "reflect") return FillMode::reflect;
  if (name == "mirror") return FillMode::mirror;
  if (name == "wrap") return FillMode::wrap;
  if (name == "nearest") return FillMode::nearest;
  if (name == "constant") return FillMode::constant;
  throw ValueError(
      "Invalid value for argument `fill_mode`. Expected one of {'reflect', 'mirror', 'wrap', "
      "'nearest', 'constant'}. Received: fill_mode=" +
      std::string(name));
}

namespace {

std::int64_t positive_mod(std::int64_t i, std::int64_t n) {
  const std::int64_t m = i % n;
  return m < 0 ? m + n : m;
}

// The index that numpy.pad (then scipy) reads for position i of an axis of
// size n; -1 for the constant fill.
std::int64_t map_index(std::int64_t i, std::int64_t n, FillMode mode) {
  if (i >= 0 && i < n) return i;
  switch (mode) {
    case FillMode::constant:
      return -1;
    case FillMode::nearest:
      return i < 0 ? 0 : n - 1;
    case FillMode::wrap:
      return positive_mod(i, n);
    case FillMode::reflect: {  // numpy "symmetric": the edge repeats, period 2n
      const std::int64_t m = positive_mod(i, 2 * n);
      return m < n ? m : 2 * n - 1 - m;
    }
    case FillMode::mirror: {  // numpy "reflect": the edge does not repeat, period 2n - 2
      if (n == 1) return 0;
      const std::int64_t m = positive_mod(i, 2 * n - 2);
      return m < n ? m : 2 * n - 2 - m;
    }
  }
  return -1;
}

// Coordinates far outside any image behave like any other outside point;
// clamping keeps the integer conversion defined.
std::int64_t floor_index(double x) {
  constexpr double kLimit = 4.0e15;
  return static_cast<std::int64_t>(std::floor(std::clamp(x, -kLimit, kLimit)));
}

Tensor float_images(const Tensor& images, const char* what) {
  if (images.rank() != 4)
    throw ShapeMismatchError(std::string(what) + " expects images [batch, height, width, channels], got shape " +
                             shape_to_string(images.shape()));
  return detail::to_float(images);
}

}  // namespace

float ImageSampler::sample(const float* image, double row, double col, std::int64_t c) const {
  if (!std::isfinite(row) || !std::isfinite(col)) return fill_value;
  auto value_at = [&](std::int64_t r, std::int64_t q) {
    const std::int64_t rr = map_index(r, height, fill_mode);
    const std::int64_t qq = map_index(q, width, fill_mode);
    if (rr < 0 || qq < 0) return fill_value;
    return image[(rr * width + qq) * channels + c];
  };
  if (!bilinear) return value_at(floor_index(row + 0.5), floor_index(col + 0.5));
  const std::int64_t r0 = floor_index(row), q0 = floor_index(col);
  const double t = row - static_cast<double>(r0), s = col - static_cast<double>(q0);
  const double top = (1.0 - s) * value_at(r0, q0) + s * value_at(r0, q0 + 1);
  const double bottom = (1.0 - s) * value_at(r0 + 1, q0) + s * value_at(r0 + 1, q0 + 1);
  return static_cast<float>((1.0 - t) * top + t * bottom);
}

Tensor affine_transform(const Tensor& images_in, const Tensor& transforms_in, bool bilinear, FillMode fill_mode,
                        float fill_value) {
  Tensor images = float_images(images_in, "affine_transform");
  const std::int64_t batch = images.dim(0), height = images.dim(1), width = images.dim(2), channels = images.dim(3);
  Tensor transforms = detail::to_float(transforms_in);
  if (transforms.rank() == 1) transforms = transforms.reshape({1, transforms.dim(0)});
  if (transforms.rank() != 2 || transforms.dim(1) != 8 || (transforms.dim(0) != batch && transforms.dim(0) != 1))
    throw ShapeMismatchError("affine_transform expects transforms of shape [batch, 8], got " +
                             shape_to_string(transforms_in.shape()));
  Tensor out(images.shape(), DType::float32);
  const float* src = images.data<float>();
  const float* tr = transforms.data<float>();
  float* dst = out.data<float>();
  const ImageSampler sampler{src, height, width, channels, bilinear, fill_mode, fill_value};
  const std::int64_t image_size = height * width * channels;
  for (std::int64_t b = 0; b < batch; ++b) {
    const float* t = tr + (transforms.dim(0) == 1 ? 0 : b * 8);
    const float* image = src + b * image_size;
    float* o = dst + b * image_size;
    for (std::int64_t y = 0; y < height; ++y)
      for (std::int64_t x = 0; x < width; ++x) {
        const auto xd = static_cast<double>(x), yd = static_cast<double>(y);
        const double col = t[0] * xd + t[1] * yd + t[2];
        const double row = t[3] * xd + t[4] * yd + t[5];
        for (std::int64_t c = 0; c < channels; ++c) *o++ = sampler.sample(image, row, col, c);
      }
  }
  return out;
}

Tensor homography_matrix(const Tensor& start_in, const Tensor& end_in) {
  Tensor start = detail::to_float(start_in), end = detail::to_float(end_in);
  if (start.rank() == 2) start = start.reshape({1, 4, 2});
  if (end.rank() == 2) end = end.reshape({1, 4, 2});
  if (start.shape() != end.shape() || start.rank() != 3 || start.dim(1) != 4 || start.dim(2) != 2)
    throw ShapeMismatchError("homography_matrix expects start and end points of shape [batch, 4, 2], got " +
                             shape_to_string(start_in.shape()) + " and " + shape_to_string(end_in.shape()));
  const std::int64_t batch = start.dim(0);
  Tensor out({batch, 8}, DType::float32);
  for (std::int64_t b = 0; b < batch; ++b) {
    const float* s = start.data<float>() + b * 8;
    const float* e = end.data<float>() + b * 8;
    // Two rows per point: the projective map of the end point must give the start point.
    std::array<std::array<double, 9>, 8> m{};
    for (int p = 0; p < 4; ++p) {
      const double ex = e[2 * p], ey = e[2 * p + 1], sx = s[2 * p], sy = s[2 * p + 1];
      m[2 * p] = {ex, ey, 1.0, 0.0, 0.0, 0.0, -sx * ex, -sx * ey, sx};
      m[2 * p + 1] = {0.0, 0.0, 0.0, ex, ey, 1.0, -sy * ex, -sy * ey, sy};
    }
    for (int col = 0; col < 8; ++col) {  // Gaussian elimination with partial pivoting
      int pivot = col;
      for (int r = col + 1; r < 8; ++r)
        if (std::abs(m[r][col]) > std::abs(m[pivot][col])) pivot = r;
      if (std::abs(m[pivot][col]) < 1e-12)
        throw ValueError("perspective_transform: singular homography (degenerate points)");
      std::swap(m[col], m[pivot]);
      for (int r = 0; r < 8; ++r) {
        if (r == col) continue;
        const double f = m[r][col] / m[col][col];
        for (int k = col; k < 9; ++k) m[r][k] -= f * m[col][k];
      }
    }
    for (int i = 0; i < 8; ++i) out.data<float>()[b * 8 + i] = static_cast<float>(m[i][8] / m[i][i]);
  }
  return out;
}

Tensor perspective_transform(const Tensor& images_in, const Tensor& start_points, const Tensor& end_points,
                             bool bilinear, float fill_value) {
  Tensor images = float_images(images_in, "perspective_transform");
  const std::int64_t batch = images.dim(0), height = images.dim(1), width = images.dim(2), channels = images.dim(3);
  Tensor h = homography_matrix(start_points, end_points);
  if (h.dim(0) != batch && h.dim(0) != 1)
    throw ShapeMismatchError("perspective_transform: " + std::to_string(h.dim(0)) + " point sets for " +
                             std::to_string(batch) + " images");
  Tensor out(images.shape(), DType::float32);
  const ImageSampler sampler{images.data<float>(), height, width, channels, bilinear, FillMode::constant, fill_value};
  const std::int64_t image_size = height * width * channels;
  for (std::int64_t b = 0; b < batch; ++b) {
    const float* a = h.data<float>() + (h.dim(0) == 1 ? 0 : b * 8);
    const float* image = images.data<float>() + b * image_size;
    float* o = out.data<float>() + b * image_size;
    for (std::int64_t y = 0; y < height; ++y)
      for (std::int64_t x = 0; x < width; ++x) {
        const auto xd = static_cast<double>(x), yd = static_cast<double>(y);
        const double denom = a[6] * xd + a[7] * yd + 1.0;
        const double col = (a[0] * xd + a[1] * yd + a[2]) / denom;
        const double row = (a[3] * xd + a[4] * yd + a[5]) / denom;
        for (std::int64_t c = 0; c < channels; ++c) *o++ = sampler.sample(image, row, col, c);
      }
  }
  return out;
}

namespace {

std::vector<double> gaussian_kernel_1d(std::int64_t size, double sigma) {
  std::vector<double> k(static_cast<std::size_t>(size));
  double total = 0.0;
  for (std::int64_t i = 0; i < size; ++i) {
    const double x = (static_cast<double>(i) - static_cast<double>(size - 1) / 2.0) / sigma;
    k[static_cast<std::size_t>(i)] = std::exp(-0.5 * x * x);
    total += k[static_cast<std::size_t>(i)];
  }
  for (auto& v : k) v /= total;
  return k;
}

}  // namespace

Tensor gaussian_blur(const Tensor& images_in, std::int64_t kernel_width, std::int64_t kernel_height, double sigma_x,
                     double sigma_y) {
  Tensor images = float_images(images_in, "gaussian_blur");
  if (kernel_width < 1 || kernel_height < 1)
    throw ValueError("gaussian_blur: kernel sizes must be positive, got " + std::to_string(kernel_width) + "x" +
                     std::to_string(kernel_height));
  const std::int64_t batch = images.dim(0), height = images.dim(1), width = images.dim(2), channels = images.dim(3);
  const auto kx = gaussian_kernel_1d(kernel_width, sigma_x);
  const auto ky = gaussian_kernel_1d(kernel_height, sigma_y);
  // scipy.signal.convolve2d over the zero-padded image, (k - 1) / 2 before.
  const std::int64_t pad_top = (kernel_height - 1) / 2, pad_left = (kernel_width - 1) / 2;
  Tensor out(images.shape(), DType::float32);
  const float* src = images.data<float>();
  float* dst = out.data<float>();
  for (std::int64_t b = 0; b < batch; ++b)
    for (std::int64_t y = 0; y < height; ++y)
      for (std::int64_t x = 0; x < width; ++x)
        for (std::int64_t c = 0; c < channels; ++c) {
          double acc = 0.0;
          for (std::int64_t m = 0; m < kernel_height; ++m) {
            // Convolution flips the kernel.
            const std::int64_t r = y + (kernel_height - 1 - m) - pad_top;
            if (r < 0 || r >= height) continue;
            for (std::int64_t n = 0; n < kernel_width; ++n) {
              const std::int64_t q = x + (kernel_width - 1 - n) - pad_left;
              if (q < 0 || q >= width) continue;
              acc += ky[static_cast<std::size_t>(m)] * kx[static_cast<std::size_t>(n)] *
                     src[((b * height + r) * width + q) * channels + c];
            }
          }
          dst[((b * height + y) * width + x) * channels + c] = static_cast<float>(acc);
        }
  return out;
}

Tensor elastic_transform(const Tensor& images_in, const Tensor& noise_x, const Tensor& noise_y, double alpha,
                         double sigma, bool bilinear, FillMode fill_mode, float fill_value) {
  Tensor images = float_images(images_in, "elastic_transform");
  const std::int64_t batch = images.dim(0), height = images.dim(1), width = images.dim(2), channels = images.dim(3);
  const Shape field{batch, height, width};
  if (noise_x.shape() != field || noise_y.shape() != field)
    throw ShapeMismatchError("elastic_transform: displacement fields must have shape " + shape_to_string(field));
  const auto kernel_size = static_cast<std::int64_t>(6.0 * sigma) | 1;
  auto smooth = [&](const Tensor& noise) {
    Tensor scaled = detail::to_float(noise).clone();
    for (float* p = scaled.data<float>(); p != scaled.data<float>() + scaled.size(); ++p)
      *p = static_cast<float>(*p * sigma);
    return gaussian_blur(scaled.reshape({batch, height, width, 1}), kernel_size, kernel_size, sigma, sigma);
  };
  const Tensor dx = smooth(noise_x), dy = smooth(noise_y);
  Tensor out(images.shape(), DType::float32);
  const ImageSampler sampler{images.data<float>(), height, width, channels, bilinear, fill_mode, fill_value};
  const std::int64_t image_size = height * width * channels;
  for (std::int64_t b = 0; b < batch; ++b) {
    const float* image = images.data<float>() + b * image_size;
    float* o = out.data<float>() + b * image_size;
    for (std::int64_t y = 0; y < height; ++y)
      for (std::int64_t x = 0; x < width; ++x) {
        const std::int64_t i = (b * height + y) * width + x;
        const double col = static_cast<double>(x) + alpha * dx.data<float>()[i];
        const double row = static_cast<double>(y) + alpha * dy.data<float>()[i];
        for (std::int64_t c = 0; c < channels; ++c) *o++ = sampler.sample(image, row, col, c);
      }
  }
  return out;
}

Tensor rgb_to_grayscale(const Tensor& images_in) {
  Tensor images = float_images(images_in, "rgb_to_grayscale");
  const std::int64_t channels = images.dim(3);
  if (channels == 1) return images.clone();
  if (channels != 3)
    throw ShapeMismatchError(
        "Invalid channel size: expected 3 (RGB) or 1 (Grayscale). Received input with shape: "
        "images.shape=" +
        shape_to_string(images_in.shape()));
  const std::int64_t pixels = images.size() / 3;
  Shape shape = images.shape();
  shape.back() = 1;
  Tensor out(shape, DType::float32);
  const float* p = images.data<float>();
  float* o = out.data<float>();
  for (std::int64_t i = 0; i < pixels; ++i, p += 3) o[i] = p[0] * 0.2989F + p[1] * 0.5870F + p[2] * 0.1140F;
  return out;
}

namespace {

Tensor rgb_images(const Tensor& images_in, const char* what) {
  Tensor images = float_images(images_in, what);
  if (images.dim(3) != 3)
    throw ShapeMismatchError(std::string(what) + " expects 3 channels, got shape " +
                             shape_to_string(images_in.shape()));
  return images;
}

}  // namespace

Tensor rgb_to_hsv(const Tensor& images_in) {
  Tensor images = rgb_images(images_in, "rgb_to_hsv");
  Tensor out(images.shape(), DType::float32);
  const float eps = std::numeric_limits<float>::epsilon();
  const float* p = images.data<float>();
  float* o = out.data<float>();
  for (std::int64_t i = 0; i < images.size() / 3; ++i, p += 3, o += 3) {
    auto clean = [&](float v) { return std::abs(v) < eps ? 0.0F : v; };
    const float r = clean(p[0]), g = clean(p[1]), b = clean(p[2]);
    const float value = std::max(std::max(r, g), b);
    const float minimum = std::min(std::min(r, g), b);
    const float range = value - minimum;
    const float safe_value = value > 0 ? value : 1.0F;
    const float safe_range = range > 0 ? range : 1.0F;
    const float saturation = value > 0 ? range / safe_value : 0.0F;
    const float norm = 1.0F / (6.0F * safe_range);
    float hue = value == g ? norm * (b - r) + 2.0F / 6.0F : norm * (r - g) + 4.0F / 6.0F;
    if (value == r) hue = norm * (g - b);
    hue = (range > 0 ? hue : 0.0F) + (hue < 0.0F ? 1.0F : 0.0F);
    o[0] = hue;
    o[1] = saturation;
    o[2] = value;
  }
  return out;
}

Tensor hsv_to_rgb(const Tensor& images_in) {
  Tensor images = rgb_images(images_in, "hsv_to_rgb");
  Tensor out(images.shape(), DType::float32);
  const float* p = images.data<float>();
  float* o = out.data<float>();
  for (std::int64_t i = 0; i < images.size() / 3; ++i, p += 3, o += 3) {
    const float h = p[0], s = p[1], v = p[2];
    float dh = std::fmod(h, 1.0F);
    if (dh < 0) dh += 1.0F;  // numpy's mod takes the sign of the divisor
    dh *= 6.0F;
    const float dr = std::clamp(std::abs(dh - 3.0F) - 1.0F, 0.0F, 1.0F);
    const float dg = std::clamp(2.0F - std::abs(dh - 2.0F), 0.0F, 1.0F);
    const float db = std::clamp(2.0F - std::abs(dh - 4.0F), 0.0F, 1.0F);
    const float one_minus_s = 1.0F - s;
    o[0] = v * (one_minus_s + s * dr);
    o[1] = v * (one_minus_s + s * dg);
    o[2] = v * (one_minus_s + s * db);
  }
  return out;
}

Tensor to_channels_last(const Tensor& images) { return transpose(images, {0, 2, 3, 1}); }
Tensor to_channels_first(const Tensor& images) { return transpose(images, {0, 3, 1, 2}); }

}  // namespace keras::kernels
