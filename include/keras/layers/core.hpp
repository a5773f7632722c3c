// keras.layers core layers: InputLayer, Dense, Activation.
#pragma once

#include <optional>
#include <string>

#include "keras/initializers.hpp"
#include "keras/layer.hpp"

namespace keras::layers {

struct InputLayerOptions {
  Shape shape;                      // without the batch dimension
  std::optional<Shape> batch_shape; // overrides shape when given
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
  Json kernel_constraint = nullptr;   // keras::constraints::MaxNorm(...) or a name
  Json bias_constraint = nullptr;
  std::string name;
  std::optional<std::string> dtype;
  bool trainable = true;
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

}  // namespace keras::layers
