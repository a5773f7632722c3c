// The reshaping layers (keras/src/layers/reshaping/).
#include <algorithm>
#include <numeric>

#include "layers/config_utils.hpp"
#include "layers/core/layer_utils.hpp"
#include "layers/reshaping/reshaping_layers.hpp"
#include "ops/image.hpp"
#include "ops/shape_ops.hpp"

namespace keras::detail {

using namespace layer_utils;  // NOLINT(google-build-using-namespace): our own helpers

namespace {

void check_rank(const Layer& layer, const Shape& shape, std::size_t ndim) {
  if (shape.size() != ndim)
    throw ValueError("Input 0 of layer \"" + layer.name() + "\" is incompatible with the layer: expected ndim=" +
                     std::to_string(ndim) + ", found ndim=" + std::to_string(shape.size()) +
                     ". Full shape received: " + shape_to_string(shape));
}

std::int64_t product(const Shape& dims) {
  return std::accumulate(dims.begin(), dims.end(), std::int64_t{1}, std::multiplies<>());
}

bool any_unknown(const Shape& dims) {
  return std::any_of(dims.begin(), dims.end(), [](std::int64_t d) { return d < 0; });
}

// Keras' compute_reshape_output_shape: resolves the -1 of `target` against
// `input` (both without the batch), or leaves it unknown when `input` is.
Shape resolve_reshape(const Shape& input, const Shape& target) {
  if (any_unknown(input)) return target;  // -1 stays unknown
  const std::int64_t input_size = product(input);
  std::int64_t known = 1;
  std::optional<std::size_t> unknown_index;
  for (std::size_t i = 0; i < target.size(); ++i) {
    if (target[i] == -1)
      unknown_index = i;
    else
      known *= target[i];
  }
  if (!unknown_index) {
    if (known != input_size)
      throw ValueError("The total size of the tensor must be unchanged. Received: input_shape=" +
                       shape_to_string(input) + ", target_shape=" + shape_to_string(target));
    return target;
  }
  if (known == 0 || input_size % known != 0)
    throw ValueError(
        "The total size of the tensor must be unchanged, however, the input size cannot by divided by "
        "the specified dimensions in target_shape. Received: input_shape=" +
        shape_to_string(input) + ", target_shape=" + shape_to_string(target));
  Shape out = target;
  out[*unknown_index] = input_size / known;
  return out;
}

// Amounts for `dims` spatial dimensions from an int, a pair (1D), or a list
// of ints / pairs (2D, 3D), as the Keras constructors accept them.
std::vector<layers::Pad> pads_from_json(const Json& value, int dims, const std::string& key) {
  auto pair_of = [&](const Json& v, const std::string& what) {
    auto t = standardize_tuple(v, 2, what, true);
    return layers::Pad{t[0], t[1]};
  };
  if (dims == 1) return {pair_of(value, key)};
  if (value.is_number_integer()) {
    const auto v = value.get<std::int64_t>();
    if (v < 0) throw ValueError("`" + key + "` cannot be negative. Received: " + key + "=" + value.dump() + ".");
    return std::vector<layers::Pad>(static_cast<std::size_t>(dims), layers::Pad{v, v});
  }
  if (!value.is_array() || value.size() != static_cast<std::size_t>(dims))
    throw ValueError("`" + key + "` should have " + std::to_string(dims) + " elements. Received: " + key + "=" +
                     value.dump() + ".");
  static const char* const ordinals[] = {"1st", "2nd", "3rd"};
  std::vector<layers::Pad> out;
  for (std::size_t i = 0; i < value.size(); ++i)
    out.push_back(pair_of(value[i], std::string(ordinals[i]) + " entry of " + key));
  return out;
}

Json ints_json(const std::vector<int>& values) {
  Json out = Json::array();
  for (int v : values) out.push_back(v);
  return out;
}

}  // namespace

// ---------------------------------------------------------------- Flatten

FlattenImpl::FlattenImpl(const std::string& data_format, const LayerBaseOptions& base)
    : Layer(base, "flatten"), data_format_(standardize_data_format(data_format)) {}

LayerPtr FlattenImpl::from_config(const Json& config) {
  return std::make_shared<FlattenImpl>(data_format_from(config, "Flatten"), base_options_from_config(config));
}

Json FlattenImpl::get_config() const {
  Json config = base_config();
  config["data_format"] = data_format_;
  return config;
}

Shape FlattenImpl::compute_output_shape(const Shape& input_shape) {
  if (input_shape.empty())
    throw ValueError("Input 0 of layer \"" + name() +
                     "\" is incompatible with the layer: expected min_ndim=1, found ndim=0");
  const Shape rest(input_shape.begin() + 1, input_shape.end());
  std::int64_t flat = 1;
  if (!rest.empty()) flat = any_unknown(rest) ? kUnknownDim : product(rest);
  return {input_shape.front(), flat};
}

std::vector<TensorSpec> FlattenImpl::compute_output_spec(const SpecArgs& args) {
  const TensorSpec& in = args.tensor(0);
  return {TensorSpec{compute_output_shape(in.shape), autocast_dtype(in.dtype, compute_dtype())}};
}

Tensor FlattenImpl::forward(const Tensor& input, bool /*training*/) {
  Tensor x = autocast(input, compute_dtype());
  const int rank = x.rank();
  if (rank == 0) compute_output_shape(x.shape());
  if (data_format_ == "channels_first" && rank > 1) {
    // Keras moves the channels last first, so the flattened order is the same for both formats.
    std::vector<int> perm{0};
    for (int i = 2; i < rank; ++i) perm.push_back(i);
    perm.push_back(1);
    x = kernels::transpose(x, perm);
  }
  const Shape rest(x.shape().begin() + 1, x.shape().end());
  return kernels::reshape(x, {x.shape().front(), product(rest)});
}

ad::Var FlattenImpl::forward_tape(const ad::Var& input, TapeVariables& /*variables*/, bool /*training*/) {
  ad::Var x = input;
  const int rank = x.rank();
  if (data_format_ == "channels_first" && rank > 1) {
    std::vector<int> perm{0};
    for (int i = 2; i < rank; ++i) perm.push_back(i);
    perm.push_back(1);
    x = ad::transpose(x, perm);
  }
  const Shape rest(x.shape().begin() + 1, x.shape().end());
  return ad::reshape(x, {x.shape().front(), product(rest)});
}

// ---------------------------------------------------------------- Reshape

ReshapeImpl::ReshapeImpl(Shape target_shape, const LayerBaseOptions& base)
    : Layer(base, "reshape"), target_shape_(std::move(target_shape)) {
  int unknown = 0;
  for (auto d : target_shape_) {
    if (d < -1)
      throw ValueError(
          "Each dimension in `target_shape` must be a non-negative integer, or `-1` for a single unknown "
          "dimension. Received: target_shape=" +
          shape_to_string(target_shape_) + ".");
    if (d == -1) ++unknown;
  }
  if (unknown > 1)
    throw ValueError("There must be at most one unknown dimension (-1) in `target_shape`. Received: target_shape=" +
                     shape_to_string(target_shape_) + ".");
}

LayerPtr ReshapeImpl::from_config(const Json& config) {
  auto it = config.find("target_shape");
  if (it == config.end() || !it->is_array()) throw FormatError("Reshape config needs a list 'target_shape'");
  Shape target;
  for (const auto& d : *it) {
    if (!d.is_number_integer())
      throw FormatError("Reshape config 'target_shape' must hold integers, got " + it->dump());
    target.push_back(d.get<std::int64_t>());
  }
  return std::make_shared<ReshapeImpl>(target, base_options_from_config(config));
}

Json ReshapeImpl::get_config() const {
  Json config = base_config();
  config["target_shape"] = ints_to_json(target_shape_);
  return config;
}

Shape ReshapeImpl::compute_output_shape(const Shape& input_shape) {
  if (input_shape.empty()) throw ValueError("Reshape '" + name() + "' needs a batched input");
  Shape out{input_shape.front()};
  const Shape resolved = resolve_reshape(Shape(input_shape.begin() + 1, input_shape.end()), target_shape_);
  out.insert(out.end(), resolved.begin(), resolved.end());
  return out;
}

std::vector<TensorSpec> ReshapeImpl::compute_output_spec(const SpecArgs& args) {
  const TensorSpec& in = args.tensor(0);
  return {TensorSpec{compute_output_shape(in.shape), autocast_dtype(in.dtype, compute_dtype())}};
}

Tensor ReshapeImpl::forward(const Tensor& input, bool /*training*/) {
  Tensor x = autocast(input, compute_dtype());
  return kernels::reshape(x, compute_output_shape(x.shape()));
}

ad::Var ReshapeImpl::forward_tape(const ad::Var& input, TapeVariables& /*variables*/, bool /*training*/) {
  return ad::reshape(input, compute_output_shape(input.shape()));
}

// ---------------------------------------------------------------- Permute

PermuteImpl::PermuteImpl(std::vector<int> dims, const LayerBaseOptions& base)
    : Layer(base, "permute"), dims_(std::move(dims)) {
  std::vector<int> sorted = dims_;
  std::sort(sorted.begin(), sorted.end());
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    if (sorted[i] != static_cast<int>(i) + 1)
      throw ValueError(
          "Invalid permutation argument `dims` for Permute Layer. The set of indices in `dims` must be "
          "consecutive and start from 1. Received dims=" +
          ints_json(dims_).dump());
  }
}

