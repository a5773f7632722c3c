// keras.layers activation layers: Softmax, ReLU, LeakyReLU, PReLU, ELU
// (Activation is in core.hpp).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "keras/initializers.hpp"
#include "keras/layer.hpp"

namespace keras::layers {

struct SoftmaxOptions {
  int axis = -1;
  std::string name;
  std::optional<std::string> dtype;
  bool trainable = true;
};

// keras.layers.Softmax; a `mask` call argument gives masked positions zero probability.
class Softmax : public LayerRef {
 public:
  explicit Softmax(const SoftmaxOptions& options = {});
};

struct ReLUOptions {
  std::optional<double> max_value;  // none: unbounded
  double negative_slope = 0.0;
  double threshold = 0.0;
  std::string name;
  std::optional<std::string> dtype;
  bool trainable = true;
};

// keras.layers.ReLU: x >= max_value ? max_value : x >= threshold ? x : negative_slope * (x - threshold).
class ReLU : public LayerRef {
 public:
  explicit ReLU(const ReLUOptions& options = {});
};

struct LeakyReLUOptions {
  double negative_slope = 0.3;
  std::string name;
  std::optional<std::string> dtype;
  bool trainable = true;
};

class LeakyReLU : public LayerRef {
 public:
  explicit LeakyReLU(const LeakyReLUOptions& options = {});
};

struct PReLUOptions {
  initializers::Initializer alpha_initializer = "Zeros";
  Json alpha_regularizer = nullptr;
  Json alpha_constraint = nullptr;
  // Axes (1-based, batch excluded) along which alpha is shared; none: one alpha per input element.
  std::optional<std::vector<int>> shared_axes;
  std::string name;
  std::optional<std::string> dtype;
  bool trainable = true;
};

// keras.layers.PReLU: relu(x) - alpha * relu(-x) with a learned alpha of shape input_shape[1:].
class PReLU : public LayerRef {
 public:
  explicit PReLU(const PReLUOptions& options = {});
};

struct ELUOptions {
  // Keras' ELU writes `alpha` to its config only when it was passed (its
  // config is generated from the constructor call); unset means 1.0.
  std::optional<double> alpha;
  std::string name;
  std::optional<std::string> dtype;
  bool trainable = true;
};

class ELU : public LayerRef {
 public:
  explicit ELU(const ELUOptions& options = {});
};

}  // namespace keras::layers
