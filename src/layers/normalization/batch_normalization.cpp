// keras.layers.BatchNormalization.
#include <cmath>

#include "layers/config_utils.hpp"
#include "layers/normalization/common.hpp"
#include "layers/normalization/normalization_layers.hpp"
#include "ops/elementwise.hpp"
#include "ops/normalization.hpp"
#include "ops/reduce.hpp"
#include "ops/shape_ops.hpp"

namespace keras::detail {

namespace {

// sqrt of another initializer's values: the start of the renorm stddev
// variables (Keras' moving_stddev_initializer). Never serialized.
class SqrtInitializer final : public initializers::InitializerImpl {
 public:
  explicit SqrtInitializer(initializers::Initializer inner) : inner_(std::move(inner)) {}
  std::string class_name() const override { return "SqrtOf" + inner_.impl().class_name(); }
  Json get_config() const override { return Json::object(); }
  Tensor generate(const Shape& shape, DType dtype) const override {
    return kernels::sqrt(inner_(shape, DType::float32)).astype(dtype);
  }

 private:
  initializers::Initializer inner_;
};

const std::string kClass = "BatchNormalization";

void validate_renorm_clipping(const Json& clipping) {
  if (!clipping.is_object())
    throw ValueError("BatchNormalization: `renorm_clipping` must be a dict, got " + clipping.dump());
  for (const auto& [key, value] : clipping.items()) {
    if (key != "rmax" && key != "rmin" && key != "dmax")
      throw ValueError("Received invalid keys for `renorm_clipping` argument: " + clipping.dump() +
                       ". Supported values: ['rmax', 'rmin', 'dmax'].");
    if (!value.is_null() && !value.is_number())
      throw ValueError("BatchNormalization: renorm_clipping['" + key + "'] must be a number, got " + value.dump());
  }
  auto get = [&](const char* key) -> std::optional<double> {
    auto it = clipping.find(key);
    if (it == clipping.end() || it->is_null()) return std::nullopt;
    return it->get<double>();
  };
  auto rmax = get("rmax"), rmin = get("rmin"), dmax = get("dmax");
  if (rmax && rmin && *rmax < *rmin)
    throw ValueError("rmax should be greater than rmin in the `renorm_clipping` argument. Received: rmax=" +
                     std::to_string(*rmax) + ", rmin=" + std::to_string(*rmin) + ".");
  if (dmax && *dmax < 0)
    throw ValueError(
        "dmax should be non-negative in the `renorm_clipping` argument. Received: dmax=" + std::to_string(*dmax) + ".");
}

std::optional<float> clipping_value(const Json& clipping, const char* key) {
  if (!clipping.is_object()) return std::nullopt;
  auto it = clipping.find(key);
  if (it == clipping.end() || it->is_null()) return std::nullopt;
  return static_cast<float>(it->get<double>());
}

// a * momentum + b * (1 - momentum), in float32 as Keras computes it.
Tensor moving_average(const Tensor& a, const Tensor& b, double momentum) {
  return kernels::add(kernels::multiply(a, static_cast<float>(momentum)),
                      kernels::multiply(b, static_cast<float>(1.0 - momentum)));
}

}  // namespace

bool effective_training(const CallArgs& args) {
  if (const Json* t = args.kwarg("training"); t != nullptr && t->is_boolean()) return t->get<bool>();
  return args.training;
}

BatchNormalizationImpl::BatchNormalizationImpl(const layers::BatchNormalizationOptions& o)
    : Layer(LayerBaseOptions{o.name, o.dtype, o.trainable}, "batch_normalization"), options_(o) {
  options_.beta_regularizer = regularizers::get(o.beta_regularizer);
  options_.gamma_regularizer = regularizers::get(o.gamma_regularizer);
  options_.beta_constraint = constraints::get(o.beta_constraint);
  options_.gamma_constraint = constraints::get(o.gamma_constraint);
  if (o.renorm) {
    // Keras replaces a missing clipping dict by {} when renorm is on.
    if (options_.renorm_clipping.is_null()) options_.renorm_clipping = Json::object();
    validate_renorm_clipping(options_.renorm_clipping);
  }
}

LayerPtr BatchNormalizationImpl::from_config(const Json& config) {
  reject_unsupported_options(config, kClass);
  layers::BatchNormalizationOptions o;
  auto base = base_options_from_config(config);
  o.name = base.name;
  o.dtype = base.dtype;
  o.trainable = base.trainable;
  if (auto it = config.find("axis"); it != config.end() && !it->is_null()) {
    // Keras 2 (tf.keras) wrote the axis of a built layer as a one-element list.
    if (it->is_array() && it->size() == 1 && it->front().is_number_integer())
      o.axis = it->front().get<int>();
    else if (it->is_number_integer())
      o.axis = it->get<int>();
    else
      throw FormatError("BatchNormalization config 'axis' must be an integer, got " + it->dump());
  }
  o.momentum = number_or(config, "momentum", o.momentum);
  o.epsilon = number_or(config, "epsilon", o.epsilon);
  o.center = bool_or(config, "center", o.center, kClass);
  o.scale = bool_or(config, "scale", o.scale, kClass);
  o.beta_initializer = initializer_or(config, "beta_initializer", "zeros");
  o.gamma_initializer = initializer_or(config, "gamma_initializer", "ones");
  o.moving_mean_initializer = initializer_or(config, "moving_mean_initializer", "zeros");
  o.moving_variance_initializer = initializer_or(config, "moving_variance_initializer", "ones");
  o.beta_regularizer = regularizer_from(config, "beta_regularizer");
  o.gamma_regularizer = regularizer_from(config, "gamma_regularizer");
  o.beta_constraint = constraint_from(config, "beta_constraint");
  o.gamma_constraint = constraint_from(config, "gamma_constraint");
  o.renorm = bool_or(config, "renorm", false, kClass);
  o.renorm_clipping = detail::config_value(config, "renorm_clipping", Json(nullptr));
  o.renorm_momentum = number_or(config, "renorm_momentum", o.renorm_momentum);
  o.synchronized = bool_or(config, "synchronized", false, kClass);
  auto layer = std::make_shared<BatchNormalizationImpl>(o);
  layer->activity_regularizer_ = activity_regularizer_from(config);
  return layer;
}

Json BatchNormalizationImpl::get_config() const {
  Json config = base_config();
  config["axis"] = options_.axis;
  config["momentum"] = options_.momentum;
  config["epsilon"] = options_.epsilon;
  config["center"] = options_.center;
  config["scale"] = options_.scale;
  config["beta_initializer"] = options_.beta_initializer.serialize();
  config["gamma_initializer"] = options_.gamma_initializer.serialize();
  config["moving_mean_initializer"] = options_.moving_mean_initializer.serialize();
  config["moving_variance_initializer"] = options_.moving_variance_initializer.serialize();
  config["beta_regularizer"] = options_.beta_regularizer;
  config["gamma_regularizer"] = options_.gamma_regularizer;
  config["beta_constraint"] = options_.beta_constraint;
  config["gamma_constraint"] = options_.gamma_constraint;
  config["synchronized"] = options_.synchronized;
  config["renorm"] = options_.renorm;
  config["renorm_clipping"] = options_.renorm_clipping;
  config["renorm_momentum"] = options_.renorm_momentum;
  return config;
}

void BatchNormalizationImpl::build(const std::vector<Shape>& input_shapes) {
  const Shape& shape = input_shapes.at(0);
  const int rank = static_cast<int>(shape.size());
  if (options_.axis < -rank || options_.axis >= rank)
    throw ValueError("BatchNormalization '" + name() + "': axis " + std::to_string(options_.axis) +
                     " is out of bounds for input shape " + shape_to_string(shape));
  const std::int64_t channels = shape[static_cast<std::size_t>(normalize_axis(options_.axis, rank))];
  if (channels < 0)
    throw ValueError("BatchNormalization '" + name() + "' needs a known dimension at axis " +
                     std::to_string(options_.axis) + ", got input shape " + shape_to_string(shape));
  const Shape param{channels};
  if (options_.scale) gamma_ = add_weight("gamma", param, options_.gamma_initializer, true);
  if (options_.center) beta_ = add_weight("beta", param, options_.beta_initializer, true);
  moving_mean_ = add_weight("moving_mean", param, options_.moving_mean_initializer, false);
  moving_variance_ = add_weight("moving_variance", param, options_.moving_variance_initializer, false);
  if (options_.renorm) {
    initializers::Initializer stddev_init(std::make_shared<SqrtInitializer>(options_.moving_variance_initializer));
    moving_stddev_ = add_weight("moving_stddev", param, stddev_init, false);
    renorm_mean_ = add_weight("renorm_mean", param, options_.moving_mean_initializer, false);
    renorm_stddev_ = add_weight("renorm_stddev", param, stddev_init, false);
  }
}

Shape BatchNormalizationImpl::compute_output_shape(const Shape& input_shape) {
  const int rank = static_cast<int>(input_shape.size());
  if (options_.axis >= rank || options_.axis < -rank)
    throw ValueError("Axis " + std::to_string(options_.axis) + " is out of bounds for input shape " +
                     shape_to_string(input_shape) + ". Received: axis=" + std::to_string(options_.axis));
  return input_shape;
}

std::vector<Tensor> BatchNormalizationImpl::call(const CallArgs& args) {
  return {apply(args.tensor(0), args.kwarg_tensor("mask"), effective_training(args))};
}

Tensor BatchNormalizationImpl::forward(const Tensor& input, bool training) {
  return apply(input, std::nullopt, training);
}

void BatchNormalizationImpl::batch_moments(const ad::Var& x, int axis, const std::optional<Tensor>& mask, ad::Var* mean,
                                           ad::Var* variance) const {
  std::vector<int> reduce;
  for (int i = 0; i < x.rank(); ++i)
    if (i != axis) reduce.push_back(i);
  const Shape param{x.dim(axis)};
  if (!mask) {
    *mean = ad::reshape(ad::mean(x, reduce), param);
    *variance = ad::reshape(ad::var(x, reduce), param);
    return;
  }
  // Keras' masked moments: the mask (inputs' shape without the last axis) is
  // broadcast over the last axis; statistics divide by (weight sum + 1e-7).
  Shape expanded = mask->shape();
  expanded.push_back(1);
  Tensor mask_full = kernels::broadcast_to(mask->reshape(expanded), x.shape());
  const ad::Var zero = ad::scalar(0.0F);
  ad::Var weight_sum = ad::Var(kernels::add(kernels::sum(mask_full.astype(DType::float32), reduce, true), 1e-7F));
  ad::Var m = ad::sum(ad::where(mask_full, x, zero), reduce, true) / weight_sum;
  ad::Var diff = ad::where(mask_full, x - m, zero);
  ad::Var v = ad::sum(ad::square(diff), reduce, true) / weight_sum;
  *mean = ad::reshape(m, param);
  *variance = ad::reshape(v, param);
}

void BatchNormalizationImpl::renorm_step(const Tensor& mean, const Tensor& variance, ad::Var* gamma, ad::Var* beta) {
  const auto eps = static_cast<float>(options_.epsilon);
  Tensor stddev = kernels::sqrt(kernels::add(variance, eps));
  Tensor renorm_mean = renorm_mean_->value();
  Tensor renorm_stddev = renorm_stddev_->value();
  Tensor safe_stddev = kernels::maximum(renorm_stddev, Tensor::scalar(std::sqrt(eps)));
  Tensor r = kernels::divide(stddev, safe_stddev);
  Tensor d = kernels::divide(kernels::subtract(mean, renorm_mean), safe_stddev);
  const Json& clipping = options_.renorm_clipping;
  if (auto rmin = clipping_value(clipping, "rmin")) r = kernels::maximum(r, Tensor::scalar(*rmin));
  if (auto rmax = clipping_value(clipping, "rmax")) r = kernels::minimum(r, Tensor::scalar(*rmax));
  if (auto dmax = clipping_value(clipping, "dmax")) d = kernels::clip(d, -*dmax, *dmax);
  // r and d carry no gradient (Keras' stop_gradient):
  // (x * r + d) * gamma + beta = x * (r * gamma) + (d * gamma + beta)
  ad::Var new_gamma = gamma->defined() ? ad::Var(r) * *gamma : ad::Var(r);
  ad::Var new_beta = gamma->defined() ? ad::Var(d) * *gamma : ad::Var(d);
  if (beta->defined()) new_beta = new_beta + *beta;
  *gamma = new_gamma;
  *beta = new_beta;

  renorm_mean_->assign(moving_average(renorm_mean, mean, options_.renorm_momentum));
  renorm_stddev_->assign(moving_average(renorm_stddev, stddev, options_.renorm_momentum));
  moving_mean_->assign(moving_average(moving_mean_->value(), mean, options_.momentum));
  Tensor new_moving_stddev = moving_average(moving_stddev_->value(), stddev, options_.momentum);
  moving_stddev_->assign(new_moving_stddev);
  moving_variance_->assign(
      kernels::maximum(kernels::add(kernels::square(new_moving_stddev), -eps), Tensor::scalar(0.0F)));
}

int BatchNormalizationImpl::check_input(const Shape& shape, const std::optional<Tensor>& mask) const {
  const int rank = static_cast<int>(shape.size());
  if (options_.axis < -rank || options_.axis >= rank)
    throw ShapeMismatchError("BatchNormalization '" + name() + "': axis " + std::to_string(options_.axis) +
                             " is out of bounds for input shape " + shape_to_string(shape));
  const int axis = normalize_axis(options_.axis, rank);
  const Shape& param = moving_mean_->shape();
  if (shape[static_cast<std::size_t>(axis)] != param[0])
    throw ShapeMismatchError("BatchNormalization '" + name() + "' expects " + std::to_string(param[0]) +
                             " features at axis " + std::to_string(options_.axis) + ", got input shape " +
                             shape_to_string(shape));
  if (mask && mask->rank() != rank - 1)
    throw ValueError("The mask provided should be one dimension less than the inputs. Received: mask.shape=" +
                     shape_to_string(mask->shape()) + ", inputs.shape=" + shape_to_string(shape));
  if (mask && mask->shape() != Shape(shape.begin(), shape.end() - 1))
    throw ShapeMismatchError("BatchNormalization '" + name() + "': mask shape " + shape_to_string(mask->shape()) +
                             " does not match inputs " + shape_to_string(shape));
  return axis;
}

ad::Var BatchNormalizationImpl::apply_training(const ad::Var& x, const std::optional<Tensor>& mask,
                                               TapeVariables& variables) {
  const int axis = check_input(x.shape(), mask);
  ad::Var gamma = gamma_ ? variables(gamma_) : ad::Var();
  ad::Var beta = beta_ ? variables(beta_) : ad::Var();
  ad::Var mean, variance;
  batch_moments(x, axis, mask, &mean, &variance);
  if (options_.renorm) {
    renorm_step(mean.value(), variance.value(), &gamma, &beta);
  } else {
    moving_mean_->assign(moving_average(moving_mean_->value(), mean.value(), options_.momentum));
    moving_variance_->assign(moving_average(moving_variance_->value(), variance.value(), options_.momentum));
  }
  return ad::batch_norm(x, mean, variance, gamma, beta, static_cast<float>(options_.epsilon), axis);
}

Tensor BatchNormalizationImpl::apply(const Tensor& input, const std::optional<Tensor>& mask, bool training) {
  if (!built()) build_for({input.shape()});
  Tensor x = input.dtype() == DType::float32 ? input : input.astype(DType::float32);
  if (training && trainable()) {
    TapeVariables constants;
    return to_compute_dtype(apply_training(ad::Var(x), mask, constants).value(), compute_dtype());
  }
  const int axis = check_input(x.shape(), mask);
  Tensor out = kernels::batch_norm_inference(x, moving_mean_->value(), moving_variance_->value(),
                                             gamma_ ? gamma_->value() : Tensor(), beta_ ? beta_->value() : Tensor(),
                                             static_cast<float>(options_.epsilon), axis);
  return to_compute_dtype(out, compute_dtype());
}

std::vector<ad::Var> BatchNormalizationImpl::call_tape(const CallArgs& args, const std::vector<ad::Var>& tensors,
                                                       TapeVariables& variables) {
  const ad::Var& x = tape_arg(args, tensors);
  auto mask = args.kwarg_tensor("mask");
  // A frozen layer normalizes with its moving statistics, as Keras does.
  if (effective_training(args) && trainable()) return {apply_training(x, mask, variables)};
  const int axis = check_input(x.shape(), mask);
  return {ad::batch_norm(x, ad::Var(moving_mean_->value()), ad::Var(moving_variance_->value()),
                         gamma_ ? variables(gamma_) : ad::Var(), beta_ ? variables(beta_) : ad::Var(),
                         static_cast<float>(options_.epsilon), axis)};
}

}  // namespace keras::detail

namespace keras::layers {
BatchNormalization::BatchNormalization(const BatchNormalizationOptions& options)
    : LayerRef(std::make_shared<detail::BatchNormalizationImpl>(options)) {}
}  // namespace keras::layers
