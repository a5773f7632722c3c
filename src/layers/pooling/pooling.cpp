#include "layers/pooling/pooling.hpp"

#include <algorithm>
#include <cctype>

#include "layers/config_utils.hpp"
#include "layers/convolutional/conv_utils.hpp"
#include "ops/pooling.hpp"
#include "ops/reduce.hpp"
#include "ops/shape_ops.hpp"

namespace keras::detail {

using namespace spatial;  // NOLINT(google-build-using-namespace): this family's helpers

namespace {

std::string pooling_class_name(const char* prefix, PoolMode mode, int rank) {
  return std::string(prefix) + (mode == PoolMode::max ? "Max" : "Average") + "Pooling" + std::to_string(rank) + "D";
}

void check_pool_rank(int rank) {
  if (rank < 1 || rank > 3) throw ValueError("Pooling: unsupported rank " + std::to_string(rank));
}

std::string lower(const std::string& s) {
  std::string out = s;
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

LayerBaseOptions base_of(const std::string& name, const std::optional<std::string>& dtype, bool trainable) {
  return LayerBaseOptions{name, dtype, trainable};
}

// Spatial axes of a [N, *spatial, C] or [N, C, *spatial] tensor.
std::vector<int> spatial_axes(int rank, bool channels_first) {
  std::vector<int> axes;
  for (int i = 0; i < rank; ++i) axes.push_back(i + (channels_first ? 2 : 1));
  return axes;
}

}  // namespace

// ---------------------------------------------------------------- PoolingImpl

PoolingImpl::PoolingImpl(PoolMode mode, int rank, const std::vector<std::int64_t>& pool_size,
                         const layers::PoolingOptions& o)
    : Layer(base_of(o.name, o.dtype, o.trainable), to_snake_case(pooling_class_name("", mode, rank))),
      mode_(mode),
      rank_(rank) {
  check_pool_rank(rank);
  const std::string layer = class_name();
  const auto n = static_cast<std::size_t>(rank);
  pool_size_ = standardize_tuple(pool_size, n, "pool_size", layer);
  strides_ = standardize_tuple(o.strides.empty() ? pool_size : o.strides, n, "strides", layer, true);
  padding_ = o.padding;
  const std::string p = lower(padding_);
  if (p != "valid" && p != "same")
    throw ValueError(layer + ": argument `padding` must be either 'valid' or 'same'. Received: padding=" + padding_);
  data_format_ = standardize_data_format(o.data_format, layer);
}

LayerPtr PoolingImpl::from_config(PoolMode mode, int rank, const Json& config) {
  const std::string layer = pooling_class_name("", mode, rank);
  const auto base = Layer::base_options_from_config(config);
  layers::PoolingOptions o;
  o.name = base.name;
  o.dtype = base.dtype;
  o.trainable = base.trainable;
  const auto n = static_cast<std::size_t>(rank);
  // MaxPooling defaults to 2 per dim; AveragePooling requires pool_size (Keras' signatures).
  const auto pool_size =
      int_tuple(config, "pool_size", n, layer, mode == PoolMode::max ? std::optional<std::int64_t>(2) : std::nullopt);
  if (auto it = config.find("strides"); it != config.end() && !it->is_null())
    o.strides = int_tuple(config, "strides", n, layer);
  o.padding = string_or(config, "padding", "valid", layer);
  o.data_format = string_or(config, "data_format", "channels_last", layer);
  return std::make_shared<PoolingImpl>(mode, rank, pool_size, o);
}

std::string PoolingImpl::class_name() const { return pooling_class_name("", mode_, rank_); }

Json PoolingImpl::get_config() const {
  Json config = base_config();
  config["pool_size"] = ints_to_json(pool_size_);
  config["padding"] = padding_;
  config["strides"] = ints_to_json(strides_);
  config["data_format"] = data_format_;
  return config;
}

Shape PoolingImpl::compute_output_shape(const Shape& input_shape) {
  check_input_rank(input_shape, rank_, name(), class_name());
  const bool channels_first = data_format_ == "channels_first";
  const bool same = lower(padding_) == "same";
  Shape out = input_shape;
  for (int i = 0; i < rank_; ++i) {
    const auto u = static_cast<std::size_t>(i);
    std::int64_t& dim = out[u + (channels_first ? 2 : 1)];
    if (dim < 0) continue;
    if (strides_[u] == 0) throw ValueError(class_name() + " layer '" + name() + "': strides must be positive");
    // floor division on possibly negative numerators, as numpy does.
    auto floor_div = [](std::int64_t a, std::int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); };
    const std::int64_t length =
        same ? floor_div(dim - 1, strides_[u]) + 1 : floor_div(dim - pool_size_[u], strides_[u]) + 1;
    if (!same && length <= 0)
      throw ValueError(class_name() + " layer '" + name() + "': computed output size would be zero or negative. " +
                       "Received: inputs.shape=" + shape_to_string(input_shape) + ", pool_size=(" +
                       std::to_string(pool_size_[u]) + "), strides=(" + std::to_string(strides_[u]) + ")");
    dim = length;
  }
  return out;
}

Tensor PoolingImpl::forward(const Tensor& input, bool /*training*/) {
  check_input_rank(input.shape(), rank_, name(), class_name());
  const bool channels_first = data_format_ == "channels_first";
  const Tensor x = as_channels_last_float(input, channels_first);
  const auto padding = kernels::parse_padding(padding_);
  Tensor y = mode_ == PoolMode::max ? kernels::max_pool(x, pool_size_, strides_, padding)
                                    : kernels::avg_pool(x, pool_size_, strides_, padding);
  return from_channels_last(y, channels_first, compute_dtype());
}

ad::Var PoolingImpl::forward_tape(const ad::Var& input, TapeVariables& /*variables*/, bool /*training*/) {
  const bool channels_first = data_format_ == "channels_first";
  ad::Var x = to_channels_last(input, channels_first);
  ad::Var y = mode_ == PoolMode::max ? ad::max_pool(x, pool_size_, strides_, padding_)
                                     : ad::avg_pool(x, pool_size_, strides_, padding_);
  return from_channels_last(y, channels_first);
}

// ---------------------------------------------------------- GlobalPoolingImpl

GlobalPoolingImpl::GlobalPoolingImpl(PoolMode mode, int rank, const layers::GlobalPoolingOptions& o)
    : Layer(base_of(o.name, o.dtype, o.trainable), to_snake_case(pooling_class_name("Global", mode, rank))),
      mode_(mode),
      rank_(rank),
      keepdims_(o.keepdims) {
  check_pool_rank(rank);
  data_format_ = standardize_data_format(o.data_format, class_name());
}

LayerPtr GlobalPoolingImpl::from_config(PoolMode mode, int rank, const Json& config) {
  const std::string layer = pooling_class_name("Global", mode, rank);
  const auto base = Layer::base_options_from_config(config);
  layers::GlobalPoolingOptions o;
  o.name = base.name;
  o.dtype = base.dtype;
  o.trainable = base.trainable;
  o.data_format = string_or(config, "data_format", "channels_last", layer);
  o.keepdims = bool_or(config, "keepdims", false, layer);
  return std::make_shared<GlobalPoolingImpl>(mode, rank, o);
}

std::string GlobalPoolingImpl::class_name() const { return pooling_class_name("Global", mode_, rank_); }

Json GlobalPoolingImpl::get_config() const {
  Json config = base_config();
  config["data_format"] = data_format_;
  config["keepdims"] = keepdims_;
  return config;
}

Shape GlobalPoolingImpl::compute_output_shape(const Shape& input_shape) {
  check_input_rank(input_shape, rank_, name(), class_name());
  const bool channels_first = data_format_ == "channels_first";
  const std::int64_t channels = channels_first ? input_shape[1] : input_shape.back();
  Shape out{input_shape[0]};
  if (channels_first) out.push_back(channels);
  if (keepdims_) out.insert(out.end(), static_cast<std::size_t>(rank_), 1);
  if (!channels_first) out.push_back(channels);
  return out;
}

Tensor GlobalPoolingImpl::forward(const Tensor& input, bool /*training*/) {
  check_input_rank(input.shape(), rank_, name(), class_name());
  const auto axes = spatial_axes(rank_, data_format_ == "channels_first");
  Tensor y = mode_ == PoolMode::max ? kernels::max(input, axes, keepdims_) : kernels::mean(input, axes, keepdims_);
  return y.dtype() == compute_dtype() ? y : y.astype(compute_dtype());
}

std::vector<Tensor> GlobalPoolingImpl::call(const CallArgs& args) {
  const Tensor& input = args.tensor(0);
  if (masked()) {
    if (auto mask = args.kwarg_tensor("mask")) return {masked_average(input, *mask)};
  }
  return {forward(input, args.training)};
}

std::vector<ad::Var> GlobalPoolingImpl::call_tape(const CallArgs& args, const std::vector<ad::Var>& tensors,
                                                  TapeVariables& /*variables*/) {
  const ad::Var& input = tape_arg(args, tensors);
  const bool channels_first = data_format_ == "channels_first";
  if (masked()) {
    if (auto mask = args.kwarg_tensor("mask")) {
      // sum(x * mask) / sum(mask) over the steps axis.
      ad::Var x = to_channels_last(input, channels_first);  // [N, steps, C]
      Tensor m = kernels::expand_dims(mask->astype(DType::float32), -1);
      return {ad::sum(x * ad::Var(m), {1}) / ad::Var(kernels::sum(m, {1}))};
    }
  }
  const auto axes = spatial_axes(rank_, channels_first);
  return {mode_ == PoolMode::max ? ad::max(input, axes, keepdims_) : ad::mean(input, axes, keepdims_)};
}

std::optional<KerasTensor> GlobalPoolingImpl::compute_mask(const std::vector<KerasTensor>& /*inputs*/,
                                                           const Node& /*node*/) {
  return std::nullopt;  // the pooled output has no time axis left to mask
}

// sum(where(mask, x, 0)) / sum(mask) over the steps axis, as Keras computes it.
Tensor GlobalPoolingImpl::masked_average(const Tensor& input, const Tensor& mask) const {
  check_input_rank(input.shape(), 1, name(), class_name());
  const bool channels_first = data_format_ == "channels_first";
  const Tensor x = as_channels_last_float(input, channels_first);  // [N, steps, C]
  const std::int64_t batch = x.dim(0), steps = x.dim(1), channels = x.dim(2);
  if (mask.shape() != Shape{batch, steps})
    throw ShapeMismatchError(class_name() + " layer '" + name() + "': mask shape " + shape_to_string(mask.shape()) +
                             " does not match input shape " + shape_to_string(input.shape()));
  const Tensor m = mask.astype(DType::float32);
  const float* xp = x.data<float>();
  const float* mp = m.data<float>();
  Tensor y({batch, channels});
  float* yp = y.data<float>();
  std::vector<double> acc(static_cast<std::size_t>(channels));
  for (std::int64_t b = 0; b < batch; ++b) {
    std::fill(acc.begin(), acc.end(), 0.0);
    double count = 0.0;
    for (std::int64_t s = 0; s < steps; ++s) {
      if (mp[b * steps + s] == 0.0F) continue;
      count += 1.0;
      const float* row = xp + (b * steps + s) * channels;
      for (std::int64_t c = 0; c < channels; ++c) acc[static_cast<std::size_t>(c)] += row[c];
    }
    for (std::int64_t c = 0; c < channels; ++c)
      yp[b * channels + c] = static_cast<float>(acc[static_cast<std::size_t>(c)] / count);
  }
  if (keepdims_) y = y.reshape(channels_first ? Shape{batch, channels, 1} : Shape{batch, 1, channels});
  return y.dtype() == compute_dtype() ? y : y.astype(compute_dtype());
}

// -------------------------------------------------------- AdaptivePoolingImpl

AdaptivePoolingImpl::AdaptivePoolingImpl(PoolMode mode, int rank, const std::vector<std::int64_t>& output_size,
                                         const layers::AdaptivePoolingOptions& o)
    : Layer(base_of(o.name, o.dtype, o.trainable), to_snake_case(pooling_class_name("Adaptive", mode, rank))),
      mode_(mode),
      rank_(rank) {
  check_pool_rank(rank);
  const std::string layer = class_name();
  output_size_ = standardize_tuple(output_size, static_cast<std::size_t>(rank), "output_size", layer);
  // Keras' BaseAdaptivePooling takes the value verbatim (no lower-casing).
  data_format_ = o.data_format.empty() ? "channels_last" : o.data_format;
  if (data_format_ != "channels_last" && data_format_ != "channels_first")
    throw ValueError(layer + ": invalid data_format: " + data_format_ +
                     ". Expected 'channels_first' or 'channels_last'.");
}

LayerPtr AdaptivePoolingImpl::from_config(PoolMode mode, int rank, const Json& config) {
  const std::string layer = pooling_class_name("Adaptive", mode, rank);
  const auto base = Layer::base_options_from_config(config);
  layers::AdaptivePoolingOptions o;
  o.name = base.name;
  o.dtype = base.dtype;
  o.trainable = base.trainable;
  o.data_format = string_or(config, "data_format", "channels_last", layer);
  return std::make_shared<AdaptivePoolingImpl>(
      mode, rank, int_tuple(config, "output_size", static_cast<std::size_t>(rank), layer), o);
}

std::string AdaptivePoolingImpl::class_name() const { return pooling_class_name("Adaptive", mode_, rank_); }

Json AdaptivePoolingImpl::get_config() const {
  Json config = base_config();
  config["output_size"] = ints_to_json(output_size_);
  config["data_format"] = data_format_;
  return config;
}

Shape AdaptivePoolingImpl::compute_output_shape(const Shape& input_shape) {
  check_input_rank(input_shape, rank_, name(), class_name());
  const bool channels_first = data_format_ == "channels_first";
  Shape out{input_shape[0]};
  if (channels_first) out.push_back(input_shape[1]);
  out.insert(out.end(), output_size_.begin(), output_size_.end());
  if (!channels_first) out.push_back(input_shape.back());
  return out;
}

Tensor AdaptivePoolingImpl::forward(const Tensor& input, bool /*training*/) {
  check_input_rank(input.shape(), rank_, name(), class_name());
  const bool channels_first = data_format_ == "channels_first";
  const Tensor x = as_channels_last_float(input, channels_first);
  Tensor y = mode_ == PoolMode::max ? kernels::adaptive_max_pool(x, output_size_)
                                    : kernels::adaptive_avg_pool(x, output_size_);
  return from_channels_last(y, channels_first, compute_dtype());
}

ad::Var AdaptivePoolingImpl::forward_tape(const ad::Var& input, TapeVariables& /*variables*/, bool /*training*/) {
  const bool channels_first = data_format_ == "channels_first";
  ad::Var x = to_channels_last(input, channels_first);
  ad::Var y = mode_ == PoolMode::max ? ad::adaptive_max_pool(x, output_size_) : ad::adaptive_avg_pool(x, output_size_);
  return from_channels_last(y, channels_first);
}

}  // namespace keras::detail

