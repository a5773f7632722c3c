// keras.layers.Embedding (keras/src/layers/core/embedding.py).
#include "layers/core/embedding.hpp"

#include "keras/regularizers.hpp"
#include "layers/config_utils.hpp"
#include "layers/core/layer_utils.hpp"
#include "layers/core/mask_ops.hpp"
#include "ops/shape_ops.hpp"

namespace keras::detail {

using namespace layer_utils;  // NOLINT(google-build-using-namespace): our own helpers

EmbeddingImpl::EmbeddingImpl(std::int64_t input_dim, std::int64_t output_dim, const layers::EmbeddingOptions& options)
    : Layer(LayerBaseOptions{options.name, options.dtype, options.trainable}, "embedding"),
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
}

LayerPtr EmbeddingImpl::from_config(const Json& config) {
  reject_unsupported_options(config, "Embedding");
  layers::EmbeddingOptions o;
  auto base = Layer::base_options_from_config(config);
  o.name = base.name;
  o.dtype = base.dtype;
  o.trainable = base.trainable;
  if (auto it = config.find("embeddings_initializer"); it != config.end() && !it->is_null())
    o.embeddings_initializer = initializers::get(*it);
  o.embeddings_regularizer = detail::config_value(config, "embeddings_regularizer", Json(nullptr));
  o.activity_regularizer = detail::config_value(config, "activity_regularizer", Json(nullptr));
  o.embeddings_constraint = detail::config_value(config, "embeddings_constraint", Json(nullptr));
  o.mask_zero = detail::config_value(config, "mask_zero", o.mask_zero);
  return std::make_shared<EmbeddingImpl>(required_int(config, "input_dim", "Embedding"),
                                         required_int(config, "output_dim", "Embedding"), o);
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
  config["quantization_config"] = nullptr;
  return config;
}

void EmbeddingImpl::build(const std::vector<Shape>& /*input_shapes*/) {
  embeddings_ = add_weight("embeddings", {input_dim_, output_dim_}, options_.embeddings_initializer);
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
  return to_dtype(kernels::take(embeddings_->value(), ids, 0), compute_dtype());
}

ad::Var EmbeddingImpl::forward_tape(const ad::Var& input, TapeVariables& variables, bool /*training*/) {
  Tensor ids = input.value();
  if (ids.dtype() != DType::int32 && ids.dtype() != DType::int64) ids = ids.astype(DType::int32);
  return ad::take(variables(embeddings_), ids, 0);
}

std::optional<KerasTensor> EmbeddingImpl::compute_mask(const std::vector<KerasTensor>& inputs, const Json& /*args*/,
                                                       const Json& /*kwargs*/) {
  if (!options_.mask_zero || inputs.empty()) return std::nullopt;
  return symbolic_not_equal(inputs.front(), Json(0));
}

}  // namespace keras::detail

namespace keras::layers {
Embedding::Embedding(std::int64_t input_dim, std::int64_t output_dim, const EmbeddingOptions& options)
    : LayerRef(std::make_shared<detail::EmbeddingImpl>(input_dim, output_dim, options)) {}
}  // namespace keras::layers
