// MultiHeadAttention and GroupQueryAttention
// (keras/src/layers/attention/multi_head_attention.py, grouped_query_attention.py).
#include <cmath>
#include <functional>

#include "keras/layers/activations.hpp"
#include "keras/layers/regularization.hpp"
#include "keras/regularizers.hpp"
#include "layers/attention/attention_layers.hpp"
#include "layers/config_utils.hpp"
#include "ops/elementwise.hpp"
#include "ops/linalg.hpp"
#include "ops/reduce.hpp"
#include "ops/shape_ops.hpp"

namespace keras::detail {

namespace {

char letter(int i) { return static_cast<char>('a' + i); }

// _get_output_shape: unknown dims (taken from the input) then the known ones.
Shape projection_output_shape(int output_rank, const Shape& known) {
  Shape out(static_cast<std::size_t>(std::max<int>(0, output_rank - static_cast<int>(known.size()))), kUnknownDim);
  out.insert(out.end(), known.begin(), known.end());
  return out;
}

Json optional_int(const std::optional<std::int64_t>& v) { return v ? Json(*v) : Json(nullptr); }

std::optional<std::int64_t> optional_int_from(const Json& config, const std::string& key, const std::string& layer) {
  auto it = config.find(key);
  if (it == config.end() || it->is_null()) return std::nullopt;
  if (!it->is_number_integer())
    throw FormatError(layer + " config '" + key + "' must be an integer or null, got " + it->dump());
  return it->get<std::int64_t>();
}

Json number_json(const Json& config, const std::string& key, double fallback) {
  auto it = config.find(key);
  if (it == config.end() || it->is_null()) return Json(fallback);
  if (!it->is_number()) throw FormatError("Config '" + key + "' must be a number, got " + it->dump());
  return *it;
}

// Keras' large negative logit for masked positions in dot_product_attention (float32).
constexpr float kDotProductMaskValue = static_cast<float>(3.38953e38 * -0.7);
// keras.layers.Softmax's masked-logit value (float32).
constexpr float kSoftmaxMaskValue = -1e9F;

// A bool [1, T, S] mask: causal (key position <= query position) and/or a band |i - j| < window.
Tensor position_mask(std::int64_t t, std::int64_t s, bool causal, std::optional<std::int64_t> window) {
  Tensor m({1, t, s}, DType::bool_);
  auto* p = m.data<std::uint8_t>();
  for (std::int64_t i = 0; i < t; ++i)
    for (std::int64_t j = 0; j < s; ++j) {
      bool keep = true;
      if (causal) keep = keep && j <= i;
      if (window) keep = keep && std::abs(i - j) < *window;
      p[i * s + j] = keep ? 1 : 0;
    }
  return m;
}

Tensor as_bool(const Tensor& t) { return t.dtype() == DType::bool_ ? t : kernels::not_equal(t, Tensor::scalar(0.0F)); }

std::optional<Tensor> and_masks(const std::optional<Tensor>& a, const Tensor& b) {
  return a ? kernels::logical_and(*a, b) : b;
}

// Keras' _compute_attention_mask: the merged [B, T, S] (broadcastable) mask or none.
std::optional<Tensor> merged_attention_mask(const AttentionMasks& m, std::int64_t t, std::int64_t s,
                                            std::optional<std::int64_t> window) {
  std::optional<Tensor> mask;
  if (m.query_mask) mask = kernels::expand_dims(as_bool(*m.query_mask), -1);
  if (m.value_mask) mask = and_masks(mask, kernels::expand_dims(as_bool(*m.value_mask), -2));
  if (m.key_mask) mask = and_masks(mask, kernels::expand_dims(as_bool(*m.key_mask), -2));
  if (m.use_causal_mask || window) mask = and_masks(mask, position_mask(t, s, m.use_causal_mask, window));
  if (m.attention_mask) {
    Tensor explicit_mask = as_bool(*m.attention_mask);
    mask = mask ? kernels::logical_and(explicit_mask, *mask) : explicit_mask;
  }
  return mask;
}

// The dropout rate of a config value kept as written (an int stays an int).
double dropout_rate(const Json& dropout) { return dropout.is_number() ? dropout.get<double>() : 0.0; }

// Keras' _compute_attention runs ops.dot_product_attention (fused) unless dropout is on, the
// scores are asked for, or the projections are not [B, T, heads, dim] (several attention axes).
bool fused_attention(const Json& dropout, bool return_attention_scores, int projected_rank) {
  return !(dropout_rate(dropout) > 0.0 || return_attention_scores || projected_rank != 4);
}

// The softmax axes of the scores: their last `count` axes.
std::vector<int> last_axes(int rank, int count) {
  std::vector<int> axes;
  for (int i = rank - count; i < rank; ++i) axes.push_back(i);
  return axes;
}

Tensor expand_to_rank(Tensor mask, int rank, int axis) {
  while (mask.rank() < rank) mask = kernels::expand_dims(mask, axis);
  return mask;
}

struct AttentionResult {
  Tensor output;
  Tensor scores;  // undefined on the fused dot-product path
};

// ops.dot_product_attention (numpy backend): q [B,T,N,H], k [B,S,N,H], v [B,S,N,Hv].
AttentionResult fused_dot_product(const Tensor& q, const Tensor& k, const Tensor& v, std::optional<Tensor> mask,
                                  float scale) {
  Tensor logits = kernels::multiply(kernels::einsum("btnh,bsnh->bnts", q, k), scale);
  if (mask) {
    Tensor m = expand_to_rank(*mask, 4, -3);
    logits = kernels::where(m, logits, Tensor::scalar(kDotProductMaskValue));
  }
  Tensor probs = kernels::softmax(logits, -1);
  return {kernels::einsum("bnts,bsnh->btnh", probs, v), Tensor()};
}

// The explicit path: scaled query, einsum scores, keras.layers.Softmax with a
// mask (masked logits -1e9, masked probabilities zeroed), `drop` (the dropout
// layer) on the probabilities, einsum combination. The scores returned are
// the probabilities before dropout, as Keras returns them.
AttentionResult einsum_attention(const Tensor& q, const Tensor& k, const Tensor& v, std::optional<Tensor> mask,
                                 float scale, const std::string& dot_equation, bool key_first,
                                 const std::string& combine_equation, const std::vector<int>& norm_axes,
                                 int mask_expansion_axis, const std::function<Tensor(const Tensor&)>& drop) {
  Tensor scaled = kernels::multiply(q, scale);
  Tensor scores = key_first ? kernels::einsum(dot_equation, k, scaled) : kernels::einsum(dot_equation, scaled, k);
  std::optional<Tensor> m;
  if (mask) {
    m = expand_to_rank(*mask, scores.rank(), mask_expansion_axis);
    scores = kernels::where(*m, scores, Tensor::scalar(kSoftmaxMaskValue));
  }
  Tensor probs =
      norm_axes.size() == 1 ? kernels::softmax(scores, norm_axes.front()) : kernels::softmax(scores, norm_axes);
  if (m) probs = kernels::where(*m, probs, Tensor::scalar(0.0F));
  return {kernels::einsum(combine_equation, drop(probs), v), probs};
}

// The tape versions of fused_dot_product and einsum_attention: the same
// arithmetic in the same order, on keras::ad (the masks are constants).
struct AttentionTapeResult {
  ad::Var output;
  ad::Var scores;  // undefined on the fused dot-product path
};

AttentionTapeResult fused_dot_product_tape(const ad::Var& q, const ad::Var& k, const ad::Var& v,
                                           const std::optional<Tensor>& mask, float scale) {
  ad::Var logits = ad::einsum("btnh,bsnh->bnts", q, k) * scale;
  if (mask) logits = ad::where(expand_to_rank(*mask, 4, -3), logits, ad::Var(Tensor::scalar(kDotProductMaskValue)));
  ad::Var probs = ad::softmax(logits, {-1});
  return {ad::einsum("bnts,bsnh->btnh", probs, v), ad::Var()};
}

AttentionTapeResult einsum_attention_tape(const ad::Var& q, const ad::Var& k, const ad::Var& v,
                                          const std::optional<Tensor>& mask, float scale,
                                          const std::string& dot_equation, bool key_first,
                                          const std::string& combine_equation, const std::vector<int>& norm_axes,
                                          int mask_expansion_axis, const std::function<ad::Var(const ad::Var&)>& drop) {
  ad::Var scaled = q * scale;
  ad::Var scores = key_first ? ad::einsum(dot_equation, k, scaled) : ad::einsum(dot_equation, scaled, k);
  std::optional<Tensor> m;
  if (mask) {
    m = expand_to_rank(*mask, scores.rank(), mask_expansion_axis);
    scores = ad::where(*m, scores, ad::Var(Tensor::scalar(kSoftmaxMaskValue)));
  }
  ad::Var probs = ad::softmax(scores, norm_axes);
  if (m) probs = ad::where(*m, probs, ad::Var(Tensor::scalar(0.0F)));
  return {ad::einsum(combine_equation, drop(probs), v), probs};
}

// Tensor arguments of an attention call: query, value, key (positional or keyword) and the masks.
struct AttentionCallInputs {
  Tensor query;
  Tensor value;
  std::optional<Tensor> key;
  AttentionMasks masks;
  bool return_attention_scores = false;
};

bool bool_kwarg(const CallArgs& args, const std::string& key) {
  const Json* v = args.kwarg(key);
  return v != nullptr && v->is_boolean() && v->get<bool>();
}

AttentionCallInputs attention_inputs(const CallArgs& args, const std::string& layer) {
  AttentionCallInputs in;
  in.query = args.tensor(0).astype(DType::float32);
  if (args.arg_is_tensor(1))
    in.value = args.tensor(1).astype(DType::float32);
  else if (auto v = args.kwarg_tensor("value"))
    in.value = v->astype(DType::float32);
  else
    throw ValueError("Attention layer '" + layer + "' needs a `value` tensor");
  if (args.arg_is_tensor(2))
    in.key = args.tensor(2).astype(DType::float32);
  else if (auto k = args.kwarg_tensor("key"))
    in.key = k->astype(DType::float32);
  in.masks.query_mask = args.kwarg_tensor("query_mask");
  in.masks.value_mask = args.kwarg_tensor("value_mask");
  in.masks.key_mask = args.kwarg_tensor("key_mask");
  in.masks.attention_mask = args.kwarg_tensor("attention_mask");
  in.masks.use_causal_mask = bool_kwarg(args, "use_causal_mask");
  in.return_attention_scores = bool_kwarg(args, "return_attention_scores");
  return in;
}

// attention_inputs() on the tape: query, value and key as tape values, the masks as constants.
struct AttentionTapeInputs {
  ad::Var query;
  ad::Var value;
  std::optional<ad::Var> key;
  AttentionMasks masks;
  bool return_attention_scores = false;
};

AttentionTapeInputs attention_tape_inputs(const CallArgs& args, const std::vector<ad::Var>& tensors,
                                          const std::string& layer) {
  auto as_float = [](const ad::Var& v) { return v.dtype() == DType::float32 ? v : ad::cast(v, DType::float32); };
  auto constant = [&](const std::string& key) -> std::optional<Tensor> {
    ad::Var v = tape_kwarg(args, tensors, key);
    if (!v.defined()) return std::nullopt;
    return v.value();
  };
  AttentionTapeInputs in;
  in.query = as_float(tape_arg(args, tensors, 0));
  if (args.arg_is_tensor(1))
    in.value = as_float(tape_arg(args, tensors, 1));
  else if (ad::Var v = tape_kwarg(args, tensors, "value"); v.defined())
    in.value = as_float(v);
  else
    throw ValueError("Attention layer '" + layer + "' needs a `value` tensor");
  if (args.arg_is_tensor(2))
    in.key = as_float(tape_arg(args, tensors, 2));
  else if (ad::Var k = tape_kwarg(args, tensors, "key"); k.defined())
    in.key = as_float(k);
  in.masks.query_mask = constant("query_mask");
  in.masks.value_mask = constant("value_mask");
  in.masks.key_mask = constant("key_mask");
  in.masks.attention_mask = constant("attention_mask");
  in.masks.use_causal_mask = bool_kwarg(args, "use_causal_mask");
  in.return_attention_scores = bool_kwarg(args, "return_attention_scores");
  return in;
}

struct AttentionSpecInputs {
  Shape query;
  Shape value;
  std::optional<Shape> key;
};

AttentionSpecInputs attention_spec_inputs(const SpecArgs& args, const std::string& layer) {
  AttentionSpecInputs in;
  in.query = args.tensor(0).shape;
  if (args.arg_is_tensor(1))
    in.value = args.tensor(1).shape;
  else if (auto v = args.kwarg_tensor("value"))
    in.value = v->shape;
  else
    throw ValueError("Attention layer '" + layer + "' needs a `value` tensor");
  if (args.arg_is_tensor(2))
    in.key = args.tensor(2).shape;
  else if (auto k = args.kwarg_tensor("key"))
    in.key = k->shape;
  return in;
}

Json shapes_dict(const std::vector<Shape>& shapes, bool with_key) {
  Json dict = Json::object();
  dict["query_shape"] = shape_to_json(shapes.at(0));
  dict["value_shape"] = shape_to_json(shapes.at(1));
  if (with_key && shapes.size() > 2) dict["key_shape"] = shape_to_json(shapes.at(2));
  return Json{{"shapes_dict", dict}};
}

// Reads {"shapes_dict": {query_shape, value_shape[, key_shape]}}; empty when absent.
std::vector<Shape> read_shapes_dict(const Json& build_config, const std::string& layer) {
  auto it = build_config.find("shapes_dict");
  if (it == build_config.end() || !it->is_object()) return {};
  auto get = [&](const char* key) -> std::optional<Shape> {
    auto s = it->find(key);
    if (s == it->end() || s->is_null()) return std::nullopt;
    return shape_from_json(*s, layer + " build_config " + key);
  };
  auto q = get("query_shape");
  auto v = get("value_shape");
  if (!q || !v) throw FormatError("The build_config of '" + layer + "' needs query_shape and value_shape");
  std::vector<Shape> shapes = {*q, *v};
  if (auto k = get("key_shape")) shapes.push_back(*k);
  return shapes;
}

void check_value_key(const Shape& value, const Shape& key, const std::string& layer) {
  if (value.size() < 2 || value.size() != key.size() ||
      !std::equal(value.begin() + 1, value.end() - 1, key.begin() + 1))
    throw ValueError(
        "All dimensions of `value` and `key`, except the last one, must be equal. Received: "
        "value_shape=" +
        shape_to_string(value) + " and key_shape=" + shape_to_string(key) + " (layer '" + layer + "')");
}

std::vector<int> ints_from(const Json& value, const std::string& what) {
  std::vector<int> out;
  if (value.is_number_integer()) return {value.get<int>()};
  if (!value.is_array()) throw FormatError(what + " must be an integer or a list of integers, got " + value.dump());
  for (const auto& v : value) {
    if (!v.is_number_integer()) throw FormatError(what + " must hold integers, got " + value.dump());
    out.push_back(v.get<int>());
  }
  return out;
}

// The initializer/regularizer/constraint keys both attention layers pass on
// to their projections (missing keys keep the defaults).
template <typename Options>
void read_projection_options(const Json& config, Options& o) {
  if (auto it = config.find("kernel_initializer"); it != config.end() && !it->is_null())
    o.kernel_initializer = initializers::get(*it);
  if (auto it = config.find("bias_initializer"); it != config.end() && !it->is_null())
    o.bias_initializer = initializers::get(*it);
  o.kernel_regularizer = detail::config_value(config, "kernel_regularizer", Json(nullptr));
  o.bias_regularizer = detail::config_value(config, "bias_regularizer", Json(nullptr));
  o.activity_regularizer = detail::config_value(config, "activity_regularizer", Json(nullptr));
  o.kernel_constraint = detail::config_value(config, "kernel_constraint", Json(nullptr));
  o.bias_constraint = detail::config_value(config, "bias_constraint", Json(nullptr));
}

// The keys both attention layers end their config with, in Keras' order.
template <typename Options>
void write_projection_options(Json& config, const Options& o, const Json& activity_regularizer) {
  config["kernel_initializer"] = o.kernel_initializer.serialize();
  config["bias_initializer"] = o.bias_initializer.serialize();
  config["kernel_regularizer"] = o.kernel_regularizer;
  config["bias_regularizer"] = o.bias_regularizer;
  config["activity_regularizer"] = activity_regularizer;
  config["kernel_constraint"] = o.kernel_constraint;
  config["bias_constraint"] = o.bias_constraint;
  config["seed"] = optional_int(o.seed);
}

template <typename Options>
layers::EinsumDenseOptions projection_sublayer_options(const Options& o, const Json& activity_regularizer,
                                                       const std::string& dtype) {
  layers::EinsumDenseOptions sub;
  sub.kernel_initializer = o.kernel_initializer;
  sub.bias_initializer = o.bias_initializer;
  sub.kernel_regularizer = o.kernel_regularizer;
  sub.bias_regularizer = o.bias_regularizer;
  sub.activity_regularizer = activity_regularizer;
  sub.kernel_constraint = o.kernel_constraint;
  sub.bias_constraint = o.bias_constraint;
  sub.dtype = dtype;
  return sub;
}

}  // namespace

// ---------------------------------------------------------------- equations

ProjectionEquation build_proj_equation(int free_dims, int bound_dims, int output_dims) {
  std::string input;
  std::string kernel;
  std::string output;
  std::string bias;
  int offset = 0;
  for (int i = 0; i < free_dims; ++i) {
    input += letter(i + offset);
    output += letter(i + offset);
  }
  offset += free_dims;
  for (int i = 0; i < bound_dims; ++i) {
    input += letter(i + offset);
    kernel += letter(i + offset);
  }
  offset += bound_dims;
  for (int i = 0; i < output_dims; ++i) {
    kernel += letter(i + offset);
    output += letter(i + offset);
    bias += letter(i + offset);
  }
  return {input + "," + kernel + "->" + output, bias, static_cast<int>(output.size())};
}

AttentionEquations build_attention_equation(int rank, const std::vector<int>& attention_axes) {
  std::string target;
  for (int i = 0; i < rank; ++i) target += letter(i);
  auto is_attention_axis = [&](int i) {
    return std::find(attention_axes.begin(), attention_axes.end(), i) != attention_axes.end();
  };
  std::vector<int> batch_dims;  // every axis but the attention axes and the last (heads included)
  for (int i = 0; i < rank; ++i) {
    if (!is_attention_axis(i) && i != rank - 1) batch_dims.push_back(i);
  }
  int offset = rank;
  std::string source;
  for (int i = 0; i < rank; ++i) {
    bool batch = std::find(batch_dims.begin(), batch_dims.end(), i) != batch_dims.end();
    if (batch || i == rank - 1) {
      source += target[static_cast<std::size_t>(i)];
    } else {
      source += letter(offset++);
    }
  }
  std::string product;
  for (int i : batch_dims) product += target[static_cast<std::size_t>(i)];
  for (int i : attention_axes) product += target[static_cast<std::size_t>(i)];
  for (int i : attention_axes) product += source[static_cast<std::size_t>(i)];
  return {source + "," + target + "->" + product, product + "," + source + "->" + target,
          static_cast<int>(product.size())};
}

// ----------------------------------------------------- ProjectedAttentionImpl

void ProjectedAttentionImpl::before_symbolic_call(const SpecArgs& args) {
  if (built()) return;
  auto in = attention_spec_inputs(args, name());
  built_with_key_ = in.key.has_value();
  std::vector<Shape> shapes = {in.query, in.value};
  if (in.key) shapes.push_back(*in.key);
  build_for(shapes);
}

std::optional<Json> ProjectedAttentionImpl::build_config() const {
  if (!built() || build_input_shapes().size() < 2) return std::nullopt;
  return shapes_dict(build_input_shapes(), built_with_key_);
}

void ProjectedAttentionImpl::build_from_config(const Json& build_config) {
  if (built()) return;
  auto shapes = read_shapes_dict(build_config, name());
  if (shapes.empty()) return;
  built_with_key_ = shapes.size() > 2;
  build_for(shapes);
}

std::vector<Tensor> ProjectedAttentionImpl::project_output(const Tensor& attended, const Tensor& gate,
                                                           const Tensor& scores, bool return_attention_scores) {
  Tensor output = output_dense_->forward(gate_dense_ ? kernels::multiply(attended, gate) : attended, false);
  const DType dtype = compute_dtype();
  if (dtype != DType::float32) output = output.astype(dtype);
  if (return_attention_scores) return {output, dtype == DType::float32 ? scores : scores.astype(dtype)};
  return {output};
}

std::vector<ad::Var> ProjectedAttentionImpl::project_output_tape(const ad::Var& attended, const ad::Var& gate,
                                                                 const ad::Var& scores, bool return_attention_scores,
                                                                 TapeVariables& variables, bool training) {
  ad::Var output = output_dense_->forward_tape(gate_dense_ ? attended * gate : attended, variables, training);
  const DType dtype = compute_dtype();
  if (dtype != DType::float32) output = ad::cast(output, dtype);
  if (return_attention_scores) return {output, dtype == DType::float32 ? scores : ad::cast(scores, dtype)};
  return {output};
}

Differentiability ProjectedAttentionImpl::differentiability() const {
  for (const auto& dense : {query_dense_, key_dense_, value_dense_, output_dense_, gate_dense_})
    if (dense && dense->differentiability() != Differentiability::differentiable) return Differentiability::unsupported;
  return Differentiability::differentiable;
}

std::function<Tensor(const Tensor&)> ProjectedAttentionImpl::score_dropout(bool training) {
  if (!training || !dropout_layer_) return [](const Tensor& probs) { return probs; };
  return [this](const Tensor& probs) { return dropout_layer_->forward(probs, true); };
}

std::function<ad::Var(const ad::Var&)> ProjectedAttentionImpl::score_dropout_tape(bool training,
                                                                                  TapeVariables& variables) {
  if (!training || !dropout_layer_) return [](const ad::Var& probs) { return probs; };
  return [this, &variables](const ad::Var& probs) { return dropout_layer_->forward_tape(probs, variables, true); };
}

// --------------------------------------------------------- MultiHeadAttention

MultiHeadAttentionImpl::MultiHeadAttentionImpl(std::int64_t num_heads, std::int64_t key_dim,
                                               const layers::MultiHeadAttentionOptions& options)
    : ProjectedAttentionImpl(LayerBaseOptions{options.name, options.dtype, options.trainable}, "multi_head_attention"),
      num_heads_(num_heads),
      key_dim_(key_dim),
      value_dim_(options.value_dim.value_or(key_dim)),
      dropout_(options.dropout),
      options_(options),
      attention_axes_(options.attention_axes) {
  if (num_heads <= 0)
    throw ValueError(
        "Received an invalid value for argument `num_heads`, expected a positive integer. Received: "
        "num_heads=" +
        std::to_string(num_heads));
  if (key_dim <= 0)
    throw ValueError(
        "Received an invalid value for argument `key_dim`, expected a positive integer. Received: "
        "key_dim=" +
        std::to_string(key_dim));
  if (options.value_dim && *options.value_dim <= 0)
    throw ValueError("Received an invalid value for argument `value_dim`, expected a positive integer or `None`.");
  if (options.sliding_window && *options.sliding_window <= 0)
    throw ValueError("`sliding_window` must be `None` or a positive integer.");
  options_.kernel_regularizer = regularizers::get(options.kernel_regularizer);
  options_.bias_regularizer = regularizers::get(options.bias_regularizer);
  options_.activity_regularizer = regularizers::get(options.activity_regularizer);
  options_.kernel_constraint = constraints::get(options.kernel_constraint);
  options_.bias_constraint = constraints::get(options.bias_constraint);
}

LayerPtr MultiHeadAttentionImpl::from_config(const Json& config) {
  layers::MultiHeadAttentionOptions o;
  auto base = base_options_from_config(config);
  o.name = base.name;
  o.dtype = base.dtype;
  o.trainable = base.trainable;
  o.value_dim = optional_int_from(config, "value_dim", "MultiHeadAttention");
  o.use_bias = detail::config_value(config, "use_bias", true);
  o.use_gate = detail::config_value(config, "use_gate", false);
  if (auto it = config.find("output_shape"); it != config.end() && !it->is_null()) {
    if (it->is_number_integer())
      o.output_shape = Shape{it->get<std::int64_t>()};
    else
      o.output_shape = shape_from_json(*it, "MultiHeadAttention output_shape");
  }
  if (auto it = config.find("attention_axes"); it != config.end() && !it->is_null())
    o.attention_axes = ints_from(*it, "MultiHeadAttention attention_axes");
  o.sliding_window = optional_int_from(config, "sliding_window", "MultiHeadAttention");
  read_projection_options(config, o);
  o.seed = optional_int_from(config, "seed", "MultiHeadAttention");
  auto layer = std::make_shared<MultiHeadAttentionImpl>(required_int(config, "num_heads", "MultiHeadAttention"),
                                                        required_int(config, "key_dim", "MultiHeadAttention"), o);
  layer->dropout_ = number_json(config, "dropout", 0.0);  // kept as written (an int stays an int)
  return layer;
}

Json MultiHeadAttentionImpl::get_config() const {
  Json config = base_config();
  config["num_heads"] = num_heads_;
  config["key_dim"] = key_dim_;
  config["value_dim"] = value_dim_;
  config["dropout"] = dropout_;
  config["use_bias"] = options_.use_bias;
  config["use_gate"] = options_.use_gate;
  config["output_shape"] = options_.output_shape ? shape_to_json(*options_.output_shape) : Json(nullptr);
  if (attention_axes_) {
    Json axes = Json::array();
    for (int a : *attention_axes_) axes.push_back(a);
    config["attention_axes"] = axes;
  } else {
    config["attention_axes"] = nullptr;
  }
  config["sliding_window"] = optional_int(options_.sliding_window);
  write_projection_options(config, options_, options_.activity_regularizer);
  return config;
}

layers::EinsumDenseOptions MultiHeadAttentionImpl::sublayer_options() const {
  return projection_sublayer_options(options_, options_.activity_regularizer, dtype_policy().name());
}

void MultiHeadAttentionImpl::build(const std::vector<Shape>& shapes) {
  if (shapes.size() < 2) throw ValueError("MultiHeadAttention '" + name() + "' needs query and value shapes");
  const Shape& query = shapes[0];
  const Shape& value = shapes[1];
  const Shape& key = shapes.size() > 2 ? shapes[2] : value;
  check_value_key(value, key, name());
  const int query_rank = static_cast<int>(query.size());
  const int value_rank = static_cast<int>(value.size());
  const int key_rank = static_cast<int>(key.size());
  if (query_rank < 3 || value_rank < 3)
    throw ValueError("MultiHeadAttention '" + name() + "' needs query and value of rank >= 3, got " +
                     shape_to_string(query) + " and " + shape_to_string(value));
  auto make = [&](int rank, int bound, const Shape& known, const std::string& sub, const std::string& activation) {
    auto eq = build_proj_equation(rank - 1, bound, static_cast<int>(known.size()));
    auto o = sublayer_options();
    o.activation = activation;
    std::optional<std::string> bias;
    if (options_.use_bias) bias = eq.bias_axes;
    return std::make_shared<EinsumDenseImpl>(eq.equation, projection_output_shape(eq.output_rank - 1, known), bias, o,
                                             sub);
  };
  query_dense_ = make(query_rank, 1, {num_heads_, key_dim_}, "query", "linear");
  query_dense_->build_for({query});
  track("query_dense", query_dense_);
  key_dense_ = make(key_rank, 1, {num_heads_, key_dim_}, "key", "linear");
  key_dense_->build_for({key});
  track("key_dense", key_dense_);
  if (options_.use_gate) {
    gate_dense_ = make(query_rank, 1, {num_heads_, value_dim_}, "gate", "sigmoid");
    gate_dense_->build_for({query});
    track("_gate_dense", gate_dense_);
  }
  value_dense_ = make(value_rank, 1, {num_heads_, value_dim_}, "value", "linear");
  value_dense_->build_for({value});
  track("value_dense", value_dense_);

  // _build_attention(rank of the projected value)
  const int rank = value_rank + 1;
  std::vector<int> axes;
  if (!attention_axes_) {
    for (int i = 1; i < rank - 2; ++i) axes.push_back(i);
  } else {
    for (int a : *attention_axes_) axes.push_back(a >= 0 ? a : (rank - 1) + a);
  }
  for (int a : axes) {
    if (a <= 0 || a >= rank - 2)
      throw ValueError("MultiHeadAttention '" + name() + "': invalid attention axis " + std::to_string(a) +
                       " for inputs of rank " + std::to_string(value_rank));
  }
  attention_axes_ = axes;
  equations_ = build_attention_equation(rank, axes);
  // Keras creates these two (variable-free) layers here; they are saved as empty groups.
  track("_softmax", layers::Softmax({.dtype = dtype_policy().name()}).ptr());
  dropout_layer_ =
      layers::Dropout(dropout_rate(dropout_), {.seed = options_.seed, .dtype = dtype_policy().name()}).ptr();
  track("_dropout_layer", dropout_layer_);

  Shape out_known = options_.output_shape ? *options_.output_shape : Shape{query.back()};
  auto eq = build_proj_equation(query_rank - 1, 2, static_cast<int>(out_known.size()));
  std::optional<std::string> bias;
  if (options_.use_bias) bias = eq.bias_axes;
  output_dense_ = std::make_shared<EinsumDenseImpl>(eq.equation, projection_output_shape(eq.output_rank - 1, out_known),
                                                    bias, sublayer_options(), "attention_output");
  Shape output_input = query_dense_->compute_output_shape(query);
  output_input.back() = value_dim_;
  output_dense_->build_for({output_input});
  track("output_dense", output_dense_);
}

Shape MultiHeadAttentionImpl::output_shape_for(const Shape& query_shape) const {
  if (!options_.output_shape || options_.output_shape->empty()) return query_shape;
  Shape out(query_shape.begin(), query_shape.end() - 1);
  out.insert(out.end(), options_.output_shape->begin(), options_.output_shape->end());
  return out;
}

std::vector<TensorSpec> MultiHeadAttentionImpl::compute_output_spec(const SpecArgs& args) {
  auto in = attention_spec_inputs(args, name());
  check_value_key(in.value, in.key ? *in.key : in.value, name());
  std::vector<TensorSpec> specs = {TensorSpec{output_shape_for(in.query), compute_dtype()}};
  const Json* scores = args.kwarg("return_attention_scores");
  if (scores != nullptr && scores->is_boolean() && scores->get<bool>()) {
    // Keras declares (B, heads, T, T) here, whatever the value length.
    specs.push_back(TensorSpec{{in.query[0], num_heads_, in.query[1], in.query[1]}, compute_dtype()});
  }
  return specs;
}

std::vector<Layer::CallMask> MultiHeadAttentionImpl::call_time_masks(const Json& args, const Json& kwargs) const {
  auto fills = ProjectedAttentionImpl::call_time_masks(args, kwargs);
  std::erase_if(fills, [](const CallMask& m) { return m.kwarg == "query_mask"; });
  const Json* query = nullptr;
  if (!args.empty())
    query = &args[0];
  else if (auto it = kwargs.find("query"); it != kwargs.end())
    query = &*it;
  if (query != nullptr && CallArgs::is_ref(*query)) fills.push_back({"query_mask", *query});
  return fills;
}

std::vector<Tensor> MultiHeadAttentionImpl::call(const CallArgs& args) {
  auto in = attention_inputs(args, name());
  const Tensor& key_input = in.key ? *in.key : in.value;
  // Keras' causal-only shortcut (is_causal in dot_product_attention) applies the same triangle.
  std::optional<Tensor> mask =
      merged_attention_mask(in.masks, in.query.dim(1), in.value.dim(1), options_.sliding_window);
  Tensor gate;
  if (gate_dense_) gate = gate_dense_->forward(in.query, false);
  Tensor query = query_dense_->forward(in.query, false);
  Tensor key = key_dense_->forward(key_input, false);
  Tensor value = value_dense_->forward(in.value, false);
  const auto scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(key_dim_)));
  AttentionResult r;
  if (fused_attention(dropout_, in.return_attention_scores, query.rank())) {
    r = fused_dot_product(query, key, value, mask, scale);
  } else {
    const int n_axes = static_cast<int>(attention_axes_->size());
    r = einsum_attention(query, key, value, mask, scale, equations_.dot_product, /*key_first=*/true, equations_.combine,
                         last_axes(equations_.scores_rank, n_axes), -n_axes * 2 - 1, score_dropout(args.training));
  }
  return project_output(r.output, gate, r.scores, in.return_attention_scores);
}

