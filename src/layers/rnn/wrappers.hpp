// Layer wrappers of the rnn family: Bidirectional and TimeDistributed.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "keras/layers/rnn.hpp"
#include "layers/rnn/recurrent.hpp"

namespace keras::detail {

class BidirectionalImpl final : public Layer {
 public:
  // `layer` is copied (through its config) into forward and backward layers,
  // as Keras does; `backward_layer` (optional) is used as given.
  BidirectionalImpl(const LayerPtr& layer, std::optional<std::string> merge_mode, const LayerPtr& backward_layer,
                    const LayerBaseOptions& base);
  static LayerPtr from_config(const Json& config);

  std::string class_name() const override { return "Bidirectional"; }
  Json get_config() const override;
  // Masks (bidirectional.py): hands the `mask` of `sequences` to both
  // directions; supports_masking = False, so its outputs carry none.
  bool call_accepts_mask() const override { return true; }
  std::vector<std::string> call_parameter_names() const override {
    return {"sequences", "initial_state", "mask", "training"};
  }
  std::vector<TensorSpec> compute_output_spec(const SpecArgs& args) override;
  std::vector<Tensor> call(const CallArgs& args) override;
  // The backward pass: both directions on the tape, merged as call() merges them.
  Differentiability differentiability() const override {
    return forward_->cell()->has_tape() && backward_->cell()->has_tape() ? Differentiability::differentiable
                                                                         : Differentiability::unsupported;
  }
  std::vector<ad::Var> call_tape(const CallArgs& args, const std::vector<ad::Var>& tensors,
                                 TapeVariables& variables) override;
  std::optional<Json> build_config() const override { return recurrent_build_config(*this, initial_state_shape_); }
  void build_from_config(const Json& build_config) override;

  const std::shared_ptr<RNNImpl>& forward_layer() const { return forward_; }
  const std::shared_ptr<RNNImpl>& backward_layer() const { return backward_; }

 protected:
  void build(const std::vector<Shape>& input_shapes) override;
  void before_symbolic_call(const SpecArgs& args) override;

 private:
  std::shared_ptr<RNNImpl> forward_;
  std::shared_ptr<RNNImpl> backward_;
  std::optional<std::string> merge_mode_;
  std::optional<Json> initial_state_shape_;
};

class TimeDistributedImpl final : public Layer {
 public:
  TimeDistributedImpl(LayerPtr layer, const LayerBaseOptions& base);
  static LayerPtr from_config(const Json& config);

  std::string class_name() const override { return "TimeDistributed"; }
  Json get_config() const override;
  // Masks (time_distributed.py): hands each step's slice of `mask` to the
  // wrapped layer when its call takes one; supports_masking = False, so the
  // output carries no mask.
  bool call_accepts_mask() const override { return true; }
  std::vector<TensorSpec> compute_output_spec(const SpecArgs& args) override;
  std::vector<Tensor> call(const CallArgs& args) override;
  // The backward pass: the wrapped layer's tape over the folded batch.
  Differentiability differentiability() const override { return layer_->differentiability(); }
  std::vector<ad::Var> call_tape(const CallArgs& args, const std::vector<ad::Var>& tensors,
                                 TapeVariables& variables) override;
  const LayerPtr& layer() const { return layer_; }

 protected:
  void build(const std::vector<Shape>& input_shapes) override;

 private:
  void check_input_rank(const Shape& shape) const;
  // The `mask` argument folded to [B * T, ...], when the wrapped layer takes one.
  std::optional<Tensor> step_mask(const CallArgs& args, const Shape& input_shape) const;

  LayerPtr layer_;
};

}  // namespace keras::detail
