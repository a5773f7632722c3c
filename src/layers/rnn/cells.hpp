// RNN cells: SimpleRNNCell, LSTMCell, GRUCell and ConvLSTMCell. A cell owns
// the variables of a recurrent layer (the layer tracks it as "cell") and
// computes one step; the time loop, masks and direction live in RNNImpl.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "keras/autodiff.hpp"
#include "keras/layer.hpp"
#include "keras/layers/rnn.hpp"
#include "layers/rnn/fused_recurrent.hpp"
#include "ops/conv.hpp"

namespace keras::detail {

// Regularizer/constraint/dropout settings every built-in cell keeps only to
// serialize them again.
struct CellCommon {
  initializers::Initializer kernel_initializer = "glorot_uniform";
  initializers::Initializer recurrent_initializer = "orthogonal";
  initializers::Initializer bias_initializer = "zeros";
  Json kernel_regularizer = nullptr;
  Json recurrent_regularizer = nullptr;
  Json bias_regularizer = nullptr;
  Json kernel_constraint = nullptr;
  Json recurrent_constraint = nullptr;
  Json bias_constraint = nullptr;
  double dropout = 0.0;
  double recurrent_dropout = 0.0;
  Json seed = nullptr;

  // Normalizes regularizers/constraints and clamps the dropout rates as Keras does.
  void normalize();
  // Reads the keys above from a layer or cell config (missing keys keep their defaults).
  static CellCommon from_config(const Json& config);
};

// The CellCommon of any cell or recurrent-layer options struct (they all use
// these field names); not normalized.
template <typename Options>
CellCommon cell_common_of(const Options& o) {
  return CellCommon{o.kernel_initializer,    o.recurrent_initializer,
                    o.bias_initializer,      o.kernel_regularizer,
                    o.recurrent_regularizer, o.bias_regularizer,
                    o.kernel_constraint,     o.recurrent_constraint,
                    o.bias_constraint,       o.dropout,
                    o.recurrent_dropout,     o.seed ? Json(*o.seed) : Json(nullptr)};
}

// Copies the CellCommon fields read from a config into an options struct,
// except `seed`, whose validation differs between cells and layers.
template <typename Options>
void assign_cell_common(Options& o, const CellCommon& c) {
  o.kernel_initializer = c.kernel_initializer;
  o.recurrent_initializer = c.recurrent_initializer;
  o.bias_initializer = c.bias_initializer;
  o.kernel_regularizer = c.kernel_regularizer;
  o.recurrent_regularizer = c.recurrent_regularizer;
  o.bias_regularizer = c.bias_regularizer;
  o.kernel_constraint = c.kernel_constraint;
  o.recurrent_constraint = c.recurrent_constraint;
  o.bias_constraint = c.bias_constraint;
  o.dropout = c.dropout;
  o.recurrent_dropout = c.recurrent_dropout;
}

// `recurrent_activation` of an LSTM/GRU config; Keras' default "sigmoid" when absent.
std::string recurrent_activation_from_config(const Json& config);

// Writes kernel/recurrent/bias_initializer, in that order (cells and layers alike).
void write_cell_initializers(Json& config, const CellCommon& c);

class RNNCellImpl : public Layer {
 public:
  RNNCellImpl(const LayerBaseOptions& base, const std::string& auto_name_prefix, CellCommon common)
      : Layer(base, auto_name_prefix), common_(std::move(common)) {}

  const CellCommon& common() const { return common_; }
  // Per-sample shapes of the states; state output_state() is also the step output.
  virtual std::vector<Shape> state_shapes() const = 0;
  virtual std::size_t output_state() const { return 0; }
  // The input contributions of every step: sequence [B, T, *step] -> [T, B, *projected],
  // so that step t reads a contiguous block.
  virtual Tensor project_inputs(const Tensor& sequence) = 0;
  // One step: x_t [B, *projected] and the states [B, *state] -> the new states.
  virtual std::vector<Tensor> step(const Tensor& x_t, const std::vector<Tensor>& states) = 0;
  // The whole sequence [B, T, C] float32 from `states` in one oneDNN RNN primitive, when the
  // cell's math is one oneDNN has (inference without a mask or dropout); nullopt otherwise.
  // `reverse` is go_backwards; the result's sequence is in processing order, as the step loop's.
  virtual std::optional<kernels::PreparedRecurrent::Result> run_sequence_fused(const Tensor& sequence,
                                                                               const std::vector<Tensor>& states,
                                                                               bool reverse, bool want_sequence);
  // The backward pass: project_inputs() and step() on the tape (keras::ad),
  // the cell's variables taken through `variables`. has_tape() says whether
  // the cell has them; the defaults throw NotImplementedError.
  virtual bool has_tape() const { return false; }
  virtual ad::Var project_inputs_tape(const ad::Var& sequence, TapeVariables& variables);
  virtual std::vector<ad::Var> step_tape(const ad::Var& x_t, const std::vector<ad::Var>& states,
                                         TapeVariables& variables);