std::vector<ad::Var> MultiHeadAttentionImpl::call_tape(const CallArgs& args, const std::vector<ad::Var>& tensors,
                                                       TapeVariables& variables) {
  auto in = attention_tape_inputs(args, tensors, name());
  const ad::Var& key_input = in.key ? *in.key : in.value;
  std::optional<Tensor> mask =
      merged_attention_mask(in.masks, in.query.dim(1), in.value.dim(1), options_.sliding_window);
  ad::Var gate;
  if (gate_dense_) gate = gate_dense_->forward_tape(in.query, variables, args.training);
  ad::Var query = query_dense_->forward_tape(in.query, variables, args.training);
  ad::Var key = key_dense_->forward_tape(key_input, variables, args.training);
  ad::Var value = value_dense_->forward_tape(in.value, variables, args.training);
  const auto scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(key_dim_)));
  AttentionTapeResult r;
  if (fused_attention(dropout_, in.return_attention_scores, query.rank())) {
    r = fused_dot_product_tape(query, key, value, mask, scale);
  } else {
    const int n_axes = static_cast<int>(attention_axes_->size());
    r = einsum_attention_tape(query, key, value, mask, scale, equations_.dot_product, /*key_first=*/true,
                              equations_.combine, last_axes(equations_.scores_rank, n_axes), -n_axes * 2 - 1,
                              score_dropout_tape(args.training, variables));
  }
  return project_output_tape(r.output, gate, r.scores, in.return_attention_scores, variables, args.training);
}