LayerPtr PermuteImpl::from_config(const Json& config) {
  auto it = config.find("dims");
  if (it == config.end() || !it->is_array()) throw FormatError("Permute config needs a list 'dims'");
  std::vector<int> dims;
  for (const auto& d : *it) {
    if (!d.is_number_integer()) throw FormatError("Permute config 'dims' must hold integers, got " + it->dump());
    dims.push_back(d.get<int>());
  }
  return std::make_shared<PermuteImpl>(dims, base_options_from_config(config));
}

Json PermuteImpl::get_config() const {
  Json config = base_config();
  config["dims"] = ints_json(dims_);
  return config;
}

Shape PermuteImpl::compute_output_shape(const Shape& input_shape) {
  check_rank(*this, input_shape, dims_.size() + 1);
  Shape out{input_shape.front()};
  for (int d : dims_) out.push_back(input_shape[static_cast<std::size_t>(d)]);
  return out;
}

std::vector<TensorSpec> PermuteImpl::compute_output_spec(const SpecArgs& args) {
  const TensorSpec& in = args.tensor(0);
  return {TensorSpec{compute_output_shape(in.shape), autocast_dtype(in.dtype, compute_dtype())}};
}

Tensor PermuteImpl::forward(const Tensor& input, bool /*training*/) {
  Tensor x = autocast(input, compute_dtype());
  check_rank(*this, x.shape(), dims_.size() + 1);
  std::vector<int> perm{0};
  perm.insert(perm.end(), dims_.begin(), dims_.end());
  return kernels::transpose(x, perm);
}

