// keras.layers: recurrent layers (SimpleRNN, LSTM, GRU, ConvLSTM1D/2D/3D, the
// generic RNN with a built-in cell), their cells, and the Bidirectional and
// TimeDistributed wrappers.
//
// dropout and recurrent_dropout apply in training only, as Keras' cells apply
// them (masks drawn once per sequence, per gate under implementation 1);
// `unroll` does not change the result, and stateful=true is refused
// (NotImplementedError). Masks arrive as the `mask` keyword argument
// (e.g. from Embedding(mask_zero=true) or Masking): a masked step keeps the
// previous state and outputs the previous output (or zeros when
// zero_output_for_mask), exactly as Keras' numpy backend does.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "keras/initializers.hpp"
#include "keras/layer.hpp"

namespace keras::layers {

// ------------------------------------------------------------------- cells

struct SimpleRNNCellOptions {
  std::string activation = "tanh";
  bool use_bias = true;
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
  std::optional<std::int64_t> seed;
  std::string name;
  std::optional<std::string> dtype;
  bool trainable = true;
};

struct LSTMCellOptions {
  std::string activation = "tanh";
  std::string recurrent_activation = "sigmoid";
  bool use_bias = true;
  initializers::Initializer kernel_initializer = "glorot_uniform";
  initializers::Initializer recurrent_initializer = "orthogonal";
  initializers::Initializer bias_initializer = "zeros";
  bool unit_forget_bias = true;  // the forget-gate bias starts at 1
  Json kernel_regularizer = nullptr;
  Json recurrent_regularizer = nullptr;
  Json bias_regularizer = nullptr;
  Json kernel_constraint = nullptr;
  Json recurrent_constraint = nullptr;
  Json bias_constraint = nullptr;
  double dropout = 0.0;
  double recurrent_dropout = 0.0;
  // Keras' `implementation` keyword: 1 computes each gate apart, with its own
  // dropout masks (recurrent_dropout forces 1). Keras does not save it.
  int implementation = 2;
  std::optional<std::int64_t> seed;
  std::string name;
  std::optional<std::string> dtype;
  bool trainable = true;
};

struct GRUCellOptions {
  std::string activation = "tanh";
  std::string recurrent_activation = "sigmoid";
  bool use_bias = true;
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
  bool reset_after = true;  // bias of shape (2, 3 * units): input and recurrent biases
  // Keras' `implementation` keyword: 1 computes each gate apart, with its own
  // dropout masks (recurrent_dropout forces 1). Keras does not save it.
  int implementation = 2;
  std::optional<std::int64_t> seed;
  std::string name;
  std::optional<std::string> dtype;
  bool trainable = true;
};

// keras.layers.SimpleRNNCell / LSTMCell / GRUCell: one step of the recurrence,
// for use with keras::layers::RNN.
class SimpleRNNCell : public LayerRef {
 public:
  explicit SimpleRNNCell(std::int64_t units, const SimpleRNNCellOptions& options = {});
};
class LSTMCell : public LayerRef {
 public:
  explicit LSTMCell(std::int64_t units, const LSTMCellOptions& options = {});
};
class GRUCell : public LayerRef {
 public:
  explicit GRUCell(std::int64_t units, const GRUCellOptions& options = {});
};

// -------------------------------------------------------- recurrent layers

struct RNNOptions {
  bool return_sequences = false;
  bool return_state = false;
  bool go_backwards = false;
  bool stateful = false;  // only false is supported
  bool unroll = false;
  bool zero_output_for_mask = false;
  std::string name;
  std::optional<std::string> dtype;
  bool trainable = true;
};

struct StackedRNNCellsOptions {
  std::string name;
  std::optional<std::string> dtype;
  bool trainable = true;
};

// keras.layers.StackedRNNCells: cells applied in order at each step, each
// on the previous one's output; the states are every cell's states in order
// and the output is the last cell's.
class StackedRNNCells : public LayerRef {
 public:
  explicit StackedRNNCells(const std::vector<LayerRef>& cells, const StackedRNNCellsOptions& options = {});
};

// keras.layers.RNN around a built-in cell (SimpleRNNCell, LSTMCell, GRUCell,
// StackedRNNCells); a list of cells is stacked, as Keras does.
class RNN : public LayerRef {
 public:
  explicit RNN(const LayerRef& cell, const RNNOptions& options = {});
  explicit RNN(const std::vector<LayerRef>& cells, const RNNOptions& options = {});
};

struct SimpleRNNOptions {
  std::string activation = "tanh";
  bool use_bias = true;
  initializers::Initializer kernel_initializer = "glorot_uniform";
  initializers::Initializer recurrent_initializer = "orthogonal";
  initializers::Initializer bias_initializer = "zeros";
  Json kernel_regularizer = nullptr;
  Json recurrent_regularizer = nullptr;
  Json bias_regularizer = nullptr;
  // Accepted but, as in Keras 3.16, never attached (SimpleRNN drops it).
  Json activity_regularizer = nullptr;
  Json kernel_constraint = nullptr;
  Json recurrent_constraint = nullptr;
  Json bias_constraint = nullptr;
  double dropout = 0.0;
  double recurrent_dropout = 0.0;
  bool return_sequences = false;
  bool return_state = false;
  bool go_backwards = false;
  bool stateful = false;
  bool unroll = false;
  bool zero_output_for_mask = false;
  std::optional<std::int64_t> seed;
  std::string name;
  std::optional<std::string> dtype;
  bool trainable = true;
};

struct LSTMOptions {
  std::string activation = "tanh";
  std::string recurrent_activation = "sigmoid";
  bool use_bias = true;
  initializers::Initializer kernel_initializer = "glorot_uniform";
  initializers::Initializer recurrent_initializer = "orthogonal";
  initializers::Initializer bias_initializer = "zeros";
  bool unit_forget_bias = true;
  Json kernel_regularizer = nullptr;
  Json recurrent_regularizer = nullptr;
  Json bias_regularizer = nullptr;
  Json activity_regularizer = nullptr;
  Json kernel_constraint = nullptr;
  Json recurrent_constraint = nullptr;
  Json bias_constraint = nullptr;
  double dropout = 0.0;
  double recurrent_dropout = 0.0;
  // Keras' `implementation` keyword: 1 computes each gate apart, with its own
  // dropout masks (recurrent_dropout forces 1). Keras does not save it.
  int implementation = 2;
  std::optional<std::int64_t> seed;
  bool return_sequences = false;
  bool return_state = false;
  bool go_backwards = false;
  bool stateful = false;
  bool unroll = false;
  bool zero_output_for_mask = false;
  std::string name;
  std::optional<std::string> dtype;
  bool trainable = true;
};

struct GRUOptions {
  std::string activation = "tanh";
  std::string recurrent_activation = "sigmoid";
  bool use_bias = true;
  initializers::Initializer kernel_initializer = "glorot_uniform";
  initializers::Initializer recurrent_initializer = "orthogonal";
  initializers::Initializer bias_initializer = "zeros";
  Json kernel_regularizer = nullptr;
  Json recurrent_regularizer = nullptr;
  Json bias_regularizer = nullptr;
  Json activity_regularizer = nullptr;
  Json kernel_constraint = nullptr;
  Json recurrent_constraint = nullptr;
  Json bias_constraint = nullptr;
  double dropout = 0.0;
  double recurrent_dropout = 0.0;
  // Keras' `implementation` keyword: 1 computes each gate apart, with its own
  // dropout masks (recurrent_dropout forces 1). Keras does not save it.
  int implementation = 2;
  std::optional<std::int64_t> seed;
  bool return_sequences = false;
  bool return_state = false;
  bool go_backwards = false;
  bool stateful = false;
  bool unroll = false;
  bool zero_output_for_mask = false;
  bool reset_after = true;
  std::string name;
  std::optional<std::string> dtype;
  bool trainable = true;
};

// Outputs: the last output [B, units] or every output [B, T, units]
// (return_sequences), followed by the final states when return_state
// (LSTM: h then c). Call with layer.call({x}, {{"initial_state", {h, c}}})
// to start from given states.
class SimpleRNN : public LayerRef {
 public:
  explicit SimpleRNN(std::int64_t units, const SimpleRNNOptions& options = {});
};
class LSTM : public LayerRef {
 public:
  explicit LSTM(std::int64_t units, const LSTMOptions& options = {});
};
class GRU : public LayerRef {
 public:
  explicit GRU(std::int64_t units, const GRUOptions& options = {});
};

struct ConvLSTMOptions {
  std::vector<std::int64_t> strides = {1};  // one value per spatial dim, or one for all
  std::string padding = "valid";
  std::optional<std::string> data_format;  // empty: "channels_last"
  std::vector<std::int64_t> dilation_rate = {1};
  std::string activation = "tanh";
  std::string recurrent_activation = "sigmoid";
  bool use_bias = true;
  initializers::Initializer kernel_initializer = "glorot_uniform";
  initializers::Initializer recurrent_initializer = "orthogonal";
  initializers::Initializer bias_initializer = "zeros";
  bool unit_forget_bias = true;
  Json kernel_regularizer = nullptr;
  Json recurrent_regularizer = nullptr;
  Json bias_regularizer = nullptr;
  Json activity_regularizer = nullptr;
  Json kernel_constraint = nullptr;
  Json recurrent_constraint = nullptr;
  Json bias_constraint = nullptr;
  double dropout = 0.0;
  double recurrent_dropout = 0.0;
  std::optional<std::int64_t> seed;
  bool return_sequences = false;
  bool return_state = false;
  bool go_backwards = false;
  bool stateful = false;
  bool unroll = false;
  bool zero_output_for_mask = false;
  std::string name;
  std::optional<std::string> dtype;
  bool trainable = true;
};

// keras.layers.ConvLSTM1D/2D/3D: inputs [B, T, *spatial, C] (channels_last).
// kernel_size holds one value per spatial dim, or one value for all.
class ConvLSTM1D : public LayerRef {
 public:
  ConvLSTM1D(std::int64_t filters, std::vector<std::int64_t> kernel_size, const ConvLSTMOptions& options = {});
};
class ConvLSTM2D : public LayerRef {
 public:
  ConvLSTM2D(std::int64_t filters, std::vector<std::int64_t> kernel_size, const ConvLSTMOptions& options = {});
};
class ConvLSTM3D : public LayerRef {
 public:
  ConvLSTM3D(std::int64_t filters, std::vector<std::int64_t> kernel_size, const ConvLSTMOptions& options = {});
};

// ----------------------------------------------------------------- wrappers

struct BidirectionalOptions {
  // "concat", "sum", "mul", "ave", or std::nullopt (two separate outputs).
  std::optional<std::string> merge_mode = "concat";
  // A recurrent layer with go_backwards = !layer.go_backwards; empty: a copy of `layer` going backwards.
  LayerRef backward_layer;
  std::string name;
  std::optional<std::string> dtype;
  bool trainable = true;
};

// keras.layers.Bidirectional: runs a copy of `layer` (named "forward_<name>")
// forwards and another ("backward_<name>") backwards and merges the outputs.
class Bidirectional : public LayerRef {
 public:
  explicit Bidirectional(const LayerRef& layer, const BidirectionalOptions& options = {});
};

struct TimeDistributedOptions {
  std::string name;
  std::optional<std::string> dtype;
  bool trainable = true;
};

// keras.layers.TimeDistributed: applies `layer` to every step of axis 1.
class TimeDistributed : public LayerRef {
 public:
  explicit TimeDistributed(const LayerRef& layer, const TimeDistributedOptions& options = {});
};

}  // namespace keras::layers
