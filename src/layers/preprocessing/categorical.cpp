// keras.layers.Discretization and keras.layers.CategoryEncoding.
#include <algorithm>
#include <cmath>

#include "layers/config_utils.hpp"
#include "layers/normalization/common.hpp"
#include "layers/preprocessing/preprocessing_layers.hpp"

namespace keras::detail {

namespace {

bool is_encoding_mode(const std::string& mode) { return mode == "one_hot" || mode == "multi_hot" || mode == "count"; }

// numpy.digitize(x, bins) (right=False) for monotonic bins: the number of
// boundaries <= x for increasing bins; NaN lands past the last boundary.
std::int64_t digitize(double x, const std::vector<double>& bins, bool increasing) {
  const auto n = static_cast<std::int64_t>(bins.size());
  if (std::isnan(x)) return increasing ? n : 0;
  if (increasing) return std::upper_bound(bins.begin(), bins.end(), x) - bins.begin();
  // Decreasing bins: len(bins) - searchsorted(bins[::-1], x, side="right").
  return n - (std::upper_bound(bins.rbegin(), bins.rend(), x) - bins.rbegin());
}

}  // namespace

// ------------------------------------------------------------ Discretization

DiscretizationImpl::DiscretizationImpl(const layers::DiscretizationOptions& o)
    : Layer(LayerBaseOptions{o.name, o.dtype, true}, "discretization"), options_(o) {
  if (o.sparse) throw ValueError("`sparse=True` cannot be used with backend numpy (keras-cpp has no sparse tensors)");
  if (o.output_mode != "int" && !is_encoding_mode(o.output_mode))
    throw ValueError("Invalid value for argument `output_mode` in Discretization: '" + o.output_mode +
                     "'. Expected one of 'int', 'one_hot', 'multi_hot', 'count'.");
  if (o.num_bins && *o.num_bins < 0)
    throw ValueError(
        "`num_bins` must be greater than or equal to 0. Received: `num_bins=" + std::to_string(*o.num_bins) + "`");
  if (o.num_bins && o.bin_boundaries)
    throw ValueError("Both `num_bins` and `bin_boundaries` should not be set. Received: `num_bins=" +
                     std::to_string(*o.num_bins) + "` and `bin_boundaries`");
  if (!o.num_bins && !o.bin_boundaries) throw ValueError("You need to set either `num_bins` or `bin_boundaries`.");
  if (o.bin_boundaries) {
    Json boundaries = Json::array();
    for (double b : *o.bin_boundaries) boundaries.push_back(b);
    set_boundaries(boundaries);
  }
}

void DiscretizationImpl::set_boundaries(const Json& boundaries) {
  if (boundaries.is_null()) return;
  if (!boundaries.is_array())
    throw FormatError("Discretization 'bin_boundaries' must be a list, got " + boundaries.dump());
  std::vector<double> values;
  for (const auto& b : boundaries) {
    if (!b.is_number())
      throw FormatError("Discretization 'bin_boundaries' must hold numbers, got " + boundaries.dump());
    values.push_back(b.get<double>());
  }
  options_.bin_boundaries = std::move(values);
  boundaries_json_ = boundaries;
}

LayerPtr DiscretizationImpl::from_config(const Json& config) {
  const std::string cls = "Discretization";
  if (!config.is_object()) throw FormatError("A layer config must be an object, got " + config.dump());
  layers::DiscretizationOptions o;
  auto base = base_options_from_config(config);
  o.name = base.name;
  o.dtype = base.dtype;
  if (auto it = config.find("num_bins"); it != config.end() && !it->is_null())
    o.num_bins = int_or(config, "num_bins", 0);
  o.epsilon = number_or(config, "epsilon", o.epsilon);
  o.output_mode = string_or(config, "output_mode", o.output_mode, cls);
  o.sparse = bool_or(config, "sparse", false, cls);
  const Json boundaries = detail::config_value(config, "bin_boundaries", Json(nullptr));
  // An adapted layer has both num_bins and bin_boundaries: Keras sets the boundaries after construction.
  if (!o.num_bins && boundaries.is_null())
    throw ValueError("Discretization '" + o.name + "': You need to set either `num_bins` or `bin_boundaries`.");
  if (!o.num_bins) o.bin_boundaries = std::vector<double>{};
  auto layer = std::make_shared<DiscretizationImpl>(o);
  layer->set_boundaries(boundaries);
  return layer;
}

Json DiscretizationImpl::get_config() const {
  // Discretization does not extend the base config: no `trainable`, a plain dtype string.
  Json config;
  config["bin_boundaries"] = boundaries_json_;
  config["num_bins"] = options_.num_bins ? Json(*options_.num_bins) : Json(nullptr);
  config["epsilon"] = options_.epsilon;
  config["output_mode"] = options_.output_mode;
  config["sparse"] = options_.sparse;
  config["name"] = name();
  config["dtype"] = dtype_name(variable_dtype());
  return config;
}

Shape DiscretizationImpl::compute_output_shape(const Shape& input_shape) {
  const std::int64_t depth = options_.bin_boundaries ? static_cast<std::int64_t>(options_.bin_boundaries->size()) + 1
                                                     : options_.num_bins.value_or(0);
  return encoded_shape(input_shape, options_.output_mode, depth);
}

std::vector<TensorSpec> DiscretizationImpl::compute_output_spec(const SpecArgs& args) {
  const DType dtype = options_.output_mode == "int" ? DType::int32 : compute_dtype();
  return {TensorSpec{compute_output_shape(args.tensor(0).shape), dtype}};
}

Tensor DiscretizationImpl::forward(const Tensor& input, bool /*training*/) {
  if (boundaries_json_.is_null())
    throw ValueError("Discretization '" + name() +
                     "': You need to either pass the `bin_boundaries` argument at "
                     "construction time or call `adapt(dataset)` before you can start using the `Discretization` "
                     "layer (keras-cpp cannot adapt it).");
  const std::vector<double>& bins = *options_.bin_boundaries;
  const bool increasing = std::is_sorted(bins.begin(), bins.end());
  if (!increasing && !std::is_sorted(bins.rbegin(), bins.rend()))
    throw ValueError("Discretization '" + name() + "': bins must be monotonically increasing or decreasing");
  // Float inputs go through the float32 compute dtype, then compare in double as numpy does.
  Tensor x = is_floating(input.dtype()) && input.dtype() != DType::float32 ? input.astype(DType::float32) : input;
  Tensor indices(x.shape(), DType::int32);
  auto* out = indices.data<std::int32_t>();
  for (std::int64_t i = 0; i < x.size(); ++i) out[i] = static_cast<std::int32_t>(digitize(x.at(i), bins, increasing));
  if (options_.output_mode == "int") return indices;
  return encode_categorical(indices, options_.output_mode, static_cast<std::int64_t>(bins.size()) + 1, compute_dtype(),
                            std::nullopt, "Discretization '" + name() + "'");
}

// ---------------------------------------------------------- CategoryEncoding

CategoryEncodingImpl::CategoryEncodingImpl(std::int64_t num_tokens, const layers::CategoryEncodingOptions& o)
    : Layer(LayerBaseOptions{o.name, o.dtype, o.trainable}, "category_encoding"), num_tokens_(num_tokens), options_(o) {
  if (options_.output_mode == "binary") options_.output_mode = "multi_hot";  // Keras' deprecated name
  if (!is_encoding_mode(options_.output_mode)) throw ValueError("Unknown arg for output_mode: " + o.output_mode);
  if (num_tokens < 1)
    throw ValueError("`num_tokens` must be >= 1. Received: num_tokens=" + std::to_string(num_tokens) + ".");
}

LayerPtr CategoryEncodingImpl::from_config(const Json& config) {
  const std::string cls = "CategoryEncoding";
  layers::CategoryEncodingOptions o;
  auto base = base_options_from_config(config);
  o.name = base.name;
  o.dtype = base.dtype;
  o.trainable = base.trainable;
  o.output_mode = string_or(config, "output_mode", o.output_mode, cls);
  o.sparse = bool_or(config, "sparse", false, cls);
  auto it = config.find("num_tokens");
  if (it == config.end() || it->is_null())
    throw ValueError(
        "num_tokens must be set to use this layer. If the number of tokens is not known beforehand, use "
        "the IntegerLookup layer instead.");
  auto layer = std::make_shared<CategoryEncodingImpl>(required_int(config, "num_tokens", cls), o);
  layer->activity_regularizer_ = activity_regularizer_from(config);
  return layer;
}

Json CategoryEncodingImpl::get_config() const {
  Json config = base_config();
  config["num_tokens"] = num_tokens_;
  config["output_mode"] = options_.output_mode;
  config["sparse"] = options_.sparse;
  return config;
}

Shape CategoryEncodingImpl::compute_output_shape(const Shape& input_shape) {
  if (input_shape.empty()) return {num_tokens_};
  Shape out = input_shape;
  if (options_.output_mode == "one_hot") {
    if (input_shape.back() == 1 && input_shape.size() > 1) out.pop_back();
  } else {
    out.pop_back();
  }
  out.push_back(num_tokens_);
  return out;
}

Tensor CategoryEncodingImpl::encode(const Tensor& input, const std::optional<Tensor>& count_weights) {
  if (options_.sparse)
    throw NotImplementedError("CategoryEncoding '" + name() + "': sparse outputs are not supported by keras-cpp");
  return encode_categorical(input, options_.output_mode, num_tokens_, variable_dtype(), count_weights,
                            "CategoryEncoding '" + name() + "'");
}

std::vector<Tensor> CategoryEncodingImpl::call(const CallArgs& args) {
  std::optional<Tensor> weights = args.kwarg_tensor("count_weights");
  if (!weights && args.arg_is_tensor(1)) weights = args.tensor(1);
  return {encode(args.tensor(0), weights)};
}

Tensor CategoryEncodingImpl::forward(const Tensor& input, bool /*training*/) { return encode(input, std::nullopt); }

}  // namespace keras::detail

namespace keras::layers {
Discretization::Discretization(const DiscretizationOptions& options)
    : LayerRef(std::make_shared<detail::DiscretizationImpl>(options)) {}
CategoryEncoding::CategoryEncoding(std::int64_t num_tokens, const CategoryEncodingOptions& options)
    : LayerRef(std::make_shared<detail::CategoryEncodingImpl>(num_tokens, options)) {}
}  // namespace keras::layers
