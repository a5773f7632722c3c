// What a graph node was called on, as Keras sees it.
#pragma once

#include <vector>

#include "keras/operation.hpp"

namespace keras::detail {

// Keras' node.input_tensors: the tensors of the call in tree.flatten((args,
// kwargs)) order, which visits dict keys sorted.
std::vector<KerasTensor> node_input_tensors(const Node& node);

}  // namespace keras::detail
