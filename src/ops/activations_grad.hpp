// Derivatives of the Keras activations (keras.activations), for backward
// passes: given the input x, the output y = f(x) and the gradient dy of the
// output, each returns dx. float32. At kinks the one-sided value used is the
// one Keras' backends use (e.g. relu'(0) = 0).
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "keras/tensor.hpp"

namespace keras::kernels {

Tensor relu_backward(const Tensor& x, const Tensor& dy, float negative_slope = 0.0F,
                     std::optional<float> max_value = std::nullopt, float threshold = 0.0F);
Tensor leaky_relu_backward(const Tensor& x, const Tensor& dy, float negative_slope = 0.2F);
Tensor elu_backward(const Tensor& x, const Tensor& dy, float alpha = 1.0F);
Tensor celu_backward(const Tensor& x, const Tensor& dy, float alpha = 1.0F);
Tensor gelu_backward(const Tensor& x, const Tensor& dy, bool approximate);
Tensor threshold_backward(const Tensor& x, const Tensor& dy, float threshold);
Tensor soft_shrink_backward(const Tensor& x, const Tensor& dy, float threshold = 0.5F);
Tensor hard_shrink_backward(const Tensor& x, const Tensor& dy, float threshold = 0.5F);
Tensor squareplus_backward(const Tensor& x, const Tensor& dy, float b = 4.0F);
Tensor glu_backward(const Tensor& x, const Tensor& dy, int axis = -1);
// y is the softmax / log_softmax / sparsemax output.
Tensor softmax_backward(const Tensor& y, const Tensor& dy, const std::vector<int>& axes);
Tensor log_softmax_backward(const Tensor& y, const Tensor& dy, const std::vector<int>& axes);
Tensor sparsemax_backward(const Tensor& y, const Tensor& dy, int axis = -1);

// The activation named as Keras serializes it, with Keras' default
// arguments (the counterpart of apply_activation).
Tensor activation_backward(std::string_view name, const Tensor& x, const Tensor& y, const Tensor& dy);

}  // namespace keras::kernels
