// keras.layers.Activation and keras.layers.Softmax.
#include "keras/layers/activations.hpp"
#include "keras/layers/core.hpp"
#include "layers/activations/activation_layers.hpp"
#include "layers/activations/activation_tape.hpp"
#include "layers/config_utils.hpp"
#include "layers/core/layer_utils.hpp"
#include "ops/activations.hpp"
#include "ops/elementwise.hpp"
#include "ops/reduce.hpp"

namespace keras::detail {

using namespace layer_utils;  // NOLINT(google-build-using-namespace): our own helpers

ActivationImpl::ActivationImpl(const std::string& activation, const LayerBaseOptions& base)
    : Layer(base, "activation"), activation_(canonical_activation(activation)) {}

LayerPtr ActivationImpl::from_config(const Json& config) {
  return std::make_shared<ActivationImpl>(activation_from_config(config, "activation"),
                                          base_options_from_config(config));
}

Json ActivationImpl::get_config() const {
  Json config = base_config();
  config["activation"] = activation_to_config(activation_);
  return config;
}

Tensor ActivationImpl::forward(const Tensor& input, bool /*training*/) {
  return to_dtype(apply_activation(activation_, input.astype(DType::float32)), compute_dtype());
}

SoftmaxImpl::SoftmaxImpl(Json axis, const LayerBaseOptions& base) : Layer(base, "softmax"), axis_(std::move(axis)) {
  auto bad = [&] { return FormatError("Softmax axis must be an integer or a list of integers, got " + axis_.dump()); };
  if (axis_.is_number_integer()) {
    axes_.push_back(axis_.get<int>());
  } else if (axis_.is_array() && !axis_.empty()) {
    for (const auto& a : axis_) {
      if (!a.is_number_integer()) throw bad();
      axes_.push_back(a.get<int>());
    }
  } else {
    throw bad();
  }
}

LayerPtr SoftmaxImpl::from_config(const Json& config) {
  auto it = config.find("axis");
  Json axis = (it == config.end() || it->is_null()) ? Json(-1) : *it;
  return std::make_shared<SoftmaxImpl>(axis, base_options_from_config(config));
}

Json SoftmaxImpl::get_config() const {
  Json config = base_config();
  config["axis"] = axis_;
  return config;
}

std::vector<Tensor> SoftmaxImpl::call(const CallArgs& args) {
  Tensor x = args.tensor(0).astype(DType::float32);
  auto mask = args.kwarg_tensor("mask");
  Tensor keep;
  if (mask) {
    if (mask->rank() > x.rank())
      throw ShapeMismatchError("Softmax '" + name() +
                               "': the `mask` must be broadcastable to `inputs` and must not have "
                               "more dimensions. Received: inputs.shape=" +
                               shape_to_string(x.shape()) + ", mask.shape=" + shape_to_string(mask->shape()));
    keep = mask->dtype() == DType::bool_ ? *mask : kernels::greater(*mask, Tensor::scalar(0.5F));
    // Keras replaces masked logits by a large negative number (-3e4 in float16).
    const float large_negative = compute_dtype() == DType::float16 ? -30000.0F : -1e9F;
    x = kernels::where(keep, x, Tensor::scalar(large_negative));
  }
  Tensor y = axes_.size() == 1 ? kernels::softmax(x, axes_.front()) : kernels::softmax(x, axes_);
  if (mask) y = kernels::where(keep, y, Tensor::scalar(0.0F));
  return {to_dtype(y, compute_dtype())};
}

ad::Var ActivationImpl::forward_tape(const ad::Var& input, TapeVariables& /*variables*/, bool /*training*/) {
  return activation_tape(activation_, input);
}

std::vector<ad::Var> SoftmaxImpl::call_tape(const CallArgs& args, const std::vector<ad::Var>& tensors,
                                            TapeVariables& /*variables*/) {
  ad::Var x = tensors.at(args.args.at(0).at("__tensor__").get<std::size_t>());
  auto mask = args.kwarg_tensor("mask");
  Tensor keep;
  if (mask) {
    keep = mask->dtype() == DType::bool_ ? *mask : kernels::greater(*mask, Tensor::scalar(0.5F));
    x = ad::where(keep, x, ad::scalar(compute_dtype() == DType::float16 ? -30000.0F : -1e9F));
  }
  ad::Var y = ad::softmax(x, axes_);
  if (mask) y = ad::where(keep, y, ad::scalar(0.0F));
  return {y};
}

}  // namespace keras::detail

namespace keras::layers {
Activation::Activation(const std::string& activation, const ActivationOptions& o)
    : LayerRef(std::make_shared<detail::ActivationImpl>(activation, LayerBaseOptions{o.name, o.dtype, o.trainable})) {}
Softmax::Softmax(const SoftmaxOptions& o)
    : LayerRef(std::make_shared<detail::SoftmaxImpl>(Json(o.axis), LayerBaseOptions{o.name, o.dtype, o.trainable})) {}
}  // namespace keras::layers
