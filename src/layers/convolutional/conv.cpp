#include "layers/convolutional/conv.hpp"
#include "layers/activations/activation_tape.hpp"

#include <algorithm>
#include <utility>

#include "keras/regularizers.hpp"
#include "layers/config_utils.hpp"
#include "layers/convolutional/conv_utils.hpp"
#include "ops/activations.hpp"
#include "ops/conv.hpp"

namespace keras::detail {

using namespace spatial;  // NOLINT(google-build-using-namespace): this family's helpers

namespace {

std::string conv_class_name(const char* prefix, int rank, const char* suffix = "") {
  return std::string(prefix) + std::to_string(rank) + "D" + suffix;
}

void check_rank(int rank, int max_rank, const std::string& what) {
  if (rank < 1 || rank > max_rank) throw ValueError(what + ": unsupported convolution rank " + std::to_string(rank));
}

// The standardized geometry of any of this family's options structs (they
// share the strides/padding/data_format/dilation_rate/activation/use_bias fields).
template <typename Options>
ConvGeometry make_geometry(int rank, const std::string& layer, const std::vector<std::int64_t>& kernel_size,
                           const Options& o, bool allow_causal) {
  ConvGeometry g;
  const auto n = static_cast<std::size_t>(rank);
  g.rank = rank;
  g.kernel_size = standardize_tuple(kernel_size, n, "kernel_size", layer);
  g.strides = standardize_tuple(o.strides, n, "strides", layer);
  g.dilation_rate = standardize_tuple(o.dilation_rate, n, "dilation_rate", layer);
  g.padding = standardize_padding(o.padding, allow_causal, layer);
  g.data_format = standardize_data_format(o.data_format, layer);
  g.activation = canonical_activation(o.activation);
  g.use_bias = o.use_bias;
  return g;
}

// Keras refuses strides > 1 together with dilation_rate > 1 for Conv and ConvTranspose.
void check_strides_vs_dilation(const ConvGeometry& g, const std::string& layer) {
  const auto max_stride = *std::max_element(g.strides.begin(), g.strides.end());
  const auto max_dilation = *std::max_element(g.dilation_rate.begin(), g.dilation_rate.end());
  if (max_stride > 1 && max_dilation > 1)
    throw ValueError(layer + ": `strides > 1` not supported in conjunction with `dilation_rate > 1`.");
}

void check_positive(std::int64_t value, const std::string& arg, const std::string& layer) {
  if (value <= 0)
    throw ValueError(layer + ": invalid value for argument `" + arg +
                     "`. Expected a strictly positive value. Received " + arg + "=" + std::to_string(value) + ".");
}

// Reads the kernel_size / strides / dilation_rate lists of a config.
std::vector<std::int64_t> tuple_from_config(const Json& config, const std::string& key, int rank,
                                            const std::string& layer, std::optional<std::int64_t> fallback) {
  return int_tuple(config, key, static_cast<std::size_t>(rank), layer, fallback);
}

initializers::Initializer initializer_or(const Json& config, const std::string& key,
                                         const initializers::Initializer& fallback) {
  auto it = config.find(key);
  if (it == config.end() || it->is_null()) return fallback;
  return initializers::get(*it);
}

// The keys every config reader of this family handles the same way.
template <typename Options>
void read_base(const Json& config, Options& o) {
  const auto base = Layer::base_options_from_config(config);
  o.name = base.name;
  o.dtype = base.dtype;
  o.trainable = base.trainable;
  o.activity_regularizer = json_or_null(config, "activity_regularizer");
}

// Conv and ConvTranspose share the kernel/bias initializer, regularizer and
// constraint options; these three handle them in the same way for both.
template <typename Options>
void normalize_kernel_bias(Options& o) {
  o.kernel_regularizer = regularizers::get(o.kernel_regularizer);
  o.bias_regularizer = regularizers::get(o.bias_regularizer);
  o.kernel_constraint = constraints::get(o.kernel_constraint);
  o.bias_constraint = constraints::get(o.bias_constraint);
}

template <typename Options>
void read_kernel_bias(const Json& config, Options& o) {
  o.kernel_initializer = initializer_or(config, "kernel_initializer", o.kernel_initializer);
  o.bias_initializer = initializer_or(config, "bias_initializer", o.bias_initializer);
  o.kernel_regularizer = json_or_null(config, "kernel_regularizer");
  o.bias_regularizer = json_or_null(config, "bias_regularizer");
  o.kernel_constraint = json_or_null(config, "kernel_constraint");
  o.bias_constraint = json_or_null(config, "bias_constraint");
}

// The keys ending a Conv/ConvTranspose config, in Keras' order.
template <typename Options>
void write_kernel_bias(Json& config, const Options& o, const Json& activity_regularizer) {
  config["kernel_initializer"] = o.kernel_initializer.serialize();
  config["bias_initializer"] = o.bias_initializer.serialize();
  config["kernel_regularizer"] = o.kernel_regularizer;
  config["bias_regularizer"] = o.bias_regularizer;
  config["activity_regularizer"] = activity_regularizer;
  config["kernel_constraint"] = o.kernel_constraint;
  config["bias_constraint"] = o.bias_constraint;
}

// DepthwiseConv and SeparableConv read and write their geometry keys in the
// same order (Conv and ConvTranspose interleave groups / output_padding).
template <typename Options>
void read_depthwise_geometry(const Json& config, int rank, const std::string& layer, Options& o) {
  o.depth_multiplier = int_or(config, "depth_multiplier", 1);
  o.strides = tuple_from_config(config, "strides", rank, layer, 1);
  o.padding = string_or(config, "padding", "valid", layer);
  o.data_format = string_or(config, "data_format", "channels_last", layer);
  o.dilation_rate = tuple_from_config(config, "dilation_rate", rank, layer, 1);
  o.activation = activation_from_config(config, "activation");
  o.use_bias = bool_or(config, "use_bias", true, layer);
}

void write_depthwise_geometry(Json& config, const ConvGeometry& g) {
  config["kernel_size"] = ints_to_json(g.kernel_size);
  config["strides"] = ints_to_json(g.strides);
  config["padding"] = g.padding;
  config["data_format"] = g.data_format;
  config["dilation_rate"] = ints_to_json(g.dilation_rate);
  config["activation"] = activation_to_config(g.activation);
  config["use_bias"] = g.use_bias;
}

}  // namespace

// ------------------------------------------------------------- ConvLayerBase

ConvLayerBase::ConvLayerBase(const LayerBaseOptions& base, std::string class_name, ConvGeometry geometry,
                             const Json& activity_regularizer)
    : Layer(base, to_snake_case(class_name)), class_name_(std::move(class_name)), geometry_(std::move(geometry)) {
  if (!activity_regularizer.is_null()) activity_regularizer_ = regularizers::get(activity_regularizer);
}

Json ConvLayerBase::activity_regularizer_json() const {
  return activity_regularizer_ ? *activity_regularizer_ : Json(nullptr);
}

std::int64_t ConvLayerBase::input_channels(const Shape& input_shape) const {
  check_input_rank(input_shape, geometry_.rank, name(), class_name_);
  const std::int64_t channels = channels_first() ? input_shape[1] : input_shape.back();
  if (channels < 0)
    throw ValueError(class_name_ + " layer '" + name() + "' needs a known channel dimension, got input shape " +
                     shape_to_string(input_shape));
  return channels;
}

std::int64_t ConvLayerBase::output_length(int dim, std::int64_t input_length) const {
  const auto d = static_cast<std::size_t>(dim);
  const auto padding = kernels::parse_padding(geometry_.padding);
  const std::int64_t out = kernels::conv_output_length(input_length, geometry_.kernel_size[d], geometry_.strides[d],
                                                       padding, geometry_.dilation_rate[d]);
  if (padding == kernels::Padding::valid && out <= 0)
    throw ValueError(class_name_ + " layer '" + name() +
                     "': computed output size would be zero or negative for input length " +
                     std::to_string(input_length) + " along spatial dim " + std::to_string(dim) + " (kernel_size " +
                     std::to_string(geometry_.kernel_size[d]) + ", strides " + std::to_string(geometry_.strides[d]) +
                     ", dilation_rate " + std::to_string(geometry_.dilation_rate[d]) + ")");
  return out;
}

Shape ConvLayerBase::compute_output_shape(const Shape& input_shape) {
  const std::int64_t channels = input_channels(input_shape);
  const std::size_t first_spatial = channels_first() ? 2 : 1;
  Shape out{input_shape[0]};
  if (channels_first()) out.push_back(output_channels(channels));
  for (int i = 0; i < geometry_.rank; ++i) {
    const std::int64_t in = input_shape[first_spatial + static_cast<std::size_t>(i)];
    out.push_back(in < 0 ? -1 : output_length(i, in));
  }
  if (!channels_first()) out.push_back(output_channels(channels));
  return out;
}

Tensor ConvLayerBase::forward(const Tensor& input, bool /*training*/) {
  const std::int64_t channels = input_channels(input.shape());
  if (channels != built_channels())
    throw ShapeMismatchError("Input 0 of layer \"" + name() + "\" (" + class_name_ +
                             ") is incompatible with the layer: " + "expected " + std::to_string(built_channels()) +
                             " channels on axis " + (channels_first() ? "1" : "-1") + ", got shape " +
                             shape_to_string(input.shape()));
  Tensor y = convolve(as_channels_last_float(input, channels_first()));
  if (channels_first()) y = channels_last_to_first(y);
  // After the layout change: an axis-dependent activation (softmax) sees Keras' last axis.
  y = apply_activation(geometry_.activation, y);
  return y.dtype() == compute_dtype() ? y : y.astype(compute_dtype());
}

ad::Var ConvLayerBase::forward_tape(const ad::Var& input, TapeVariables& variables, bool /*training*/) {
  ad::Var y = convolve_tape(to_channels_last(input, channels_first()), variables);
  return activation_tape(geometry_.activation, from_channels_last(y, channels_first()));
}

// ------------------------------------------------------------------ ConvImpl

ConvImpl::ConvImpl(int rank, std::int64_t filters, const std::vector<std::int64_t>& kernel_size,
                   const layers::ConvOptions& o)
    : ConvLayerBase(LayerBaseOptions{o.name, o.dtype, o.trainable}, conv_class_name("Conv", rank),
                    make_geometry(rank, conv_class_name("Conv", rank), kernel_size, o, rank == 1),
                    o.activity_regularizer),
      filters_(filters),
      options_(o) {
  check_rank(rank, 3, "Conv");
  const std::string layer = class_name();
  check_positive(filters, "filters", layer);
  if (o.groups <= 0)
    throw ValueError(layer + ": the number of groups must be a positive integer. Received: groups=" +
                     std::to_string(o.groups) + ".");
  if (filters % o.groups != 0)
    throw ValueError(layer +
                     ": the number of filters must be evenly divisible by the number of groups. Received: "
                     "groups=" +
                     std::to_string(o.groups) + ", filters=" + std::to_string(filters) + ".");
  check_strides_vs_dilation(geometry(), layer);
  normalize_kernel_bias(options_);
  lora_.set_requested(o.lora_rank, o.lora_alpha, layer);
}

LayerPtr ConvImpl::from_config(int rank, const Json& config) {
  const std::string layer = conv_class_name("Conv", rank);
  reject_unsupported_options(config, layer, false, true);
  layers::ConvOptions o;
  read_base(config, o);
  o.strides = tuple_from_config(config, "strides", rank, layer, 1);
  o.padding = string_or(config, "padding", "valid", layer);
  o.data_format = string_or(config, "data_format", "channels_last", layer);
  o.dilation_rate = tuple_from_config(config, "dilation_rate", rank, layer, 1);
  o.groups = int_or(config, "groups", 1);
  o.activation = activation_from_config(config, "activation");
  o.use_bias = bool_or(config, "use_bias", true, layer);
  read_kernel_bias(config, o);
  auto conv = std::make_shared<ConvImpl>(rank, required_int(config, "filters", layer),
                                         tuple_from_config(config, "kernel_size", rank, layer, std::nullopt), o);
  conv->lora_.read_config(config, layer);
  return conv;
}

Json ConvImpl::get_config() const {
  const auto& g = geometry();
  Json config = base_config();
  config["filters"] = filters_;
  config["kernel_size"] = ints_to_json(g.kernel_size);
  config["strides"] = ints_to_json(g.strides);
  config["padding"] = g.padding;
  config["data_format"] = g.data_format;
  config["dilation_rate"] = ints_to_json(g.dilation_rate);
  config["groups"] = options_.groups;
  config["activation"] = activation_to_config(g.activation);
  config["use_bias"] = g.use_bias;
  write_kernel_bias(config, options_, activity_regularizer_json());
  lora_.write_config(config);
  return config;
}

void ConvImpl::build(const std::vector<Shape>& input_shapes) {
  const Shape& shape = input_shapes.at(0);
  const std::int64_t channels = input_channels(shape);
  if (channels % options_.groups != 0)
    throw ValueError(class_name() + " layer '" + name() +
                     "': the number of input channels must be evenly divisible by the number of groups. Received "
                     "groups=" +
                     std::to_string(options_.groups) + ", but the input has " + std::to_string(channels) +
                     " channels (full input shape is " + shape_to_string(shape) + ").");
  compute_output_shape(shape);  // validates the geometry, as Keras' build does
  Shape kernel_shape(geometry().kernel_size.begin(), geometry().kernel_size.end());
  kernel_shape.push_back(channels / options_.groups);
  kernel_shape.push_back(filters_);
  kernel_ = add_weight("kernel", kernel_shape, options_.kernel_initializer);
  if (geometry().use_bias) bias_ = add_weight("bias", {filters_}, options_.bias_initializer);
  // Keras' BaseConv.build passes lora_alpha on.
  set_built(true);
  if (auto rank = lora_.requested_rank()) enable_lora(*rank, {.lora_alpha = lora_.requested_alpha()});
}

void ConvImpl::enable_lora(std::int64_t rank, const LoraOptions& options) {
  lora_.check_can_enable(*this, rank, options_.kernel_constraint, "kernel");
  Shape a_shape(kernel_->shape().begin(), kernel_->shape().end() - 1);
  a_shape.push_back(rank);
  auto a = add_weight("lora_kernel_a", a_shape, options.a_initializer, true, DType::float32);
  auto b = add_weight("lora_kernel_b", {rank, filters_}, options.b_initializer, true, DType::float32);
  freeze_weight(kernel_);
  lora_.enabled_with(a, b, rank, options.lora_alpha);
}

std::vector<VariablePtr> ConvImpl::own_variables() const {
  // Keras' BaseConv saves and loads [kernel, bias] (the LoRA matrices are not saved).
  return lora_.enabled() ? lora_.without_matrices(Layer::own_variables()) : Layer::own_variables();
}

std::vector<VariablePtr> ConvImpl::variables_to_save() const {
  std::vector<VariablePtr> out = own_variables();
  if (!lora_.enabled()) return out;
  // Keras writes its `kernel` property: the merged kernel in the compute dtype.
  LoraAdapter::substitute(out, kernel_, lora_.merge(kernel_->value()), compute_dtype());
  return out;
}

void ConvImpl::own_variables_loaded() {
  if (lora_.enabled()) lora_.reset();
}

std::int64_t ConvImpl::built_channels() const { return kernel_->shape().end()[-2] * options_.groups; }

Tensor ConvImpl::convolve(const Tensor& x) const {
  const auto& g = geometry();
  const Tensor kernel = lora_.enabled() ? lora_.merge(kernel_->value()) : kernel_->value();
  return kernels::conv(x, kernel, bias_ ? bias_->value() : Tensor(), g.strides, kernels::parse_padding(g.padding),
                       g.dilation_rate);
}

ad::Var ConvImpl::convolve_tape(const ad::Var& x, TapeVariables& variables) const {
  const auto& g = geometry();
  ad::Var kernel = variables(kernel_);
  if (lora_.enabled()) kernel = lora_.merge_tape(kernel, variables);
  return ad::conv(x, kernel, bias_ ? variables(bias_) : ad::Var(), g.strides, g.padding, g.dilation_rate);
}

// --------------------------------------------------------- ConvTransposeImpl

ConvTransposeImpl::ConvTransposeImpl(int rank, std::int64_t filters, const std::vector<std::int64_t>& kernel_size,
                                     const layers::ConvTransposeOptions& o)
    : ConvLayerBase(LayerBaseOptions{o.name, o.dtype, o.trainable}, conv_class_name("Conv", rank, "Transpose"),
                    make_geometry(rank, conv_class_name("Conv", rank, "Transpose"), kernel_size, o, false),
                    o.activity_regularizer),
      filters_(filters),
      options_(o) {
  check_rank(rank, 3, "ConvTranspose");
  const std::string layer = class_name();
  check_positive(filters, "filters", layer);
  if (!o.output_padding.empty()) {
    options_.output_padding =
        standardize_tuple(o.output_padding, static_cast<std::size_t>(rank), "output_padding", layer, true);
    for (int i = 0; i < rank; ++i) {
      const auto u = static_cast<std::size_t>(i);
      if (options_.output_padding[u] >= geometry().strides[u])
        throw ValueError(layer +
                         ": `output_padding` must be strictly less than `strides` for all dimensions. At "
                         "dimension " +
                         std::to_string(i) + ", `output_padding` is " + std::to_string(options_.output_padding[u]) +
                         " but `strides` is " + std::to_string(geometry().strides[u]) + ".");
    }
  }
  check_strides_vs_dilation(geometry(), layer);
  normalize_kernel_bias(options_);
}

LayerPtr ConvTransposeImpl::from_config(int rank, const Json& config) {
  const std::string layer = conv_class_name("Conv", rank, "Transpose");
  reject_unsupported_options(config, layer);
  layers::ConvTransposeOptions o;
  read_base(config, o);
  o.strides = tuple_from_config(config, "strides", rank, layer, 1);
  o.padding = string_or(config, "padding", "valid", layer);
  if (auto it = config.find("output_padding"); it != config.end() && !it->is_null())
    o.output_padding = tuple_from_config(config, "output_padding", rank, layer, std::nullopt);
  o.data_format = string_or(config, "data_format", "channels_last", layer);
  o.dilation_rate = tuple_from_config(config, "dilation_rate", rank, layer, 1);
  o.activation = activation_from_config(config, "activation");
  o.use_bias = bool_or(config, "use_bias", true, layer);
  read_kernel_bias(config, o);
  return std::make_shared<ConvTransposeImpl>(rank, required_int(config, "filters", layer),
                                             tuple_from_config(config, "kernel_size", rank, layer, std::nullopt), o);
}

Json ConvTransposeImpl::get_config() const {
  const auto& g = geometry();
  Json config = base_config();
  config["filters"] = filters_;
  config["kernel_size"] = ints_to_json(g.kernel_size);
  config["strides"] = ints_to_json(g.strides);
  config["padding"] = g.padding;
  config["output_padding"] = options_.output_padding.empty() ? Json(nullptr) : ints_to_json(options_.output_padding);
  config["data_format"] = g.data_format;
  config["dilation_rate"] = ints_to_json(g.dilation_rate);
  config["activation"] = activation_to_config(g.activation);
  config["use_bias"] = g.use_bias;
  write_kernel_bias(config, options_, activity_regularizer_json());
  return config;
}

std::int64_t ConvTransposeImpl::output_length(int dim, std::int64_t input_length) const {
  const auto d = static_cast<std::size_t>(dim);
  const auto& g = geometry();
  std::optional<std::int64_t> output_padding;
  if (!options_.output_padding.empty()) output_padding = options_.output_padding[d];
  return kernels::conv_transpose_output_length(input_length, g.kernel_size[d], g.strides[d],
                                               kernels::parse_padding(g.padding), output_padding, g.dilation_rate[d]);
}

void ConvTransposeImpl::build(const std::vector<Shape>& input_shapes) {
  const std::int64_t channels = input_channels(input_shapes.at(0));
  Shape kernel_shape(geometry().kernel_size.begin(), geometry().kernel_size.end());
  kernel_shape.push_back(filters_);
  kernel_shape.push_back(channels);
  kernel_ = add_weight("kernel", kernel_shape, options_.kernel_initializer);
  if (geometry().use_bias) bias_ = add_weight("bias", {filters_}, options_.bias_initializer);
}

std::int64_t ConvTransposeImpl::built_channels() const { return kernel_->shape().back(); }

Tensor ConvTransposeImpl::convolve(const Tensor& x) const {
  const auto& g = geometry();
  return kernels::conv_transpose(x, kernel_->value(), bias_ ? bias_->value() : Tensor(), g.strides,
                                 kernels::parse_padding(g.padding), options_.output_padding, g.dilation_rate);
}

ad::Var ConvTransposeImpl::convolve_tape(const ad::Var& x, TapeVariables& variables) const {
  const auto& g = geometry();
  return ad::conv_transpose(x, variables(kernel_), bias_ ? variables(bias_) : ad::Var(), g.strides, g.padding,
                            options_.output_padding, g.dilation_rate);
}

// --------------------------------------------------------- DepthwiseConvImpl

DepthwiseConvImpl::DepthwiseConvImpl(int rank, const std::vector<std::int64_t>& kernel_size,
                                     const layers::DepthwiseConvOptions& o)
    : ConvLayerBase(LayerBaseOptions{o.name, o.dtype, o.trainable}, conv_class_name("DepthwiseConv", rank),
                    make_geometry(rank, conv_class_name("DepthwiseConv", rank), kernel_size, o, false),
                    o.activity_regularizer),
      options_(o) {
  check_rank(rank, 2, "DepthwiseConv");
  check_positive(o.depth_multiplier, "depth_multiplier", class_name());
  options_.depthwise_regularizer = regularizers::get(o.depthwise_regularizer);
  options_.bias_regularizer = regularizers::get(o.bias_regularizer);
  options_.depthwise_constraint = constraints::get(o.depthwise_constraint);
  options_.bias_constraint = constraints::get(o.bias_constraint);
}

LayerPtr DepthwiseConvImpl::from_config(int rank, const Json& config) {
  const std::string layer = conv_class_name("DepthwiseConv", rank);
  reject_unsupported_options(config, layer);
  layers::DepthwiseConvOptions o;
  read_base(config, o);
  read_depthwise_geometry(config, rank, layer, o);
  o.depthwise_initializer = initializer_or(config, "depthwise_initializer", o.depthwise_initializer);
  o.bias_initializer = initializer_or(config, "bias_initializer", o.bias_initializer);
  o.depthwise_regularizer = json_or_null(config, "depthwise_regularizer");
  o.bias_regularizer = json_or_null(config, "bias_regularizer");
  o.depthwise_constraint = json_or_null(config, "depthwise_constraint");
  o.bias_constraint = json_or_null(config, "bias_constraint");
  return std::make_shared<DepthwiseConvImpl>(rank, tuple_from_config(config, "kernel_size", rank, layer, std::nullopt),
                                             o);
}

Json DepthwiseConvImpl::get_config() const {
  const auto& g = geometry();
  Json config = base_config();
  config["depth_multiplier"] = options_.depth_multiplier;
  write_depthwise_geometry(config, g);
  config["depthwise_initializer"] = options_.depthwise_initializer.serialize();
  config["bias_initializer"] = options_.bias_initializer.serialize();
  config["depthwise_regularizer"] = options_.depthwise_regularizer;
  config["bias_regularizer"] = options_.bias_regularizer;
  config["activity_regularizer"] = activity_regularizer_json();
  config["depthwise_constraint"] = options_.depthwise_constraint;
  config["bias_constraint"] = options_.bias_constraint;
  return config;
}

void DepthwiseConvImpl::build(const std::vector<Shape>& input_shapes) {
  const Shape& shape = input_shapes.at(0);
  const std::int64_t channels = input_channels(shape);
  compute_output_shape(shape);
  Shape kernel_shape(geometry().kernel_size.begin(), geometry().kernel_size.end());
  kernel_shape.push_back(channels);
  kernel_shape.push_back(options_.depth_multiplier);
  kernel_ = add_weight("kernel", kernel_shape, options_.depthwise_initializer);
  if (geometry().use_bias)
    bias_ = add_weight("bias", {channels * options_.depth_multiplier}, options_.bias_initializer);
}

std::int64_t DepthwiseConvImpl::built_channels() const { return kernel_->shape().end()[-2]; }

Tensor DepthwiseConvImpl::convolve(const Tensor& x) const {
  const auto& g = geometry();
  return kernels::depthwise_conv(x, kernel_->value(), bias_ ? bias_->value() : Tensor(), g.strides,
                                 kernels::parse_padding(g.padding), g.dilation_rate);
}

ad::Var DepthwiseConvImpl::convolve_tape(const ad::Var& x, TapeVariables& variables) const {
  const auto& g = geometry();
  return ad::depthwise_conv(x, variables(kernel_), bias_ ? variables(bias_) : ad::Var(), g.strides, g.padding,
                            g.dilation_rate);
}

// --------------------------------------------------------- SeparableConvImpl

SeparableConvImpl::SeparableConvImpl(int rank, std::int64_t filters, const std::vector<std::int64_t>& kernel_size,
                                     const layers::SeparableConvOptions& o)
    : ConvLayerBase(LayerBaseOptions{o.name, o.dtype, o.trainable}, conv_class_name("SeparableConv", rank),
                    make_geometry(rank, conv_class_name("SeparableConv", rank), kernel_size, o, false),
                    o.activity_regularizer),
      filters_(filters),
      options_(o) {
  check_rank(rank, 2, "SeparableConv");
  check_positive(o.depth_multiplier, "depth_multiplier", class_name());
  check_positive(filters, "filters", class_name());
  options_.depthwise_regularizer = regularizers::get(o.depthwise_regularizer);
  options_.pointwise_regularizer = regularizers::get(o.pointwise_regularizer);
  options_.bias_regularizer = regularizers::get(o.bias_regularizer);
  options_.depthwise_constraint = constraints::get(o.depthwise_constraint);
  options_.pointwise_constraint = constraints::get(o.pointwise_constraint);
  options_.bias_constraint = constraints::get(o.bias_constraint);
}

LayerPtr SeparableConvImpl::from_config(int rank, const Json& config) {
  const std::string layer = conv_class_name("SeparableConv", rank);
  reject_unsupported_options(config, layer);
  layers::SeparableConvOptions o;
  read_base(config, o);
  read_depthwise_geometry(config, rank, layer, o);
  o.depthwise_initializer = initializer_or(config, "depthwise_initializer", o.depthwise_initializer);
  o.pointwise_initializer = initializer_or(config, "pointwise_initializer", o.pointwise_initializer);
  o.bias_initializer = initializer_or(config, "bias_initializer", o.bias_initializer);
  o.depthwise_regularizer = json_or_null(config, "depthwise_regularizer");
  o.pointwise_regularizer = json_or_null(config, "pointwise_regularizer");
  o.bias_regularizer = json_or_null(config, "bias_regularizer");
  o.depthwise_constraint = json_or_null(config, "depthwise_constraint");
  o.pointwise_constraint = json_or_null(config, "pointwise_constraint");
  o.bias_constraint = json_or_null(config, "bias_constraint");
  return std::make_shared<SeparableConvImpl>(rank, required_int(config, "filters", layer),
                                             tuple_from_config(config, "kernel_size", rank, layer, std::nullopt), o);
}

Json SeparableConvImpl::get_config() const {
  const auto& g = geometry();
  Json config = base_config();
  config["depth_multiplier"] = options_.depth_multiplier;
  config["filters"] = filters_;
  write_depthwise_geometry(config, g);
  config["depthwise_initializer"] = options_.depthwise_initializer.serialize();
  config["pointwise_initializer"] = options_.pointwise_initializer.serialize();
  config["bias_initializer"] = options_.bias_initializer.serialize();
  config["depthwise_regularizer"] = options_.depthwise_regularizer;
  config["pointwise_regularizer"] = options_.pointwise_regularizer;
  config["bias_regularizer"] = options_.bias_regularizer;
  config["activity_regularizer"] = activity_regularizer_json();
  config["depthwise_constraint"] = options_.depthwise_constraint;
  config["pointwise_constraint"] = options_.pointwise_constraint;
  config["bias_constraint"] = options_.bias_constraint;
  return config;
}

void SeparableConvImpl::build(const std::vector<Shape>& input_shapes) {
  const Shape& shape = input_shapes.at(0);
  const std::int64_t channels = input_channels(shape);
  Shape depthwise_shape(geometry().kernel_size.begin(), geometry().kernel_size.end());
  depthwise_shape.push_back(channels);
  depthwise_shape.push_back(options_.depth_multiplier);
  Shape pointwise_shape(static_cast<std::size_t>(geometry().rank), 1);
  pointwise_shape.push_back(channels * options_.depth_multiplier);
  pointwise_shape.push_back(filters_);
  compute_output_shape(shape);
  depthwise_kernel_ = add_weight("depthwise_kernel", depthwise_shape, options_.depthwise_initializer);
  pointwise_kernel_ = add_weight("pointwise_kernel", pointwise_shape, options_.pointwise_initializer);
  if (geometry().use_bias) bias_ = add_weight("bias", {filters_}, options_.bias_initializer);
}

std::int64_t SeparableConvImpl::built_channels() const { return depthwise_kernel_->shape().end()[-2]; }

Tensor SeparableConvImpl::convolve(const Tensor& x) const {
  const auto& g = geometry();
  return kernels::separable_conv(x, depthwise_kernel_->value(), pointwise_kernel_->value(),
                                 bias_ ? bias_->value() : Tensor(), g.strides, kernels::parse_padding(g.padding),
                                 g.dilation_rate);
}

ad::Var SeparableConvImpl::convolve_tape(const ad::Var& x, TapeVariables& variables) const {
  const auto& g = geometry();
  ad::Var depthwise = ad::depthwise_conv(x, variables(depthwise_kernel_), {}, g.strides, g.padding, g.dilation_rate);
  return ad::conv(depthwise, variables(pointwise_kernel_), bias_ ? variables(bias_) : ad::Var(), {1}, "valid", {1});
}

}  // namespace keras::detail