// ------------------------------------------------------- GroupQueryAttention

GroupQueryAttentionImpl::GroupQueryAttentionImpl(std::int64_t head_dim, std::int64_t num_query_heads,
                                                 std::int64_t num_key_value_heads,
                                                 const layers::GroupQueryAttentionOptions& options)
    : ProjectedAttentionImpl(LayerBaseOptions{options.name, options.dtype, options.trainable},
                             "grouped_query_attention"),
      head_dim_(head_dim),
      num_query_heads_(num_query_heads),
      num_key_value_heads_(num_key_value_heads),
      dropout_(options.dropout),
      options_(options) {
  if (head_dim <= 0 || num_query_heads <= 0 || num_key_value_heads <= 0)
    throw ValueError("GroupQueryAttention needs positive head_dim, num_query_heads and num_key_value_heads");
  if (num_query_heads % num_key_value_heads != 0)
    throw ValueError("`num_query_heads` must be divisible by `num_key_value_heads`.");
  if (options.sliding_window && *options.sliding_window <= 0)
    throw ValueError("`sliding_window` must be `None` or a positive integer.");
  options_.kernel_regularizer = regularizers::get(options.kernel_regularizer);
  options_.bias_regularizer = regularizers::get(options.bias_regularizer);
  options_.kernel_constraint = constraints::get(options.kernel_constraint);
  options_.bias_constraint = constraints::get(options.bias_constraint);
  // GroupedQueryAttention sets the layer's own activity_regularizer (unlike MultiHeadAttention).
  if (!options.activity_regularizer.is_null()) activity_regularizer_ = regularizers::get(options.activity_regularizer);
}

