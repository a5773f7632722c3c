// Geometric and color transforms of keras.ops.image as Keras' numpy backend
// computes them (keras/src/backend/numpy/image.py): affine and perspective
// warps sampled like scipy.ndimage.map_coordinates, Gaussian blur, and the
// RGB / HSV / grayscale conversions. Images are float32 channels_last
// [batch, H, W, C]; callers move channels_first data and handle rank 3.
#pragma once

#include <string_view>

#include "keras/tensor.hpp"

namespace keras::kernels {

// Points outside the image: "reflect" (d c b a | a b c d), "mirror"
// (d c b | a b c d), "wrap", "nearest" (edge) or "constant" (fill_value).
enum class FillMode { reflect, mirror, wrap, nearest, constant };
FillMode parse_fill_mode(std::string_view name);

// Samples channel `c` of image `b` at the real position (row, col): bilinear
// or nearest (floor(x + 0.5)), outside points mapped by `fill_mode`.
struct ImageSampler {
  const float* data;
  std::int64_t height, width, channels;
  bool bilinear;
  FillMode fill_mode;
  float fill_value;
  float sample(const float* image, double row, double col, std::int64_t c) const;
};

// keras.ops.image.affine_transform: `transforms` [batch, 8] (or [8]) holds
// a0 a1 a2 b0 b1 b2 c0 c1; output (x, y) reads input (a0 x + a1 y + a2,
// b0 x + b1 y + b2). As in the numpy backend, c0 and c1 are ignored.
Tensor affine_transform(const Tensor& images, const Tensor& transforms, bool bilinear, FillMode fill_mode,
                        float fill_value);

// The 8 homography coefficients mapping end points to start points
// (keras.ops.image.compute_homography_matrix); points [batch, 4, 2] as (x, y).
Tensor homography_matrix(const Tensor& start_points, const Tensor& end_points);
// keras.ops.image.perspective_transform (constant fill).
Tensor perspective_transform(const Tensor& images, const Tensor& start_points, const Tensor& end_points, bool bilinear,
                             float fill_value);

// keras.ops.image.gaussian_blur with zero padding: kernel_size = (width,
// height) and sigma = (sigma_x, sigma_y), as the numpy backend orders them.
Tensor gaussian_blur(const Tensor& images, std::int64_t kernel_width, std::int64_t kernel_height, double sigma_x,
                     double sigma_y);

// keras.ops.image.elastic_transform given the two unit normal fields dx, dy
// [batch, H, W] (the randomness stays with the caller).
Tensor elastic_transform(const Tensor& images, const Tensor& noise_x, const Tensor& noise_y, double alpha, double sigma,
                         bool bilinear, FillMode fill_mode, float fill_value);

// keras.ops.image.rgb_to_grayscale: one channel (0.2989 R + 0.587 G + 0.114 B);
// single-channel images are returned as they are.
Tensor rgb_to_grayscale(const Tensor& images);
Tensor rgb_to_hsv(const Tensor& images);
Tensor hsv_to_rgb(const Tensor& images);

// Images with their channels moved between channels_first and channels_last (rank 4).
Tensor to_channels_last(const Tensor& images);
Tensor to_channels_first(const Tensor& images);

}  // namespace keras::kernels
