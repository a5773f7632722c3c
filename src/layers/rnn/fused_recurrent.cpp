#include "layers/rnn/fused_recurrent.hpp"

#include "ops/threads.hpp"

namespace keras::detail {

kernels::PreparedRecurrent::Result PreparedRecurrentCache::run(kernels::RecurrentShape shape, const VariablePtr& kernel,
                                                               const VariablePtr& recurrent_kernel,
                                                               const VariablePtr& bias, const Tensor& sequence,
                                                               const std::vector<Tensor>& states,
                                                               bool want_sequence) const {
  shape.batch = sequence.dim(0);
  shape.steps = sequence.dim(1);
  shape.input_dim = sequence.dim(2);
  auto current = [&](const Prepared& p) {
    return p.kernel.current(kernel) && p.recurrent_kernel.current(recurrent_kernel) && p.bias.current(bias);
  };
  const auto key = std::make_tuple(shape.batch, shape.steps, shape.reverse, kernels::current_threads());
  std::shared_ptr<const kernels::PreparedRecurrent> found;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = prepared_.find(key);
    if (it != prepared_.end() && current(it->second)) {
      found = it->second.recurrent;
    } else {
      std::erase_if(prepared_, [&](const auto& entry) { return !current(entry.second); });
    }
  }
  if (!found) {
    // Stamped before the values are read: a change in between makes the preparation stale, never wrong.
    Prepared made{nullptr, VariableStamp(kernel), VariableStamp(recurrent_kernel), VariableStamp(bias)};
    found = std::make_shared<const kernels::PreparedRecurrent>(shape, kernel->value(), recurrent_kernel->value(),
                                                               bias ? bias->value() : Tensor());
    made.recurrent = found;
    std::lock_guard<std::mutex> lock(mutex_);
    // Bounded: sequence lengths vary from call to call.
    constexpr std::size_t kMaxPrepared = 16;
    if (prepared_.size() >= kMaxPrepared && prepared_.count(key) == 0) prepared_.erase(prepared_.begin());
    prepared_[key] = std::move(made);
  }
  return found->run(sequence, states, want_sequence);
}

}  // namespace keras::detail
