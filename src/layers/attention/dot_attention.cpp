// Attention and AdditiveAttention (keras/src/layers/attention/attention.py,
// additive_attention.py).
#include "layers/attention/attention_layers.hpp"
#include "layers/config_utils.hpp"
#include "ops/elementwise.hpp"
#include "ops/linalg.hpp"
#include "ops/reduce.hpp"
#include "ops/shape_ops.hpp"

namespace keras::detail {

namespace {

Json json_number_or(const Json& config, const std::string& key, Json fallback) {
  auto it = config.find(key);
  if (it == config.end()) return fallback;
  if (!it->is_number()) throw FormatError("Attention config '" + key + "' must be a number, got " + it->dump());
  return *it;
}

Json seed_of(const Json& config) {
  auto it = config.find("seed");
  if (it == config.end() || it->is_null()) return nullptr;
  if (!it->is_number_integer())
    throw FormatError("Attention config 'seed' must be an integer or null, got " + it->dump());
  return *it;
}

void validate_inputs(std::size_t count, const std::string& cls) {
  if (count < 2 || count > 3)
    throw ValueError(cls +
                     " layer accepts inputs list of length 2 or 3, namely [query, value] or [query, value, key]. "
                     "Received length: " +
                     std::to_string(count) + ".");
}

Tensor swap_last_axes(const Tensor& x) {
  std::vector<int> perm;
  for (int i = 0; i < x.rank(); ++i) perm.push_back(i);
  std::swap(perm[perm.size() - 1], perm[perm.size() - 2]);
  return kernels::transpose(x, perm);
}

Tensor as_bool(const Tensor& t) { return t.dtype() == DType::bool_ ? t : kernels::not_equal(t, Tensor::scalar(0.0F)); }

bool bool_kwarg(const Json* v) { return v != nullptr && v->is_boolean() && v->get<bool>(); }

// Where the scores are pushed down by 1e9: outside the value mask [B, 1, Tv]
// and/or above the causal triangle [1, Tq, Tv]; none without either.
std::optional<Tensor> score_padding(const std::optional<Tensor>& value_mask, bool causal_mask, std::int64_t tq,
                                    std::int64_t tv) {
  std::optional<Tensor> score_mask;
  if (causal_mask) {
    Tensor causal({1, tq, tv}, DType::bool_);
    auto* p = causal.data<std::uint8_t>();
    for (std::int64_t i = 0; i < tq; ++i)
      for (std::int64_t j = 0; j < tv; ++j) p[i * tv + j] = j <= i ? 1 : 0;
    score_mask = value_mask ? kernels::logical_and(kernels::expand_dims(*value_mask, -2), causal) : causal;
  } else if (value_mask) {
    score_mask = *value_mask;
  }
  if (!score_mask) return std::nullopt;
  Tensor padding = kernels::logical_not(*score_mask);
  if (padding.rank() == 2) padding = kernels::expand_dims(padding, -2);
  return padding;
}

}  // namespace

DotAttentionImpl::DotAttentionImpl(bool additive, bool use_scale, std::string score_mode, Json dropout, Json seed,
                                   const LayerBaseOptions& base)
    : Layer(base, additive ? "additive_attention" : "attention"),
      additive_(additive),
      use_scale_(use_scale),
      score_mode_(std::move(score_mode)),
      dropout_(std::move(dropout)),
      seed_(std::move(seed)) {
  if (score_mode_ != "dot" && score_mode_ != "concat")
    throw ValueError(
        "Invalid value for argument score_mode. Expected one of {'dot', 'concat'}. Received: "
        "score_mode=" +
        score_mode_);
}

LayerPtr DotAttentionImpl::attention_from_config(const Json& config) {
  return std::make_shared<DotAttentionImpl>(false, detail::config_value(config, "use_scale", false),
                                            detail::config_value(config, "score_mode", std::string("dot")),
                                            json_number_or(config, "dropout", Json(0.0)), seed_of(config),
                                            base_options_from_config(config));
}

LayerPtr DotAttentionImpl::additive_from_config(const Json& config) {
  return std::make_shared<DotAttentionImpl>(true, detail::config_value(config, "use_scale", true), "dot",
                                            json_number_or(config, "dropout", Json(0.0)), seed_of(config),
                                            base_options_from_config(config));
}

Json DotAttentionImpl::get_config() const {
  Json config = base_config();
  config["use_scale"] = use_scale_;
  if (!additive_) config["score_mode"] = score_mode_;
  config["dropout"] = dropout_;
  config["seed"] = seed_;
  return config;
}

void DotAttentionImpl::build(const std::vector<Shape>& input_shapes) {
  validate_inputs(input_shapes.size(), class_name());
  if (additive_) {
    if (use_scale_) {
      const Shape& query = input_shapes.front();
      if (query.empty() || query.back() < 0)
        throw ValueError("AdditiveAttention '" + name() + "' needs a known query feature dimension");
      scale_ = add_weight("scale", {query.back()}, "glorot_uniform");
    }
    return;
  }
  if (use_scale_) scale_ = add_weight("scale", {}, "ones");
  if (score_mode_ == "concat") concat_score_weight_ = add_weight("concat_score_weight", {}, "ones");
}

std::optional<KerasTensor> DotAttentionImpl::compute_mask(const std::vector<KerasTensor>& inputs, const Node& node) {
  // mask[0]: the query's mask, from the `mask` list passed, else the query's.
  if (auto given = node.kwargs.find("mask"); given != node.kwargs.end() && given->is_array() && !given->empty()) {
    const Json& first = (*given)[0];
    if (CallArgs::is_ref(first)) return node.inputs.at(first.at("__tensor__").get<std::size_t>());
    return std::nullopt;
  }
  if (inputs.empty()) return std::nullopt;
  return inputs.front().keras_mask();
}

std::vector<TensorSpec> DotAttentionImpl::compute_output_spec(const SpecArgs& args) {
  auto inputs = args.tensor_list(0);
  validate_inputs(inputs.size(), class_name());
  const Shape& query = inputs[0].shape;
  const Shape& value = inputs[1].shape;
  const Shape& key = inputs.size() > 2 ? inputs[2].shape : value;
  Shape out(query.begin(), query.end() - 1);
  out.push_back(value.back());
  std::vector<TensorSpec> specs = {TensorSpec{out, compute_dtype()}};
  if (bool_kwarg(args.kwarg("return_attention_scores"))) {
    Shape scores(query.begin(), query.end() - 1);
    scores.push_back(key[key.size() - 2]);
    specs.push_back(TensorSpec{scores, compute_dtype()});
  }
  return specs;
}

Tensor DotAttentionImpl::scores(const Tensor& query, const Tensor& key) const {
  if (!additive_ && score_mode_ == "dot") {
    Tensor s = kernels::matmul(query, swap_last_axes(key));
    return scale_ ? kernels::multiply(s, scale_->value()) : s;
  }
  Tensor q = kernels::expand_dims(query, -2);  // [B, Tq, 1, dim]
  Tensor k = kernels::expand_dims(key, -3);    // [B, 1, Tv, dim]
  Tensor sum = kernels::add(q, k);
  if (additive_) {
    Tensor t = kernels::tanh(sum);
    return kernels::sum(scale_ ? kernels::multiply(scale_->value(), t) : t, {-1});
  }
  if (scale_) sum = kernels::multiply(scale_->value(), sum);
  return kernels::multiply(concat_score_weight_->value(), kernels::sum(kernels::tanh(sum), {-1}));
}

std::vector<Tensor> DotAttentionImpl::call(const CallArgs& args) {
  auto inputs = args.tensor_list(0);
  validate_inputs(inputs.size(), class_name());
  const Tensor query = inputs[0].astype(DType::float32);
  const Tensor value = inputs[1].astype(DType::float32);
  const Tensor key = inputs.size() > 2 ? inputs[2].astype(DType::float32) : value;
  std::optional<Tensor> query_mask;
  std::optional<Tensor> value_mask;
  if (const Json* m = args.kwarg("mask"); m != nullptr && m->is_array()) {
    if (m->size() < 2 || m->size() > 3)
      throw ValueError(class_name() + " layer '" + name() + "' accepts a mask list of length 2 or 3");
    if (CallArgs::is_ref((*m)[0])) query_mask = as_bool(args.ref((*m)[0]));
    if (CallArgs::is_ref((*m)[1])) value_mask = as_bool(args.ref((*m)[1]));
  } else if (m != nullptr && !m->is_null()) {
    throw ValueError(class_name() + " layer '" + name() + "' mask must be a list, namely [query_mask, value_mask].");
  }
  Tensor s = scores(query, key);
  if (auto padding = score_padding(value_mask, bool_kwarg(args.kwarg("use_causal_mask")), s.dim(-2), s.dim(-1)))
    s = kernels::where(*padding, kernels::add(s, -1.0e9F), s);
  Tensor weights = kernels::softmax(s, -1);
  if (auto drop = weights_dropout(weights.shape(), args.training)) weights = kernels::multiply(weights, *drop);
  Tensor output = kernels::matmul(weights, value);
  if (query_mask) output = kernels::where(kernels::expand_dims(*query_mask, -1), output, Tensor::scalar(0.0F));
  const DType dtype = compute_dtype();
  if (dtype != DType::float32) {
    output = output.astype(dtype);
    weights = weights.astype(dtype);
  }
  if (bool_kwarg(args.kwarg("return_attention_scores"))) return {output, weights};
  return {output};
}

std::optional<Tensor> DotAttentionImpl::weights_dropout(const Shape& shape, bool training) {
  const double rate = dropout_.is_number() ? dropout_.get<double>() : 0.0;
  if (!training || rate <= 0.0) return std::nullopt;
  std::optional<std::uint64_t> seed;
  if (seed_.is_number_integer()) seed = static_cast<std::uint64_t>(seed_.get<std::int64_t>()) * 1000003ULL + draws_++;
  const auto keep = static_cast<float>(1.0 - rate);
  Tensor kept = kernels::less(random::uniform(shape, 0.0F, 1.0F, seed), Tensor::scalar(keep));
  return kernels::where(kept, Tensor::scalar(1.0F / keep), Tensor::scalar(0.0F));
}

ad::Var DotAttentionImpl::scores_tape(const ad::Var& query, const ad::Var& key, TapeVariables& variables) const {
  if (!additive_ && score_mode_ == "dot") {
    std::vector<int> perm;
    for (int i = 0; i < key.rank(); ++i) perm.push_back(i);
    std::swap(perm[perm.size() - 1], perm[perm.size() - 2]);
    ad::Var s = ad::matmul(query, ad::transpose(key, perm));
    return scale_ ? s * variables(scale_) : s;
  }
  ad::Var sum = ad::expand_dims(query, -2) + ad::expand_dims(key, -3);  // [B, Tq, Tv, dim]
  if (additive_) {
    ad::Var t = ad::tanh(sum);
    return ad::sum(scale_ ? variables(scale_) * t : t, {-1});
  }
  if (scale_) sum = variables(scale_) * sum;
  return variables(concat_score_weight_) * ad::sum(ad::tanh(sum), {-1});
}

std::vector<ad::Var> DotAttentionImpl::call_tape(const CallArgs& args, const std::vector<ad::Var>& tensors,
                                                 TapeVariables& variables) {
  std::vector<ad::Var> inputs = tape_arg_list(args, tensors, 0);
  validate_inputs(inputs.size(), class_name());
  auto as_float = [](const ad::Var& v) { return v.dtype() == DType::float32 ? v : ad::cast(v, DType::float32); };
  const ad::Var query = as_float(inputs[0]);
  const ad::Var value = as_float(inputs[1]);
  const ad::Var key = inputs.size() > 2 ? as_float(inputs[2]) : value;
  std::optional<Tensor> query_mask;
  std::optional<Tensor> value_mask;
  auto constant = [&](const Json& r) { return tensors.at(r.at("__tensor__").get<std::size_t>()).value(); };
  if (const Json* m = args.kwarg("mask"); m != nullptr && m->is_array()) {
    if (m->size() < 2 || m->size() > 3)
      throw ValueError(class_name() + " layer '" + name() + "' accepts a mask list of length 2 or 3");
    if (CallArgs::is_ref((*m)[0])) query_mask = as_bool(constant((*m)[0]));
    if (CallArgs::is_ref((*m)[1])) value_mask = as_bool(constant((*m)[1]));
  } else if (m != nullptr && !m->is_null()) {
    throw ValueError(class_name() + " layer '" + name() + "' mask must be a list, namely [query_mask, value_mask].");
  }
  ad::Var s = scores_tape(query, key, variables);
  if (auto padding = score_padding(value_mask, bool_kwarg(args.kwarg("use_causal_mask")), s.dim(-2), s.dim(-1)))
    s = ad::where(*padding, s + -1.0e9F, s);
  ad::Var weights = ad::softmax(s, {-1});
  if (auto drop = weights_dropout(weights.shape(), args.training)) weights = weights * ad::Var(*drop);
  ad::Var output = ad::matmul(weights, value);
  if (query_mask) output = ad::where(kernels::expand_dims(*query_mask, -1), output, ad::Var(Tensor::scalar(0.0F)));
  const DType dtype = compute_dtype();
  if (dtype != DType::float32) {
    output = ad::cast(output, dtype);
    weights = ad::cast(weights, dtype);
  }
  if (bool_kwarg(args.kwarg("return_attention_scores"))) return {output, weights};
  return {output};
}

}  // namespace keras::detail

namespace keras::layers {

Attention::Attention(const AttentionOptions& o)
    : LayerRef(std::make_shared<detail::DotAttentionImpl>(false, o.use_scale, o.score_mode, Json(o.dropout),
                                                          o.seed ? Json(*o.seed) : Json(nullptr),
                                                          LayerBaseOptions{o.name, o.dtype, o.trainable})) {}

AdditiveAttention::AdditiveAttention(const AdditiveAttentionOptions& o)
    : LayerRef(std::make_shared<detail::DotAttentionImpl>(true, o.use_scale, "dot", Json(o.dropout),
                                                          o.seed ? Json(*o.seed) : Json(nullptr),
                                                          LayerBaseOptions{o.name, o.dtype, o.trainable})) {}

}  // namespace keras::layers
