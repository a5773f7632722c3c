// keras.layers.Embedding (keras/src/layers/core/embedding.py).
#include "layers/core/embedding.hpp"

#include "keras/regularizers.hpp"
#include "layers/config_utils.hpp"
#include "layers/core/layer_utils.hpp"
#include "layers/core/mask_ops.hpp"
#include "layers/core/quantization.hpp"
#include "ops/elementwise.hpp"
#include "ops/linalg.hpp"
#include "ops/shape_ops.hpp"

namespace keras::detail {

using namespace layer_utils;  // NOLINT(google-build-using-namespace): our own helpers

namespace {

// Keras' _quantization_mode_error for the modes the Embedding layers have.
void check_embedding_mode(const std::string& mode) {
  if (mode != "int8" && mode != "int4")
    throw NotImplementedError(
        "Invalid quantization mode. Expected one of ('int8', 'int4'). Received: "
        "quantization_mode=" +
        mode);
}

}  // namespace

EmbeddingImpl::EmbeddingImpl(std::int64_t input_dim, std::int64_t output_dim, const layers::EmbeddingOptions& options,
                             const std::string& auto_name_prefix)
    : Layer(LayerBaseOptions{options.name, options.dtype, options.trainable}, auto_name_prefix),
      input_dim_(input_dim),
      output_dim_(output_dim),
      options_(options) {
  if (input_dim <= 0)
    throw ValueError("`input_dim` must be a positive integer. Received: input_dim=" + std::to_string(input_dim));
  if (output_dim <= 0)
    throw ValueError("`output_dim` must be a positive integer. Received: output_dim=" + std::to_string(output_dim));
  options_.embeddings_regularizer = regularizers::get(options.embeddings_regularizer);
  options_.embeddings_constraint = constraints::get(options.embeddings_constraint);
  if (!options.activity_regularizer.is_null()) activity_regularizer_ = regularizers::get(options.activity_regularizer);
  lora_.set_requested(options.lora_rank, options.lora_alpha, "Embedding");
}

LayerPtr EmbeddingImpl::from_config(const Json& config) {
  auto layer = std::make_shared<EmbeddingImpl>(required_int(config, "input_dim", "Embedding"),
                                               required_int(config, "output_dim", "Embedding"),
                                               options_from_config(config, "Embedding"));
  layer->lora_.read_config(config, "Embedding");  // keeps lora_alpha as written
  return layer;
}

layers::EmbeddingOptions EmbeddingImpl::options_from_config(const Json& config, const std::string& layer) {
  reject_unsupported_options(config, layer, true, true);
  layers::EmbeddingOptions o;
  auto base = Layer::base_options_from_config(config, true);
  o.quantization_config = read_quantization_config(config);
  o.name = base.name;
  o.dtype = base.dtype;
  o.trainable = base.trainable;
  if (auto it = config.find("embeddings_initializer"); it != config.end() && !it->is_null())
    o.embeddings_initializer = initializers::get(*it);
  o.embeddings_regularizer = detail::config_value(config, "embeddings_regularizer", Json(nullptr));
  o.activity_regularizer = detail::config_value(config, "activity_regularizer", Json(nullptr));
  o.embeddings_constraint = detail::config_value(config, "embeddings_constraint", Json(nullptr));
  o.mask_zero = detail::config_value(config, "mask_zero", o.mask_zero);
  LoraAdapter lora;
  lora.read_config(config, layer);
  o.lora_rank = lora.requested_rank();
  o.lora_alpha = lora.requested_alpha();
  return o;
}

Json EmbeddingImpl::get_config() const {
  Json config = base_config();
  config["input_dim"] = input_dim_;
  config["output_dim"] = output_dim_;
  config["embeddings_initializer"] = options_.embeddings_initializer.serialize();
  config["embeddings_regularizer"] = options_.embeddings_regularizer;
  config["activity_regularizer"] = activity_regularizer_ ? *activity_regularizer_ : Json(nullptr);
  config["embeddings_constraint"] = options_.embeddings_constraint;
  config["mask_zero"] = options_.mask_zero;
  config["quantization_config"] =
      options_.quantization_config ? options_.quantization_config->serialize() : Json(nullptr);
  lora_.write_config(config);
  return config;
}

void EmbeddingImpl::build(const std::vector<Shape>& /*input_shapes*/) {
  if (dtype_policy().quantized())
    quantized_build();
  else
    embeddings_ = add_weight("embeddings", {input_dim_, output_dim_}, options_.embeddings_initializer);
  // Keras' Embedding.build calls enable_lora(self.lora_rank) without lora_alpha.
  set_built(true);
  if (auto rank = lora_.requested_rank()) enable_lora(*rank);
}

void EmbeddingImpl::enable_lora(std::int64_t rank, const LoraOptions& options) {
  lora_.check_can_enable(*this, rank, options_.embeddings_constraint, "embedding");
  auto a = add_weight("lora_embeddings_a", {input_dim_, rank}, options.a_initializer, true, DType::float32);
  auto b = add_weight("lora_embeddings_b", {rank, output_dim_}, options.b_initializer, true, DType::float32);
  freeze_weight(embeddings_);
  lora_.enabled_with(a, b, rank, options.lora_alpha);
}

void EmbeddingImpl::own_variables_loaded() {
  if (lora_.enabled()) lora_.reset();
}

std::vector<VariablePtr> EmbeddingImpl::variables_to_save() const {
  std::vector<VariablePtr> out = own_variables();
  if (!lora_.enabled()) return out;
  const std::string& mode = dtype_policy().quantization_mode();
  if (mode.empty()) {
    LoraAdapter::substitute(out, embeddings_, lora_.merge(embeddings_->value()), compute_dtype());
    return out;
  }
  // Keras' _get_embeddings_with_merged_lora: dequantize per row (grouped int4:
  // along output_dim), add the delta, quantize again the same way.
  const Tensor stored =
      mode == "int4" ? quant::unpack_int4(embeddings_->value(), output_dim_, -1) : embeddings_->value();
  const Tensor float_table =
      embeddings_zero_
          ? quant::dequantize_with_sz_map(stored.astype(DType::float32), embeddings_scale_->value(),
                                          embeddings_zero_->value(), g_idx_->value(), -1,
                                          "Embedding layer '" + name() + "'")
          : kernels::divide(stored.astype(DType::float32), kernels::expand_dims(embeddings_scale_->value(), -1));
  const Tensor merged = kernels::add(float_table, lora_.delta(float_table.shape()));
  const std::pair<std::int64_t, std::int64_t> range =
      mode == "int4" ? std::pair<std::int64_t, std::int64_t>{-8, 7} : std::pair<std::int64_t, std::int64_t>{-127, 127};
  Tensor values, scale, zero;
  if (embeddings_zero_) {
    const auto block = quant::int4_block_size(options_.quantization_config, dtype_policy());
    auto g = quant::grouped_quantize_with_zero_point(kernels::transpose(merged, {1, 0}), *block, range);
    values = kernels::transpose(g.values, {1, 0});
    scale = kernels::transpose(g.scale, {1, 0});
    zero = kernels::transpose(g.zero, {1, 0});
  } else {
    auto a = quant::abs_max_quantize(merged, {-1}, range, 1e-7);
    values = a.values;
    scale = kernels::squeeze(a.scale, {-1});
  }
  if (mode == "int4") values = quant::pack_int4(values, -1);
  LoraAdapter::substitute(out, embeddings_, values);
  LoraAdapter::substitute(out, embeddings_scale_, scale);
  if (embeddings_zero_) LoraAdapter::substitute(out, embeddings_zero_, zero);
  return out;
}

void EmbeddingImpl::quantized_build() {
  const std::string& mode = dtype_policy().quantization_mode();
  const auto zeros = initializers::Zeros();
  const auto ones = initializers::Ones();
  if (mode == "int8") {
    embeddings_ = add_weight("embeddings", {input_dim_, output_dim_}, zeros, false, DType::int8);
    // One scale per row (input_dim is usually the larger axis).
    embeddings_scale_ = add_weight("embeddings_scale", {input_dim_}, ones, false);
  } else if (mode == "int4") {
    embeddings_ = add_weight("embeddings", {input_dim_, (output_dim_ + 1) / 2}, zeros, false, DType::int8);
    const auto block = quant::int4_block_size(options_.quantization_config, dtype_policy());
    const Shape scale_shape = block ? Shape{input_dim_, (output_dim_ + *block - 1) / *block} : Shape{input_dim_};
    embeddings_scale_ = add_weight("embeddings_scale", scale_shape, ones, false);
    if (block) {
      embeddings_zero_ = add_weight("embeddings_zero", scale_shape, zeros, false, DType::int8);
      g_idx_ = add_weight("g_idx", {output_dim_}, zeros, false, DType::float32);
      g_idx_->assign(quant::group_indices(output_dim_, *block));
    }
  } else {
    check_embedding_mode(mode);
  }
}

std::vector<VariablePtr> EmbeddingImpl::own_variables() const {
  // The LoRA matrices are not saved.
  if (!dtype_policy().quantized() && lora_.enabled()) return lora_.without_matrices(Layer::own_variables());
  if (!dtype_policy().quantized() || !built()) return Layer::own_variables();
  std::vector<VariablePtr> out;
  for (const auto& v : {embeddings_, embeddings_scale_, embeddings_zero_, g_idx_})
    if (v) out.push_back(v);
  return out;
}

void EmbeddingImpl::quantize_weights(const quantizers::QuantizationConfig& config) {
  if (class_name() != "Embedding")  // Keras' type check: subclasses have their own quantize
    Layer::quantize_weights(config);
  quantize_table(config);
}

void EmbeddingImpl::quantize_table(const quantizers::QuantizationConfig& config) {
  const std::string& mode = config.mode;
  check_embedding_mode(mode);
  const Tensor table = embeddings_->value();
  Tensor values, scale, zero;
  if (config.grouped()) {
    // Groups run along output_dim: quantize the transposed table.
    auto g = quant::grouped_quantize_with_zero_point(kernels::transpose(table, {1, 0}), *config.block_size);
    values = kernels::transpose(g.values, {1, 0});
    scale = kernels::transpose(g.scale, {1, 0});
    zero = kernels::transpose(g.zero, {1, 0});
  } else {
    quantizers::AbsMaxQuantizer q;
    q.axis = std::vector<int>{-1};
    if (mode == "int4") q.value_range = {-8, 7};
    if (config.weight_quantizer) {
      q = *config.weight_quantizer;
      if (!q.axis) q.axis = std::vector<int>{-1};
    }
    auto a = quant::abs_max_quantize(table, *q.axis, q);
    values = a.values;
    scale = kernels::squeeze(a.scale, {-1});
  }
  if (mode == "int4") values = quant::pack_int4(values, -1);
  remove_weight(embeddings_);
  embeddings_.reset();
  options_.quantization_config = config;
  set_dtype_policy(quant::quantized_policy(config, dtype_policy()));
  quantized_build();
  embeddings_->assign(values);
  embeddings_scale_->assign(scale);
  if (embeddings_zero_) embeddings_zero_->assign(zero);
}

Tensor EmbeddingImpl::quantized_lookup(const Tensor& ids) {
  const std::string& mode = dtype_policy().quantization_mode();
  Tensor table = embeddings_->value();
  if (mode == "int4") table = quant::unpack_int4(table, output_dim_, -1);
  Tensor rows = kernels::take(table, ids, 0).astype(DType::float32);
  Tensor scale = kernels::take(embeddings_scale_->value(), ids, 0);
  if (embeddings_zero_) {
    Tensor zero = kernels::take(embeddings_zero_->value(), ids, 0);
    return quant::dequantize_with_sz_map(rows, scale, zero, g_idx_->value(), -1, "Embedding layer '" + name() + "'");
  }
  return kernels::divide(rows, kernels::expand_dims(scale, -1));
}

std::vector<TensorSpec> EmbeddingImpl::compute_output_spec(const SpecArgs& args) {
  Shape shape = args.tensor(0).shape;
  shape.push_back(output_dim_);
  return {TensorSpec{shape, compute_dtype()}};
}

Tensor EmbeddingImpl::forward(const Tensor& input, bool /*training*/) {
  if (!embeddings_) throw ValueError("Embedding '" + name() + "' is not built");
  Tensor ids = input;
  if (ids.dtype() != DType::int32 && ids.dtype() != DType::int64) ids = ids.astype(DType::int32);
  if (dtype_policy().quantized()) {
    Tensor rows = quantized_lookup(ids);
    if (lora_.enabled()) {
      // Keras' quantized calls: + (alpha / rank) * (take(a, ids) @ b).
      const Tensor lora_rows = kernels::matmul(kernels::take(lora_.a()->value(), ids, 0), lora_.b()->value());
      rows = kernels::add(rows, kernels::multiply(lora_rows, static_cast<float>(lora_.scale())));
    }
    return to_dtype(rows, compute_dtype());
  }
  const Tensor table = lora_.enabled() ? lora_.merge(embeddings_->value()) : embeddings_->value();
  return to_dtype(kernels::take(table, ids, 0), compute_dtype());
}

ad::Var EmbeddingImpl::forward_tape(const ad::Var& input, TapeVariables& variables, bool /*training*/) {
  if (dtype_policy().quantized())
    throw NotImplementedError("keras-cpp has no backward pass for the quantized Embedding layer '" + name() + "' (" +
                              dtype_policy().name() + ")");
  Tensor ids = input.value();
  if (ids.dtype() != DType::int32 && ids.dtype() != DType::int64) ids = ids.astype(DType::int32);
  ad::Var table = variables(embeddings_);
  if (lora_.enabled()) table = lora_.merge_tape(table, variables);
  return ad::take(table, ids, 0);
}

std::optional<KerasTensor> EmbeddingImpl::compute_mask(const std::vector<KerasTensor>& inputs, const Node& /*node*/) {
  if (!options_.mask_zero || inputs.empty()) return std::nullopt;
  return symbolic_not_equal(inputs.front(), Json(0));
}

// ------------------------------------------------------- ReversibleEmbedding

namespace {

// The fields EmbeddingOptions and ReversibleEmbeddingOptions share.
template <typename From, typename To>
To copy_embedding_options(const From& from, To to) {
  to.embeddings_initializer = from.embeddings_initializer;
  to.embeddings_regularizer = from.embeddings_regularizer;
  to.activity_regularizer = from.activity_regularizer;
  to.embeddings_constraint = from.embeddings_constraint;
  to.mask_zero = from.mask_zero;
  to.name = from.name;
  to.dtype = from.dtype;
  to.trainable = from.trainable;
  to.quantization_config = from.quantization_config;
  to.lora_rank = from.lora_rank;
  to.lora_alpha = from.lora_alpha;
  return to;
}

}  // namespace

ReversibleEmbeddingImpl::ReversibleEmbeddingImpl(std::int64_t input_dim, std::int64_t output_dim,
                                                 const layers::ReversibleEmbeddingOptions& options)
    : EmbeddingImpl(input_dim, output_dim, copy_embedding_options(options, layers::EmbeddingOptions{}),
                    "reversible_embedding"),
      reversible_(options) {
  if (!options.logit_soft_cap.is_null() && (!options.logit_soft_cap.is_number() || options.logit_soft_cap.is_boolean()))
    throw ValueError("ReversibleEmbedding: `logit_soft_cap` must be a number or None, got " +
                     options.logit_soft_cap.dump());
  if (options.reverse_dtype) (void)dtype_from_name(*options.reverse_dtype);
}

LayerPtr ReversibleEmbeddingImpl::from_config(const Json& config) {
  const std::string cls = "ReversibleEmbedding";
  auto o = copy_embedding_options(options_from_config(config, cls), layers::ReversibleEmbeddingOptions{});
  o.tie_weights = bool_or(config, "tie_weights", true, cls);
  if (auto it = config.find("reverse_dtype"); it != config.end() && !it->is_null()) {
    if (!it->is_string()) throw FormatError(cls + " config 'reverse_dtype' must be a string, got " + it->dump());
    o.reverse_dtype = it->get<std::string>();
  }
  o.logit_soft_cap = config_number_or_null(config, "logit_soft_cap", cls);
  auto layer = std::make_shared<ReversibleEmbeddingImpl>(required_int(config, "input_dim", cls),
                                                         required_int(config, "output_dim", cls), o);
  layer->lora_.read_config(config, cls);  // keeps lora_alpha as written
  return layer;
}

Json ReversibleEmbeddingImpl::get_config() const {
  Json config = EmbeddingImpl::get_config();
  config["tie_weights"] = reversible_.tie_weights;
  config["reverse_dtype"] = reversible_.reverse_dtype ? Json(*reversible_.reverse_dtype) : Json(nullptr);
  config["logit_soft_cap"] = reversible_.logit_soft_cap;
  return config;
}

void ReversibleEmbeddingImpl::build(const std::vector<Shape>& input_shapes) {
  EmbeddingImpl::build(input_shapes);
  if (!reversible_.tie_weights && !dtype_policy().quantized())
    reverse_embeddings_ = add_weight("reverse_embeddings", {output_dim_, input_dim_}, options_.embeddings_initializer);
}

void ReversibleEmbeddingImpl::quantized_build() {
  EmbeddingImpl::quantized_build();
  const std::string& mode = dtype_policy().quantization_mode();
  // Keras: activation_quantizer_or_default(config, AbsMaxQuantizer(axis=-1)), int4 included.
  reverse_inputs_quantizer_ = options_.quantization_config
                                  ? quant::inputs_quantizer(options_.quantization_config, mode)
                                  : std::optional<quantizers::AbsMaxQuantizer>(quantizers::AbsMaxQuantizer{});
  if (reversible_.tie_weights) return;
  const auto zeros = initializers::Zeros();
  const auto ones = initializers::Ones();
  if (mode == "int8") {
    reverse_embeddings_ = add_weight("reverse_embeddings", {output_dim_, input_dim_}, zeros, false, DType::int8);
    reverse_scale_ = add_weight("reverse_embeddings_scale", {input_dim_}, ones, false);
    return;
  }
  // int4: packed along output_dim; grouped scales and zero points per group of output_dim rows.
  reverse_embeddings_ =
      add_weight("reverse_embeddings", {(output_dim_ + 1) / 2, input_dim_}, zeros, false, DType::int8);
  const auto block = quant::int4_block_size(options_.quantization_config, dtype_policy());
  const Shape scale_shape = block ? Shape{(output_dim_ + *block - 1) / *block, input_dim_} : Shape{input_dim_};
  reverse_scale_ = add_weight("reverse_embeddings_scale", scale_shape, ones, false);
  if (block) reverse_zero_ = add_weight("reverse_embeddings_zero", scale_shape, zeros, false);
}

std::vector<VariablePtr> ReversibleEmbeddingImpl::own_variables() const {
  if (!dtype_policy().quantized() || !built()) return EmbeddingImpl::own_variables();
  std::vector<VariablePtr> out = EmbeddingImpl::own_variables();
  for (const auto& v : {reverse_embeddings_, reverse_scale_, reverse_zero_})
    if (v) out.push_back(v);
  return out;
}

void ReversibleEmbeddingImpl::quantize_weights(const quantizers::QuantizationConfig& config) {
  const std::string& mode = config.mode;
  check_embedding_mode(mode);
  // Keras' ReversibleEmbedding.quantize: the reverse kernel [output_dim, input_dim]
  // per column (axis 0), or in groups of output_dim rows.
  Tensor values, scale, zero;
  if (!reversible_.tie_weights) {
    const Tensor reverse = reverse_embeddings_->value();
    if (mode == "int4" && config.grouped()) {
      auto g = quant::grouped_quantize_with_zero_point(reverse, *config.block_size);
      values = g.values;
      scale = g.scale;
      zero = g.zero.astype(DType::float32);
    } else {
      quantizers::AbsMaxQuantizer q;
      q.axis = std::vector<int>{0};
      if (mode == "int4") q.value_range = {-8, 7};
      if (config.weight_quantizer) {
        q = *config.weight_quantizer;
        if (!q.axis) q.axis = std::vector<int>{0};
      }
      auto a = quant::abs_max_quantize(reverse, *q.axis, q);
      values = a.values;
      scale = kernels::squeeze(a.scale, {0});
    }
    if (mode == "int4") values = quant::pack_int4(values, 0);
    remove_weight(reverse_embeddings_);
    reverse_embeddings_.reset();
  }
  quantize_table(config);  // the forward table, the policy, then quantized_build()
  if (reversible_.tie_weights) return;
  reverse_embeddings_->assign(values);
  reverse_scale_->assign(scale);
  if (reverse_zero_) reverse_zero_->assign(zero);
}

Tensor ReversibleEmbeddingImpl::quantized_reverse(const Tensor& x_in) {
  const std::string& mode = dtype_policy().quantization_mode();
  const Tensor x = x_in.dtype() == DType::float32 ? x_in : x_in.astype(DType::float32);
  const bool grouped = mode == "int4" && (reversible_.tie_weights ? embeddings_zero_ : reverse_zero_) != nullptr;
  // The integer kernel [output_dim, input_dim] and its per-column scale (grouped: scale and zero [groups, input_dim]).
  Tensor kernel, scale, zero;
  if (reversible_.tie_weights) {
    kernel = mode == "int4" ? quant::unpack_int4(embeddings_->value(), output_dim_, -1) : embeddings_->value();
    kernel = kernels::transpose(kernel, {1, 0});
    scale = embeddings_scale_->value();
    if (grouped) {
      scale = kernels::transpose(scale, {1, 0});
      zero = kernels::transpose(embeddings_zero_->value(), {1, 0});
    }
  } else {
    kernel = mode == "int4" ? quant::unpack_int4(reverse_embeddings_->value(), output_dim_, 0)
                            : reverse_embeddings_->value();
    scale = reverse_scale_->value();
    if (grouped) zero = reverse_zero_->value();
  }
  Tensor inputs = x;
  Tensor inputs_scale;
  if (reverse_inputs_quantizer_) {
    auto q = quant::abs_max_quantize(x, {-1}, *reverse_inputs_quantizer_);
    inputs = q.values;
    inputs_scale = q.scale;
  }
  Tensor logits;
  if (grouped) {
    // Dequantized kernel, float matmul, then only the inputs' scale.
    const Tensor table = quant::dequantize_with_sz_map(kernel.astype(DType::float32), scale, zero, g_idx_->value(), 0,
                                                       "ReversibleEmbedding layer '" + name() + "'");
    logits = kernels::matmul(inputs.astype(DType::float32), table);
    return inputs_scale.defined() ? kernels::divide(logits, inputs_scale) : logits;
  }
  logits = inputs.dtype() == DType::int8 ? kernels::matmul_int8(inputs, kernel).astype(DType::float32)
                                         : kernels::matmul(inputs, kernel.astype(DType::float32));
  return kernels::divide(logits, inputs_scale.defined() ? kernels::multiply(inputs_scale, scale) : scale);
}

namespace {

bool is_reverse(const Json& kwargs, const Json& args) {
  if (auto it = kwargs.find("reverse"); it != kwargs.end() && it->is_boolean()) return it->get<bool>();
  return args.size() > 1 && args[1].is_boolean() && args[1].get<bool>();
}

}  // namespace

std::vector<TensorSpec> ReversibleEmbeddingImpl::compute_output_spec(const SpecArgs& args) {
  Shape shape = args.tensor(0).shape;
  if (is_reverse(args.kwargs, args.args)) {
    if (shape.empty()) throw ShapeMismatchError("ReversibleEmbedding '" + name() + "': reverse needs vectors");
    shape.back() = input_dim_;
  } else {
    shape.push_back(output_dim_);
  }
  return {TensorSpec{shape, compute_dtype()}};
}

std::vector<Tensor> ReversibleEmbeddingImpl::call(const CallArgs& args) {
  if (!is_reverse(args.kwargs, args.args)) return {forward(args.tensor(0), args.training)};
  if (!embeddings_) throw ValueError("ReversibleEmbedding '" + name() + "' is not built");
  Tensor x = autocast(args.tensor(0), compute_dtype());
  if (x.rank() < 1 || x.dim(-1) != output_dim_)
    throw ShapeMismatchError("ReversibleEmbedding '" + name() + "': reverse expects vectors of size " +
                             std::to_string(output_dim_) + ", got shape " + shape_to_string(x.shape()));
  Tensor logits;
  if (dtype_policy().quantized()) {
    logits = quantized_reverse(x);
  } else {
    // Keras' `embeddings` property: with LoRA, the adapted table.
    const Tensor table = lora_.enabled() ? lora_.merge(embeddings_->value()) : embeddings_->value();
    const Tensor kernel = reversible_.tie_weights ? kernels::transpose(table, {1, 0}) : reverse_embeddings_->value();
    logits = kernels::matmul(x.astype(DType::float32), kernel.astype(DType::float32));
  }
  if (!reversible_.logit_soft_cap.is_null()) {
    const auto cap = static_cast<float>(reversible_.logit_soft_cap.get<double>());
    logits = kernels::multiply(kernels::tanh(kernels::multiply(logits, 1.0F / cap)), cap);
  }
  // With reverse_dtype Keras computes (and returns) in that dtype; its quantized calls ignore it.
  const DType out = reversible_.reverse_dtype && !dtype_policy().quantized()
                        ? dtype_from_name(*reversible_.reverse_dtype)
                        : compute_dtype();
  return {to_dtype(logits, out)};
}

std::optional<KerasTensor> ReversibleEmbeddingImpl::compute_mask(const std::vector<KerasTensor>& /*inputs*/,
                                                                 const Node& /*node*/) {
  return std::nullopt;
}

}  // namespace keras::detail

namespace keras::layers {
ReversibleEmbedding::ReversibleEmbedding(std::int64_t input_dim, std::int64_t output_dim,
                                         const ReversibleEmbeddingOptions& options)
    : LayerRef(std::make_shared<detail::ReversibleEmbeddingImpl>(input_dim, output_dim, options)) {}
Embedding::Embedding(std::int64_t input_dim, std::int64_t output_dim, const EmbeddingOptions& options)
    : LayerRef(std::make_shared<detail::EmbeddingImpl>(input_dim, output_dim, options)) {}
}  // namespace keras::layers
