// Keras 3.16 activations (keras.activations), with the formulas of the numpy
// backend. float32 in and out. sigmoid, tanh, exp (= "exponential"),
// softmax and log_softmax live in elementwise.hpp / reduce.hpp. The names
// configs use map to these in layers/activations/activation_functions.cpp.
#pragma once

#include <optional>

#include "keras/tensor.hpp"
#include "ops/elementwise.hpp"
#include "ops/reduce.hpp"

namespace keras::kernels {

// keras.activations.relu(x, negative_slope, max_value, threshold).
Tensor relu(const Tensor& x, float negative_slope = 0.0F, std::optional<float> max_value = std::nullopt,
            float threshold = 0.0F);
Tensor relu6(const Tensor& x);
Tensor leaky_relu(const Tensor& x, float negative_slope = 0.2F);  // max(x, slope * x)
Tensor elu(const Tensor& x, float alpha = 1.0F);                  // x >= 0 ? x : alpha * expm1(x)
Tensor selu(const Tensor& x);
Tensor gelu(const Tensor& x, bool approximate = false);  // erf form, or the tanh approximation
Tensor silu(const Tensor& x);                            // x * sigmoid(x); also "swish"
Tensor hard_sigmoid(const Tensor& x);                    // clip(x / 6 + 0.5, 0, 1)
Tensor hard_silu(const Tensor& x);                       // x * hard_sigmoid(x); also "hard_swish"
Tensor softplus(const Tensor& x);                        // logaddexp(x, 0)
Tensor softsign(const Tensor& x);
Tensor exponential(const Tensor& x);
Tensor linear(const Tensor& x);       // identity (returns x)
Tensor mish(const Tensor& x);         // x * tanh(softplus(x))
Tensor log_sigmoid(const Tensor& x);  // -softplus(-x)
Tensor celu(const Tensor& x, float alpha = 1.0F);
Tensor glu(const Tensor& x, int axis = -1);  // a * sigmoid(b), a and b the halves of x along axis
Tensor hard_tanh(const Tensor& x);           // clip(x, -1, 1)
Tensor sparse_plus(const Tensor& x);
Tensor squareplus(const Tensor& x, float b = 4.0F);                       // (x + sqrt(x^2 + b)) / 2
Tensor tanh_shrink(const Tensor& x);                                      // x - tanh(x)
Tensor threshold(const Tensor& x, float threshold, float default_value);  // x > threshold ? x : default
Tensor soft_shrink(const Tensor& x, float threshold = 0.5F);
Tensor hard_shrink(const Tensor& x, float threshold = 0.5F);
Tensor sparsemax(const Tensor& x, int axis = -1);
Tensor sparse_sigmoid(const Tensor& x);

}  // namespace keras::kernels
