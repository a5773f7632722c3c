// A cell's whole-sequence inference through kernels::PreparedRecurrent (oneDNN's RNN
// primitives): one preparation per batch size, sequence length, direction and OpenMP team,
// made on first use and rebuilt when a variable changes (assign, an optimizer step).
#pragma once

#include <map>
#include <mutex>
#include <tuple>
#include <vector>

#include "keras/variable.hpp"
#include "layers/variable_stamp.hpp"
#include "ops/recurrent.hpp"

namespace keras::detail {

class PreparedRecurrentCache {
 public:
  // shape.batch/steps/input_dim are taken from `sequence` [B, T, C].
  kernels::PreparedRecurrent::Result run(kernels::RecurrentShape shape, const VariablePtr& kernel,
                                         const VariablePtr& recurrent_kernel, const VariablePtr& bias,
                                         const Tensor& sequence, const std::vector<Tensor>& states,
                                         bool want_sequence) const;

 private:
  struct Prepared {
    std::shared_ptr<const kernels::PreparedRecurrent> recurrent;
    VariableStamp kernel, recurrent_kernel, bias;
  };
  mutable std::mutex mutex_;
  // (batch, steps, reverse, team size)
  mutable std::map<std::tuple<std::int64_t, std::int64_t, bool, int>, Prepared> prepared_;
};

}  // namespace keras::detail
