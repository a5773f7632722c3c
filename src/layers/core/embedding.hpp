#pragma once

#include "keras/layers/core.hpp"
#include "layers/lora.hpp"

namespace keras::detail {

// keras.layers.Embedding: a lookup table [input_dim, output_dim].
class EmbeddingImpl : public Layer {
 public:
  EmbeddingImpl(std::int64_t input_dim, std::int64_t output_dim, const layers::EmbeddingOptions& options,
                const std::string& auto_name_prefix = "embedding");
  static LayerPtr from_config(const Json& config);
  // The Embedding keyword arguments of a config (shared with ReversibleEmbedding).
  static layers::EmbeddingOptions options_from_config(const Json& config, const std::string& layer);

  std::string class_name() const override { return "Embedding"; }
  Json get_config() const override;
  std::vector<TensorSpec> compute_output_spec(const SpecArgs& args) override;
  Tensor forward(const Tensor& input, bool training) override;
  Differentiability differentiability() const override {
    return dtype_policy().quantized() ? Differentiability::unsupported : Differentiability::differentiable;
  }
  ad::Var forward_tape(const ad::Var& input, TapeVariables& variables, bool training) override;
  // Quantized: embeddings, embeddings_scale (int4 grouped: then
  // embeddings_zero and g_idx), Keras' serialization spec.
  std::vector<VariablePtr> own_variables() const override;
  // LoRA (lora_embeddings_a [input_dim, rank], lora_embeddings_b [rank,
  // output_dim]): saved merged into the embeddings (re-quantized when
  // quantized), reset to zeros after loading.
  std::vector<VariablePtr> variables_to_save() const override;
  void own_variables_loaded() override;
  void enable_lora(std::int64_t rank, const LoraOptions& options = {}) override;
  bool lora_enabled() const override { return lora_.enabled(); }
  const LoraAdapter& lora() const { return lora_; }
  // Masks: ignores any incoming mask; with mask_zero (Keras' supports_masking
  // = mask_zero) outputs not_equal(inputs, 0), else none.
  bool supports_masking() const override { return options_.mask_zero; }
  std::optional<KerasTensor> compute_mask(const std::vector<KerasTensor>& inputs, const Node& node) override;

  std::int64_t input_dim() const { return input_dim_; }
  std::int64_t output_dim() const { return output_dim_; }
  const VariablePtr& embeddings() const { return embeddings_; }

 protected:
  void build(const std::vector<Shape>& input_shapes) override;
  void quantize_weights(const quantizers::QuantizationConfig& config) override;
  // The quantized variables of the policy's mode (ReversibleEmbedding adds its reverse ones).
  virtual void quantized_build();
  // Quantizes the table as Keras' Embedding.quantize does and rebuilds for config.mode.
  void quantize_table(const quantizers::QuantizationConfig& config);

  std::int64_t input_dim_;
  std::int64_t output_dim_;
  layers::EmbeddingOptions options_;
  VariablePtr embeddings_;
  LoraAdapter lora_;
  VariablePtr embeddings_scale_, embeddings_zero_, g_idx_;

 private:
  Tensor quantized_lookup(const Tensor& ids);
};

// keras.layers.ReversibleEmbedding: an Embedding that, called with
// reverse=True, projects vectors back to logits over the vocabulary (with the
// transposed embeddings when tie_weights, else its own reverse_embeddings).
// Its outputs carry no mask (Keras' compute_mask returns None). Quantized
// (int8, int4 per channel or grouped), the reverse projection quantizes its
// inputs (AbsMaxQuantizer(axis=-1) unless the config says otherwise) and
// multiplies them by the integer reverse kernel, as Keras' _int8_call and
// _int4_call do.
class ReversibleEmbeddingImpl final : public EmbeddingImpl {
 public:
  ReversibleEmbeddingImpl(std::int64_t input_dim, std::int64_t output_dim,
                          const layers::ReversibleEmbeddingOptions& options);
  static LayerPtr from_config(const Json& config);

  std::string class_name() const override { return "ReversibleEmbedding"; }
  Json get_config() const override;
  std::vector<TensorSpec> compute_output_spec(const SpecArgs& args) override;
  std::vector<Tensor> call(const CallArgs& args) override;
  std::optional<KerasTensor> compute_mask(const std::vector<KerasTensor>& inputs, const Node& node) override;
  // Embedding's variables, then reverse_embeddings (quantized: and its scale
  // and, grouped int4, zero), Keras' serialization spec.
  std::vector<VariablePtr> own_variables() const override;

 protected:
  void build(const std::vector<Shape>& input_shapes) override;
  void quantized_build() override;
  void quantize_weights(const quantizers::QuantizationConfig& config) override;

 private:
  Tensor quantized_reverse(const Tensor& x);
  layers::ReversibleEmbeddingOptions reversible_;
  VariablePtr reverse_embeddings_, reverse_scale_, reverse_zero_;
  std::optional<quantizers::AbsMaxQuantizer> reverse_inputs_quantizer_;
};

}  // namespace keras::detail