// --------------------------------------------------------------- public handles

namespace keras::layers {

namespace {
template <typename Impl, typename... Args>
LayerPtr make(Args&&... args) {
  return std::make_shared<Impl>(std::forward<Args>(args)...);
}
}  // namespace

#define KERAS_CONV_HANDLE(Class, Rank, Impl, Options)                                                      \
  Class::Class(std::int64_t filters, const std::vector<std::int64_t>& kernel_size, const Options& options) \
      : LayerRef(make<detail::Impl>(Rank, filters, kernel_size, options)) {}                               \
  Class::Class(std::int64_t filters, std::int64_t kernel_size, const Options& options)                     \
      : LayerRef(make<detail::Impl>(Rank, filters, std::vector<std::int64_t>{kernel_size}, options)) {}

KERAS_CONV_HANDLE(Conv1D, 1, ConvImpl, ConvOptions)
KERAS_CONV_HANDLE(Conv2D, 2, ConvImpl, ConvOptions)
KERAS_CONV_HANDLE(Conv3D, 3, ConvImpl, ConvOptions)
KERAS_CONV_HANDLE(Conv1DTranspose, 1, ConvTransposeImpl, ConvTransposeOptions)
KERAS_CONV_HANDLE(Conv2DTranspose, 2, ConvTransposeImpl, ConvTransposeOptions)
KERAS_CONV_HANDLE(Conv3DTranspose, 3, ConvTransposeImpl, ConvTransposeOptions)
KERAS_CONV_HANDLE(SeparableConv1D, 1, SeparableConvImpl, SeparableConvOptions)
KERAS_CONV_HANDLE(SeparableConv2D, 2, SeparableConvImpl, SeparableConvOptions)
#undef KERAS_CONV_HANDLE

DepthwiseConv1D::DepthwiseConv1D(const std::vector<std::int64_t>& kernel_size, const DepthwiseConvOptions& options)
    : LayerRef(make<detail::DepthwiseConvImpl>(1, kernel_size, options)) {}
DepthwiseConv1D::DepthwiseConv1D(std::int64_t kernel_size, const DepthwiseConvOptions& options)
    : LayerRef(make<detail::DepthwiseConvImpl>(1, std::vector<std::int64_t>{kernel_size}, options)) {}
DepthwiseConv2D::DepthwiseConv2D(const std::vector<std::int64_t>& kernel_size, const DepthwiseConvOptions& options)
    : LayerRef(make<detail::DepthwiseConvImpl>(2, kernel_size, options)) {}
DepthwiseConv2D::DepthwiseConv2D(std::int64_t kernel_size, const DepthwiseConvOptions& options)
    : LayerRef(make<detail::DepthwiseConvImpl>(2, std::vector<std::int64_t>{kernel_size}, options)) {}

}  // namespace keras::layers
