// Attention layers (keras/src/layers/attention/*.py).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "keras/autodiff.hpp"
#include "keras/layers/attention.hpp"
#include "layers/core/einsum_dense.hpp"

namespace keras::detail {

// The einsum equations MultiHeadAttention derives from the ranks involved
// (Keras' _build_proj_equation and _build_attention_equation).
struct ProjectionEquation {
  std::string equation;
  std::string bias_axes;
  int output_rank = 0;
};
ProjectionEquation build_proj_equation(int free_dims, int bound_dims, int output_dims);
struct AttentionEquations {
  std::string dot_product;  // key, query -> scores
  std::string combine;      // scores, value -> output
  int scores_rank = 0;
};
AttentionEquations build_attention_equation(int rank, const std::vector<int>& attention_axes);

// Masks, softmax and weighted sum shared by MultiHeadAttention and GroupQueryAttention.
struct AttentionMasks {
  std::optional<Tensor> query_mask;      // [B, T]
  std::optional<Tensor> value_mask;      // [B, S]
  std::optional<Tensor> key_mask;        // [B, S]
  std::optional<Tensor> attention_mask;  // [B, T, S]
  bool use_causal_mask = false;
};

// What MultiHeadAttention and GroupQueryAttention share: the EinsumDense
// projections, the build from (query, value[, key]) shapes written as Keras'
// shapes_dict build config, and the gate/output projection ending call().
class ProjectedAttentionImpl : public Layer {
 public:
  using Layer::Layer;
  // Masks: __call__ fills query_mask, value_mask and key_mask from the masks
  // of query, value and key (when several tensors are passed); the output
  // carries the query's mask (supports_masking, default compute_mask).
  bool supports_masking() const override { return true; }
  std::vector<std::string> call_parameter_names() const override {
    return {"query",
            "value",
            "key",
            "query_mask",
            "value_mask",
            "key_mask",
            "attention_mask",
            "return_attention_scores",
            "training",
            "use_causal_mask"};
  }
  std::optional<Json> build_config() const override;
  void build_from_config(const Json& build_config) override;
  // The backward pass: call() on the tape, the attention dropout included.
  Differentiability differentiability() const override;

 protected:
  void before_symbolic_call(const SpecArgs& args) override;
  // attended [B, T, heads, dim] -> (gated) output projection in the compute
  // dtype, followed by the scores when they were asked for.
  std::vector<Tensor> project_output(const Tensor& attended, const Tensor& gate, const Tensor& scores,
                                     bool return_attention_scores);
  std::vector<ad::Var> project_output_tape(const ad::Var& attended, const ad::Var& gate, const ad::Var& scores,
                                           bool return_attention_scores, TapeVariables& variables, bool training);
  // Keras' _dropout_layer on the attention probabilities: identity unless training.
  std::function<Tensor(const Tensor&)> score_dropout(bool training);
  std::function<ad::Var(const ad::Var&)> score_dropout_tape(bool training, TapeVariables& variables);

  bool built_with_key_ = false;
  std::shared_ptr<EinsumDenseImpl> query_dense_, key_dense_, value_dense_, output_dense_, gate_dense_;
  LayerPtr dropout_layer_;
};

class MultiHeadAttentionImpl final : public ProjectedAttentionImpl {
 public:
  MultiHeadAttentionImpl(std::int64_t num_heads, std::int64_t key_dim,
                         const layers::MultiHeadAttentionOptions& options);
  static LayerPtr from_config(const Json& config);

  std::string class_name() const override { return "MultiHeadAttention"; }
  Json get_config() const override;
  // MultiHeadAttention.call reads query_mask from the query tensor itself,
  // whatever was passed, then sets the masks of query, value and key to None.
  std::vector<CallMask> call_time_masks(const Json& args, const Json& kwargs) const override;
  std::vector<std::string> call_erases_masks_of() const override { return {"query", "value", "key"}; }
  std::vector<TensorSpec> compute_output_spec(const SpecArgs& args) override;
  std::vector<Tensor> call(const CallArgs& args) override;
  std::vector<ad::Var> call_tape(const CallArgs& args, const std::vector<ad::Var>& tensors,
                                 TapeVariables& variables) override;

