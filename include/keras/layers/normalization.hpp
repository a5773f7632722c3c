// keras.layers: normalization layers (BatchNormalization, LayerNormalization,
// GroupNormalization, UnitNormalization, RMSNormalization).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "keras/initializers.hpp"
#include "keras/layer.hpp"

namespace keras::layers {

// An `axis` argument that Keras accepts as an int or as a list of ints. The
// form is kept because configs write it back as given: `.axis = 1` is the int
// 1, `.axis = {1}` the list [1], `.axis = {1, 2}` the list [1, 2].
class AxisArg {
 public:
  AxisArg(int axis) : values_{axis} {}  // NOLINT(google-explicit-constructor): Keras accepts a bare int
  AxisArg(std::initializer_list<int> axes) : values_(axes), is_list_(true) {}
  AxisArg(std::vector<int> axes) : values_(std::move(axes)), is_list_(true) {}  // NOLINT(google-explicit-constructor)

  bool is_list() const { return is_list_; }
  const std::vector<int>& values() const { return values_; }
  // An int, or a list of ints.
  Json to_json() const;
  // From a config value (an int or a list of ints); throws FormatError naming `what`.
  static AxisArg from_json(const Json& value, const std::string& what);

 private:
  std::vector<int> values_;
  bool is_list_ = false;
};

struct BatchNormalizationOptions {
  int axis = -1;  // the features axis, e.g. 1 for channels_first images
  double momentum = 0.99;
  double epsilon = 1e-3;
  bool center = true;  // beta
  bool scale = true;   // gamma
  initializers::Initializer beta_initializer = "zeros";
  initializers::Initializer gamma_initializer = "ones";
  initializers::Initializer moving_mean_initializer = "zeros";
  initializers::Initializer moving_variance_initializer = "ones";
  Json beta_regularizer = nullptr;
  Json gamma_regularizer = nullptr;
  Json beta_constraint = nullptr;
  Json gamma_constraint = nullptr;
  // Batch renormalization: adds moving_stddev, renorm_mean and renorm_stddev
  // (non-trainable); renorm_clipping is null or an object with rmax/rmin/dmax.
  bool renorm = false;
  Json renorm_clipping = nullptr;
  double renorm_momentum = 0.99;
  bool synchronized = false;  // cross-replica statistics in TF; no effect here
  std::string name;
  std::optional<std::string> dtype;
  bool trainable = true;
};

// keras.layers.BatchNormalization. Variables gamma, beta (trainable),
// moving_mean, moving_variance (non-trainable), each of shape
// (input_shape[axis],). Inference uses the moving statistics; a training call
// of a trainable layer normalizes with the batch statistics (honouring a
// `mask`) and updates the moving ones.
class BatchNormalization : public LayerRef {
 public:
  explicit BatchNormalization(const BatchNormalizationOptions& options = {});
};

struct LayerNormalizationOptions {
  AxisArg axis = -1;
  double epsilon = 1e-3;
  bool center = true;
  bool scale = true;
  bool rms_scaling = false;  // Keras' deprecated flag: x * rsqrt(var + eps) * gamma, no beta
  initializers::Initializer beta_initializer = "zeros";
  initializers::Initializer gamma_initializer = "ones";
  Json beta_regularizer = nullptr;
  Json gamma_regularizer = nullptr;
  Json beta_constraint = nullptr;
  Json gamma_constraint = nullptr;
  std::string name;
  std::optional<std::string> dtype;
  bool trainable = true;
};

// keras.layers.LayerNormalization over one or several axes. Once built, its
// config's `axis` is the sorted list of non-negative axes (as in Keras).
class LayerNormalization : public LayerRef {
 public:
  explicit LayerNormalization(const LayerNormalizationOptions& options = {});
};

struct GroupNormalizationOptions {
  std::int64_t groups = 32;  // -1: one group per channel (instance normalization)
  int axis = -1;
  double epsilon = 1e-3;
  bool center = true;
  bool scale = true;
  initializers::Initializer beta_initializer = "zeros";
  initializers::Initializer gamma_initializer = "ones";
  Json beta_regularizer = nullptr;
  Json gamma_regularizer = nullptr;
  Json beta_constraint = nullptr;
  Json gamma_constraint = nullptr;
  std::string name;
  std::optional<std::string> dtype;
  bool trainable = true;
};

// keras.layers.GroupNormalization: channels along `axis` split into `groups`,
// statistics per sample and group.
class GroupNormalization : public LayerRef {
 public:
  explicit GroupNormalization(const GroupNormalizationOptions& options = {});
};

struct UnitNormalizationOptions {
  AxisArg axis = -1;
  std::string name;
  std::optional<std::string> dtype;
  bool trainable = true;
};

// keras.layers.UnitNormalization: x / max(||x||_2, 1e-12) over `axis`.
class UnitNormalization : public LayerRef {
 public:
  explicit UnitNormalization(const UnitNormalizationOptions& options = {});
};

struct RMSNormalizationOptions {
  AxisArg axis = -1;
  double epsilon = 1e-6;
  std::string name;
  std::optional<std::string> dtype;
  bool trainable = true;
};

// keras.layers.RMSNormalization: x * rsqrt(mean(x^2) + epsilon) * scale,
// with a trainable `scale` of the input dims at `axis`.
class RMSNormalization : public LayerRef {
 public:
  explicit RMSNormalization(const RMSNormalizationOptions& options = {});
};

struct SpectralNormalizationOptions {
  std::int64_t power_iterations = 1;
  std::string name;
  std::optional<std::string> dtype;
  bool trainable = true;
};

// keras.layers.SpectralNormalization around a layer with a `kernel` (Dense,
// Conv*, ...) or `embeddings`: in training each call divides the kernel by
// its largest singular value (estimated by power iteration, kept in the
// non-trainable `vector_u`); at inference the wrapped layer runs as it is.
class SpectralNormalization : public LayerRef {
 public:
  explicit SpectralNormalization(const LayerRef& layer, const SpectralNormalizationOptions& options = {});
};

}  // namespace keras::layers