ad::Var PermuteImpl::forward_tape(const ad::Var& input, TapeVariables& /*variables*/, bool /*training*/) {
  check_rank(*this, input.shape(), dims_.size() + 1);
  std::vector<int> perm{0};
  perm.insert(perm.end(), dims_.begin(), dims_.end());
  return ad::transpose(input, perm);
}

// ---------------------------------------------------------------- RepeatVector

RepeatVectorImpl::RepeatVectorImpl(std::int64_t n, const LayerBaseOptions& base) : Layer(base, "repeat_vector"), n_(n) {
  if (n <= 0) throw ValueError("Argument `n` should be a positive integer. Received: n=" + std::to_string(n));
}

LayerPtr RepeatVectorImpl::from_config(const Json& config) {
  return std::make_shared<RepeatVectorImpl>(required_int(config, "n", "RepeatVector"),
                                            base_options_from_config(config));
}

Json RepeatVectorImpl::get_config() const {
  Json config = base_config();
  config["n"] = n_;
  return config;
}

Shape RepeatVectorImpl::compute_output_shape(const Shape& input_shape) {
  check_rank(*this, input_shape, 2);
  return {input_shape[0], n_, input_shape[1]};
}

Tensor RepeatVectorImpl::forward(const Tensor& input, bool /*training*/) {
  Tensor x = autocast(input, compute_dtype());
  check_rank(*this, x.shape(), 2);
  return kernels::repeat(kernels::reshape(x, {x.dim(0), 1, x.dim(1)}), n_, 1);
}

