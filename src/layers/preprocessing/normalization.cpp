// keras.layers.Normalization.
#include <algorithm>

#include "graph/config_json.hpp"
#include "layers/normalization/common.hpp"
#include "layers/preprocessing/preprocessing_layers.hpp"
#include "ops/elementwise.hpp"
#include "ops/reduce.hpp"
#include "ops/shape_ops.hpp"

namespace keras::detail {

namespace {
const std::string kClass = "Normalization";
constexpr float kEpsilon = 1e-7F;  // keras.config.epsilon()
}  // namespace

NormalizationImpl::NormalizationImpl(const layers::NormalizationOptions& o)
    : Layer(LayerBaseOptions{o.name, o.dtype, o.trainable}, "normalization"), options_(o) {
  if (o.mean.is_null() != o.variance.is_null())
    throw ValueError("When setting values directly, both `mean` and `variance` must be set. Received: mean=" +
                     o.mean.dump() + " and variance=" + o.variance.dump());
  if (!o.mean.is_null()) {
    Tensor mean = tensor_from_json_numbers(o.mean, "Normalization '" + name() + "' mean");
    Tensor variance = tensor_from_json_numbers(o.variance, "Normalization '" + name() + "' variance");
    if (mean.shape() != variance.shape())
      throw ValueError(
          "When setting values directly, `mean` and `variance` must have the same shape. Received: mean "
          "shape " +
          shape_to_string(mean.shape()) + " and variance shape " + shape_to_string(variance.shape()));
    if (mean.rank() > static_cast<int>(o.axis.size()))
      throw ValueError("The rank of `mean` must be less than or equal to the number of axes (" +
                       std::to_string(o.axis.size()) + "). Received: mean shape " + shape_to_string(mean.shape()));
    const_mean_ = mean;
    const_variance_ = variance;
  }
}

LayerPtr NormalizationImpl::from_config(const Json& config) {
  layers::NormalizationOptions o;
  auto base = base_options_from_config(config);
  o.name = base.name;
  o.dtype = base.dtype;
  o.trainable = base.trainable;
  if (auto it = config.find("axis"); it != config.end()) {
    o.axis.clear();
    if (it->is_number_integer()) {
      o.axis.push_back(it->get<int>());
    } else if (it->is_array()) {
      for (const auto& a : *it) {
        if (!a.is_number_integer())
          throw FormatError("Normalization config 'axis' must hold integers, got " + it->dump());
        o.axis.push_back(a.get<int>());
      }
    } else if (!it->is_null()) {
      throw FormatError("Normalization config 'axis' must be an int, a list or null, got " + it->dump());
    }
  }
  o.mean = detail::config_value(config, "mean", Json(nullptr));
  o.variance = detail::config_value(config, "variance", Json(nullptr));
  o.invert = bool_or(config, "invert", false, kClass);
  auto layer = std::make_shared<NormalizationImpl>(o);
  layer->activity_regularizer_ = activity_regularizer_from(config);
  return layer;
}

Json NormalizationImpl::get_config() const {
  Json config = base_config();
  Json axis = Json::array();
  for (int a : options_.axis) axis.push_back(a);
  config["axis"] = axis;
  config["invert"] = options_.invert;
  config["mean"] = options_.mean;
  config["variance"] = options_.variance;
  return config;
}

void NormalizationImpl::build(const std::vector<Shape>& input_shapes) {
  const Shape& shape = input_shapes.at(0);
  const int ndim = static_cast<int>(shape.size());
  for (int a : options_.axis)
    if (a < -ndim || a >= ndim)
      throw ValueError("All `axis` values must be in the range [-ndim, ndim). Received inputs with ndim=" +
                       std::to_string(ndim) + " in Normalization '" + name() + "'");
  keep_axes_ = canonical_axes(options_.axis, ndim, "Normalization '" + name() + "'");
  std::sort(keep_axes_.begin(), keep_axes_.end());
  keep_axes_.erase(std::unique(keep_axes_.begin(), keep_axes_.end()), keep_axes_.end());
  broadcast_shape_.assign(static_cast<std::size_t>(ndim), 1);
  Shape stats_shape;
  for (int a : keep_axes_) {
    const std::int64_t dim = shape[static_cast<std::size_t>(a)];
    if (dim < 0)
      throw ValueError("All `axis` values to be kept must have a known shape. Received inputs.shape=" +
                       shape_to_string(shape) + ", with unknown axis at index " + std::to_string(a));
    broadcast_shape_[static_cast<std::size_t>(a)] = dim;
    stats_shape.push_back(dim);
  }
  if (options_.mean.is_null()) {
    mean_ = add_weight("mean", stats_shape, "zeros", false);
    variance_ = add_weight("variance", stats_shape, "ones", false);
    count_ = add_weight("count", {}, "zeros", false, DType::int32);
    return;
  }
  // Constant statistics align with the kept axes from the right, then broadcast.
  auto align = [&](const Tensor& value) {
    if (value.rank() == 0) return kernels::broadcast_to(value, broadcast_shape_);
    Shape expanded(static_cast<std::size_t>(ndim), 1);
    for (int i = 1; i <= value.rank(); ++i)
      expanded[static_cast<std::size_t>(keep_axes_[keep_axes_.size() - static_cast<std::size_t>(i)])] =
          value.shape()[static_cast<std::size_t>(value.rank() - i)];
    return kernels::broadcast_to(value.reshape(expanded), broadcast_shape_);
  };
  try {
    const_mean_ = align(const_mean_);
    const_variance_ = align(const_variance_);
  } catch (const ValueError& e) {
    throw ValueError("Normalization '" + name() + "': mean/variance of shape " + shape_to_string(const_mean_.shape()) +
                     " do not broadcast to the kept axes of input shape " + shape_to_string(shape) + ": " + e.what());
  }
}

std::vector<int> NormalizationImpl::reduce_axes(int rank) const {
  std::vector<int> out;
  for (int d = 0; d < rank; ++d)
    if (std::find(keep_axes_.begin(), keep_axes_.end(), d) == keep_axes_.end()) out.push_back(d);
  return out;
}

Tensor NormalizationImpl::forward(const Tensor& input, bool /*training*/) {
  if (!built()) build_for({input.shape()});
  Tensor x = input.dtype() == DType::float32 ? input : input.astype(DType::float32);
  Tensor mean = const_mean_, variance = const_variance_;
  if (mean_) {
    mean = mean_->value().astype(DType::float32).reshape(broadcast_shape_);
    variance = variance_->value().astype(DType::float32).reshape(broadcast_shape_);
  }
  Tensor denominator = kernels::maximum(kernels::sqrt(variance), Tensor::scalar(kEpsilon));
  // Statistics per channel of the last axis (the default axis=-1) take one pass.
  Tensor out =
      options_.invert
          ? kernels::channel_affine(x, kernels::BinaryOp::multiply, denominator, kernels::BinaryOp::add, mean)
          : kernels::channel_affine(x, kernels::BinaryOp::subtract, mean, kernels::BinaryOp::divide, denominator);
  if (!out.defined())
    out = options_.invert ? kernels::add(mean, kernels::multiply(x, denominator))
                          : kernels::divide(kernels::subtract(x, mean), denominator);
  return to_compute_dtype(out, compute_dtype());
}

void NormalizationImpl::adapt(const Tensor& data) {
  if (!options_.mean.is_null())
    throw ValueError("Normalization '" + name() + "' was given `mean` and `variance`; it cannot be adapted");
  if (!built()) {
    build_for({data.shape()});
  } else {
    const Shape& built_shape = build_input_shapes().at(0);
    if (data.rank() != static_cast<int>(built_shape.size()))
      throw ValueError("The layer was built with input_shape=" + shape_to_string(built_shape) +
                       ", but adapt() is being called with data with an incompatible shape, data.shape=" +
                       shape_to_string(data.shape()));
    for (int d : keep_axes_)
      if (data.dim(d) != built_shape[static_cast<std::size_t>(d)])
        throw ValueError("The layer was built with input_shape=" + shape_to_string(built_shape) +
                         ", but adapt() is being called with data with an incompatible shape, data.shape=" +
                         shape_to_string(data.shape()));
  }
  const std::vector<int> axes = reduce_axes(data.rank());
  Tensor x = data.astype(DType::float32);
  if (axes.empty()) {
    // Nothing is reduced: every position keeps its own value and a zero variance.
    mean_->assign(x.reshape(mean_->shape()));
    variance_->assign(Tensor::zeros(variance_->shape()));
    return;
  }
  mean_->assign(kernels::mean(x, axes).reshape(mean_->shape()));
  variance_->assign(kernels::var(x, axes).reshape(variance_->shape()));
}

}  // namespace keras::detail

namespace keras::layers {
Normalization::Normalization(const NormalizationOptions& options)
    : LayerRef(std::make_shared<detail::NormalizationImpl>(options)) {}

void Normalization::adapt(const Tensor& data) const { static_cast<detail::NormalizationImpl&>(*layer_).adapt(data); }
}  // namespace keras::layers
