// Image resizing as keras.ops.image.resize computes it with the numpy backend
// (separable weight matrices, half-pixel centres). channels_last images
// [batch, H, W, C] or [H, W, C].
#pragma once

#include <cstdint>
#include <string_view>

#include "keras/tensor.hpp"

namespace keras::kernels {

enum class Interpolation { bilinear, nearest, bicubic, lanczos3, lanczos5 };
// "bilinear", "nearest", "bicubic", "lanczos3", "lanczos5"; throws ValueError otherwise.
Interpolation parse_interpolation(std::string_view name);

// float inputs give float32; integer inputs are resized in float32, then
// rounded, clipped to the input's range and returned in the input dtype (as Keras does).
Tensor resize(const Tensor& images, std::int64_t height, std::int64_t width,
              Interpolation interpolation = Interpolation::bilinear, bool antialias = false);

}  // namespace keras::kernels