ad::Var RepeatVectorImpl::forward_tape(const ad::Var& input, TapeVariables& /*variables*/, bool /*training*/) {
  check_rank(*this, input.shape(), 2);
  return ad::repeat(ad::reshape(input, {input.dim(0), 1, input.dim(1)}), n_, 1);
}

// ---------------------------------------------------------------- UpSampling

UpSamplingImpl::UpSamplingImpl(int dims, std::vector<std::int64_t> size, const std::string& data_format,
                               std::string interpolation, const LayerBaseOptions& base)
    : Layer(base, "up_sampling" + std::to_string(dims) + "d"),
      dims_(dims),
      size_(standardize_tuple(size.size() == 1 ? Json(size.front()) : ints_to_json(size),
                              static_cast<std::size_t>(dims), "size", false)),
      data_format_(standardize_data_format(data_format)),
      interpolation_(std::move(interpolation)) {
  std::transform(interpolation_.begin(), interpolation_.end(), interpolation_.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (interpolation_ != "nearest") (void)kernels::parse_interpolation(interpolation_);
}

LayerPtr UpSamplingImpl::from_config(int dims, const Json& config) {
  const std::string layer = "UpSampling" + std::to_string(dims) + "D";
  std::vector<std::int64_t> size;
  auto it = config.find("size");
  if (it == config.end() || it->is_null()) {
    size.assign(static_cast<std::size_t>(dims), 2);
  } else if (dims == 1) {
    if (!it->is_number_integer()) throw FormatError(layer + " config 'size' must be an integer, got " + it->dump());
    size = {it->get<std::int64_t>()};
  } else {
    size = standardize_tuple(*it, static_cast<std::size_t>(dims), "size", false);
  }
  const std::string data_format = dims == 1 ? "channels_last" : data_format_from(config, layer);
  std::string interpolation = "nearest";
  if (auto i = config.find("interpolation"); dims == 2 && i != config.end() && i->is_string())
    interpolation = i->get<std::string>();
  return std::make_shared<UpSamplingImpl>(dims, size, data_format, interpolation, base_options_from_config(config));
}

Json UpSamplingImpl::get_config() const {
  Json config = base_config();
  if (dims_ == 1) {
    config["size"] = size_.front();
    return config;
  }
  config["size"] = ints_to_json(size_);
  config["data_format"] = data_format_;
  if (dims_ == 2) config["interpolation"] = interpolation_;
  return config;
}

Shape UpSamplingImpl::compute_output_shape(const Shape& input_shape) {
  check_rank(*this, input_shape, static_cast<std::size_t>(dims_) + 2);
  Shape out = input_shape;
  const std::size_t first = data_format_ == "channels_first" ? 2 : 1;
  for (int i = 0; i < dims_; ++i) {
    auto& d = out[first + static_cast<std::size_t>(i)];
    if (d >= 0) d *= size_[static_cast<std::size_t>(i)];
  }
  return out;
}

Tensor UpSamplingImpl::forward(const Tensor& input, bool /*training*/) {
  Tensor x = autocast(input, compute_dtype());
  check_rank(*this, x.shape(), static_cast<std::size_t>(dims_) + 2);
  const int first = data_format_ == "channels_first" ? 2 : 1;
  if (interpolation_ == "nearest") {
    for (int i = 0; i < dims_; ++i) x = kernels::repeat(x, size_[static_cast<std::size_t>(i)], first + i);
    return x;
  }
  // UpSampling2D with an interpolating resize, done channels_last.
  if (data_format_ == "channels_first") x = kernels::transpose(x, {0, 2, 3, 1});
  x = kernels::resize(x, x.dim(1) * size_[0], x.dim(2) * size_[1], kernels::parse_interpolation(interpolation_));
  if (data_format_ == "channels_first") x = kernels::transpose(x, {0, 3, 1, 2});
  return to_dtype(x, autocast_dtype(input.dtype(), compute_dtype()));
}

ad::Var UpSamplingImpl::forward_tape(const ad::Var& input, TapeVariables& variables, bool training) {
  if (interpolation_ != "nearest") return Layer::forward_tape(input, variables, training);
  check_rank(*this, input.shape(), static_cast<std::size_t>(dims_) + 2);
  const int first = data_format_ == "channels_first" ? 2 : 1;
  ad::Var x = input;
  for (int i = 0; i < dims_; ++i) x = ad::repeat(x, size_[static_cast<std::size_t>(i)], first + i);
  return x;
}

// ---------------------------------------------------------------- ZeroPadding / Cropping

PadCropImpl::PadCropImpl(bool pad, int dims, std::vector<layers::Pad> amounts, const std::string& data_format,
                         const LayerBaseOptions& base)
    : Layer(base, (pad ? "zero_padding" : "cropping") + std::to_string(dims) + "d"),
      pad_(pad),
      dims_(dims),
      amounts_(std::move(amounts)),
      data_format_(standardize_data_format(data_format)) {
  const std::string key = pad_ ? "padding" : "cropping";
  if (amounts_.size() != static_cast<std::size_t>(dims_))
    throw ValueError("`" + key + "` should have " + std::to_string(dims_) + " elements.");
  for (const auto& [before, after] : amounts_) {
    if (before < 0 || after < 0) throw ValueError("`" + key + "` cannot be negative.");
  }
}

LayerPtr PadCropImpl::from_config(bool pad, int dims, const Json& config) {
  const std::string layer = (pad ? "ZeroPadding" : "Cropping") + std::to_string(dims) + "D";
  const std::string key = pad ? "padding" : "cropping";
  std::vector<layers::Pad> amounts;
  auto it = config.find(key);
  if (it == config.end() || it->is_null()) {
    // Keras' defaults: padding 1 everywhere; Cropping1D/3D crop 1, Cropping2D nothing.
    const std::int64_t v = (!pad && dims == 2) ? 0 : 1;
    amounts.assign(static_cast<std::size_t>(dims), layers::Pad{v, v});
  } else {
    amounts = pads_from_json(*it, dims, key);
  }
  // Cropping1D has no data_format.
  const std::string data_format = (!pad && dims == 1) ? "channels_last" : data_format_from(config, layer);
  return std::make_shared<PadCropImpl>(pad, dims, amounts, data_format, base_options_from_config(config));
}

Json PadCropImpl::get_config() const {
  Json config = base_config();
  const std::string key = pad_ ? "padding" : "cropping";
  if (dims_ == 1) {
    config[key] = Json::array({amounts_.front().first, amounts_.front().second});
  } else {
    config[key] = pairs_to_json(amounts_);
  }
  if (pad_ || dims_ > 1) config["data_format"] = data_format_;
  return config;
}

Shape PadCropImpl::compute_output_shape(const Shape& input_shape) {
  check_rank(*this, input_shape, static_cast<std::size_t>(dims_) + 2);
  Shape out = input_shape;
  for (int i = 0; i < dims_; ++i) {
    auto& d = out[first_spatial_axis() + static_cast<std::size_t>(i)];
    const auto& [before, after] = amounts_[static_cast<std::size_t>(i)];
    if (d < 0) continue;
    if (pad_) {
      d += before + after;
    } else {
      if (before + after >= d)
        throw ValueError(
            "Values in `cropping` argument should be smaller than the corresponding spatial dimension of "
            "the input. Received: input_shape=" +
            shape_to_string(input_shape) + ", cropping=" + pairs_to_json(amounts_).dump());
      d -= before + after;
    }
  }
  return out;
}

Tensor PadCropImpl::forward(const Tensor& input, bool /*training*/) {
  Tensor x = autocast(input, compute_dtype());
  compute_output_shape(x.shape());
  const std::size_t first = first_spatial_axis();
  if (pad_) {
    std::vector<std::pair<std::int64_t, std::int64_t>> paddings(static_cast<std::size_t>(x.rank()), {0, 0});
    for (int i = 0; i < dims_; ++i)
      paddings[first + static_cast<std::size_t>(i)] = amounts_[static_cast<std::size_t>(i)];
    return kernels::pad(x, paddings, 0.0F);
  }
  std::vector<kernels::SliceSpec> specs(first + static_cast<std::size_t>(dims_));
  for (int i = 0; i < dims_; ++i) {
    const auto axis = first + static_cast<std::size_t>(i);
    const auto& [before, after] = amounts_[static_cast<std::size_t>(i)];
    specs[axis].start = before;
    specs[axis].stop = x.shape()[axis] - after;
  }
  return kernels::strided_slice(x, specs);
}

ad::Var PadCropImpl::forward_tape(const ad::Var& input, TapeVariables& /*variables*/, bool /*training*/) {
  compute_output_shape(input.shape());
  const std::size_t first = first_spatial_axis();
  if (pad_) {
    std::vector<std::pair<std::int64_t, std::int64_t>> paddings(static_cast<std::size_t>(input.rank()), {0, 0});
    for (int i = 0; i < dims_; ++i)
      paddings[first + static_cast<std::size_t>(i)] = amounts_[static_cast<std::size_t>(i)];
    return ad::pad(input, paddings, 0.0F);
  }
  std::vector<std::int64_t> start(static_cast<std::size_t>(input.rank()), 0);
  std::vector<std::int64_t> size(input.shape().begin(), input.shape().end());
  for (int i = 0; i < dims_; ++i) {
    const auto axis = first + static_cast<std::size_t>(i);
    const auto& [before, after] = amounts_[static_cast<std::size_t>(i)];
    start[axis] = before;
    size[axis] = input.shape()[axis] - before - after;
  }
  return ad::slice(input, start, size);
}

}  // namespace keras::detail

