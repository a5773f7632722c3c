// Backward passes of the convolutions (conv.hpp) through oneDNN's
// backward-data and backward-weights primitives. float32, channels_last,
// Keras kernel layouts; the arguments are those of the forward kernel.
#pragma once

#include <cstdint>
#include <vector>

#include "keras/tensor.hpp"
#include "ops/conv.hpp"

namespace keras::kernels {

// Which gradients to compute.
struct ConvGradRequest {
  bool x = true;
  bool kernel = true;
  bool bias = true;
};

// Gradients of the input, the kernel and the bias (undefined when not requested).
struct ConvGrads {
  Tensor x, kernel, bias;
};

// conv(x, kernel, bias, strides, padding, dilation) with gradient dy of its output.
ConvGrads conv_backward(const Tensor& x, const Tensor& kernel, const Tensor& dy,
                        const std::vector<std::int64_t>& strides, Padding padding,
                        const std::vector<std::int64_t>& dilation = {}, const ConvGradRequest& want = {});
ConvGrads depthwise_conv_backward(const Tensor& x, const Tensor& kernel, const Tensor& dy,
                                  const std::vector<std::int64_t>& strides, Padding padding,
                                  const std::vector<std::int64_t>& dilation = {}, const ConvGradRequest& want = {});
ConvGrads conv_transpose_backward(const Tensor& x, const Tensor& kernel, const Tensor& dy,
                                  const std::vector<std::int64_t>& strides, Padding padding,
                                  const std::vector<std::int64_t>& output_padding = {},
                                  const std::vector<std::int64_t>& dilation = {}, const ConvGradRequest& want = {});

}  // namespace keras::kernels