LayerPtr GroupQueryAttentionImpl::from_config(const Json& config) {
  layers::GroupQueryAttentionOptions o;
  auto base = base_options_from_config(config);
  o.name = base.name;
  o.dtype = base.dtype;
  o.trainable = base.trainable;
  o.use_bias = detail::config_value(config, "use_bias", true);
  o.use_gate = detail::config_value(config, "use_gate", false);
  o.sliding_window = optional_int_from(config, "sliding_window", "GroupQueryAttention");
  read_projection_options(config, o);
  o.seed = optional_int_from(config, "seed", "GroupQueryAttention");
  auto layer =
      std::make_shared<GroupQueryAttentionImpl>(required_int(config, "head_dim", "GroupQueryAttention"),
                                                required_int(config, "num_query_heads", "GroupQueryAttention"),
                                                required_int(config, "num_key_value_heads", "GroupQueryAttention"), o);
  layer->dropout_ = number_json(config, "dropout", 0.0);
  return layer;
}

Json GroupQueryAttentionImpl::get_config() const {
  Json config = base_config();
  config["head_dim"] = head_dim_;
  config["num_query_heads"] = num_query_heads_;
  config["num_key_value_heads"] = num_key_value_heads_;
  config["use_bias"] = options_.use_bias;
  config["use_gate"] = options_.use_gate;
  config["sliding_window"] = optional_int(options_.sliding_window);
  config["dropout"] = dropout_;
  write_projection_options(config, options_, activity_regularizer_ ? *activity_regularizer_ : Json(nullptr));
  return config;
}

