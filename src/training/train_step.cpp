#include "training/train_step.hpp"

#include "models/functional.hpp"

namespace keras::training {

namespace {

// The model's outputs and their masks in inference mode.
detail::MaskedRun forward_inference(ModelImpl& model, const std::vector<Tensor>& x) {
  if (auto* functional = dynamic_cast<detail::FunctionalImpl*>(&model)) return functional->run_masked(x, {}, false);
  if (auto* masked = dynamic_cast<detail::MaskedCallable*>(&model)) {
    CallArgs args;
    args.tensors = x;
    Json list = Json::array();
    for (std::size_t i = 0; i < x.size(); ++i) list.push_back(Json{{"__tensor__", i}});
    args.args = Json::array({x.size() == 1 ? list[0] : list});
    args.training = false;
    return masked->call_masked(args);
  }
  return {model.run(x, false), {}};
}

std::int64_t batch_size_of(const TrainingData& batch) {
  for (const auto& x : batch.x)
    if (x.defined() && x.rank() > 0) return x.dim(0);
  return 1;
}

}  // namespace

Logs test_step(const Model& model, TrainerState& state, const TrainingData& batch) {
  detail::MaskedRun run = forward_inference(model.impl(), batch.x);
  std::vector<ad::Var> predictions(run.outputs.begin(), run.outputs.end());
  if (state.loss) {
    ad::Var loss = (*state.loss)(batch.y, predictions, batch.sample_weight, run.masks);
    const auto n = static_cast<float>(batch_size_of(batch));
    state.loss_tracker.update_values(loss.value(), Tensor::scalar(n));
  }
  if (state.metrics) state.metrics->update_state(batch.y, run.outputs, batch.sample_weight);
  return state.results();
}

Logs train_step(const Model& /*model*/, TrainerState& /*state*/, const TrainingData& /*batch*/) {
  throw NotImplementedError("train_step: gradients through the model are not implemented yet");
}

}  // namespace keras::training
