// keras.layers regularization layers: Dropout, SpatialDropout1D/2D/3D,
// GaussianNoise, GaussianDropout, AlphaDropout, ActivityRegularization.
// All are identities at inference; with training=true they apply their noise.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "keras/layer.hpp"

namespace keras::layers {

struct DropoutOptions {
  // Shape of the binary mask, batch included; -1 takes the input's dimension.
  std::optional<Shape> noise_shape;
  std::optional<std::int64_t> seed;
  std::string name;
  std::optional<std::string> dtype;
  bool trainable = true;
};

// keras.layers.Dropout: in training, zeroes inputs with probability `rate`
// and scales the rest by 1 / (1 - rate).
class Dropout : public LayerRef {
 public:
  explicit Dropout(double rate, const DropoutOptions& options = {});
};

struct SpatialDropoutOptions {
  std::string data_format = "channels_last";  // SpatialDropout2D/3D only
  std::optional<std::int64_t> seed;
  std::string name;
  std::optional<std::string> dtype;
};

// keras.layers.SpatialDropout1D/2D/3D: Dropout of whole feature maps. Their
// configs have no `trainable` and a plain string dtype.
class SpatialDropout1D : public LayerRef {
 public:
  explicit SpatialDropout1D(double rate, const SpatialDropoutOptions& options = {});
};
class SpatialDropout2D : public LayerRef {
 public:
  explicit SpatialDropout2D(double rate, const SpatialDropoutOptions& options = {});
};
class SpatialDropout3D : public LayerRef {
 public:
  explicit SpatialDropout3D(double rate, const SpatialDropoutOptions& options = {});
};

struct NoiseOptions {
  std::optional<std::int64_t> seed;
  std::string name;
  std::optional<std::string> dtype;
  bool trainable = true;
};

// keras.layers.GaussianNoise: in training, adds N(0, stddev) noise.
class GaussianNoise : public LayerRef {
 public:
  explicit GaussianNoise(double stddev, const NoiseOptions& options = {});
};

// keras.layers.GaussianDropout: in training, multiplies by N(1, sqrt(rate / (1 - rate))) noise.
class GaussianDropout : public LayerRef {
 public:
  explicit GaussianDropout(double rate, const NoiseOptions& options = {});
};

// keras.layers.AlphaDropout: in training, dropout that keeps SELU's mean and variance.
class AlphaDropout : public LayerRef {
 public:
  explicit AlphaDropout(double rate, const DropoutOptions& options = {});
};

struct ActivityRegularizationOptions {
  double l1 = 0.0;
  double l2 = 0.0;
  std::string name;
  std::optional<std::string> dtype;
  bool trainable = true;
};

// keras.layers.ActivityRegularization: identity that adds an L1L2 activity loss in training.
class ActivityRegularization : public LayerRef {
 public:
  explicit ActivityRegularization(const ActivityRegularizationOptions& options = {});
};

}  // namespace keras::layers
