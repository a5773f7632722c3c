#include "models/execution_plan.hpp"

#include <algorithm>
#include <map>
#include <utility>

#include "keras/layer.hpp"
#include "layers/convolutional/conv.hpp"
#include "models/functional.hpp"
#include "models/fusion.hpp"
#include "models/mask_erasure.hpp"
#include "tensor/arena.hpp"

namespace keras::detail {

namespace {

// Marks the chains FusedConv runs in one primitive: the ZeroPadding that a convolution alone
// reads (optional), the convolution, then the BatchNormalization that alone reads its output,
// then the activation that alone reads that (each optional); and
// those of FusedDense: a Dense, then the activation that alone reads its output (optional).
void fuse_for_inference(ExecutionPlan& plan) {
  const auto n = static_cast<std::size_t>(plan.num_slots);
  std::vector<int> readers(n, 0);
  std::vector<int> reader_step(n, -1);
  for (int i = 0; i < static_cast<int>(plan.steps.size()); ++i) {
    const PlanStep& step = plan.steps[static_cast<std::size_t>(i)];
    for (int s : step.inputs) {
      if (s < 0) continue;
      ++readers[static_cast<std::size_t>(s)];
      reader_step[static_cast<std::size_t>(s)] = i;
    }
    for (const auto& fill : step.mask_fills)
      for (const auto& leaf : fill.leaves)
        if (leaf.second >= 0) readers[static_cast<std::size_t>(leaf.second)] += 2;
  }
  for (int s : plan.wanted)
    if (s >= 0) readers[static_cast<std::size_t>(s)] += 2;
  for (int s : plan.wanted_mask_symbolic)
    if (s >= 0) readers[static_cast<std::size_t>(s)] += 2;

  auto layer_of = [](const PlanStep& step) -> std::shared_ptr<Layer> {
    if (!step.is_layer || step.masked != nullptr) return nullptr;
    return std::static_pointer_cast<Layer>(step.node->operation);
  };
  auto training_forced = [](const Node& node) {
    auto it = node.kwargs.find("training");
    return it != node.kwargs.end() && !it->is_null() && !(it->is_boolean() && !it->get<bool>());
  };
  // The single step that reads `slot` as its only input, if the slot has no other reader.
  auto sole_reader = [&](int slot) -> PlanStep* {
    if (slot < 0 || readers[static_cast<std::size_t>(slot)] != 1) return nullptr;
    PlanStep& next = plan.steps[static_cast<std::size_t>(reader_step[static_cast<std::size_t>(slot)])];
    if (next.absorbed || next.fused || next.inputs.size() != 1 || next.outputs.size() != 1) return nullptr;
    if (training_forced(*next.node)) return nullptr;
    return &next;
  };

  for (PlanStep& step : plan.steps) {
    if (step.absorbed || step.inputs.size() != 1 || step.inputs[0] < 0 || step.outputs.size() != 1) continue;
    auto conv = layer_of(step);
    if (!conv) continue;
    if (FusedDense::starts_chain(*conv) && step.mask_fills.empty()) {
      int out = step.outputs[0];
      std::shared_ptr<Layer> activation;
      if (PlanStep* next = sole_reader(out); next != nullptr && FusedDense::activation_fuses(*conv)) {
        // The fused step hands on the input's run-time mask as the Dense step would; absorb
        // only an activation that would hand it on alike.
        const bool same_masking = (next->mask_passthrough[0] >= 0) == (step.mask_passthrough[0] >= 0);
        if (auto layer = layer_of(*next);
            layer && same_masking && next->mask_fills.empty() && FusedConv::post_op_of(*layer)) {
          activation = layer;
          next->absorbed = true;
          out = next->outputs[0];
        }
      }
      step.fused = std::make_shared<const FusedDense>(conv, activation);
      step.fused_output = out;
      continue;
    }
    // A ZeroPadding whose output only a convolution reads starts that convolution's chain.
    std::shared_ptr<Layer> pad;
    PlanStep* conv_step = &step;
    if (PlanStep* next = sole_reader(step.outputs[0]); next != nullptr) {
      if (auto layer = layer_of(*next);
          layer && FusedConv::starts_chain(*layer) && FusedConv::absorbs_padding(*conv, *layer)) {
        pad = conv;
        conv = layer;
        conv_step = next;
      }
    }
    if (!FusedConv::starts_chain(*conv)) continue;
    const Shape& in_shape = step.node->inputs[0].spec().shape;
    if (in_shape.empty() || in_shape.back() <= 0) continue;
    if (pad) conv_step->absorbed = true;
    std::vector<kernels::PostOp> post_ops;
    if (auto op = FusedConv::post_op_of_name(static_cast<const ConvLayerBase&>(*conv).geometry().activation); op && *op)
      post_ops.push_back(**op);
    int out = conv_step->outputs[0];
    std::shared_ptr<Layer> norm;
    std::shared_ptr<Layer> activation;
    if (post_ops.empty()) {
      if (PlanStep* next = sole_reader(out); next != nullptr) {
        if (auto layer = layer_of(*next);
            layer && FusedConv::is_foldable_norm(*layer, static_cast<int>(next->node->inputs[0].spec().shape.size()))) {
          norm = layer;
          next->absorbed = true;
          out = next->outputs[0];
        }
      }
      if (PlanStep* next = sole_reader(out); next != nullptr) {
        if (auto layer = layer_of(*next); layer) {
          if (auto op = FusedConv::post_op_of(*layer)) {
            activation = layer;
            post_ops.push_back(*op);
            next->absorbed = true;
            out = next->outputs[0];
          }
        }
      }
    }
    step.fused = std::make_shared<const FusedConv>(pad, conv, norm, activation, post_ops, in_shape.back());
    step.fused_output = out;
  }
}

}  // namespace

std::shared_ptr<const ExecutionPlan> build_execution_plan(const std::vector<std::shared_ptr<Node>>& nodes,
                                                          const std::vector<KerasTensor>& sources,
                                                          const std::vector<KerasTensor>& wanted,
                                                          const MaskErasure* inference_erasure,
                                                          const MaskErasure* training_erasure) {
  const auto erased_bits = [&](auto&& erases) {
    return static_cast<std::uint8_t>((inference_erasure != nullptr && erases(*inference_erasure) ? 1 : 0) |
                                     (training_erasure != nullptr && erases(*training_erasure) ? 2 : 0));
  };
  auto plan = std::make_shared<ExecutionPlan>();
  plan->arenas = std::make_shared<ArenaCache>();
  using Key = std::pair<const Node*, int>;
  std::map<Key, int> slots;
  auto key_of = [](const KerasTensor& t) { return Key{t.node().get(), t.index()}; };
  auto slot_of = [&](const KerasTensor& t) {
    auto it = slots.find(key_of(t));
    return it == slots.end() ? -1 : it->second;
  };
  auto new_slot = [&](const Key& key) {
    auto [it, inserted] = slots.emplace(key, plan->num_slots);
    if (inserted) ++plan->num_slots;
    return it->second;
  };
  for (const auto& source : sources) plan->sources.push_back(new_slot(key_of(source)));

  for (const auto& node : nodes) {
    if (slots.count({node.get(), 0}) != 0) continue;  // a source
    PlanStep step;
    step.node = node;
    step.masked = dynamic_cast<MaskedCallable*>(node->operation.get());
    step.is_layer = node->operation->is_layer();
    const auto* layer = step.is_layer ? static_cast<const Layer*>(node->operation.get()) : nullptr;
    step.supports_masking = layer != nullptr && layer->supports_masking();
    for (const auto& input : node->inputs) step.inputs.push_back(slot_of(input));
    for (auto& call_mask : call_time_masks_of(*node)) {
      PlanStep::MaskFill fill{call_mask.kwarg, {}, {}};
      fill.structure = fill_mask_structure(call_mask.structure, [&](std::size_t i) -> Json {
        const KerasTensor& input = node->inputs.at(i);
        auto mask = input.keras_mask();
        fill.leaves.emplace_back(slot_of(input), mask ? slot_of(*mask) : -1);
        fill.erased.push_back(erased_bits([&](const MaskErasure& e) { return e.drops_input(node.get(), i); }));
        return Json{{"__tensor__", fill.leaves.size() - 1}};
      });
      step.mask_fills.push_back(std::move(fill));
    }
    int first_arg = -1;
    if (!node->args.empty() && CallArgs::is_ref(node->args[0]))
      first_arg = step.inputs.at(node->args[0].at("__tensor__").get<std::size_t>());
    for (int i = 0; i < static_cast<int>(node->output_specs.size()); ++i) {
      step.outputs.push_back(new_slot({node.get(), i}));
      const bool symbolic_mask = KerasTensor(node, i).keras_mask().has_value();
      step.mask_passthrough.push_back(step.supports_masking && !symbolic_mask ? first_arg : -1);
    }
    plan->steps.push_back(std::move(step));
  }
  for (const auto& t : wanted) {
    plan->wanted.push_back(slot_of(t));
    auto mask = t.keras_mask();
    plan->wanted_mask_symbolic.push_back(mask ? slot_of(*mask) : -1);
    plan->wanted_mask_erased.push_back(erased_bits([&](const MaskErasure& e) { return e.drops_tensor(t); }));
  }

  // Lifetimes: a slot is released after the last step that reads it, or right after the step
  // that writes it when nothing reads it; the wanted values and their masks live to the end.
  const auto n = static_cast<std::size_t>(plan->num_slots);
  std::vector<int> last_read(n, -1);
  std::vector<int> written_by(n, -1);
  std::vector<bool> kept(n, false);
  for (int s : plan->wanted)
    if (s >= 0) kept[static_cast<std::size_t>(s)] = true;
  for (int s : plan->wanted_mask_symbolic)
    if (s >= 0) kept[static_cast<std::size_t>(s)] = true;
  for (int i = 0; i < static_cast<int>(plan->steps.size()); ++i) {
    const PlanStep& step = plan->steps[static_cast<std::size_t>(i)];
    for (int s : step.inputs)
      if (s >= 0) last_read[static_cast<std::size_t>(s)] = i;
    for (const auto& fill : step.mask_fills)
      for (const auto& leaf : fill.leaves)
        if (leaf.second >= 0) last_read[static_cast<std::size_t>(leaf.second)] = i;
    for (int s : step.outputs) written_by[static_cast<std::size_t>(s)] = i;
  }
  for (std::size_t s = 0; s < n; ++s) {
    if (kept[s]) continue;
    const int at = std::max(last_read[s], written_by[s]);
    if (at >= 0) plan->steps[static_cast<std::size_t>(at)].release.push_back(static_cast<int>(s));
  }
  fuse_for_inference(*plan);
  return plan;
}

std::vector<Tensor> run_execution_plan(const ExecutionPlan& plan, const std::vector<Tensor>& source_values,
                                       bool training, const std::vector<Tensor>& source_masks,
                                       std::vector<Tensor>* wanted_masks) {
  // The same plan on inputs of the same shapes and dtypes makes the same allocations.
  std::vector<std::int64_t> signature{training ? 1 : 0};
  for (const Tensor& v : source_values) {
    signature.push_back(static_cast<std::int64_t>(v.dtype()));
    signature.push_back(v.rank());
    signature.insert(signature.end(), v.shape().begin(), v.shape().end());
  }
  for (const Tensor& m : source_masks) signature.push_back(m.defined() ? m.size() : -1);
  std::optional<ArenaCache::Scope> arena;
  if (plan.arenas) arena.emplace(*plan.arenas, std::move(signature));
  const auto n = static_cast<std::size_t>(plan.num_slots);
  std::vector<Tensor> values(n);
  std::vector<char> present(n, 0);  // a slot can hold an undefined tensor
  // Masks known only at run time: given with the inputs, returned by nested models, or passed
  // on by layers that support masking. They are small and kept to the end.
  std::vector<Tensor> runtime_masks(n);
  for (std::size_t i = 0; i < plan.sources.size(); ++i) {
    const auto slot = static_cast<std::size_t>(plan.sources[i]);
    values[slot] = source_values.at(i);
    present[slot] = 1;
    if (i < source_masks.size() && source_masks[i].defined()) runtime_masks[slot] = source_masks[i];
  }
  const std::uint8_t erased_bit = training ? 2 : 1;
  auto mask_of = [&](int slot, int symbolic) -> Tensor {
    if (slot >= 0 && runtime_masks[static_cast<std::size_t>(slot)].defined())
      return runtime_masks[static_cast<std::size_t>(slot)];
    if (symbolic >= 0) return values[static_cast<std::size_t>(symbolic)];
    return {};
  };
  auto release = [&](const PlanStep& step) {
    for (int slot : step.release) {
      values[static_cast<std::size_t>(slot)] = Tensor();
      present[static_cast<std::size_t>(slot)] = 0;
    }
  };
  for (const PlanStep& step : plan.steps) {
    const Node& node = *step.node;
    if (!training && step.absorbed) {
      release(step);
      continue;
    }
    if (!training && step.fused) {
      const int in = step.inputs[0];
      if (present[static_cast<std::size_t>(in)] == 0)
        throw ValueError("Missing a value for an input of operation '" + node.operation->name() + "'");
      const auto out = static_cast<std::size_t>(step.fused_output);
      values[out] = step.fused->run(values[static_cast<std::size_t>(in)]);
      present[out] = 1;
      // A run-time mask passes through as it would through the chain's layers (see fuse_for_inference).
      if (const int from = step.mask_passthrough[0];
          from >= 0 && !node.args.empty() && runtime_masks[static_cast<std::size_t>(from)].defined())
        runtime_masks[out] = runtime_masks[static_cast<std::size_t>(from)];
      release(step);
      continue;
    }
    std::vector<Tensor> outputs;
    std::vector<Tensor> output_masks;
    {
      CallArgs args;
      args.args = node.args;
      args.kwargs = node.kwargs;
      args.training = training;
      args.tensors.reserve(step.inputs.size() + 1);
      for (int slot : step.inputs) {
        if (slot < 0 || present[static_cast<std::size_t>(slot)] == 0)
          throw ValueError("Missing a value for an input of operation '" + node.operation->name() + "'");
        args.tensors.push_back(values[static_cast<std::size_t>(slot)]);
      }
      for (const auto& fill : step.mask_fills) {
        args.kwargs[fill.kwarg] = fill_mask_structure(fill.structure, [&](std::size_t k) -> Json {
          const auto& [slot, symbolic] = fill.leaves[k];
          if ((fill.erased[k] & erased_bit) != 0) return nullptr;
          Tensor mask = mask_of(slot, symbolic);
          if (!mask.defined()) return nullptr;
          args.tensors.push_back(mask);
          return Json{{"__tensor__", args.tensors.size() - 1}};
        });
      }
      if (step.masked != nullptr) {
        auto result = step.masked->call_masked(args);
        outputs = std::move(result.outputs);
        output_masks = std::move(result.masks);
      } else {
        outputs = node.operation->call(args);
      }
    }
    if (outputs.size() != step.outputs.size())
      throw ValueError("Operation '" + node.operation->name() + "' returned " + std::to_string(outputs.size()) +
                       " outputs, expected " + std::to_string(step.outputs.size()));
    for (std::size_t i = 0; i < outputs.size(); ++i) {
      const auto out = static_cast<std::size_t>(step.outputs[i]);
      values[out] = std::move(outputs[i]);
      present[out] = 1;
      if (i < output_masks.size() && output_masks[i].defined()) {
        runtime_masks[out] = output_masks[i];
      } else if (const int from = step.mask_passthrough[i]; from >= 0 && !node.args.empty()) {
        // A run-time mask the graph never saw (from a nested model) goes through layers that
        // support masking, as compute_mask's default does.
        if (runtime_masks[static_cast<std::size_t>(from)].defined())
          runtime_masks[out] = runtime_masks[static_cast<std::size_t>(from)];
      }
    }
    release(step);
  }
  std::vector<Tensor> out;
  out.reserve(plan.wanted.size());
  for (std::size_t i = 0; i < plan.wanted.size(); ++i) {
    const int slot = plan.wanted[i];
    if (slot < 0 || present[static_cast<std::size_t>(slot)] == 0) throw ValueError("Graph output was not computed");
    out.push_back(values[static_cast<std::size_t>(slot)]);
    if (wanted_masks != nullptr)
      wanted_masks->push_back(
          (plan.wanted_mask_erased[i] & erased_bit) != 0 ? Tensor() : mask_of(slot, plan.wanted_mask_symbolic[i]));
  }
  return out;
}

}  // namespace keras::detail