 protected:
  void build(const std::vector<Shape>& input_shapes) override;

 private:
  Shape output_shape_for(const Shape& query_shape) const;
  layers::EinsumDenseOptions sublayer_options() const;

  std::int64_t num_heads_;
  std::int64_t key_dim_;
  std::int64_t value_dim_;
  Json dropout_;
  layers::MultiHeadAttentionOptions options_;
  std::optional<std::vector<int>> attention_axes_;
  AttentionEquations equations_;
};

class GroupQueryAttentionImpl final : public ProjectedAttentionImpl {
 public:
  GroupQueryAttentionImpl(std::int64_t head_dim, std::int64_t num_query_heads, std::int64_t num_key_value_heads,
                          const layers::GroupQueryAttentionOptions& options);
  static LayerPtr from_config(const Json& config);

  std::string class_name() const override { return "GroupQueryAttention"; }
  std::string python_class_name() const override { return "GroupedQueryAttention"; }
  Json get_config() const override;
  std::vector<TensorSpec> compute_output_spec(const SpecArgs& args) override;
  std::vector<Tensor> call(const CallArgs& args) override;
  std::vector<ad::Var> call_tape(const CallArgs& args, const std::vector<ad::Var>& tensors,
                                 TapeVariables& variables) override;

 protected:
  void build(const std::vector<Shape>& input_shapes) override;

 private:
  layers::EinsumDenseOptions sublayer_options() const;

  std::int64_t head_dim_;
  std::int64_t num_query_heads_;
  std::int64_t num_key_value_heads_;
  Json dropout_;
  layers::GroupQueryAttentionOptions options_;
};

// keras.layers.Attention, and AdditiveAttention (same class with additive scores).
class DotAttentionImpl final : public Layer {
 public:
  DotAttentionImpl(bool additive, bool use_scale, std::string score_mode, Json dropout, Json seed,
                   const LayerBaseOptions& base);
  static LayerPtr attention_from_config(const Json& config);
  static LayerPtr additive_from_config(const Json& config);

  std::string class_name() const override { return additive_ ? "AdditiveAttention" : "Attention"; }
  Json get_config() const override;
  // Masks (attention.py): `mask` is [query_mask, value_mask(, key_mask)],
  // filled from the inputs list; value_mask masks the scores (the key mask is
  // ignored) and query_mask zeroes the output rows. compute_mask: mask[0].
  bool call_accepts_mask() const override { return true; }
  bool supports_masking() const override { return true; }
  std::vector<std::string> call_parameter_names() const override {
    return {"inputs", "mask", "training", "return_attention_scores", "use_causal_mask"};
  }
  std::optional<KerasTensor> compute_mask(const std::vector<KerasTensor>& inputs, const Node& node) override;
  std::vector<TensorSpec> compute_output_spec(const SpecArgs& args) override;
  std::vector<Tensor> call(const CallArgs& args) override;
  // The backward pass: call() on the tape, the weights' dropout included.
  Differentiability differentiability() const override { return Differentiability::differentiable; }
  std::vector<ad::Var> call_tape(const CallArgs& args, const std::vector<ad::Var>& tensors,
                                 TapeVariables& variables) override;

 protected:
  void build(const std::vector<Shape>& input_shapes) override;

 private:
  Tensor scores(const Tensor& query, const Tensor& key) const;
  ad::Var scores_tape(const ad::Var& query, const ad::Var& key, TapeVariables& variables) const;
  // The dropout of the attention weights in training: 0 or 1 / (1 - rate) per
  // weight, from the layer's seed stream (a new draw every call), or none.
  std::optional<Tensor> weights_dropout(const Shape& shape, bool training);

  bool additive_;
  bool use_scale_;
  std::string score_mode_;
  Json dropout_;
  Json seed_;
  std::uint64_t draws_ = 0;
  VariablePtr scale_;
  VariablePtr concat_score_weight_;
};

}  // namespace keras::detail
