// keras.layers.Activation and keras.layers.Softmax.
#include "keras/layers/activations.hpp"
#include "keras/layers/core.hpp"
#include "keras/saving.hpp"
#include "layers/config_utils.hpp"
#include "layers/registrations.hpp"
#include "ops/activations.hpp"
#include "ops/reduce.hpp"

namespace keras::detail {

class ActivationImpl final : public Layer {
 public:
  ActivationImpl(const std::string& activation, const LayerBaseOptions& base)
      : Layer(base, "activation"), activation_(canonical_activation(activation)) {}
  static LayerPtr from_config(const Json& config) {
    return std::make_shared<ActivationImpl>(activation_from_config(config, "activation"),
                                            base_options_from_config(config));
  }
  std::string class_name() const override { return "Activation"; }
  Json get_config() const override {
    Json config = base_config();
    config["activation"] = activation_;
    return config;
  }
  bool writes_build_config() const override { return false; }
  bool supports_masking() const override { return true; }
  Tensor forward(const Tensor& input, bool /*training*/) override {
    return kernels::apply_activation(activation_, input.astype(DType::float32));
  }

 private:
  std::string activation_;
};

class SoftmaxImpl final : public Layer {
 public:
  SoftmaxImpl(int axis, const LayerBaseOptions& base) : Layer(base, "softmax"), axis_(axis) {}
  static LayerPtr from_config(const Json& config) {
    int axis = -1;
    if (auto it = config.find("axis"); it != config.end()) {
      if (it->is_array() && it->size() == 1) axis = it->at(0).get<int>();
      else if (it->is_number_integer()) axis = it->get<int>();
      else throw NotImplementedError("Softmax over several axes is not supported: " + it->dump());
    }
    return std::make_shared<SoftmaxImpl>(axis, base_options_from_config(config));
  }
  std::string class_name() const override { return "Softmax"; }
  Json get_config() const override {
    Json config = base_config();
    config["axis"] = axis_;
    return config;
  }
  bool writes_build_config() const override { return false; }
  bool supports_masking() const override { return true; }
  // A `mask` argument: masked positions get a large negative logit first.
  bool call_accepts_mask() const override { return true; }
  std::vector<Tensor> call(const CallArgs& args) override {
    Tensor x = args.tensor(0).astype(DType::float32);
    if (auto mask = args.kwarg_tensor("mask")) {
      x = x.clone();
      Tensor m = mask->astype(DType::float32);
      if (m.size() != x.size()) throw ShapeMismatchError("Softmax '" + name() + "': mask shape does not match inputs");
      float* px = x.data<float>();
      const float* pm = m.data<float>();
      // Keras adds (1 - mask) * -1e9 (float32 min scaled) to masked logits.
      for (std::int64_t i = 0; i < x.size(); ++i) px[i] += (1.0F - pm[i]) * -1e9F;
    }
    return {kernels::softmax(x, axis_)};
  }

 private:
  int axis_;
};

void register_activation_layer_classes() {
  saving::register_layer("keras.layers", "Activation", ActivationImpl::from_config);
  saving::register_layer("keras.layers", "Softmax", SoftmaxImpl::from_config);
}

LayerPtr make_softmax(int axis, const LayerBaseOptions& base) { return std::make_shared<SoftmaxImpl>(axis, base); }
LayerPtr make_activation(const std::string& activation, const LayerBaseOptions& base) {
  return std::make_shared<ActivationImpl>(activation, base);
}

}  // namespace keras::detail

namespace keras::layers {
Activation::Activation(const std::string& activation, const ActivationOptions& o)
    : LayerRef(detail::make_activation(activation, {o.name, o.dtype, o.trainable})) {}
Softmax::Softmax(const SoftmaxOptions& o) : LayerRef(detail::make_softmax(o.axis, {o.name, o.dtype, o.trainable})) {}
}  // namespace keras::layers
