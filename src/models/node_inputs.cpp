#include "models/node_inputs.hpp"

#include <algorithm>
#include <string>

namespace keras::detail {

namespace {

void flatten_template(const Json& value, const std::vector<KerasTensor>& tensors, std::vector<KerasTensor>& out) {
  if (value.is_object() && value.contains("__tensor__")) {
    const auto index = value.at("__tensor__").get<std::size_t>();
    if (index < tensors.size()) out.push_back(tensors[index]);
    return;
  }
  if (value.is_array()) {
    for (const auto& item : value) flatten_template(item, tensors, out);
  } else if (value.is_object()) {
    std::vector<std::string> keys;
    for (const auto& [key, item] : value.items()) keys.push_back(key);
    std::sort(keys.begin(), keys.end());
    for (const auto& key : keys) flatten_template(value.at(key), tensors, out);
  }
}

}  // namespace

std::vector<KerasTensor> node_input_tensors(const Node& node) {
  std::vector<KerasTensor> out;
  flatten_template(node.args, node.inputs, out);
  flatten_template(node.kwargs, node.inputs, out);
  return out;
}

}  // namespace keras::detail
