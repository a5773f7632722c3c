// keras.layers.ReLU, LeakyReLU, ELU and PReLU.
#include "graph/config_json.hpp"
#include "keras/regularizers.hpp"
#include "layers/activations/activation_layers.hpp"
#include "layers/activations/activation_tape.hpp"
#include "layers/core/layer_utils.hpp"
#include "ops/activations.hpp"
#include "ops/elementwise.hpp"

namespace keras::detail {

using namespace layer_utils;  // NOLINT(google-build-using-namespace): our own helpers

namespace {
std::string number_text(const Json& number) { return number.dump(); }
}  // namespace

// ---------------------------------------------------------------- ReLU

ReLUImpl::ReLUImpl(Json max_value, Json negative_slope, Json threshold, const LayerBaseOptions& base)
    : Layer(base, "re_lu"),
      max_value_(std::move(max_value)),
      negative_slope_(std::move(negative_slope)),
      threshold_(std::move(threshold)) {
  if (!max_value_.is_null() && number_value(max_value_) < 0.0)
    throw ValueError("max_value of a ReLU layer cannot be a negative value. Received: max_value=" +
                     number_text(max_value_));
  if (!negative_slope_.is_number() || number_value(negative_slope_) < 0.0)
    throw ValueError("negative_slope of a ReLU layer cannot be None or a negative value. Received: negative_slope=" +
                     number_text(negative_slope_));
  if (!threshold_.is_number() || number_value(threshold_) < 0.0)
    throw ValueError("threshold of a ReLU layer cannot be None or a negative value. Received: threshold=" +
                     number_text(threshold_));
}

LayerPtr ReLUImpl::from_config(const Json& config) {
  auto slope = config.find("negative_slope");
  auto threshold = config.find("threshold");
  // An explicit null slope or threshold is refused as Keras refuses it.
  Json slope_value = slope == config.end() ? Json(0.0) : *slope;
  Json threshold_value = threshold == config.end() ? Json(0.0) : *threshold;
  return std::make_shared<ReLUImpl>(config_number_or_null(config, "max_value", "ReLU"), slope_value, threshold_value,
                                    base_options_from_config(config));
}

Json ReLUImpl::get_config() const {
  Json config = base_config();
  config["max_value"] = max_value_;
  config["negative_slope"] = negative_slope_;
  config["threshold"] = threshold_;
  return config;
}

Tensor ReLUImpl::forward(const Tensor& input, bool /*training*/) {
  std::optional<float> max_value;
  if (!max_value_.is_null()) max_value = static_cast<float>(number_value(max_value_));
  Tensor y = kernels::relu(input.astype(DType::float32), static_cast<float>(number_value(negative_slope_)), max_value,
                           static_cast<float>(number_value(threshold_)));
  return to_dtype(y, compute_dtype());
}

// ---------------------------------------------------------------- LeakyReLU

LeakyReLUImpl::LeakyReLUImpl(Json negative_slope, const LayerBaseOptions& base)
    : Layer(base, "leaky_re_lu"), negative_slope_(std::move(negative_slope)) {
  if (!negative_slope_.is_number() || number_value(negative_slope_) < 0.0)
    throw ValueError(
        "The negative_slope value of a Leaky ReLU layer cannot be None or negative value. Expected a "
        "float. Received: negative_slope=" +
        number_text(negative_slope_));
}

LayerPtr LeakyReLUImpl::from_config(const Json& config) {
  // Keras 2 wrote `alpha`; Keras 3 still accepts it in place of negative_slope.
  Json slope = Json(0.3);
  if (auto it = config.find("negative_slope"); it != config.end()) slope = *it;
  if (auto it = config.find("alpha"); it != config.end()) slope = *it;
  return std::make_shared<LeakyReLUImpl>(slope, base_options_from_config(config));
}

Json LeakyReLUImpl::get_config() const {
  Json config = base_config();
  config["negative_slope"] = negative_slope_;
  return config;
}

ad::Var ReLUImpl::forward_tape(const ad::Var& input, TapeVariables& /*variables*/, bool /*training*/) {
  std::optional<float> max_value;
  if (!max_value_.is_null()) max_value = static_cast<float>(number_value(max_value_));
  return relu_tape(input, static_cast<float>(number_value(negative_slope_)), max_value,
                   static_cast<float>(number_value(threshold_)));
}

ad::Var LeakyReLUImpl::forward_tape(const ad::Var& input, TapeVariables& /*variables*/, bool /*training*/) {
  return leaky_relu_tape(input, static_cast<float>(number_value(negative_slope_)));
}

ad::Var ELUImpl::forward_tape(const ad::Var& input, TapeVariables& /*variables*/, bool /*training*/) {
  return elu_tape(input, alpha_.is_null() ? 1.0F : static_cast<float>(number_value(alpha_)));
}

ad::Var PReLUImpl::forward_tape(const ad::Var& input, TapeVariables& variables, bool /*training*/) {
  ad::Var alpha = variables(alpha_);
  return ad::relu(input) + (-alpha) * ad::relu(-input);
}

Tensor LeakyReLUImpl::forward(const Tensor& input, bool /*training*/) {
  return to_dtype(kernels::leaky_relu(input.astype(DType::float32), static_cast<float>(number_value(negative_slope_))),
                  compute_dtype());
}

// ---------------------------------------------------------------- ELU

ELUImpl::ELUImpl(Json alpha, const LayerBaseOptions& base) : Layer(base, "elu"), alpha_(std::move(alpha)) {
  if (!alpha_.is_null() && !alpha_.is_number()) throw ValueError("ELU alpha must be a number, got " + alpha_.dump());
}

LayerPtr ELUImpl::from_config(const Json& config) {
  Json alpha = nullptr;
  if (auto it = config.find("alpha"); it != config.end()) {
    if (!it->is_number()) throw FormatError("ELU config 'alpha' must be a number, got " + it->dump());
    alpha = *it;
  }
  return std::make_shared<ELUImpl>(alpha, base_options_from_config(config));
}

Json ELUImpl::get_config() const {
  Json config{{"name", name()}};
  if (!alpha_.is_null()) config["alpha"] = alpha_;
  const Json base = base_config();
  for (const auto& [key, value] : base.items()) config[key] = value;
  return config;
}

Tensor ELUImpl::forward(const Tensor& input, bool /*training*/) {
  const float alpha = alpha_.is_null() ? 1.0F : static_cast<float>(number_value(alpha_));
  return to_dtype(kernels::elu(input.astype(DType::float32), alpha), compute_dtype());
}

// ---------------------------------------------------------------- PReLU

PReLUImpl::PReLUImpl(const layers::PReLUOptions& options)
    : Layer(LayerBaseOptions{options.name, options.dtype, options.trainable}, "p_re_lu"), options_(options) {
  options_.alpha_regularizer = regularizers::get(options.alpha_regularizer);
  options_.alpha_constraint = constraints::get(options.alpha_constraint);
}

LayerPtr PReLUImpl::from_config(const Json& config) {
  layers::PReLUOptions o;
  auto base = base_options_from_config(config);
  o.name = base.name;
  o.dtype = base.dtype;
  o.trainable = base.trainable;
  if (auto it = config.find("alpha_initializer"); it != config.end() && !it->is_null())
    o.alpha_initializer = initializers::get(*it);
  o.alpha_regularizer = detail::config_value(config, "alpha_regularizer", Json(nullptr));
  o.alpha_constraint = detail::config_value(config, "alpha_constraint", Json(nullptr));
  if (auto it = config.find("shared_axes"); it != config.end() && !it->is_null()) {
    std::vector<int> axes;
    if (it->is_number_integer()) {
      axes.push_back(it->get<int>());
    } else if (it->is_array()) {
      for (const auto& a : *it) {
        if (!a.is_number_integer())
          throw FormatError("PReLU config 'shared_axes' must hold integers, got " + it->dump());
        axes.push_back(a.get<int>());
      }
    } else {
      throw FormatError("PReLU config 'shared_axes' must be an integer or a list, got " + it->dump());
    }
    o.shared_axes = axes;
  }
  return std::make_shared<PReLUImpl>(o);
}

Json PReLUImpl::get_config() const {
  Json config = base_config();
  config["alpha_initializer"] = options_.alpha_initializer.serialize();
  config["alpha_regularizer"] = options_.alpha_regularizer;
  config["alpha_constraint"] = options_.alpha_constraint;
  if (options_.shared_axes) {
    Json axes = Json::array();
    for (int a : *options_.shared_axes) axes.push_back(a);
    config["shared_axes"] = axes;
  } else {
    config["shared_axes"] = nullptr;
  }
  return config;
}

void PReLUImpl::build(const std::vector<Shape>& input_shapes) {
  const Shape& input_shape = input_shapes.at(0);
  if (input_shape.size() < 2)
    throw ValueError("PReLU '" + name() + "' needs an input of rank >= 2, got " + shape_to_string(input_shape));
  Shape param_shape(input_shape.begin() + 1, input_shape.end());
  if (options_.shared_axes) {
    for (int axis : *options_.shared_axes) {
      // Keras indexes param_shape[axis - 1] with Python semantics (negative counts from the end).
      int index = axis - 1;
      if (index < 0) index += static_cast<int>(param_shape.size());
      if (index < 0 || index >= static_cast<int>(param_shape.size()))
        throw ValueError("PReLU '" + name() + "': shared axis " + std::to_string(axis) + " is out of range for input " +
                         shape_to_string(input_shape));
      param_shape[static_cast<std::size_t>(index)] = 1;
    }
  }
  for (auto d : param_shape) {
    if (d < 0)
      throw ValueError("PReLU '" + name() + "' needs known dimensions for its alpha (input " +
                       shape_to_string(input_shape) + "); share the unknown axes with shared_axes");
  }
  alpha_ = add_weight("alpha", param_shape, options_.alpha_initializer);
}

Tensor PReLUImpl::forward(const Tensor& input, bool /*training*/) {
  if (!alpha_) throw ValueError("PReLU '" + name() + "' is not built");
  Tensor x = input.astype(DType::float32);
  Tensor alpha = alpha_->value().astype(DType::float32);
  Tensor pos = kernels::relu(x);
  Tensor neg = kernels::multiply(kernels::neg(alpha), kernels::relu(kernels::neg(x)));
  return to_dtype(kernels::add(pos, neg), compute_dtype());
}

}  // namespace keras::detail

namespace keras::layers {
ReLU::ReLU(const ReLUOptions& o)
    : LayerRef(std::make_shared<detail::ReLUImpl>(o.max_value ? Json(*o.max_value) : Json(nullptr),
                                                  Json(o.negative_slope), Json(o.threshold),
                                                  LayerBaseOptions{o.name, o.dtype, o.trainable})) {}
LeakyReLU::LeakyReLU(const LeakyReLUOptions& o)
    : LayerRef(std::make_shared<detail::LeakyReLUImpl>(Json(o.negative_slope),
                                                       LayerBaseOptions{o.name, o.dtype, o.trainable})) {}
ELU::ELU(const ELUOptions& o)
    : LayerRef(std::make_shared<detail::ELUImpl>(o.alpha ? Json(*o.alpha) : Json(nullptr),
                                                 LayerBaseOptions{o.name, o.dtype, o.trainable})) {}
PReLU::PReLU(const PReLUOptions& options) : LayerRef(std::make_shared<detail::PReLUImpl>(options)) {}
}  // namespace keras::layers
