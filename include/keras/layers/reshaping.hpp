// keras.layers reshaping layers: Flatten, Reshape, Permute, RepeatVector,
// UpSampling1D/2D/3D, ZeroPadding1D/2D/3D, Cropping1D/2D/3D.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "keras/layer.hpp"

namespace keras::layers {

// (before, after) amounts along one spatial dimension.
using Pad = std::pair<std::int64_t, std::int64_t>;

struct FlattenOptions {
  std::string data_format = "channels_last";  // channels_first: flattened in channels_last order
  std::string name;
  std::optional<std::string> dtype;
  bool trainable = true;
};

// keras.layers.Flatten: [batch, ...] -> [batch, prod(...)].
class Flatten : public LayerRef {
 public:
  explicit Flatten(const FlattenOptions& options = {});
};

struct ReshapeOptions {
  std::string name;
  std::optional<std::string> dtype;
  bool trainable = true;
};

// keras.layers.Reshape: target_shape excludes the batch dimension; one entry may be -1.
class Reshape : public LayerRef {
 public:
  explicit Reshape(const Shape& target_shape, const ReshapeOptions& options = {});
};

using PermuteOptions = ReshapeOptions;

// keras.layers.Permute: dims is a permutation of 1..rank-1 (the batch axis stays).
class Permute : public LayerRef {
 public:
  explicit Permute(const std::vector<int>& dims, const PermuteOptions& options = {});
};

using RepeatVectorOptions = ReshapeOptions;

// keras.layers.RepeatVector: [batch, d] -> [batch, n, d].
class RepeatVector : public LayerRef {
 public:
  explicit RepeatVector(std::int64_t n, const RepeatVectorOptions& options = {});
};

struct UpSampling1DOptions {
  std::int64_t size = 2;
  std::string name;
  std::optional<std::string> dtype;
  bool trainable = true;
};

// keras.layers.UpSampling1D: repeats each timestep `size` times.
class UpSampling1D : public LayerRef {
 public:
  explicit UpSampling1D(const UpSampling1DOptions& options = {});
};

struct UpSampling2DOptions {
  std::vector<std::int64_t> size = {2, 2};  // one value per dimension, or one for both
  std::string data_format = "channels_last";
  std::string interpolation = "nearest";  // nearest repeats rows/columns; others resize (bilinear, bicubic, ...)
  std::string name;
  std::optional<std::string> dtype;
  bool trainable = true;
};

class UpSampling2D : public LayerRef {
 public:
  explicit UpSampling2D(const UpSampling2DOptions& options = {});
};

struct UpSampling3DOptions {
  std::vector<std::int64_t> size = {2, 2, 2};
  std::string data_format = "channels_last";
  std::string name;
  std::optional<std::string> dtype;
  bool trainable = true;
};

class UpSampling3D : public LayerRef {
 public:
  explicit UpSampling3D(const UpSampling3DOptions& options = {});
};

struct ZeroPadding1DOptions {
  Pad padding = {1, 1};
  std::string data_format = "channels_last";
  std::string name;
  std::optional<std::string> dtype;
  bool trainable = true;
};

class ZeroPadding1D : public LayerRef {
 public:
  explicit ZeroPadding1D(const ZeroPadding1DOptions& options = {});
};

struct ZeroPadding2DOptions {
  std::vector<Pad> padding = {{1, 1}, {1, 1}};  // (top, bottom), (left, right)
  std::string data_format = "channels_last";
  std::string name;
  std::optional<std::string> dtype;
  bool trainable = true;
};

class ZeroPadding2D : public LayerRef {
 public:
  explicit ZeroPadding2D(const ZeroPadding2DOptions& options = {});
};

struct ZeroPadding3DOptions {
  std::vector<Pad> padding = {{1, 1}, {1, 1}, {1, 1}};
  std::string data_format = "channels_last";
  std::string name;
  std::optional<std::string> dtype;
  bool trainable = true;
};

class ZeroPadding3D : public LayerRef {
 public:
  explicit ZeroPadding3D(const ZeroPadding3DOptions& options = {});
};

struct Cropping1DOptions {
  Pad cropping = {1, 1};
  std::string name;
  std::optional<std::string> dtype;
  bool trainable = true;
};

class Cropping1D : public LayerRef {
 public:
  explicit Cropping1D(const Cropping1DOptions& options = {});
};

struct Cropping2DOptions {
  std::vector<Pad> cropping = {{0, 0}, {0, 0}};
  std::string data_format = "channels_last";
  std::string name;
  std::optional<std::string> dtype;
  bool trainable = true;
};

class Cropping2D : public LayerRef {
 public:
  explicit Cropping2D(const Cropping2DOptions& options = {});
};

struct Cropping3DOptions {
  std::vector<Pad> cropping = {{1, 1}, {1, 1}, {1, 1}};
  std::string data_format = "channels_last";
  std::string name;
  std::optional<std::string> dtype;
  bool trainable = true;
};

class Cropping3D : public LayerRef {
 public:
  explicit Cropping3D(const Cropping3DOptions& options = {});
};

}  // namespace keras::layers
