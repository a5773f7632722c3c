// Convolutions over 1, 2 or 3 spatial dims, channels_last ([batch, *spatial, C]),
// kernels in Keras layout, through oneDNN. float32.
//
// Per-dimension parameters (strides, dilation, output_padding) take either one
// value per spatial dim or a single value used for all; empty = the default (1,
// or "None" for output_padding).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "keras/tensor.hpp"

namespace keras::kernels {

enum class Padding { valid, same, causal };
// "valid" / "same" / "causal" (case-insensitive); throws ValueError otherwise.
Padding parse_padding(std::string_view name);

// Output length of a convolution along one dim (Keras/TF rules; causal = same
// length as the input for stride 1, padded on the left only). May be <= 0 for
// inputs shorter than the dilated kernel with "valid".
std::int64_t conv_output_length(std::int64_t input, std::int64_t kernel, std::int64_t stride, Padding padding,
                                std::int64_t dilation = 1);
// (before, after) implicit zero padding along one dim.
std::pair<std::int64_t, std::int64_t> conv_padding(std::int64_t input, std::int64_t kernel, std::int64_t stride,
                                                   Padding padding, std::int64_t dilation = 1);

// x [N, *spatial, C]; kernel [*k, C / groups, filters] (groups = C / kernel.dim(-2));
// bias [filters] optional -> [N, *out, filters]. Throws ValueError for an empty output.
Tensor conv(const Tensor& x, const Tensor& kernel, const Tensor& bias, const std::vector<std::int64_t>& strides,
            Padding padding, const std::vector<std::int64_t>& dilation = {});

// Depthwise: kernel [*k, C, depth_multiplier] -> [N, *out, C * depth_multiplier],
// output channel c * depth_multiplier + m; bias [C * depth_multiplier] optional.
Tensor depthwise_conv(const Tensor& x, const Tensor& kernel, const Tensor& bias,
                      const std::vector<std::int64_t>& strides, Padding padding,
                      const std::vector<std::int64_t>& dilation = {});

// Depthwise conv (no bias) followed by a 1x1 conv with pointwise_kernel [1.., C * m, filters] and bias.
Tensor separable_conv(const Tensor& x, const Tensor& depthwise_kernel, const Tensor& pointwise_kernel,
                      const Tensor& bias, const std::vector<std::int64_t>& strides, Padding padding,
                      const std::vector<std::int64_t>& dilation = {});

// Output length of a transposed convolution along one dim, as Keras computes it
// (output_padding nullopt = Keras' None).
std::int64_t conv_transpose_output_length(std::int64_t input, std::int64_t kernel, std::int64_t stride, Padding padding,
                                          std::optional<std::int64_t> output_padding, std::int64_t dilation = 1);

// Transposed convolution: x [N, *spatial, C]; kernel [*k, filters, C] (Keras
// Conv*Transpose layout); bias [filters] optional; padding valid or same;
// output_padding empty = None. Output [N, *out, filters] with out given by
// conv_transpose_output_length, values as the Keras numpy/jax backend computes them.
Tensor conv_transpose(const Tensor& x, const Tensor& kernel, const Tensor& bias,
                      const std::vector<std::int64_t>& strides, Padding padding,
                      const std::vector<std::int64_t>& output_padding = {},
                      const std::vector<std::int64_t>& dilation = {});

}  // namespace keras::kernels

namespace keras::kernels {

// Elementwise activations a oneDNN primitive applies to its output as post-ops, in Keras'
// definitions (relu6 = min(max(x, 0), 6); silu = x * sigmoid(x); hard_silu = x * relu6(x + 3) / 6;
// gelu exact (erf) or tanh-approximated; leaky_relu with Keras' default slope 0.2; elu with
// alpha 1; selu = scale * elu(x, alpha) with Keras' constants; hard_sigmoid = clip(x / 6 + 0.5, 0, 1);
// hard_tanh = clip(x, -1, 1); mish = x * tanh(softplus(x)); log_sigmoid = -softplus(-x)).
enum class PostOp {
  relu,
  relu6,
  sigmoid,
  tanh,
  silu,
  hard_silu,
  gelu_erf,
  gelu_tanh,
  leaky_relu,
  elu,
  selu,
  exponential,
  hard_sigmoid,
  hard_tanh,
  mish,
  log_sigmoid,
};

// A convolution prepared for one input shape: the primitive created and the weights reordered
// into oneDNN's preferred layout once, bias and activations applied inside the primitive.
// Same arguments as conv(), plus `zero_padding`: zeros added around the input first (one
// (before, after) pair per spatial dim, or empty), which oneDNN applies as part of the
// convolution's own padding. run() is thread-safe and only reads the prepared state.
class PreparedConv {
 public:
  PreparedConv(const Shape& input_shape, const Tensor& kernel, const Tensor& bias,
               const std::vector<std::int64_t>& strides, Padding padding, const std::vector<std::int64_t>& dilation,
               const std::vector<PostOp>& post_ops,
               const std::vector<std::pair<std::int64_t, std::int64_t>>& zero_padding = {});
  // x must have the shape given at construction, float32.
  Tensor run(const Tensor& x) const;
  const Shape& input_shape() const;
  const Shape& output_shape() const;

  struct State;

 private:
  std::shared_ptr<const State> state_;
};

}  // namespace keras::kernels
