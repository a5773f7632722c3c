// keras.layers.Identity and keras.layers.Masking.
#include "layers/core/identity_masking.hpp"

#include "layers/core/layer_utils.hpp"
#include "layers/core/mask_ops.hpp"
#include "ops/elementwise.hpp"
#include "ops/reduce.hpp"

namespace keras::detail {

using namespace layer_utils;  // NOLINT(google-build-using-namespace): our own helpers

LayerPtr IdentityImpl::from_config(const Json& config) {
  return std::make_shared<IdentityImpl>(base_options_from_config(config));
}

std::vector<TensorSpec> IdentityImpl::compute_output_spec(const SpecArgs& args) {
  const TensorSpec& in = args.tensor(0);
  return {TensorSpec{in.shape, autocast_dtype(in.dtype, compute_dtype())}};
}

std::vector<Tensor> IdentityImpl::call(const CallArgs& args) { return {autocast(args.tensor(0), compute_dtype())}; }

MaskingImpl::MaskingImpl(Json mask_value, const LayerBaseOptions& base)
    : Layer(base, "masking"), mask_value_(std::move(mask_value)) {
  if (!mask_value_.is_number()) throw ValueError("Masking mask_value must be a number, got " + mask_value_.dump());
}

LayerPtr MaskingImpl::from_config(const Json& config) {
  return std::make_shared<MaskingImpl>(config_number(config, "mask_value", Json(0.0), "Masking"),
                                       base_options_from_config(config));
}

Json MaskingImpl::get_config() const {
  Json config = base_config();
  config["mask_value"] = mask_value_;
  return config;
}

std::optional<KerasTensor> MaskingImpl::compute_mask(const std::vector<KerasTensor>& inputs, const Node& /*node*/) {
  if (inputs.empty()) return std::nullopt;
  return symbolic_any(symbolic_not_equal(inputs.front(), mask_value_), -1, false);
}

Tensor MaskingImpl::forward(const Tensor& input, bool /*training*/) {
  Tensor x = autocast(input, compute_dtype());
  Tensor keep = kernels::any(kernels::not_equal(x, Tensor::scalar(static_cast<float>(mask_value()))), {-1}, true);
  return to_dtype(kernels::where(keep, x, Tensor::scalar(0.0F)), x.dtype());
}

std::vector<ad::Var> IdentityImpl::call_tape(const CallArgs& args, const std::vector<ad::Var>& tensors,
                                             TapeVariables& /*variables*/) {
  return {tensors.at(args.args.at(0).at("__tensor__").get<std::size_t>())};
}

ad::Var MaskingImpl::forward_tape(const ad::Var& input, TapeVariables& /*variables*/, bool /*training*/) {
  Tensor keep =
      kernels::any(kernels::not_equal(input.value(), Tensor::scalar(static_cast<float>(mask_value()))), {-1}, true);
  return ad::where(keep, input, ad::scalar(0.0F));
}

}  // namespace keras::detail

namespace keras::layers {
Identity::Identity(const IdentityOptions& o)
    : LayerRef(std::make_shared<detail::IdentityImpl>(LayerBaseOptions{o.name, o.dtype, o.trainable})) {}
Masking::Masking(const MaskingOptions& o)
    : LayerRef(
          std::make_shared<detail::MaskingImpl>(Json(o.mask_value), LayerBaseOptions{o.name, o.dtype, o.trainable})) {}
}  // namespace keras::layers
