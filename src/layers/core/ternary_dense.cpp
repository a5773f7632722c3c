#include "layers/core/ternary_dense.hpp"

#include "layers/core/dense.hpp"

#include <cmath>

#include "keras/regularizers.hpp"
#include "layers/config_utils.hpp"
#include "layers/core/layer_utils.hpp"
#include "ops/activations.hpp"
#include "ops/elementwise.hpp"
#include "ops/linalg.hpp"

namespace keras::detail {

TernaryDenseImpl::TernaryDenseImpl(std::int64_t units, const layers::TernaryDenseOptions& options)
    : Layer(LayerBaseOptions{options.name, options.dtype, options.trainable}, "ternary_dense"),
      units_(units),
      options_(options) {
  if (units <= 0)
    throw ValueError("Received an invalid value for `units`, expected a positive integer. Received: units=" +
                     std::to_string(units));
  const Json& t = options.threshold;
  if (!t.is_null() && (!t.is_number() || t.is_boolean()))
    throw ValueError("Received an invalid value for `threshold`, expected a float or None. Received: threshold=" +
                     t.dump());
  if (!t.is_null() && t.get<double>() < 0)
    throw ValueError(
        "Received an invalid value for `threshold`, expected a non-negative float or None. Received: "
        "threshold=" +
        t.dump());
  canonicalize_dense_options(options_);
  if (!options.activity_regularizer.is_null()) activity_regularizer_ = regularizers::get(options.activity_regularizer);
}

LayerPtr TernaryDenseImpl::from_config(const Json& config) {
  reject_unsupported_options(config, "TernaryDense");
  layers::TernaryDenseOptions o;
  read_dense_options(config, o);
  o.threshold = layer_utils::config_number_or_null(config, "threshold", "TernaryDense");
  return std::make_shared<TernaryDenseImpl>(required_int(config, "units", "TernaryDense"), o);
}

Json TernaryDenseImpl::get_config() const {
  Json config = base_config();
  config["units"] = units_;
  config["threshold"] = options_.threshold;
  config["activation"] = options_.activation;
  config["use_bias"] = options_.use_bias;
  config["kernel_initializer"] = options_.kernel_initializer.serialize();
  config["bias_initializer"] = options_.bias_initializer.serialize();
  config["kernel_regularizer"] = options_.kernel_regularizer;
  config["bias_regularizer"] = options_.bias_regularizer;
  config["activity_regularizer"] = activity_regularizer_ ? *activity_regularizer_ : Json(nullptr);
  config["kernel_constraint"] = options_.kernel_constraint;
  config["bias_constraint"] = options_.bias_constraint;
  return config;
}

void TernaryDenseImpl::build(const std::vector<Shape>& input_shapes) {
  const Shape& shape = input_shapes.at(0);
  if (shape.size() < 2 || shape.back() < 0)
    throw ValueError("TernaryDense layer '" + name() + "' needs inputs of rank >= 2 with a known last dimension, got " +
                     shape_to_string(shape));
  kernel_ = add_weight("kernel", {shape.back(), units_}, options_.kernel_initializer);
  if (options_.use_bias) bias_ = add_weight("bias", {units_}, options_.bias_initializer);
}

Shape TernaryDenseImpl::compute_output_shape(const Shape& input_shape) {
  if (input_shape.empty()) throw ValueError("TernaryDense layer '" + name() + "' needs an input of rank >= 2");
  Shape out = input_shape;
  out.back() = units_;
  return out;
}

Tensor TernaryDenseImpl::forward(const Tensor& input, bool /*training*/) {
  if (!kernel_) throw ValueError("TernaryDense '" + name() + "' is not built");
  const Tensor kernel = kernel_->value().astype(DType::float32);
  if (input.rank() == 0 || input.shape().back() != kernel.dim(0))
    throw ShapeMismatchError("TernaryDense layer '" + name() + "' expects inputs with last dimension " +
                             std::to_string(kernel.dim(0)) + ", got shape " + shape_to_string(input.shape()));
  // k = sign(kernel) * (|kernel| > t); without a threshold t = mean(|kernel|) / 2
  // and the product is scaled by beta = mean(|kernel|).
  const float* k = kernel.data<float>();
  double total = 0.0;
  for (std::int64_t i = 0; i < kernel.size(); ++i) total += std::abs(k[i]);
  const auto mean_abs = static_cast<float>(total / static_cast<double>(kernel.size()));
  const bool adaptive = options_.threshold.is_null();
  const float threshold = adaptive ? 0.5F * mean_abs : static_cast<float>(options_.threshold.get<double>());
  Tensor ternary(kernel.shape(), DType::float32);
  for (std::int64_t i = 0; i < kernel.size(); ++i)
    ternary.data<float>()[i] = std::abs(k[i]) > threshold ? (k[i] > 0 ? 1.0F : (k[i] < 0 ? -1.0F : 0.0F)) : 0.0F;
  Tensor x = layer_utils::autocast(input, compute_dtype()).astype(DType::float32);
  Tensor y = kernels::matmul(x, ternary);
  if (adaptive) y = kernels::multiply(y, mean_abs);
  if (bias_) y = kernels::add(y, bias_->value().astype(DType::float32));
  y = apply_activation(options_.activation, y);
  return layer_utils::to_dtype(y, compute_dtype());
}

}  // namespace keras::detail

namespace keras::layers {
TernaryDense::TernaryDense(std::int64_t units, const TernaryDenseOptions& options)
    : LayerRef(std::make_shared<detail::TernaryDenseImpl>(units, options)) {}
}  // namespace keras::layers