namespace keras::layers {

namespace {
template <typename Options>
LayerBaseOptions base_of(const Options& o) {
  return {o.name, o.dtype, o.trainable};
}
}  // namespace

Flatten::Flatten(const FlattenOptions& o)
    : LayerRef(std::make_shared<detail::FlattenImpl>(o.data_format, base_of(o))) {}
Reshape::Reshape(const Shape& target_shape, const ReshapeOptions& o)
    : LayerRef(std::make_shared<detail::ReshapeImpl>(target_shape, base_of(o))) {}
Permute::Permute(const std::vector<int>& dims, const PermuteOptions& o)
    : LayerRef(std::make_shared<detail::PermuteImpl>(dims, base_of(o))) {}
RepeatVector::RepeatVector(std::int64_t n, const RepeatVectorOptions& o)
    : LayerRef(std::make_shared<detail::RepeatVectorImpl>(n, base_of(o))) {}
UpSampling1D::UpSampling1D(const UpSampling1DOptions& o)
    : LayerRef(std::make_shared<detail::UpSamplingImpl>(1, std::vector<std::int64_t>{o.size}, "channels_last",
                                                        "nearest", base_of(o))) {}
UpSampling2D::UpSampling2D(const UpSampling2DOptions& o)
    : LayerRef(std::make_shared<detail::UpSamplingImpl>(2, o.size, o.data_format, o.interpolation, base_of(o))) {}
UpSampling3D::UpSampling3D(const UpSampling3DOptions& o)
    : LayerRef(std::make_shared<detail::UpSamplingImpl>(3, o.size, o.data_format, "nearest", base_of(o))) {}
ZeroPadding1D::ZeroPadding1D(const ZeroPadding1DOptions& o)
    : LayerRef(std::make_shared<detail::PadCropImpl>(true, 1, std::vector<Pad>{o.padding}, o.data_format, base_of(o))) {
}
ZeroPadding2D::ZeroPadding2D(const ZeroPadding2DOptions& o)
    : LayerRef(std::make_shared<detail::PadCropImpl>(true, 2, o.padding, o.data_format, base_of(o))) {}
ZeroPadding3D::ZeroPadding3D(const ZeroPadding3DOptions& o)
    : LayerRef(std::make_shared<detail::PadCropImpl>(true, 3, o.padding, o.data_format, base_of(o))) {}
Cropping1D::Cropping1D(const Cropping1DOptions& o)
    : LayerRef(
          std::make_shared<detail::PadCropImpl>(false, 1, std::vector<Pad>{o.cropping}, "channels_last", base_of(o))) {}
Cropping2D::Cropping2D(const Cropping2DOptions& o)
    : LayerRef(std::make_shared<detail::PadCropImpl>(false, 2, o.cropping, o.data_format, base_of(o))) {}
Cropping3D::Cropping3D(const Cropping3DOptions& o)
    : LayerRef(std::make_shared<detail::PadCropImpl>(false, 3, o.cropping, o.data_format, base_of(o))) {}

}  // namespace keras::layers
