#include "models/mask_erasure.hpp"

#include <algorithm>
#include <map>
#include <string>

#include "keras/layer.hpp"
#include "models/functional.hpp"

namespace keras::detail {

namespace {

using Key = std::pair<const Node*, int>;
Key key_of(const KerasTensor& t) { return {t.node().get(), t.index()}; }

// The node input a call parameter is bound to (positionally or by keyword), if it is a tensor.
std::optional<std::size_t> input_of_parameter(const Node& node, const Layer& layer, const std::string& parameter) {
  const std::vector<std::string> names = layer.call_parameter_names();
  const auto position = static_cast<std::size_t>(std::find(names.begin(), names.end(), parameter) - names.begin());
  const Json* bound = nullptr;
  if (position < names.size() && position < node.args.size()) bound = &node.args[position];
  if (bound == nullptr) {
    if (auto it = node.kwargs.find(parameter); it != node.kwargs.end()) bound = &*it;
  }
  if (bound == nullptr || !CallArgs::is_ref(*bound)) return std::nullopt;
  return bound->at("__tensor__").get<std::size_t>();
}

// The training flag the call runs with: the node's own, when it was called with one.
bool effective_training(const Node& node, bool training) {
  auto it = node.kwargs.find("training");
  return it != node.kwargs.end() && it->is_boolean() ? it->get<bool>() : training;
}

}  // namespace

std::shared_ptr<const MaskErasure> simulate_mask_erasure(const std::vector<std::shared_ptr<Node>>& keras_order,
                                                         bool training) {
  const bool any_eraser = std::any_of(keras_order.begin(), keras_order.end(), [](const auto& node) {
    return node->operation->is_layer() && !static_cast<const Layer&>(*node->operation).call_erases_masks_of().empty();
  });
  if (!any_eraser) return nullptr;

  auto erasure = std::make_shared<MaskErasure>();
  std::map<Key, Key> object_of;  // tensors that are one object at run time share a root
  std::set<Key> erased;          // roots whose mask attribute is None
  const auto root = [&](const KerasTensor& t) {
    auto it = object_of.find(key_of(t));
    return it == object_of.end() ? key_of(t) : it->second;
  };
  for (const auto& node : keras_order) {
    if (is_input_node(*node) || !node->operation->is_layer()) continue;
    const auto& layer = static_cast<const Layer&>(*node->operation);
    // What __call__ hands the call: each filled mask is read from the tensor as it is now.
    for (const auto& fill : call_time_masks_of(*node))
      for (std::size_t i : mask_leaves(fill.structure))
        if (erased.count(root(node->inputs.at(i))) != 0) erasure->dropped_inputs.insert({node.get(), i});
    // What it sets on its outputs: an output returned as its input object is that object; an
    // output whose mask is an input's mask got it from that input as it is now, unless the node
    // recorded the mask it was given (compute_mask's previous_mask is then that one).
    const auto recorded = node->kwargs.find("mask");
    const bool mask_recorded = recorded != node->kwargs.end() && !recorded->is_null();
    std::optional<std::size_t> first_input;
    if (!node->args.empty() && CallArgs::is_ref(node->args[0]))
      first_input = node->args[0].at("__tensor__").get<std::size_t>();
    for (int j = 0; j < static_cast<int>(node->output_specs.size()); ++j) {
      const KerasTensor out(node, j);
      if (j == 0 && first_input && layer.returns_its_input(effective_training(*node, training))) {
        object_of[key_of(out)] = root(node->inputs.at(*first_input));
        continue;
      }
      const auto mask = out.keras_mask();
      if (!mask || mask_recorded) continue;
      for (const auto& input : node->inputs) {
        const auto input_mask = input.keras_mask();
        if (input_mask && key_of(*input_mask) == key_of(*mask) && erased.count(root(input)) != 0) {
          erased.insert(key_of(out));
          break;
        }
      }
    }
    // Then the call's own erasure, after it read the masks (its outputs keep theirs).
    for (const std::string& parameter : layer.call_erases_masks_of())
      if (auto i = input_of_parameter(*node, layer, parameter)) erased.insert(root(node->inputs.at(*i)));
  }
  for (const auto& node : keras_order)
    for (int j = 0; j < static_cast<int>(node->output_specs.size()); ++j)
      if (erased.count(root(KerasTensor(node, j))) != 0) erasure->dropped_tensors.insert({node.get(), j});
  return erasure;
}

}  // namespace keras::detail