  // Keras' DropoutRNNCell in training: masks drawn once per sequence (every
  // step of one call of the RNN shares them; a cell called alone draws them for
  // its one step) for the step inputs and for the first state, each 0 or
  // 1 / (1 - rate) per entry. dropout_mask_count() masks of each: one per gate
  // where Keras' implementation 1 draws several (LSTM, GRU, ConvLSTM).
  // begin_dropout() draws them for inputs of per-sample shape `step_input`
  // (StackedRNNCells: for each cell, its own input); project_inputs_tape() and
  // step_tape() apply them until end_dropout().
  virtual std::size_t dropout_mask_count() const { return 1; }
  virtual bool has_dropout() const { return common_.dropout > 0.0 || common_.recurrent_dropout > 0.0; }
  virtual void begin_dropout(std::int64_t batch, const Shape& step_input);
  virtual void end_dropout();

  // A cell called alone, as Keras' cell(inputs, states, training): one step
  // from inputs [B, *step] and the states (a list, nested for
  // StackedRNNCells). The outputs are Keras' (output, new_states) flattened:
  // the output, then every new state. In training the cell's dropout masks
  // are drawn for this one step.
  std::vector<std::string> call_parameter_names() const override { return {"inputs", "states", "training"}; }
  std::vector<TensorSpec> compute_output_spec(const SpecArgs& args) override;
  std::vector<Tensor> call(const CallArgs& args) override;
  Differentiability differentiability() const override {
    return has_tape() ? Differentiability::differentiable : Differentiability::unsupported;
  }
  std::vector<ad::Var> call_tape(const CallArgs& args, const std::vector<ad::Var>& tensors,
                                 TapeVariables& variables) override;

 protected:
  // project_dense on the tape with the input masks: sequence [B, T, F] ->
  // [T, B, N], each gate's columns of `kernel` (and `bias`) fed its own mask.
  ad::Var masked_projection(const ad::Var& sequence, const ad::Var& kernel, const ad::Var& bias) const;
  // h [B, U] . recurrent_kernel [U, parts * U] with the recurrent masks from
  // `first_mask` on (one per part of U columns; a single mask for all).
  ad::Var masked_recurrent(const ad::Var& h, const ad::Var& recurrent_kernel, std::size_t first_mask = 0) const;
  // h with recurrent mask `index` applied (h itself without masks).
  ad::Var masked_state(const ad::Var& h, std::size_t index) const;

  CellCommon common_;
  std::vector<Tensor> input_masks_, recurrent_masks_;  // empty: none (inference, no dropout)
  // run_sequence_fused() of the cells oneDNN runs: `cell` with these variables, if supported.
  std::optional<kernels::PreparedRecurrent::Result> run_fused(
      kernels::RecurrentCell cell, const std::string& activation, const std::string& recurrent_activation,
      const VariablePtr& kernel, const VariablePtr& recurrent_kernel, const VariablePtr& bias, std::int64_t units,
      const Tensor& sequence, const std::vector<Tensor>& states, bool reverse, bool want_sequence);
  std::shared_ptr<PreparedRecurrentCache> fused_ = std::make_shared<PreparedRecurrentCache>();

 private:
  std::uint64_t dropout_draws_ = 0;

