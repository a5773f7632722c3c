// Running a Functional graph: inputs checked against their specs, nodes
// executed in plan order with Keras' run-time masks, masked variants of the
// graph, and the model as a layer of another model.
#include <algorithm>
#include <functional>
#include <map>

#include "layers/core/input_layer.hpp"
#include "models/execution_plan.hpp"
#include "models/functional.hpp"

namespace keras::detail {

Tensor conform_input(const Tensor& value, const TensorSpec& spec, const std::string& input_name) {
  if (!value.defined()) throw ValueError("Input '" + input_name + "' has no data");
  bool ok = value.rank() == static_cast<int>(spec.shape.size());
  for (std::size_t i = 0; ok && i < spec.shape.size(); ++i) {
    if (spec.shape[i] >= 0 && spec.shape[i] != value.shape()[i]) ok = false;
  }
  if (!ok)
    throw ShapeMismatchError("Input '" + input_name + "' is incompatible with the layer: expected shape=" +
                             shape_to_string(spec.shape) + ", found shape=" + shape_to_string(value.shape()));
  if (value.dtype() == spec.dtype) return value;
  if (is_floating(value.dtype()) && !is_floating(spec.dtype) && spec.dtype != DType::bool_)
    throw ValueError("Input '" + input_name + "' expects dtype " + dtype_name(spec.dtype) + ", got " +
                     dtype_name(value.dtype()) + " (float data for an integer input)");
  return value.astype(spec.dtype);
}

std::vector<Layer::CallMask> call_time_masks_of(const Node& node) {
  if (!node.operation->is_layer()) return {};
  return static_cast<const Layer&>(*node.operation).call_time_masks(node.args, node.kwargs);
}

std::vector<std::size_t> mask_leaves(const Json& structure) {
  std::vector<std::size_t> out;
  std::function<void(const Json&)> walk = [&](const Json& v) {
    if (CallArgs::is_ref(v)) {
      out.push_back(v.at("__tensor__").get<std::size_t>());
    } else if (v.is_array() || v.is_object()) {
      for (const auto& item : v) walk(item);
    }
  };
  walk(structure);
  return out;
}

Json fill_mask_structure(const Json& structure, const std::function<Json(std::size_t)>& resolve) {
  if (CallArgs::is_ref(structure)) return resolve(structure.at("__tensor__").get<std::size_t>());
  if (structure.is_array()) {
    Json out = Json::array();
    for (const auto& item : structure) out.push_back(fill_mask_structure(item, resolve));
    return out;
  }
  if (structure.is_object()) {
    Json out = Json::object();
    for (const auto& [key, item] : structure.items()) out[key] = fill_mask_structure(item, resolve);
    return out;
  }
  return nullptr;
}

std::vector<Tensor> record_graph(const std::vector<std::shared_ptr<Node>>& nodes,
                                 const std::vector<KerasTensor>& sources, const std::vector<Tensor>& source_values,
                                 const std::vector<KerasTensor>& wanted, bool training,
                                 const std::vector<Tensor>& source_masks, std::vector<Tensor>* wanted_masks,
                                 GraphTape& tape, const MaskErasure* erasure) {
  // Unlike the execution plan, a recorded run keeps every value: the backward pass reads them.
  using Key = std::pair<const Node*, int>;
  auto key_of = [](const KerasTensor& t) { return Key{t.node().get(), t.index()}; };
  std::map<Key, Tensor> values;
  // Masks known only at run time: given with the inputs, returned by nested
  // models, or passed on by layers that support masking.
  std::map<Key, Tensor> runtime_masks;
  for (std::size_t i = 0; i < sources.size(); ++i) {
    values[key_of(sources[i])] = source_values[i];
    if (i < source_masks.size() && source_masks[i].defined()) runtime_masks[key_of(sources[i])] = source_masks[i];
  }
  auto mask_of = [&](const KerasTensor& t) -> Tensor {
    if (auto it = runtime_masks.find(key_of(t)); it != runtime_masks.end()) return it->second;
    if (auto mask = t.keras_mask()) {
      if (auto it = values.find(key_of(*mask)); it != values.end()) return it->second;
    }
    return {};
  };
  for (const auto& node : nodes) {
    if (values.count({node.get(), 0}) != 0) continue;  // a source
    CallArgs args;
    args.args = node->args;
    args.kwargs = node->kwargs;
    args.training = training;
    args.tensors.reserve(node->inputs.size() + 1);
    for (const auto& input : node->inputs) {
      auto it = values.find(key_of(input));
      if (it == values.end())
        throw ValueError("Missing a value for an input of operation '" + node->operation->name() + "'");
      args.tensors.push_back(it->second);
    }
    for (const auto& fill : call_time_masks_of(*node)) {
      args.kwargs[fill.kwarg] = fill_mask_structure(fill.structure, [&](std::size_t i) -> Json {
        if (erasure != nullptr && erasure->drops_input(node.get(), i)) return nullptr;
        Tensor mask = mask_of(node->inputs.at(i));
        if (!mask.defined()) return nullptr;
        args.tensors.push_back(mask);
        return Json{{"__tensor__", args.tensors.size() - 1}};
      });
    }
    std::vector<Tensor> outputs;
    std::vector<Tensor> output_masks;
    outputs = tape.call(node, args, &output_masks);
    if (outputs.size() != node->output_specs.size())
      throw ValueError("Operation '" + node->operation->name() + "' returned " + std::to_string(outputs.size()) +
                       " outputs, expected " + std::to_string(node->output_specs.size()));
    const auto* layer = node->operation->is_layer() ? static_cast<const Layer*>(node->operation.get()) : nullptr;
    for (std::size_t i = 0; i < outputs.size(); ++i) {
      Key out{node.get(), static_cast<int>(i)};
      values[out] = std::move(outputs[i]);
      if (i < output_masks.size() && output_masks[i].defined()) {
        runtime_masks[out] = output_masks[i];
      } else if (layer != nullptr && layer->supports_masking() &&
                 !KerasTensor(node, static_cast<int>(i)).keras_mask() && !node->args.empty() &&
                 CallArgs::is_ref(node->args[0])) {
        // A run-time mask the graph never saw (from a nested model) goes
        // through layers that support masking, as compute_mask's default does.
        auto first = key_of(node->inputs.at(node->args[0].at("__tensor__").get<std::size_t>()));
        if (auto it = runtime_masks.find(first); it != runtime_masks.end()) runtime_masks[out] = it->second;
      }
    }
  }
  std::vector<Tensor> out;
  for (const auto& t : wanted) {
    auto it = values.find(key_of(t));
    if (it == values.end()) throw ValueError("Graph output was not computed");
    out.push_back(it->second);
    if (wanted_masks != nullptr)
      wanted_masks->push_back(erasure != nullptr && erasure->drops_tensor(t) ? Tensor() : mask_of(t));
  }
  return out;
}

std::shared_ptr<const ExecutionPlan> FunctionalImpl::execution_plan() {
  std::lock_guard<std::mutex> lock(plan_mutex_);
  if (!plan_) plan_ = build_execution_plan(execution_order_, inputs_, outputs_, erasure_[0].get(), erasure_[1].get());
  return plan_;
}

std::vector<Tensor> FunctionalImpl::run(const std::vector<Tensor>& inputs, bool training) {
  return run_masked(inputs, {}, training).outputs;
}

MaskedRun FunctionalImpl::run_masked(const std::vector<Tensor>& inputs, const std::vector<Tensor>& input_masks,
                                     bool training, Pullback* pullback) {
  if (inputs.size() != inputs_.size())
    throw ValueError("Model '" + name() + "' expects " + std::to_string(inputs_.size()) +
                     " input(s), but it received " + std::to_string(inputs.size()) + " input tensors");
  std::vector<Tensor> conformed;
  auto names = input_names();
  for (std::size_t i = 0; i < inputs.size(); ++i)
    conformed.push_back(conform_input(inputs[i], inputs_[i].spec(), names[i]));
  bool masked = std::any_of(input_masks.begin(), input_masks.end(), [](const Tensor& m) { return m.defined(); });
  if (masked) {
    auto variant = masked_variant(input_masks);
    std::vector<Tensor> variant_inputs = conformed;
    for (std::size_t i = 0; i < input_masks.size() && i < inputs_.size(); ++i) {
      if (input_masks[i].defined()) variant_inputs.push_back(input_masks[i]);
    }
    return variant->run_masked(variant_inputs, {}, training, pullback);
  }
  MaskedRun result;
  if (pullback == nullptr) {
    result.outputs = run_execution_plan(*execution_plan(), conformed, training, {}, &result.masks);
    return result;
  }
  auto tape = std::make_shared<GraphTape>();
  for (std::size_t i = 0; i < inputs_.size(); ++i)
    if (is_floating(conformed[i].dtype())) tape->mark_needs_gradient(inputs_[i]);
  result.outputs = record_graph(execution_order_, inputs_, conformed, outputs_, training, {}, &result.masks, *tape,
                                erasure_[training ? 1 : 0].get());
  *pullback = [tape, sources = inputs_, wanted = outputs_](const std::vector<Tensor>& output_grads) {
    return tape->backward(sources, wanted, output_grads);
  };
  return result;
}

std::vector<Tensor> FunctionalImpl::masks_from_call(const CallArgs& args) const {
  const Json* mask = args.kwarg("mask");
  if (mask == nullptr || mask->is_null()) return {};
  std::vector<Tensor> masks;
  // Keras flattens the mask structure (dict keys sorted) and pairs it with the inputs.
  std::function<void(const Json&)> flatten = [&](const Json& value) {
    if (CallArgs::is_ref(value)) {
      masks.push_back(args.ref(value));
    } else if (value.is_null()) {
      masks.emplace_back();
    } else if (value.is_array()) {
      for (const auto& item : value) flatten(item);
    } else if (value.is_object()) {
      std::vector<std::string> keys;
      for (const auto& [key, item] : value.items()) keys.push_back(key);
      std::sort(keys.begin(), keys.end());
      for (const auto& key : keys) flatten(value.at(key));
    } else {
      throw ValueError("Model '" + name() + "': invalid mask argument " + value.dump());
    }
  };
  flatten(*mask);
  return masks;
}

std::shared_ptr<FunctionalImpl> FunctionalImpl::masked_variant(const std::vector<Tensor>& input_masks) {
  std::string key;
  for (std::size_t i = 0; i < inputs_.size(); ++i) {
    if (i < input_masks.size() && input_masks[i].defined()) {
      const Shape& shape = input_masks[i].shape();
      key += dtype_name(input_masks[i].dtype()) +
             shape_to_string(Shape(shape.begin() + (shape.empty() ? 0 : 1), shape.end()));
    }
    key += ";";
  }
  if (auto it = masked_variants_.find(key); it != masked_variants_.end()) return it->second;

  using Key = std::pair<const Node*, int>;
  std::map<Key, KerasTensor> remap;
  std::vector<KerasTensor> variant_inputs;
  std::vector<KerasTensor> mask_inputs;
  auto placeholder = [](const Shape& batch_shape, DType dtype, const std::string& name) {
    layers::InputLayerOptions options;
    options.batch_shape = batch_shape;
    options.dtype = dtype_name(dtype);
    options.name = name;  // explicit, so no auto-name counter moves
    return std::make_shared<InputLayerImpl>(options)->output();
  };
  for (std::size_t i = 0; i < inputs_.size(); ++i) {
    const TensorSpec& spec = inputs_[i].spec();
    KerasTensor input = placeholder(spec.shape, spec.dtype, inputs_[i].node()->operation->name());
    if (i < input_masks.size() && input_masks[i].defined()) {
      Shape mask_shape = input_masks[i].shape();
      if (!mask_shape.empty()) mask_shape[0] = kUnknownDim;
      KerasTensor mask =
          placeholder(mask_shape, input_masks[i].dtype(), inputs_[i].node()->operation->name() + "_mask");
      input.set_keras_mask(mask);
      mask_inputs.push_back(mask);
    }
    remap[{inputs_[i].node().get(), inputs_[i].index()}] = input;
    variant_inputs.push_back(input);
  }
  // Trace the graph again in dependency order. A recorded `mask: None` is
  // dropped so that Keras' call-time rule fills it from the new masks.
  std::vector<std::shared_ptr<Node>> order;
  std::set<const Node*> seen;
  std::function<void(const KerasTensor&)> visit = [&](const KerasTensor& t) {
    if (remap.count({t.node().get(), t.index()}) != 0) return;
    const auto& node = t.node();
    if (!seen.insert(node.get()).second) return;
    if (is_input_node(*node))
      throw ValueError("Model '" + name() + "': cannot trace the graph again, it uses an undeclared input");
    for (const auto& x : node->inputs) visit(x);
    order.push_back(node);
  };
  for (const auto& out : outputs_) visit(out);
  for (const auto& node : order) {
    std::vector<KerasTensor> node_inputs;
    for (const auto& x : node->inputs) node_inputs.push_back(remap.at({x.node().get(), x.index()}));
    Json kwargs = node->kwargs;
    if (node->operation->is_layer()) {
      if (auto it = kwargs.find("mask"); it != kwargs.end() && it->is_null()) kwargs.erase(it);
    }
    auto outs = call_operation_templates(node->operation, node->args, kwargs, node_inputs);
    for (std::size_t i = 0; i < outs.size(); ++i) remap[{node.get(), static_cast<int>(i)}] = outs[i];
  }
  std::vector<KerasTensor> variant_outputs;
  for (const auto& out : outputs_) variant_outputs.push_back(remap.at({out.node().get(), out.index()}));
  variant_inputs.insert(variant_inputs.end(), mask_inputs.begin(), mask_inputs.end());
  TensorStructure list{TensorStructure::Kind::list, {}};
  auto variant = std::make_shared<FunctionalImpl>(variant_inputs, list, variant_outputs, list, name(), trainable());
  masked_variants_[key] = variant;
  return variant;
}

std::vector<Tensor> FunctionalImpl::inputs_from_call(const CallArgs& args) const {
  const Json& first = args.args.at(0);
  if (input_structure_.kind == TensorStructure::Kind::dict && first.is_object() && !CallArgs::is_ref(first)) {
    std::vector<Tensor> out;
    for (const auto& key : sorted_keys(input_structure_)) out.push_back(args.ref(first.at(key)));
    return out;
  }
  return args.tensor_list(0);
}

std::vector<Tensor> FunctionalImpl::call(const CallArgs& args) { return call_masked(args).outputs; }

MaskedRun FunctionalImpl::call_masked(const CallArgs& args) {
  return run_masked(inputs_from_call(args), masks_from_call(args), args.training);
}

MaskedRun FunctionalImpl::call_masked_vjp(const CallArgs& args, Pullback* pullback) {
  Pullback inner;
  MaskedRun run = run_masked(inputs_from_call(args), masks_from_call(args), args.training, &inner);
  *pullback = call_pullback(std::move(inner), input_indices_of(args, input_structure_), args.tensors.size());
  return run;
}

VjpResult FunctionalImpl::call_vjp(const CallArgs& args) {
  VjpResult result;
  result.outputs = call_masked_vjp(args, &result.pullback).outputs;
  return result;
}

std::vector<TensorSpec> FunctionalImpl::compute_output_spec(const SpecArgs& args) {
  std::int64_t batch = kUnknownDim;
  if (!args.tensors.empty() && !args.tensors.front().shape.empty()) batch = args.tensors.front().shape.front();
  std::vector<TensorSpec> specs;
  for (const auto& out : outputs_) {
    TensorSpec spec = out.spec();
    if (!spec.shape.empty()) spec.shape.front() = batch;
    specs.push_back(spec);
  }
  return specs;
}

}  // namespace keras::detail
