// Backward passes through model graphs: the tape of a graph run (one
// pullback per node call that needs a gradient) and its reverse sweep.
#include <map>
#include <utility>

#include "keras/variable.hpp"
#include "models/functional.hpp"
#include "ops/elementwise.hpp"

namespace keras::detail {

namespace {

// a + b, where an undefined tensor is zero.
void accumulate(Tensor& total, const Tensor& add) {
  if (!add.defined()) return;
  total = total.defined() ? kernels::add(total, add) : add;
}

}  // namespace

namespace {

thread_local const ActivityHook* t_activity_hook = nullptr;
// Set when a regularized layer's call ran since the flag was last cleared (nested models).
thread_local bool t_activity_seen = false;

}  // namespace

ActivityHookScope::ActivityHookScope(ActivityHook hook) : hook_(std::move(hook)), previous_(t_activity_hook) {
  t_activity_hook = &hook_;
}

ActivityHookScope::~ActivityHookScope() { t_activity_hook = previous_; }

std::vector<Tensor> GraphTape::call(const std::shared_ptr<Node>& node, const CallArgs& args,
                                    std::vector<Tensor>* output_masks) {
  Operation& op = *node->operation;
  bool needed = false;
  for (const auto& input : node->inputs) needed = needed || needs_gradient_.count(key_of(input)) != 0;
  if (!needed && op.is_layer()) needed = !static_cast<const Layer&>(op).trainable_variables().empty();
  auto* model = dynamic_cast<MaskedCallable*>(&op);
  const bool record = needed && op.differentiability() != Differentiability::constant;
  const bool seen_before = std::exchange(t_activity_seen, false);
  // An operation without a backward pass throws here, naming its class.
  Pullback pullback;
  std::vector<Tensor> outputs;
  if (model != nullptr && (record || t_activity_hook != nullptr)) {
    MaskedRun run = model->call_masked_vjp(args, &pullback);
    outputs = std::move(run.outputs);
    *output_masks = std::move(run.masks);
  } else if (model != nullptr) {
    MaskedRun run = model->call_masked(args);
    outputs = std::move(run.outputs);
    *output_masks = std::move(run.masks);
  } else if (record) {
    VjpResult result = op.call_vjp(args);
    outputs = std::move(result.outputs);
    pullback = std::move(result.pullback);
  } else {
    outputs = op.call(args);
  }
  const bool inner_activity = t_activity_seen;
  t_activity_seen = seen_before || inner_activity;
  std::vector<Tensor> activity_grads;
  if (t_activity_hook != nullptr && model == nullptr && op.is_layer()) {
    if (auto grads = (*t_activity_hook)(static_cast<const Layer&>(op), outputs)) {
      activity_grads = std::move(*grads);
      t_activity_seen = true;
    }
  }
  if (!record) return outputs;
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    needs_gradient_.insert({node.get(), static_cast<int>(i)});
    if (i < activity_grads.size() && activity_grads[i].defined())
      accumulate(activity_grads_[{node.get(), static_cast<int>(i)}], activity_grads[i]);
  }
  entries_.push_back({node, outputs.size(), std::move(pullback), inner_activity});
  return outputs;
}

Gradients GraphTape::backward(const std::vector<KerasTensor>& sources, const std::vector<KerasTensor>& wanted,
                              const std::vector<Tensor>& wanted_grads) const {
  std::map<Key, Tensor> grads = activity_grads_;
  for (std::size_t i = 0; i < wanted.size() && i < wanted_grads.size(); ++i)
    accumulate(grads[key_of(wanted[i])], wanted_grads[i]);
  Gradients out;
  std::map<const Variable*, std::size_t> variable_index;
  for (auto entry = entries_.rbegin(); entry != entries_.rend(); ++entry) {
    std::vector<Tensor> output_grads(entry->outputs);
    bool any = false;
    for (std::size_t i = 0; i < entry->outputs; ++i) {
      auto it = grads.find({entry->node.get(), static_cast<int>(i)});
      if (it == grads.end() || !it->second.defined()) continue;
      output_grads[i] = it->second;
      any = true;
    }
    if (!any && !entry->inner_activity) continue;
    Gradients g = entry->pullback(output_grads);
    // The call's tensors are the node's inputs, then an appended mask (no gradient).
    const auto& inputs = entry->node->inputs;
    for (std::size_t i = 0; i < inputs.size() && i < g.inputs.size(); ++i)
      accumulate(grads[key_of(inputs[i])], g.inputs[i]);
    for (auto& [variable, grad] : g.variables) {
      auto [it, fresh] = variable_index.emplace(variable.get(), out.variables.size());
      if (fresh)
        out.variables.emplace_back(variable, grad);
      else
        accumulate(out.variables[it->second].second, grad);
    }
  }
  for (const auto& source : sources) {
    auto it = grads.find(key_of(source));
    out.inputs.push_back(it == grads.end() ? Tensor() : it->second);
  }
  return out;
}

Pullback call_pullback(Pullback inner, std::vector<std::size_t> input_indices, std::size_t call_tensors) {
  return [inner = std::move(inner), indices = std::move(input_indices),
          call_tensors](const std::vector<Tensor>& output_grads) {
    Gradients g = inner(output_grads);
    Gradients out;
    out.inputs.resize(call_tensors);
    out.variables = std::move(g.variables);
    for (std::size_t i = 0; i < indices.size() && i < g.inputs.size(); ++i)
      if (indices[i] < call_tensors) accumulate(out.inputs[indices[i]], g.inputs[i]);
    return out;
  };
}

std::vector<std::size_t> input_indices_of(const CallArgs& args, const TensorStructure& structure) {
  const Json& first = args.args.at(0);
  auto index = [](const Json& ref) {
    return CallArgs::is_ref(ref) ? ref.at("__tensor__").get<std::size_t>() : static_cast<std::size_t>(-1);
  };
  if (CallArgs::is_ref(first)) return {index(first)};
  std::vector<std::size_t> out;
  if (structure.kind == TensorStructure::Kind::dict && first.is_object()) {
    for (const auto& key : sorted_keys(structure)) out.push_back(index(first.at(key)));
  } else if (first.is_array()) {
    for (const auto& item : first) out.push_back(index(item));
  } else if (first.is_object()) {
    for (const auto& [key, item] : first.items()) out.push_back(index(item));
  }
  return out;
}

}  // namespace keras::detail