  // The tensor indices of the `states` argument, flattened in order, checked against state_shapes().
  std::vector<std::size_t> state_indices(const Json& args, const Json& kwargs, const std::vector<Shape>& shapes,
                                         std::int64_t batch) const;
};

class SimpleRNNCellImpl final : public RNNCellImpl {
 public:
  SimpleRNNCellImpl(std::int64_t units, const layers::SimpleRNNCellOptions& options);
  static LayerPtr from_config(const Json& config);
  std::string class_name() const override { return "SimpleRNNCell"; }
  Json get_config() const override;
  std::vector<Shape> state_shapes() const override { return {{units_}}; }
  Tensor project_inputs(const Tensor& sequence) override;
  std::vector<Tensor> step(const Tensor& x_t, const std::vector<Tensor>& states) override;
  std::optional<kernels::PreparedRecurrent::Result> run_sequence_fused(const Tensor& sequence,
                                                                       const std::vector<Tensor>& states, bool reverse,
                                                                       bool want_sequence) override;
  bool has_tape() const override { return true; }
  ad::Var project_inputs_tape(const ad::Var& sequence, TapeVariables& variables) override;
  std::vector<ad::Var> step_tape(const ad::Var& x_t, const std::vector<ad::Var>& states,
                                 TapeVariables& variables) override;
  const std::string& activation() const { return activation_; }
  bool use_bias() const { return use_bias_; }

 protected:
  void build(const std::vector<Shape>& input_shapes) override;

 private:
  std::int64_t units_;
  std::string activation_;
  bool use_bias_;
  VariablePtr kernel_, recurrent_kernel_, bias_;
};

class LSTMCellImpl final : public RNNCellImpl {
 public:
  LSTMCellImpl(std::int64_t units, const layers::LSTMCellOptions& options);
  static LayerPtr from_config(const Json& config);
  std::string class_name() const override { return "LSTMCell"; }
  Json get_config() const override;
  std::vector<Shape> state_shapes() const override { return {{units_}, {units_}}; }
  // Keras' implementation 1 (asked for, or forced by recurrent_dropout): a mask per gate i, f, c, o.
  std::size_t dropout_mask_count() const override { return implementation_ == 1 ? 4 : 1; }
  Tensor project_inputs(const Tensor& sequence) override;
  std::vector<Tensor> step(const Tensor& x_t, const std::vector<Tensor>& states) override;
  std::optional<kernels::PreparedRecurrent::Result> run_sequence_fused(const Tensor& sequence,
                                                                       const std::vector<Tensor>& states, bool reverse,
                                                                       bool want_sequence) override;
  bool has_tape() const override { return true; }
  ad::Var project_inputs_tape(const ad::Var& sequence, TapeVariables& variables) override;
  std::vector<ad::Var> step_tape(const ad::Var& x_t, const std::vector<ad::Var>& states,
                                 TapeVariables& variables) override;
  const std::string& activation() const { return activation_; }
  const std::string& recurrent_activation() const { return recurrent_activation_; }
  bool use_bias() const { return use_bias_; }
  bool unit_forget_bias() const { return unit_forget_bias_; }

 protected:
  void build(const std::vector<Shape>& input_shapes) override;

 private:
  std::int64_t units_;
  std::string activation_;
  std::string recurrent_activation_;
  bool use_bias_;
  bool unit_forget_bias_;
  int implementation_;
  VariablePtr kernel_, recurrent_kernel_, bias_;
};

class GRUCellImpl final : public RNNCellImpl {
 public:
  GRUCellImpl(std::int64_t units, const layers::GRUCellOptions& options);
  static LayerPtr from_config(const Json& config);
  std::string class_name() const override { return "GRUCell"; }
  Json get_config() const override;
  std::vector<Shape> state_shapes() const override { return {{units_}}; }
  // Keras' implementation 1 (asked for, or forced by recurrent_dropout): a mask per gate z, r, h.
  std::size_t dropout_mask_count() const override { return implementation_ == 1 ? 3 : 1; }
  Tensor project_inputs(const Tensor& sequence) override;
  std::vector<Tensor> step(const Tensor& x_t, const std::vector<Tensor>& states) override;
  std::optional<kernels::PreparedRecurrent::Result> run_sequence_fused(const Tensor& sequence,
                                                                       const std::vector<Tensor>& states, bool reverse,
                                                                       bool want_sequence) override;
  bool has_tape() const override { return true; }
  ad::Var project_inputs_tape(const ad::Var& sequence, TapeVariables& variables) override;
  std::vector<ad::Var> step_tape(const ad::Var& x_t, const std::vector<ad::Var>& states,
                                 TapeVariables& variables) override;
  const std::string& activation() const { return activation_; }
  const std::string& recurrent_activation() const { return recurrent_activation_; }
  bool use_bias() const { return use_bias_; }
  bool reset_after() const { return reset_after_; }