// --------------------------------------------------------------- public handles

namespace keras::layers {

#define KERAS_POOL_HANDLE(Class, Mode, Rank)                                                                 \
  Class::Class(const std::vector<std::int64_t>& pool_size, const PoolingOptions& options)                    \
      : LayerRef(std::make_shared<detail::PoolingImpl>(detail::PoolMode::Mode, Rank, pool_size, options)) {} \
  Class::Class(std::int64_t pool_size, const PoolingOptions& options)                                        \
      : LayerRef(std::make_shared<detail::PoolingImpl>(detail::PoolMode::Mode, Rank,                         \
                                                       std::vector<std::int64_t>{pool_size}, options)) {}
KERAS_POOL_HANDLE(MaxPooling1D, max, 1)
KERAS_POOL_HANDLE(MaxPooling2D, max, 2)
KERAS_POOL_HANDLE(MaxPooling3D, max, 3)
KERAS_POOL_HANDLE(AveragePooling1D, average, 1)
KERAS_POOL_HANDLE(AveragePooling2D, average, 2)
KERAS_POOL_HANDLE(AveragePooling3D, average, 3)
#undef KERAS_POOL_HANDLE

#define KERAS_GLOBAL_POOL_HANDLE(Class, Mode, Rank) \
  Class::Class(const GlobalPoolingOptions& options) \
      : LayerRef(std::make_shared<detail::GlobalPoolingImpl>(detail::PoolMode::Mode, Rank, options)) {}
KERAS_GLOBAL_POOL_HANDLE(GlobalMaxPooling1D, max, 1)
KERAS_GLOBAL_POOL_HANDLE(GlobalMaxPooling2D, max, 2)
KERAS_GLOBAL_POOL_HANDLE(GlobalMaxPooling3D, max, 3)
KERAS_GLOBAL_POOL_HANDLE(GlobalAveragePooling1D, average, 1)
KERAS_GLOBAL_POOL_HANDLE(GlobalAveragePooling2D, average, 2)
KERAS_GLOBAL_POOL_HANDLE(GlobalAveragePooling3D, average, 3)
#undef KERAS_GLOBAL_POOL_HANDLE

#define KERAS_ADAPTIVE_POOL_HANDLE(Class, Mode, Rank)                                                                  \
  Class::Class(const std::vector<std::int64_t>& output_size, const AdaptivePoolingOptions& options)                    \
      : LayerRef(std::make_shared<detail::AdaptivePoolingImpl>(detail::PoolMode::Mode, Rank, output_size, options)) {} \
  Class::Class(std::int64_t output_size, const AdaptivePoolingOptions& options)                                        \
      : LayerRef(std::make_shared<detail::AdaptivePoolingImpl>(detail::PoolMode::Mode, Rank,                           \
                                                               std::vector<std::int64_t>{output_size}, options)) {}
KERAS_ADAPTIVE_POOL_HANDLE(AdaptiveMaxPooling1D, max, 1)
KERAS_ADAPTIVE_POOL_HANDLE(AdaptiveMaxPooling2D, max, 2)
KERAS_ADAPTIVE_POOL_HANDLE(AdaptiveMaxPooling3D, max, 3)
KERAS_ADAPTIVE_POOL_HANDLE(AdaptiveAveragePooling1D, average, 1)
KERAS_ADAPTIVE_POOL_HANDLE(AdaptiveAveragePooling2D, average, 2)
KERAS_ADAPTIVE_POOL_HANDLE(AdaptiveAveragePooling3D, average, 3)
#undef KERAS_ADAPTIVE_POOL_HANDLE

}  // namespace keras::layers
