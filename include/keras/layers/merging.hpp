// keras.layers merging layers: Add, Subtract, Multiply, Average, Maximum,
// Minimum, Concatenate, Dot. Each is called on a list of tensors:
// `keras::layers::Add()({a, b})`. Inputs of different ranks are aligned by
// inserting axes after the batch axis, then broadcast.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "keras/layer.hpp"

namespace keras::layers {

struct MergeOptions {
  std::string name;
  std::optional<std::string> dtype;
  bool trainable = true;
};

class Add : public LayerRef {
 public:
  explicit Add(const MergeOptions& options = {});
};
// Exactly two inputs: a - b.
class Subtract : public LayerRef {
 public:
  explicit Subtract(const MergeOptions& options = {});
};
class Multiply : public LayerRef {
 public:
  explicit Multiply(const MergeOptions& options = {});
};
class Average : public LayerRef {
 public:
  explicit Average(const MergeOptions& options = {});
};
class Maximum : public LayerRef {
 public:
  explicit Maximum(const MergeOptions& options = {});
};
class Minimum : public LayerRef {
 public:
  explicit Minimum(const MergeOptions& options = {});
};

struct ConcatenateOptions {
  int axis = -1;
  std::string name;
  std::optional<std::string> dtype;
  bool trainable = true;
};

class Concatenate : public LayerRef {
 public:
  explicit Concatenate(const ConcatenateOptions& options = {});
};

struct DotOptions {
  bool normalize = false;  // L2-normalize both inputs along their axes first (cosine proximity)
  std::string name;
  std::optional<std::string> dtype;
  bool trainable = true;
};

// keras.layers.Dot: batch dot product of two tensors along `axes` (one axis
// for both inputs, or one per input; never the batch axis).
class Dot : public LayerRef {
 public:
  explicit Dot(int axes, const DotOptions& options = {});
  Dot(int axis_a, int axis_b, const DotOptions& options = {});
};

// keras.layers.add(...) and friends: create the layer and call it.
KerasTensor add(const std::vector<KerasTensor>& inputs, const MergeOptions& options = {});
KerasTensor subtract(const std::vector<KerasTensor>& inputs, const MergeOptions& options = {});
KerasTensor multiply(const std::vector<KerasTensor>& inputs, const MergeOptions& options = {});
KerasTensor average(const std::vector<KerasTensor>& inputs, const MergeOptions& options = {});
KerasTensor maximum(const std::vector<KerasTensor>& inputs, const MergeOptions& options = {});
KerasTensor minimum(const std::vector<KerasTensor>& inputs, const MergeOptions& options = {});
KerasTensor concatenate(const std::vector<KerasTensor>& inputs, const ConcatenateOptions& options = {});
KerasTensor dot(const std::vector<KerasTensor>& inputs, int axes, const DotOptions& options = {});

}  // namespace keras::layers
