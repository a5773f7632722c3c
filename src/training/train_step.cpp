#include "training/train_step.hpp"

#include <map>
#include <optional>

#include "keras/optimizers.hpp"
#include "keras/variable.hpp"
#include "models/functional.hpp"
#include "ops/elementwise.hpp"
#include "training/regularization.hpp"

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

// The call of a model on its flat inputs, as a layer is called.
CallArgs model_call(const std::vector<Tensor>& x, bool training) {
  CallArgs args;
  args.tensors = x;
  Json list = Json::array();
  for (std::size_t i = 0; i < x.size(); ++i) list.push_back(Json{{"__tensor__", i}});
  args.args = Json::array({x.size() == 1 ? list[0] : list});
  args.training = training;
  return args;
}

// Keras' weight regularization losses (Layer.losses): the sum of every
// regularized trainable variable's penalty, on leaves so that the gradient
// reaches the variables. Undefined when the model has none.
ad::Var weight_penalties(const ModelImpl& model, std::vector<std::pair<VariablePtr, ad::Var>>* leaves) {
  ad::Var total;
  for (const auto& [variable, regularizer] : variables_with(model, "regularizer")) {
    ad::Var value = leaves != nullptr ? ad::leaf(variable->value().astype(DType::float32))
                                      : ad::Var(variable->value().astype(DType::float32));
    if (leaves != nullptr) leaves->emplace_back(variable, value);
    ad::Var penalty = ad::sum(regularization_penalty(regularizer, value));
    total = total.defined() ? total + penalty : penalty;
  }
  return total;
}

// Keras' activity regularization losses of one step (Layer.__call__ adds
// them on every call, in training and in evaluation): the tape hands each
// regularized layer call's outputs to the hook, which sums the penalties into
// `total` and, with `gradients`, returns d(penalty)/d(output) for the
// backward pass.
detail::ActivityHook activity_hook(const std::map<const Layer*, Json>& regularized, Tensor& total, bool gradients) {
  return [&regularized, &total, gradients](const Layer& layer,
                                           const std::vector<Tensor>& outputs) -> std::optional<std::vector<Tensor>> {
    auto it = regularized.find(&layer);
    if (it == regularized.end()) return std::nullopt;
    std::vector<Tensor> grads(outputs.size());
    for (std::size_t i = 0; i < outputs.size(); ++i) {
      const Tensor& output = outputs[i];
      if (!output.defined() || !is_floating(output.dtype())) continue;
      ad::Var value = gradients ? ad::leaf(output.astype(DType::float32)) : ad::Var(output.astype(DType::float32));
      ad::Var penalty = activity_penalty(it->second, value);
      total = total.defined() ? kernels::add(total, penalty.value()) : penalty.value();
      if (gradients) grads[i] = ad::gradients(penalty, {value})[0].astype(output.dtype());
    }
    return grads;
  };
}

void refuse_sublayer_activity_regularizers(const ActivityRegularized& layers) {
  if (!layers.sublayers.empty())
    throw NotImplementedError("keras-cpp cannot apply the activity_regularizer of layer '" + layers.sublayers.front() +
                              "' yet: it is called inside another layer, not as a node of the model's graph");
}

std::int64_t batch_size_of(const TrainingData& batch) {
  for (const auto& x : batch.x)
    if (x.defined() && x.rank() > 0) return x.dim(0);
  return 1;
}

}  // namespace

Logs test_step(const Model& model, TrainerState& state, const TrainingData& batch) {
  detail::MaskedRun run;
  Tensor activity;
  auto* callable = dynamic_cast<detail::MaskedCallable*>(&model.impl());
  const ActivityRegularized regularized =
      state.loss ? activity_regularized_layers(model.impl()) : ActivityRegularized{};
  if (callable != nullptr && !regularized.graph_layers.empty()) {
    // The recorded run is the one that sees each layer call (the execution plan fuses them).
    refuse_sublayer_activity_regularizers(regularized);
    const detail::ActivityHookScope scope(activity_hook(regularized.graph_layers, activity, false));
    Pullback unused;
    run = callable->call_masked_vjp(model_call(batch.x, false), &unused);
  } else {
    run = forward_inference(model.impl(), batch.x);
  }
  std::vector<ad::Var> predictions(run.outputs.begin(), run.outputs.end());
  if (state.loss) {
    ad::Var loss = (*state.loss)(batch.y, predictions, batch.sample_weight, run.masks);
    if (ad::Var penalties = weight_penalties(model.impl(), nullptr); penalties.defined()) loss = loss + penalties;
    if (activity.defined()) loss = loss + ad::Var(activity);
    const auto n = static_cast<float>(batch_size_of(batch));
    state.loss_tracker.update_values(loss.value(), Tensor::scalar(n));
  }
  if (state.metrics) state.metrics->update_state(batch.y, run.outputs, batch.sample_weight);
  return state.results();
}

