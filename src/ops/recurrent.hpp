// Whole-sequence recurrent layers through oneDNN's RNN primitives, for inference. Keras' cells
// and oneDNN's agree on the math where used: SimpleRNN (tanh, relu or sigmoid), LSTM (gates i, f,
// c, o; sigmoid and tanh) and GRU (gates z, r, h; reset_after as oneDNN's linear-before-reset
// GRU, else its plain GRU), and Keras' kernels [C, G * U] are oneDNN's `ldigo` layout as they
// are, so preparing only copies them into the layout the primitive prefers.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "keras/tensor.hpp"

namespace keras::kernels {

enum class RecurrentCell { simple_rnn, lstm, gru, gru_reset_after };

struct RecurrentShape {
  RecurrentCell cell = RecurrentCell::lstm;
  std::int64_t batch = 0;
  std::int64_t steps = 0;
  std::int64_t input_dim = 0;
  std::int64_t units = 0;
  bool reverse = false;                    // Keras' go_backwards: steps from last to first
  std::string simple_activation = "tanh";  // SimpleRNN only: tanh, relu or sigmoid
};

// Whether oneDNN runs this cell: SimpleRNN with tanh, relu or sigmoid; LSTM and GRU with
// activation tanh and recurrent_activation sigmoid.
bool recurrent_primitive_supports(RecurrentCell cell, const std::string& activation,
                                  const std::string& recurrent_activation);

// A oneDNN RNN primitive created once for one shape (and this thread's OpenMP team), the
// weights copied into its layout once; an LSTM of one sample runs a kernel of ours instead
// (ops/lstm_single_sample.hpp) where the CPU has AVX-512. A sequence whose scratchpad (every
// step's gates and states) would pass 1 MiB runs as chunks of steps, each pass starting from the
// states the previous one ended with. run() is thread-safe.
// Tests: cut every sequence into passes of at most `steps` steps (0, the default: only where
// the scratchpad would outgrow its budget). Applies to primitives prepared afterwards.
void set_recurrent_chunk_steps_for_testing(std::int64_t steps);

class PreparedRecurrent {
 public:
  // kernel [C, G*U], recurrent_kernel [U, G*U]; bias [G*U] ([2, 3U] for gru_reset_after: input
  // and recurrent biases), undefined for none.
  PreparedRecurrent(const RecurrentShape& shape, const Tensor& kernel, const Tensor& recurrent_kernel,
                    const Tensor& bias);

  struct Result {
    Tensor sequence;             // [B, T, U] in Keras' processing order (reversed with go_backwards), if asked
    std::vector<Tensor> states;  // final h (and c for LSTM), [B, U] each; h is the last output
  };
  // sequence [B, T, C] float32; initial states [B, U] each (empty: zeros).
  Result run(const Tensor& sequence, const std::vector<Tensor>& initial_states, bool want_sequence) const;

  struct State;

 private:
  std::shared_ptr<const State> state_;
};

}  // namespace keras::kernels