layers::EinsumDenseOptions GroupQueryAttentionImpl::sublayer_options() const {
  return projection_sublayer_options(options_, activity_regularizer_ ? *activity_regularizer_ : Json(nullptr),
                                     dtype_policy().name());
}

void GroupQueryAttentionImpl::build(const std::vector<Shape>& shapes) {
  if (shapes.size() < 2) throw ValueError("GroupQueryAttention '" + name() + "' needs query and value shapes");
  const Shape& query = shapes[0];
  const Shape& value = shapes[1];
  const Shape& key = shapes.size() > 2 ? shapes[2] : value;
  if (query.size() != 3 || value.size() != 3 || key.size() != 3)
    throw ValueError("GroupQueryAttention '" + name() + "' needs inputs of shape (batch, length, features)");
  const std::optional<std::string> no_bias;
  auto bias = [&](const char* axes) { return options_.use_bias ? std::optional<std::string>(axes) : no_bias; };
  query_dense_ = std::make_shared<EinsumDenseImpl>("bqm,muh->bquh", Shape{kUnknownDim, num_query_heads_, head_dim_},
                                                   bias("uh"), sublayer_options(), "query");
  query_dense_->build_for({query});
  track("_query_dense", query_dense_);
  key_dense_ = std::make_shared<EinsumDenseImpl>("bkm,mvh->bkvh", Shape{kUnknownDim, num_key_value_heads_, head_dim_},
                                                 bias("vh"), sublayer_options(), "key");
  key_dense_->build_for({key});
  track("_key_dense", key_dense_);
  if (options_.use_gate) {
    auto o = sublayer_options();
    o.activation = "sigmoid";
    gate_dense_ = std::make_shared<EinsumDenseImpl>("bqm,muh->bquh", Shape{kUnknownDim, num_query_heads_, head_dim_},
                                                    bias("uh"), o, "gate");
    gate_dense_->build_for({query});
    track("_gate_dense", gate_dense_);
  }
  value_dense_ = std::make_shared<EinsumDenseImpl>("bkm,mvh->bkvh", Shape{kUnknownDim, num_key_value_heads_, head_dim_},
                                                   bias("vh"), sublayer_options(), "value");
  value_dense_->build_for({value});
  track("_value_dense", value_dense_);
  track("_softmax", layers::Softmax({.dtype = dtype_policy().name()}).ptr());
  dropout_layer_ =
      layers::Dropout(dropout_rate(dropout_), {.seed = options_.seed, .dtype = dtype_policy().name()}).ptr();
  track("_dropout_layer", dropout_layer_);
  output_dense_ = std::make_shared<EinsumDenseImpl>("bquh,uhm->bqm", Shape{kUnknownDim, query.back()}, bias("m"),
                                                    sublayer_options(), "attention_output");
  output_dense_->build_for({{kUnknownDim, kUnknownDim, num_query_heads_, head_dim_}});
  track("_output_dense", output_dense_);
}

