// PNG and JPEG files as model inputs: decoded with libpng and libjpeg,
// converted to the channels the model takes, resized to its input size.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "keras/tensor.hpp"

namespace keras_cli {

bool is_image_file(const std::string& path);

struct ImageInputOptions {
  std::string interpolation = "bilinear";  // as keras.layers.Resizing
  double rescale = 1.0;                    // pixel values 0..255 times this
};

// One image as a float32 tensor [1, H, W, C] (or [1, C, H, W] for a
// channels_first input) fitting `input_shape` (batch dimension first):
// C is 1 (grayscale), 3 (RGB) or 4 (RGBA) as the input asks, H and W the
// input's when known (the image is resized), else the image's own.
keras::Tensor load_image_input(const std::filesystem::path& path, const keras::Shape& input_shape,
                               const ImageInputOptions& options);

}  // namespace keras_cli
