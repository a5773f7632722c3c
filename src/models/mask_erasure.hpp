// Keras' run-time mask erasure. A Keras mask is an attribute of the tensor object itself, and
// MultiHeadAttention.call sets that attribute to None on its query, value and key: every layer
// Keras runs afterwards on those tensors (or on tensors derived from their masks) sees no mask,
// while the layers that ran before saw it. keras-cpp's masks are symbolic, so which mask reads
// Keras' run would find erased is worked out once per graph, by walking its nodes in the order
// Keras' Functional runs them (by depth, then in map_graph's order).
#pragma once

#include <memory>
#include <set>
#include <utility>
#include <vector>

#include "keras/operation.hpp"

namespace keras::detail {

struct MaskErasure {
  // (node, input index): the mask Keras' __call__ would hand that node for that input is gone.
  std::set<std::pair<const Node*, std::size_t>> dropped_inputs;
  // Tensors (node, output index) whose own mask is gone by the end of the run.
  std::set<std::pair<const Node*, int>> dropped_tensors;

  bool drops_input(const Node* node, std::size_t input) const { return dropped_inputs.count({node, input}) != 0; }
  bool drops_tensor(const KerasTensor& t) const { return dropped_tensors.count({t.node().get(), t.index()}) != 0; }
};

// `keras_order`: the graph's nodes in Keras' execution order. `training` matters because
// Dropout and its kin return their input object itself only at inference. Null when nothing in
// the graph erases a mask.
std::shared_ptr<const MaskErasure> simulate_mask_erasure(const std::vector<std::shared_ptr<Node>>& keras_order,
                                                         bool training);

}  // namespace keras::detail