std::vector<TensorSpec> GroupQueryAttentionImpl::compute_output_spec(const SpecArgs& args) {
  auto in = attention_spec_inputs(args, name());
  if (in.query.back() != in.value.back())
    throw ValueError("The last dimension of `query_shape` and `value_shape` must be equal, but are " +
                     std::to_string(in.query.back()) + ", " + std::to_string(in.value.back()) + " (layer '" + name() +
                     "')");
  check_value_key(in.value, in.key ? *in.key : in.value, name());
  std::vector<TensorSpec> specs = {TensorSpec{in.query, compute_dtype()}};
  const Json* scores = args.kwarg("return_attention_scores");
  if (scores != nullptr && scores->is_boolean() && scores->get<bool>()) {
    const std::int64_t kv_len = in.key ? (*in.key)[1] : in.value[1];
    specs.push_back(TensorSpec{{in.query[0], num_query_heads_, in.query[1], kv_len}, compute_dtype()});
  }
  return specs;
}

std::vector<Tensor> GroupQueryAttentionImpl::call(const CallArgs& args) {
  auto in = attention_inputs(args, name());
  const Tensor& key_input = in.key ? *in.key : in.value;
  std::optional<Tensor> mask =
      merged_attention_mask(in.masks, in.query.dim(1), in.value.dim(1), options_.sliding_window);
  Tensor gate;
  if (gate_dense_) gate = gate_dense_->forward(in.query, false);
  Tensor query = query_dense_->forward(in.query, false);
  const std::int64_t repeats = num_query_heads_ / num_key_value_heads_;
  Tensor key = kernels::repeat(key_dense_->forward(key_input, false), repeats, 2);
  Tensor value = kernels::repeat(value_dense_->forward(in.value, false), repeats, 2);
  const auto scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(head_dim_)));
  const bool fused = fused_attention(dropout_, in.return_attention_scores, query.rank());
  AttentionResult r = fused ? fused_dot_product(query, key, value, mask, scale)
                            : einsum_attention(query, key, value, mask, scale, "bquh,bkuh->buqk", /*key_first=*/false,
                                               "buqk,bkuh->bquh", {-1}, -3, score_dropout(args.training));
  return project_output(r.output, gate, r.scores, in.return_attention_scores);
}

