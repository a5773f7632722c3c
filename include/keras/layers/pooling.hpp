// keras.layers: pooling layers (Max/AveragePooling1D/2D/3D,
// GlobalMax/GlobalAveragePooling1D/2D/3D, AdaptiveMax/AdaptiveAveragePooling1D/2D/3D).
//
// pool_size, strides and output_size take one value per spatial dimension or
// a single value used for every dimension: `MaxPooling2D({2, 3})`, `MaxPooling2D(2)`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "keras/layer.hpp"

namespace keras::layers {

// Keyword arguments of Max/AveragePooling1D/2D/3D (pool_size is the first constructor argument).
struct PoolingOptions {
  std::vector<std::int64_t> strides = {};     // empty = Keras' None: the pool size
  std::string padding = "valid";              // "valid" or "same"; stored as given, like Keras
  std::string data_format = "channels_last";  // or "channels_first"
  std::string name;
  std::optional<std::string> dtype;
  bool trainable = true;
};

class MaxPooling1D : public LayerRef {
 public:
  explicit MaxPooling1D(const std::vector<std::int64_t>& pool_size = {2}, const PoolingOptions& options = {});
  explicit MaxPooling1D(std::int64_t pool_size, const PoolingOptions& options = {});
};
class MaxPooling2D : public LayerRef {
 public:
  explicit MaxPooling2D(const std::vector<std::int64_t>& pool_size = {2, 2}, const PoolingOptions& options = {});
  explicit MaxPooling2D(std::int64_t pool_size, const PoolingOptions& options = {});
};
class MaxPooling3D : public LayerRef {
 public:
  explicit MaxPooling3D(const std::vector<std::int64_t>& pool_size = {2, 2, 2}, const PoolingOptions& options = {});
  explicit MaxPooling3D(std::int64_t pool_size, const PoolingOptions& options = {});
};
// The average excludes the padded cells (TF/Keras "same").
class AveragePooling1D : public LayerRef {
 public:
  explicit AveragePooling1D(const std::vector<std::int64_t>& pool_size, const PoolingOptions& options = {});
  explicit AveragePooling1D(std::int64_t pool_size, const PoolingOptions& options = {});
};
class AveragePooling2D : public LayerRef {
 public:
  explicit AveragePooling2D(const std::vector<std::int64_t>& pool_size, const PoolingOptions& options = {});
  explicit AveragePooling2D(std::int64_t pool_size, const PoolingOptions& options = {});
};
class AveragePooling3D : public LayerRef {
 public:
  explicit AveragePooling3D(const std::vector<std::int64_t>& pool_size, const PoolingOptions& options = {});
  explicit AveragePooling3D(std::int64_t pool_size, const PoolingOptions& options = {});
};
using MaxPool1D = MaxPooling1D;
using MaxPool2D = MaxPooling2D;
using MaxPool3D = MaxPooling3D;
using AvgPool1D = AveragePooling1D;
using AvgPool2D = AveragePooling2D;
using AvgPool3D = AveragePooling3D;

struct GlobalPoolingOptions {
  std::string data_format = "channels_last";
  bool keepdims = false;
  std::string name;
  std::optional<std::string> dtype;
  bool trainable = true;
};

// Mean or max over every spatial axis. GlobalAveragePooling1D honours an input
// mask (masked steps are left out of the mean).
class GlobalAveragePooling1D : public LayerRef {
 public:
  explicit GlobalAveragePooling1D(const GlobalPoolingOptions& options = {});
};
class GlobalAveragePooling2D : public LayerRef {
 public:
  explicit GlobalAveragePooling2D(const GlobalPoolingOptions& options = {});
};
class GlobalAveragePooling3D : public LayerRef {
 public:
  explicit GlobalAveragePooling3D(const GlobalPoolingOptions& options = {});
};
class GlobalMaxPooling1D : public LayerRef {
 public:
  explicit GlobalMaxPooling1D(const GlobalPoolingOptions& options = {});
};
class GlobalMaxPooling2D : public LayerRef {
 public:
  explicit GlobalMaxPooling2D(const GlobalPoolingOptions& options = {});
};
class GlobalMaxPooling3D : public LayerRef {
 public:
  explicit GlobalMaxPooling3D(const GlobalPoolingOptions& options = {});
};
using GlobalAvgPool1D = GlobalAveragePooling1D;
using GlobalAvgPool2D = GlobalAveragePooling2D;
using GlobalAvgPool3D = GlobalAveragePooling3D;
using GlobalMaxPool1D = GlobalMaxPooling1D;
using GlobalMaxPool2D = GlobalMaxPooling2D;
using GlobalMaxPool3D = GlobalMaxPooling3D;

struct AdaptivePoolingOptions {
  std::string data_format = "channels_last";
  std::string name;
  std::optional<std::string> dtype;
  bool trainable = true;
};

// Keras 3.16 adaptive pooling: output bin i of a dimension of length L covers
// input [floor(i * L / out), ceil((i + 1) * L / out)).
class AdaptiveAveragePooling1D : public LayerRef {
 public:
  explicit AdaptiveAveragePooling1D(const std::vector<std::int64_t>& output_size,
                                    const AdaptivePoolingOptions& options = {});
  explicit AdaptiveAveragePooling1D(std::int64_t output_size, const AdaptivePoolingOptions& options = {});
};
class AdaptiveAveragePooling2D : public LayerRef {
 public:
  explicit AdaptiveAveragePooling2D(const std::vector<std::int64_t>& output_size,
                                    const AdaptivePoolingOptions& options = {});
  explicit AdaptiveAveragePooling2D(std::int64_t output_size, const AdaptivePoolingOptions& options = {});
};
class AdaptiveAveragePooling3D : public LayerRef {
 public:
  explicit AdaptiveAveragePooling3D(const std::vector<std::int64_t>& output_size,
                                    const AdaptivePoolingOptions& options = {});
  explicit AdaptiveAveragePooling3D(std::int64_t output_size, const AdaptivePoolingOptions& options = {});
};
class AdaptiveMaxPooling1D : public LayerRef {
 public:
  explicit AdaptiveMaxPooling1D(const std::vector<std::int64_t>& output_size,
                                const AdaptivePoolingOptions& options = {});
  explicit AdaptiveMaxPooling1D(std::int64_t output_size, const AdaptivePoolingOptions& options = {});
};
class AdaptiveMaxPooling2D : public LayerRef {
 public:
  explicit AdaptiveMaxPooling2D(const std::vector<std::int64_t>& output_size,
                                const AdaptivePoolingOptions& options = {});
  explicit AdaptiveMaxPooling2D(std::int64_t output_size, const AdaptivePoolingOptions& options = {});
};
class AdaptiveMaxPooling3D : public LayerRef {
 public:
  explicit AdaptiveMaxPooling3D(const std::vector<std::int64_t>& output_size,
                                const AdaptivePoolingOptions& options = {});
  explicit AdaptiveMaxPooling3D(std::int64_t output_size, const AdaptivePoolingOptions& options = {});
};

}  // namespace keras::layers