Logs train_step(const Model& model, TrainerState& state, const TrainingData& batch) {
  ModelImpl& impl = model.impl();
  const std::shared_ptr<Optimizer> optimizer = model.optimizer();
  if (!optimizer) throw ValueError("You must call `compile()` before training the model '" + impl.name() + "'");
  if (!state.loss)
    throw ValueError("No loss to compute. Provide a `loss` argument in `compile()` to train model '" + impl.name() +
                     "'");
  const ActivityRegularized regularized = activity_regularized_layers(impl);
  refuse_sublayer_activity_regularizers(regularized);
  auto* callable = dynamic_cast<detail::MaskedCallable*>(&impl);
  if (callable == nullptr) throw NotImplementedError("keras-cpp cannot train a " + impl.class_name() + " model");

  // Forward in training mode, keeping each call's pullback (and the activity penalties).
  Pullback pullback;
  Tensor activity;
  detail::MaskedRun run;
  {
    std::optional<detail::ActivityHookScope> scope;
    if (!regularized.graph_layers.empty()) scope.emplace(activity_hook(regularized.graph_layers, activity, true));
    run = callable->call_masked_vjp(model_call(batch.x, true), &pullback);
  }
  std::vector<ad::Var> predictions;
  for (const auto& output : run.outputs)
    predictions.push_back(is_floating(output.dtype()) ? ad::leaf(output.astype(DType::float32)) : ad::Var(output));
  // Keras' compute_loss: the compiled loss plus the model's losses.
  ad::Var loss = (*state.loss)(batch.y, predictions, batch.sample_weight, run.masks);
  std::vector<std::pair<VariablePtr, ad::Var>> penalty_leaves;
  if (ad::Var penalties = weight_penalties(impl, &penalty_leaves); penalties.defined()) loss = loss + penalties;
  // Constant here: its gradient reaches the outputs through the tape's activity seeds.
  if (activity.defined()) loss = loss + ad::Var(activity);

  // d loss / d outputs and / d regularized variables, then through the model.
  std::vector<ad::Var> wrt;
  for (const auto& p : predictions)
    if (p.requires_grad()) wrt.push_back(p);
  for (const auto& [variable, leaf] : penalty_leaves) wrt.push_back(leaf);
  std::vector<Tensor> grads = wrt.empty() ? std::vector<Tensor>() : ad::gradients(loss, wrt);
  std::vector<Tensor> output_grads;
  std::size_t next = 0;
  for (const auto& p : predictions) output_grads.push_back(p.requires_grad() ? grads[next++] : Tensor());
  Gradients model_grads = pullback(output_grads);

  const std::vector<VariablePtr> variables = impl.trainable_variables();
  std::map<const Variable*, Tensor> by_variable;
  auto add = [&](const VariablePtr& variable, const Tensor& grad) {
    if (!grad.defined()) return;
    Tensor& total = by_variable[variable.get()];
    total = total.defined() ? kernels::add(total, grad) : grad;
  };
  for (const auto& [variable, grad] : model_grads.variables) add(variable, grad);
  for (const auto& [variable, leaf] : penalty_leaves) add(variable, grads[next++]);
  std::vector<Tensor> ordered;
  ordered.reserve(variables.size());
  for (const auto& variable : variables) {
    auto it = by_variable.find(variable.get());
    ordered.push_back(it == by_variable.end() ? Tensor() : it->second.astype(variable->dtype()));
  }
  optimizer->apply_gradients(ordered, variables);
  // Keras' optimizer.apply: constraints after the step, on the updated variables.
  for (const auto& [variable, constraint] : variables_with(impl, "constraint")) {
    if (by_variable.count(variable.get()) == 0) continue;
    variable->assign(apply_constraint(constraint, variable->value()).astype(variable->dtype()));
  }

  const auto n = static_cast<float>(batch_size_of(batch));
  state.loss_tracker.update_values(loss.value(), Tensor::scalar(n));
  if (state.metrics) state.metrics->update_state(batch.y, run.outputs, batch.sample_weight);
  return state.results();
}

}  // namespace keras::training