std::vector<ad::Var> GroupQueryAttentionImpl::call_tape(const CallArgs& args, const std::vector<ad::Var>& tensors,
                                                        TapeVariables& variables) {
  auto in = attention_tape_inputs(args, tensors, name());
  const ad::Var& key_input = in.key ? *in.key : in.value;
  std::optional<Tensor> mask =
      merged_attention_mask(in.masks, in.query.dim(1), in.value.dim(1), options_.sliding_window);
  ad::Var gate;
  if (gate_dense_) gate = gate_dense_->forward_tape(in.query, variables, args.training);
  ad::Var query = query_dense_->forward_tape(in.query, variables, args.training);
  const std::int64_t repeats = num_query_heads_ / num_key_value_heads_;
  ad::Var key = ad::repeat(key_dense_->forward_tape(key_input, variables, args.training), repeats, 2);
  ad::Var value = ad::repeat(value_dense_->forward_tape(in.value, variables, args.training), repeats, 2);
  const auto scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(head_dim_)));
  const bool fused = fused_attention(dropout_, in.return_attention_scores, query.rank());
  AttentionTapeResult r = fused ? fused_dot_product_tape(query, key, value, mask, scale)
                                : einsum_attention_tape(query, key, value, mask, scale, "bquh,bkuh->buqk",
                                                        /*key_first=*/false, "buqk,bkuh->bquh", {-1}, -3,
                                                        score_dropout_tape(args.training, variables));
  return project_output_tape(r.output, gate, r.scores, in.return_attention_scores, variables, args.training);
}

}  // namespace keras::detail

namespace keras::layers {

MultiHeadAttention::MultiHeadAttention(std::int64_t num_heads, std::int64_t key_dim,
                                       const MultiHeadAttentionOptions& options)
    : LayerRef(std::make_shared<detail::MultiHeadAttentionImpl>(num_heads, key_dim, options)) {}

GroupQueryAttention::GroupQueryAttention(std::int64_t head_dim, std::int64_t num_query_heads,
                                         std::int64_t num_key_value_heads, const GroupQueryAttentionOptions& options)
    : LayerRef(
          std::make_shared<detail::GroupQueryAttentionImpl>(head_dim, num_query_heads, num_key_value_heads, options)) {}

}  // namespace keras::layers
