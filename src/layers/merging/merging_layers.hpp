// Implementations of the merging layers (keras/src/layers/merging/). Each
// builds from the list of its input shapes (build_config: a list of shapes).
#pragma once

#include <string>
#include <vector>

#include "keras/layers/merging.hpp"

namespace keras::detail {

// Keras' Merge base: elementwise merges with shape broadcasting.
class MergeImpl : public Layer {
 public:
  enum class Kind { add, subtract, multiply, average, maximum, minimum };
  MergeImpl(Kind kind, const LayerBaseOptions& base);
  static LayerPtr from_config(Kind kind, const Json& config);

  std::string class_name() const override;
  // Masks: the logical_or of the inputs' masks when every input has one,
  // else none (base_merge.py compute_mask).
  bool supports_masking() const override { return true; }
  std::optional<KerasTensor> compute_mask(const std::vector<KerasTensor>& inputs, const Node& node) override;
  std::vector<TensorSpec> compute_output_spec(const SpecArgs& args) override;
  std::vector<Tensor> call(const CallArgs& args) override;
  Differentiability differentiability() const override { return Differentiability::differentiable; }
  std::vector<ad::Var> call_tape(const CallArgs& args, const std::vector<ad::Var>& tensors,
                                 TapeVariables& variables) override;

 protected:
  MergeImpl(const LayerBaseOptions& base, const std::string& prefix) : Layer(base, prefix) {}
  void build(const std::vector<Shape>& input_shapes) override;
  // The inputs as the merge sees them: floats cast to the compute dtype.
  std::vector<Tensor> merge_inputs(const CallArgs& args) const;

 private:
  Kind kind_ = Kind::add;
};

class ConcatenateImpl final : public MergeImpl {
 public:
  ConcatenateImpl(int axis, const LayerBaseOptions& base);
  static LayerPtr from_config(const Json& config);
  std::string class_name() const override { return "Concatenate"; }
  Json get_config() const override;
  // Masks: when any input has one, each input's mask (all True if none)
  // concatenated on `axis`, then any(axis=-1) (concatenate.py compute_mask).
  std::optional<KerasTensor> compute_mask(const std::vector<KerasTensor>& inputs, const Node& node) override;
  std::vector<TensorSpec> compute_output_spec(const SpecArgs& args) override;
  std::vector<Tensor> call(const CallArgs& args) override;
  Differentiability differentiability() const override { return Differentiability::differentiable; }
  std::vector<ad::Var> call_tape(const CallArgs& args, const std::vector<ad::Var>& tensors,
                                 TapeVariables& variables) override;

 protected:
  void build(const std::vector<Shape>& input_shapes) override;

 private:
  Shape output_shape(const std::vector<Shape>& shapes) const;
  int axis_;
};

class DotImpl final : public MergeImpl {
 public:
  // `axes`: an int or a list of two ints, written back as given.
  DotImpl(Json axes, bool normalize, const LayerBaseOptions& base);
  static LayerPtr from_config(const Json& config);
  std::string class_name() const override { return "Dot"; }
  Json get_config() const override;
  // Masks: outputs none (compute_mask returns None).
  std::optional<KerasTensor> compute_mask(const std::vector<KerasTensor>&, const Node&) override {
    return std::nullopt;
  }
  std::vector<TensorSpec> compute_output_spec(const SpecArgs& args) override;
  std::vector<Tensor> call(const CallArgs& args) override;
  Differentiability differentiability() const override { return Differentiability::differentiable; }
  std::vector<ad::Var> call_tape(const CallArgs& args, const std::vector<ad::Var>& tensors,
                                 TapeVariables& variables) override;

 protected:
  void build(const std::vector<Shape>& input_shapes) override;

 private:
  // Non-negative axes for inputs of the given ranks, as Keras resolves them.
  std::pair<int, int> resolve_axes(std::size_t rank_a, std::size_t rank_b) const;
  Json axes_;
  bool normalize_;
};

}  // namespace keras::detail
