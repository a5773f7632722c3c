// keras.layers activation layers: Softmax, ReLU, LeakyReLU, PReLU, ELU.
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

class Softmax : public LayerRef {
 public:
  explicit Softmax(const SoftmaxOptions& options = {});
};

}  // namespace keras::layers
