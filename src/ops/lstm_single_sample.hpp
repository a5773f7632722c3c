// LSTM inference on one sample, for CPUs with AVX-512. At batch 1 every step is a matrix-vector
// product, where oneDNN's RNN primitive spends a third of its time outside the arithmetic (0.37
// ms for 100 steps of 64 -> 128 units, against 0.25 here). The kernel keeps each block of gates
// in registers from the product to the new state: weights are packed so that one block holds
// the four gates of 64 units side by side.
#pragma once

#include <cstdint>
#include <memory>

namespace keras::kernels::detail {

// Whether this CPU (and its operating system) runs the AVX-512 kernel.
bool single_sample_lstm_supported();

class SingleSampleLstm {
 public:
  // Keras' layout: kernel [C, 4U], recurrent_kernel [U, 4U], bias [4U] (gates i, f, c, o).
  SingleSampleLstm(std::int64_t input_dim, std::int64_t units, const float* kernel, const float* recurrent_kernel,
                   const float* bias);

  // x [T, C]; h and c [U], the initial states on entry and the final ones on return. With
  // `sequence` [T, U], step t's output goes to row t (reverse: steps run from T - 1 down to 0).
  // Thread-safe: the packed weights are only read.
  void run(const float* x, std::int64_t steps, bool reverse, float* h, float* c, float* sequence) const;

 private:
  struct Packed;
  std::shared_ptr<const Packed> packed_;
};

}  // namespace keras::kernels::detail