 protected:
  void build(const std::vector<Shape>& input_shapes) override;

 private:
  std::int64_t units_;
  std::string activation_;
  std::string recurrent_activation_;
  bool use_bias_;
  bool reset_after_;
  int implementation_;
  VariablePtr kernel_, recurrent_kernel_, bias_;
};

struct ConvLSTMCellSettings {
  int rank = 2;
  std::int64_t filters = 1;
  std::vector<std::int64_t> kernel_size;
  std::vector<std::int64_t> strides;
  std::string padding = "valid";
  std::string data_format = "channels_last";
  std::vector<std::int64_t> dilation_rate;
  std::string activation = "tanh";
  std::string recurrent_activation = "sigmoid";
  bool use_bias = true;
  bool unit_forget_bias = true;
};

// keras.src.layers.rnn.conv_lstm.ConvLSTMCell (internal to ConvLSTM1D/2D/3D).
class ConvLSTMCellImpl final : public RNNCellImpl {
 public:
  ConvLSTMCellImpl(ConvLSTMCellSettings settings, CellCommon common, const LayerBaseOptions& base);
  std::string class_name() const override { return "ConvLSTMCell"; }
  Json get_config() const override;
  std::vector<Shape> state_shapes() const override;
  // Keras' ConvLSTMCell always splits the gates: a mask per gate i, f, c, o.
  std::size_t dropout_mask_count() const override { return 4; }
  Tensor project_inputs(const Tensor& sequence) override;
  std::vector<Tensor> step(const Tensor& x_t, const std::vector<Tensor>& states) override;
  bool has_tape() const override { return true; }
  ad::Var project_inputs_tape(const ad::Var& sequence, TapeVariables& variables) override;
  std::vector<ad::Var> step_tape(const ad::Var& x_t, const std::vector<ad::Var>& states,
                                 TapeVariables& variables) override;
  const ConvLSTMCellSettings& settings() const { return settings_; }
  // Per-sample output shape [*out_spatial, filters] (channels_last) for a step input [*spatial, C] or [C, *spatial].
  Shape step_output_shape(const Shape& step_shape) const;

 protected:
  void build(const std::vector<Shape>& input_shapes) override;

 private:
  ConvLSTMCellSettings settings_;
  kernels::Padding padding_;
  Shape state_shape_;  // channels_last [*out_spatial, filters]
  VariablePtr kernel_, recurrent_kernel_, bias_;
};

// keras.layers.StackedRNNCells: the cells are its "cells" container (walked
// like a model's layer list), their states concatenated in order.
class StackedRNNCellsImpl final : public RNNCellImpl {
 public:
  StackedRNNCellsImpl(std::vector<std::shared_ptr<RNNCellImpl>> cells, const LayerBaseOptions& base);
  static LayerPtr from_config(const Json& config);
  std::string class_name() const override { return "StackedRNNCells"; }
  Json get_config() const override;
  std::vector<std::shared_ptr<Layer>> layer_list() const override;
  std::string layer_list_attribute() const override { return "cells"; }
  std::vector<Shape> state_shapes() const override;
  std::size_t output_state() const override;
  Tensor project_inputs(const Tensor& sequence) override;
  std::vector<Tensor> step(const Tensor& x_t, const std::vector<Tensor>& states) override;
  bool has_tape() const override;
  // Any of its cells'; each cell draws and applies its own masks, for its own input.
  bool has_dropout() const override;
  void begin_dropout(std::int64_t batch, const Shape& step_input) override;
  void end_dropout() override;
  ad::Var project_inputs_tape(const ad::Var& sequence, TapeVariables& variables) override;
  std::vector<ad::Var> step_tape(const ad::Var& x_t, const std::vector<ad::Var>& states,
                                 TapeVariables& variables) override;

 protected:
  void build(const std::vector<Shape>& input_shapes) override;

 private:
  std::vector<std::shared_ptr<RNNCellImpl>> cells_;
};

// LSTM gate arithmetic shared by LSTMCell and ConvLSTMCell: z [rows, 4u] holds
// the pre-activations of gates i, f, c, o; c_prev [rows, u]. Returns {h, c}.
std::vector<Tensor> lstm_gates(const Tensor& z, const Tensor& c_prev, std::int64_t units, const std::string& activation,
                               const std::string& recurrent_activation);

}  // namespace keras::detail
