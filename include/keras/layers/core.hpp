// keras.layers core layers: InputLayer, Dense, Activation, EinsumDense,
// Embedding, Identity, Masking.
#pragma once

#include <optional>
#include <string>

#include "keras/initializers.hpp"
#include "keras/layer.hpp"
#include "keras/quantizers.hpp"

namespace keras {

struct InputOptions {
  std::string name;
  std::string dtype = "float32";
  std::optional<std::int64_t> batch_size;
  bool sparse = false;
  bool optional = false;
};

// keras.Input(shape): a symbolic input. `shape` excludes the batch dimension;
// -1 marks an unknown dimension.
KerasTensor Input(const Shape& shape, const InputOptions& options = {});

}  // namespace keras

namespace keras::layers {

struct InputLayerOptions {
  Shape shape;                       // without the batch dimension
  std::optional<Shape> batch_shape;  // overrides shape when given
  std::optional<std::int64_t> batch_size;
  std::string dtype = "float32";
  bool sparse = false;
  bool ragged = false;
  bool optional = false;
  std::string name;
};

class InputLayer : public LayerRef {
 public:
  explicit InputLayer(const InputLayerOptions& options);
  // The symbolic tensor this layer produces.
  KerasTensor output() const;
};

struct DenseOptions {
  std::string activation = "linear";
  bool use_bias = true;
  initializers::Initializer kernel_initializer = "glorot_uniform";
  initializers::Initializer bias_initializer = "zeros";
  Json kernel_regularizer = nullptr;  // keras::regularizers::L2(...) or a name
  Json bias_regularizer = nullptr;
  Json activity_regularizer = nullptr;
  Json kernel_constraint = nullptr;  // keras::constraints::MaxNorm(...) or a name
  Json bias_constraint = nullptr;
  std::string name;
  // A float policy, or a quantized one ("int8_from_float32", ...): the layer
  // then builds quantized variables (see keras/quantizers.hpp).
  std::optional<std::string> dtype;
  bool trainable = true;
  // The config a quantized layer was quantized with (written as
  // "quantization_config"; None for a layer given a quantized dtype only).
  std::optional<quantizers::QuantizationConfig> quantization_config;
  // LoRA (Keras' lora_rank / lora_alpha): set, build() enables it with that
  // rank (Layer::enable_lora); lora_alpha defaults to lora_rank.
  std::optional<std::int64_t> lora_rank;
  std::optional<double> lora_alpha;
};

// keras.layers.Dense: activation(dot(x, kernel) + bias) on the last axis of any rank.
class Dense : public LayerRef {
 public:
  explicit Dense(std::int64_t units, const DenseOptions& options = {});
};

struct ActivationOptions {
  std::string name;
  std::optional<std::string> dtype;
  bool trainable = true;
};

// keras.layers.Activation with a built-in activation name.
class Activation : public LayerRef {
 public:
  explicit Activation(const std::string& activation, const ActivationOptions& options = {});
};

struct EinsumDenseOptions {
  std::string activation = "linear";
  // Output axes (letters of the equation's output) that get a bias; none when empty.
  std::optional<std::string> bias_axes;
  initializers::Initializer kernel_initializer = "glorot_uniform";
  initializers::Initializer bias_initializer = "zeros";
  Json kernel_regularizer = nullptr;
  Json bias_regularizer = nullptr;
  Json activity_regularizer = nullptr;
  Json kernel_constraint = nullptr;
  Json bias_constraint = nullptr;
  std::string name;
  std::optional<std::string> dtype;  // float or quantized, as DenseOptions::dtype
  bool trainable = true;
  std::optional<quantizers::QuantizationConfig> quantization_config;
  // LoRA, as DenseOptions::lora_rank / lora_alpha.
  std::optional<std::int64_t> lora_rank;
  std::optional<double> lora_alpha;
};

// keras.layers.EinsumDense: activation(einsum(equation, x, kernel) + bias).
// `output_shape` excludes the batch dimension (and ellipsis dimensions); -1
// marks a dimension taken from the input.
class EinsumDense : public LayerRef {
 public:
  EinsumDense(const std::string& equation, const Shape& output_shape, const EinsumDenseOptions& options = {});
  EinsumDense(const std::string& equation, std::int64_t output_shape, const EinsumDenseOptions& options = {});
};

struct EmbeddingOptions {
  initializers::Initializer embeddings_initializer = "uniform";
  Json embeddings_regularizer = nullptr;
  Json activity_regularizer = nullptr;
  Json embeddings_constraint = nullptr;
  // Index 0 is padding: the layer emits the mask `inputs != 0`.
  bool mask_zero = false;
  std::string name;
  std::optional<std::string> dtype;  // float, "int8_from_..." or "int4/<block>_from_..."
  bool trainable = true;
  std::optional<quantizers::QuantizationConfig> quantization_config;
  // LoRA, as DenseOptions::lora_rank / lora_alpha.
  std::optional<std::int64_t> lora_rank;
  std::optional<double> lora_alpha;
};

// keras.layers.Embedding: integer ids [...] -> vectors [..., output_dim].
class Embedding : public LayerRef {
 public:
  Embedding(std::int64_t input_dim, std::int64_t output_dim, const EmbeddingOptions& options = {});
};

struct IdentityOptions {
  std::string name;
  std::optional<std::string> dtype;
  bool trainable = true;
};

// keras.layers.Identity: returns its input (and passes its mask through).
class Identity : public LayerRef {
 public:
  explicit Identity(const IdentityOptions& options = {});
};

struct MaskingOptions {
  double mask_value = 0.0;
  std::string name;
  std::optional<std::string> dtype;
  bool trainable = true;
};

// keras.layers.Masking: zeroes the timesteps whose features all equal
// mask_value and emits the mask any(inputs != mask_value, axis=-1).
class Masking : public LayerRef {
 public:
  explicit Masking(const MaskingOptions& options = {});
};

struct ReversibleEmbeddingOptions {
  bool tie_weights = true;  // reverse with the transposed embeddings; false: own reverse_embeddings
  initializers::Initializer embeddings_initializer = "uniform";
  Json embeddings_regularizer = nullptr;
  Json activity_regularizer = nullptr;
  Json embeddings_constraint = nullptr;
  bool mask_zero = false;
  std::optional<std::string> reverse_dtype;  // the dtype of the reverse projection
  Json logit_soft_cap = nullptr;             // a number c: logits = c * tanh(logits / c)
  std::string name;
  std::optional<std::string> dtype;  // float, "int8_from_..." or "int4/<block>_from_..."
  bool trainable = true;
  std::optional<quantizers::QuantizationConfig> quantization_config;
  // LoRA on the embeddings, as EmbeddingOptions (with tie_weights the reverse
  // projection uses the adapted table too, as Keras' `embeddings` property does).
  std::optional<std::int64_t> lora_rank;
  std::optional<double> lora_alpha;
};

// keras.layers.ReversibleEmbedding: layer(ids) embeds like Embedding;
// layer.call({x}, {{"reverse", true}}) maps vectors [..., output_dim] to
// logits [..., input_dim].
class ReversibleEmbedding : public LayerRef {
 public:
  ReversibleEmbedding(std::int64_t input_dim, std::int64_t output_dim, const ReversibleEmbeddingOptions& options = {});
};

struct TernaryDenseOptions {
  Json threshold = nullptr;  // null: 0.5 * mean(|kernel|), with outputs scaled by mean(|kernel|)
  std::string activation = "linear";
  bool use_bias = true;
  initializers::Initializer kernel_initializer = "glorot_uniform";
  initializers::Initializer bias_initializer = "zeros";
  Json kernel_regularizer = nullptr;
  Json bias_regularizer = nullptr;
  Json activity_regularizer = nullptr;
  Json kernel_constraint = nullptr;
  Json bias_constraint = nullptr;
  std::string name;
  std::optional<std::string> dtype;
  bool trainable = true;
};

// keras.layers.TernaryDense: a Dense whose kernel is used as sign(kernel) where
// |kernel| > threshold and 0 elsewhere (BitNet b1.58 style). The float kernel
// is what is stored; Keras' packed "ternary" quantization mode is not supported.
class TernaryDense : public LayerRef {
 public:
  explicit TernaryDense(std::int64_t units, const TernaryDenseOptions& options = {});
};

}  // namespace keras::layers
