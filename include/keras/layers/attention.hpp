// keras.layers: attention layers (MultiHeadAttention, GroupQueryAttention,
// Attention, AdditiveAttention). Inference only: dropout is kept in the
// config but never applied.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "keras/initializers.hpp"
#include "keras/layer.hpp"

namespace keras::layers {

struct MultiHeadAttentionOptions {
  std::optional<std::int64_t> value_dim;  // empty: key_dim
  double dropout = 0.0;
  bool use_bias = true;
  std::optional<Shape> output_shape;               // per-position output dims; empty: the query's last dim
  std::optional<std::vector<int>> attention_axes;  // empty: every axis between batch and features
  std::optional<std::int64_t> sliding_window;      // attend only within this distance
  initializers::Initializer kernel_initializer = "glorot_uniform";
  initializers::Initializer bias_initializer = "zeros";
  Json kernel_regularizer = nullptr;
  Json bias_regularizer = nullptr;
  Json activity_regularizer = nullptr;
  Json kernel_constraint = nullptr;
  Json bias_constraint = nullptr;
  bool use_gate = false;  // sigmoid gate on the attention output
  std::optional<std::int64_t> seed;
  std::string name;
  std::optional<std::string> dtype;
  bool trainable = true;
};

// keras.layers.MultiHeadAttention. Call as mha.call({query, value}) or
// mha.call({query, value, key}); keyword arguments: "attention_mask" (a bool
// tensor [B, T, S]), "use_causal_mask" (true/false), "return_attention_scores"
// (adds the scores [B, heads, T, S] as a second output). Keras masks of query,
// value and key are applied automatically.
class MultiHeadAttention : public LayerRef {
 public:
  MultiHeadAttention(std::int64_t num_heads, std::int64_t key_dim, const MultiHeadAttentionOptions& options = {});
};

struct GroupQueryAttentionOptions {
  double dropout = 0.0;
  bool use_bias = true;
  std::optional<std::int64_t> sliding_window;
  initializers::Initializer kernel_initializer = "glorot_uniform";
  initializers::Initializer bias_initializer = "zeros";
  Json kernel_regularizer = nullptr;
  Json bias_regularizer = nullptr;
  Json activity_regularizer = nullptr;
  Json kernel_constraint = nullptr;
  Json bias_constraint = nullptr;
  bool use_gate = false;
  std::optional<std::int64_t> seed;
  std::string name;
  std::optional<std::string> dtype;
  bool trainable = true;
};

// keras.layers.GroupQueryAttention (Python class GroupedQueryAttention):
// num_key_value_heads key/value heads shared by groups of query heads.
// Called like MultiHeadAttention.
class GroupQueryAttention : public LayerRef {
 public:
  GroupQueryAttention(std::int64_t head_dim, std::int64_t num_query_heads, std::int64_t num_key_value_heads,
                      const GroupQueryAttentionOptions& options = {});
};

struct AttentionOptions {
  bool use_scale = false;          // a trainable scalar multiplies the scores
  std::string score_mode = "dot";  // "dot" or "concat"
  double dropout = 0.0;
  std::optional<std::int64_t> seed;
  std::string name;
  std::optional<std::string> dtype;
  bool trainable = true;
};

// keras.layers.Attention (Luong-style dot-product attention): call on the list
// {query, value} or {query, value, key}; keyword "use_causal_mask" and
// "return_attention_scores" as in Keras.
class Attention : public LayerRef {
 public:
  explicit Attention(const AttentionOptions& options = {});
};

struct AdditiveAttentionOptions {
  bool use_scale = true;  // a trainable vector scales the tanh terms
  double dropout = 0.0;
  std::optional<std::int64_t> seed;
  std::string name;
  std::optional<std::string> dtype;
  bool trainable = true;
};

// keras.layers.AdditiveAttention (Bahdanau-style).
class AdditiveAttention : public LayerRef {
 public:
  explicit AdditiveAttention(const AdditiveAttentionOptions& options = {});
};

}  // namespace keras::layers
