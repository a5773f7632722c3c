// The module-private layers of keras.applications, which Keras writes with
// their own module (`keras.src.applications.convnext`, ...) and registered
// name: ConvNeXt's LayerScale and StochasticDepth, InceptionResNetV2's
// CustomScaleLayer.
#pragma once

#include <optional>
#include <string>

#include "keras/layer.hpp"

namespace keras::applications {

struct ApplicationLayerOptions {
  std::string name;
  std::optional<std::string> dtype;
  bool trainable = true;
};

namespace convnext {

// x * gamma, gamma a trainable [projection_dim] vector initialized to init_values.
class LayerScale : public LayerRef {
 public:
  LayerScale(Json init_values, std::int64_t projection_dim, const ApplicationLayerOptions& options = {});
};

// Drops whole residual paths with probability drop_path_rate in training
// (scaling the kept ones by 1 / (1 - rate)); the identity at inference.
class StochasticDepth : public LayerRef {
 public:
  explicit StochasticDepth(Json drop_path_rate, const ApplicationLayerOptions& options = {});
};

}  // namespace convnext

namespace inception_resnet_v2 {

// Called on [x, r]: x + r * scale.
class CustomScaleLayer : public LayerRef {
 public:
  explicit CustomScaleLayer(Json scale, const ApplicationLayerOptions& options = {});
};

}  // namespace inception_resnet_v2

}  // namespace keras::applications
