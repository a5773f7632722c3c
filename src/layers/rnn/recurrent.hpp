// Recurrent layers: the generic RNN(cell) and SimpleRNN, LSTM, GRU,
// ConvLSTM1D/2D/3D. RNNImpl runs the time loop of Keras' numpy backend
// (keras/src/backend/numpy/rnn.py, unroll=False) around a cell.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "keras/layers/rnn.hpp"
#include "layers/rnn/cells.hpp"

namespace keras::detail {

struct RNNSettings {
  bool return_sequences = false;
  bool return_state = false;
  bool go_backwards = false;
  bool stateful = false;
  bool unroll = false;
  bool zero_output_for_mask = false;

  static RNNSettings from_config(const Json& config);
};

// Keras builds recurrent layers with build(sequences_shape, initial_state_shape):
// when a call passes initial states, the build_config becomes
// {"shapes_dict": {"sequences_shape": ..., "initial_state_shape": ...}}.
// The shapes of a symbolic call's initial states (keyword or second
// positional argument) in that form; nullopt when there are none.
std::optional<Json> initial_state_shapes(const SpecArgs& args);
std::optional<Json> recurrent_build_config(const Layer& layer, const std::optional<Json>& initial_state_shape);
// Reads either form; returns the sequences shape (nullopt when absent) and sets `initial_state_shape`.
std::optional<Shape> read_recurrent_build_config(const Json& build_config, std::optional<Json>& initial_state_shape,
                                                 const std::string& layer);

class RNNImpl : public Layer {
 public:
  RNNImpl(std::shared_ptr<RNNCellImpl> cell, const RNNSettings& settings, const LayerBaseOptions& base,
          const std::string& auto_name_prefix);
  // keras.layers.RNN with a serialized built-in cell.
  static LayerPtr from_config(const Json& config);

  std::string class_name() const override { return "RNN"; }
  Json get_config() const override;
  // Masks (Keras 3.16 rnn.py): uses the `mask` of `sequences` to skip steps;
  // supports_masking = False, so no output carries a mask (return_sequences
  // included).
  bool call_accepts_mask() const override { return true; }
  std::vector<std::string> call_parameter_names() const override {
    return {"sequences", "initial_state", "mask", "training"};
  }
  std::vector<TensorSpec> compute_output_spec(const SpecArgs& args) override;
  std::vector<Tensor> call(const CallArgs& args) override;
  std::optional<Json> build_config() const override { return recurrent_build_config(*this, initial_state_shape_); }
  void build_from_config(const Json& build_config) override;

  const RNNSettings& settings() const { return settings_; }
  // Bidirectional forces zero outputs at masked steps when returning sequences.
  void set_zero_output_for_mask(bool value) { settings_.zero_output_for_mask = value; }
  const std::shared_ptr<RNNCellImpl>& cell() const { return cell_; }

  // The recurrence on a float32 sequence [B, T, *step]: the last output, every
  // output in processing order ([B, T, *out], only with return_sequences) and
  // the final states. `mask` [B, T] (any dtype, nonzero = keep) may be undefined.
  struct Result {
    Tensor last_output;
    Tensor outputs;
    std::vector<Tensor> states;
  };
  Result run(const Tensor& sequence, const Tensor& mask, std::vector<Tensor> initial_states);
  // A sequence run() and call_tape() accept: rank >= 3 with at least one timestep.
  void check_sequence_shape(const Shape& shape) const;
  // The backward pass: the same time loop on the tape (cells with has_tape()).
  Differentiability differentiability() const override {
    return cell_->has_tape() ? Differentiability::differentiable : Differentiability::unsupported;
  }
  std::vector<ad::Var> call_tape(const CallArgs& args, const std::vector<ad::Var>& tensors,
                                 TapeVariables& variables) override;

 protected:
  void build(const std::vector<Shape>& input_shapes) override;
  void before_symbolic_call(const SpecArgs& args) override;
  // The keys RNN.get_config writes before the subclass' own keys.
  Json rnn_base_config() const;
  // Layout conversions between the cell's states/outputs ([B, *state]) and
  // the layer's ([B, *external]); ConvLSTM with channels_first moves the channels.
  virtual Shape external_state_shape(const Shape& internal_per_sample) const { return internal_per_sample; }
  virtual Tensor to_external(const Tensor& value, bool /*is_sequence*/) const { return value; }
  virtual Tensor to_internal(const Tensor& state) const { return state; }
  virtual ad::Var to_external_tape(const ad::Var& value, bool /*is_sequence*/) const { return value; }
  virtual ad::Var to_internal_tape(const ad::Var& state) const { return state; }

  std::shared_ptr<RNNCellImpl> cell_;
  RNNSettings settings_;
  std::optional<Json> initial_state_shape_;
};

class SimpleRNNImpl final : public RNNImpl {
 public:
  SimpleRNNImpl(std::int64_t units, const layers::SimpleRNNOptions& options);
  static LayerPtr from_config(const Json& config);
  std::string class_name() const override { return "SimpleRNN"; }
  Json get_config() const override;
};

class LSTMImpl final : public RNNImpl {
 public:
  LSTMImpl(std::int64_t units, const layers::LSTMOptions& options);
  static LayerPtr from_config(const Json& config);
  std::string class_name() const override { return "LSTM"; }
  Json get_config() const override;
};

class GRUImpl final : public RNNImpl {
 public:
  GRUImpl(std::int64_t units, const layers::GRUOptions& options);
  static LayerPtr from_config(const Json& config);
  std::string class_name() const override { return "GRU"; }
  Json get_config() const override;
};

class ConvLSTMImpl final : public RNNImpl {
 public:
  ConvLSTMImpl(int rank, std::int64_t filters, std::vector<std::int64_t> kernel_size,
               const layers::ConvLSTMOptions& options);
  static LayerPtr from_config(int rank, const Json& config);
  std::string class_name() const override { return "ConvLSTM" + std::to_string(rank_) + "D"; }
  Json get_config() const override;

 protected:
  Shape external_state_shape(const Shape& internal_per_sample) const override;
  Tensor to_external(const Tensor& value, bool is_sequence) const override;
  Tensor to_internal(const Tensor& state) const override;
  ad::Var to_external_tape(const ad::Var& value, bool is_sequence) const override;
  ad::Var to_internal_tape(const ad::Var& state) const override;

 private:
  bool channels_first() const;
  int rank_;
};

}  // namespace keras::detail
