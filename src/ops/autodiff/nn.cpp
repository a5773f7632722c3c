// Differentiable convolutions and poolings.
#include "keras/autodiff.hpp"
#include "ops/conv.hpp"
#include "ops/conv_grad.hpp"
#include "ops/pooling.hpp"
#include "ops/pooling_grad.hpp"

namespace keras::ad {

namespace k = keras::kernels;

namespace {

// A convolution-like op: value from `forward`, gradients from `backward`.
template <typename Forward, typename Backward>
Var convolution(const Var& x, const Var& kernel, const Var& bias, Forward forward, Backward backward) {
  Tensor xv = x.value();
  Tensor kv = kernel.value();
  Tensor y = forward(xv, kv, bias.defined() ? bias.value() : Tensor());
  std::vector<Var> inputs{x, kernel};
  if (bias.defined()) inputs.push_back(bias);
  return record(y, inputs, [xv, kv, backward](const Tensor& g, const std::vector<bool>& needs) {
    const k::ConvGradRequest want{needs[0], needs[1], needs.size() > 2 && needs[2]};
    k::ConvGrads grads = backward(xv, kv, g, want);
    return std::vector<Tensor>{grads.x, grads.kernel, grads.bias};
  });
}

}  // namespace

Var conv(const Var& x, const Var& kernel, const Var& bias, const std::vector<std::int64_t>& strides,
         const std::string& padding_name, const std::vector<std::int64_t>& dilation) {
  const k::Padding padding = k::parse_padding(padding_name);
  return convolution(
      x, kernel, bias,
      [&](const Tensor& xv, const Tensor& kv, const Tensor& b) {
        return k::conv(xv, kv, b, strides, padding, dilation);
      },
      [=](const Tensor& xv, const Tensor& kv, const Tensor& g, const k::ConvGradRequest& want) {
        return k::conv_backward(xv, kv, g, strides, padding, dilation, want);
      });
}

Var depthwise_conv(const Var& x, const Var& kernel, const Var& bias, const std::vector<std::int64_t>& strides,
                   const std::string& padding_name, const std::vector<std::int64_t>& dilation) {
  const k::Padding padding = k::parse_padding(padding_name);
  return convolution(
      x, kernel, bias,
      [&](const Tensor& xv, const Tensor& kv, const Tensor& b) {
        return k::depthwise_conv(xv, kv, b, strides, padding, dilation);
      },
      [=](const Tensor& xv, const Tensor& kv, const Tensor& g, const k::ConvGradRequest& want) {
        return k::depthwise_conv_backward(xv, kv, g, strides, padding, dilation, want);
      });
}

Var conv_transpose(const Var& x, const Var& kernel, const Var& bias, const std::vector<std::int64_t>& strides,
                   const std::string& padding_name, const std::vector<std::int64_t>& output_padding,
                   const std::vector<std::int64_t>& dilation) {
  const k::Padding padding = k::parse_padding(padding_name);
  return convolution(
      x, kernel, bias,
      [&](const Tensor& xv, const Tensor& kv, const Tensor& b) {
        return k::conv_transpose(xv, kv, b, strides, padding, output_padding, dilation);
      },
      [=](const Tensor& xv, const Tensor& kv, const Tensor& g, const k::ConvGradRequest& want) {
        return k::conv_transpose_backward(xv, kv, g, strides, padding, output_padding, dilation, want);
      });
}

Var max_pool(const Var& x, const std::vector<std::int64_t>& pool_size, const std::vector<std::int64_t>& strides,
             const std::string& padding_name) {
  const k::Padding padding = k::parse_padding(padding_name);
  Tensor xv = x.value();
  return record(k::max_pool(xv, pool_size, strides, padding), {x},
                [xv, pool_size, strides, padding](const Tensor& g, const std::vector<bool>&) {
                  return std::vector<Tensor>{k::max_pool_backward(xv, g, pool_size, strides, padding)};
                });
}

Var avg_pool(const Var& x, const std::vector<std::int64_t>& pool_size, const std::vector<std::int64_t>& strides,
             const std::string& padding_name) {
  const k::Padding padding = k::parse_padding(padding_name);
  Shape shape = x.shape();
  return record(k::avg_pool(x.value(), pool_size, strides, padding), {x},
                [shape, pool_size, strides, padding](const Tensor& g, const std::vector<bool>&) {
                  return std::vector<Tensor>{k::avg_pool_backward(shape, g, pool_size, strides, padding)};
                });
}

Var adaptive_max_pool(const Var& x, const std::vector<std::int64_t>& output_size) {
  Tensor xv = x.value();
  return record(k::adaptive_max_pool(xv, output_size), {x},
                [xv, output_size](const Tensor& g, const std::vector<bool>&) {
                  return std::vector<Tensor>{k::adaptive_max_pool_backward(xv, g, output_size)};
                });
}

Var adaptive_avg_pool(const Var& x, const std::vector<std::int64_t>& output_size) {
  Shape shape = x.shape();
  return record(k::adaptive_avg_pool(x.value(), output_size), {x},
                [shape, output_size](const Tensor& g, const std::vector<bool>&) {
                  return std::vector<Tensor>{k::adaptive_avg_pool_backward(shape, g, output_size)};
                });
}

}  // namespace keras::ad
