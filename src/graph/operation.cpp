// Symbolic tensors, nodes, symbolic calls and auto names.
#include "keras/operation.hpp"

#include <cctype>
#include <mutex>
#include <regex>
#include <unordered_map>

namespace keras {

const TensorSpec& KerasTensor::spec() const {
  if (!node_) throw ValueError("Undefined KerasTensor");
  return node_->output_specs.at(static_cast<std::size_t>(index_));
}

std::optional<KerasTensor> KerasTensor::keras_mask() const {
  if (!node_) return std::nullopt;
  auto it = node_->output_masks.find(index_);
  if (it == node_->output_masks.end()) return std::nullopt;
  return it->second;
}

void KerasTensor::set_keras_mask(const KerasTensor& mask) const {
  if (!node_) throw ValueError("Undefined KerasTensor");
  node_->output_masks[index_] = mask;
}

template <typename T>
const T& CallArgsT<T>::tensor(std::size_t i) const {
  if (i >= args.size() || !is_ref(args[i]))
    throw ValueError("Expected a tensor as positional argument " + std::to_string(i) + ", got " +
                     (i < args.size() ? args[i].dump() : std::string("nothing")));
  return ref(args[i]);
}

template <typename T>
std::vector<T> CallArgsT<T>::tensor_list(std::size_t i) const {
  if (i >= args.size()) throw ValueError("Missing positional argument " + std::to_string(i));
  const Json& a = args[i];
  if (is_ref(a)) return {ref(a)};
  std::vector<T> out;
  if (a.is_array()) {
    for (const auto& item : a) {
      if (!is_ref(item)) throw ValueError("Expected a list of tensors, got " + a.dump());
      out.push_back(ref(item));
    }
    return out;
  }
  if (a.is_object()) {  // dict of tensors: values in key order as stored
    for (const auto& [key, item] : a.items()) {
      if (!is_ref(item)) throw ValueError("Expected a dict of tensors, got " + a.dump());
      out.push_back(ref(item));
    }
    return out;
  }
  throw ValueError("Expected a list of tensors, got " + a.dump());
}

template <typename T>
std::optional<T> CallArgsT<T>::kwarg_tensor(const std::string& key) const {
  auto it = kwargs.find(key);
  if (it == kwargs.end() || it->is_null()) return std::nullopt;
  if (!is_ref(*it)) throw ValueError("Expected a tensor for argument '" + key + "', got " + it->dump());
  return ref(*it);
}

template <typename T>
const Json* CallArgsT<T>::kwarg(const std::string& key) const {
  auto it = kwargs.find(key);
  return it == kwargs.end() ? nullptr : &*it;
}

template struct CallArgsT<Tensor>;
template struct CallArgsT<TensorSpec>;

std::vector<KerasTensor> Operation::call_symbolic(Json args, Json kwargs, std::vector<KerasTensor> inputs) {
  SpecArgs spec_args;
  spec_args.args = args;
  spec_args.kwargs = kwargs;
  for (const auto& t : inputs) spec_args.tensors.push_back(t.spec());
  before_symbolic_call(spec_args);
  auto node = std::make_shared<Node>();
  node->output_specs = compute_output_spec(spec_args);
  node->operation = shared_from_this();
  node->args = std::move(args);
  node->kwargs = std::move(kwargs);
  node->inputs = std::move(inputs);
  inbound_nodes_.push_back(node);
  std::vector<KerasTensor> outputs;
  for (std::size_t i = 0; i < node->output_specs.size(); ++i) outputs.emplace_back(node, static_cast<int>(i));
  return outputs;
}

std::vector<KerasTensor> Operation::symbolic_call(Json args, Json kwargs, std::vector<KerasTensor> inputs) {
  return call_symbolic(std::move(args), std::move(kwargs), std::move(inputs));
}

bool is_tensor_argument(const Json& value) {
  if (SpecArgs::is_ref(value)) return true;
  if (!(value.is_array() || value.is_object()) || value.empty()) return false;
  for (const auto& item : value) {
    if (!item.is_null() && !is_tensor_argument(item)) return false;
  }
  return true;
}

Json SymbolicArg::to_template(std::vector<KerasTensor>& inputs) const {
  auto ref = [&](const KerasTensor& t) {
    if (!t.defined()) throw ValueError("Cannot call a layer on an undefined KerasTensor");
    inputs.push_back(t);
    return Json{{"__tensor__", inputs.size() - 1}};
  };
  if (const auto* t = std::get_if<KerasTensor>(&value_)) return ref(*t);
  if (const auto* list = std::get_if<std::vector<KerasTensor>>(&value_)) {
    Json out = Json::array();
    for (const auto& t : *list) out.push_back(ref(t));
    return out;
  }
  return std::get<Json>(value_);
}

std::vector<KerasTensor> call_operation(const OperationPtr& op, const std::vector<SymbolicArg>& args,
                                        const SymbolicKwargs& kwargs) {
  std::vector<KerasTensor> inputs;
  Json args_template = Json::array();
  for (const auto& a : args) args_template.push_back(a.to_template(inputs));
  Json kwargs_template = Json::object();
  for (const auto& [key, value] : kwargs) kwargs_template[key] = value.to_template(inputs);
  return call_operation_templates(op, std::move(args_template), std::move(kwargs_template), std::move(inputs));
}

std::vector<KerasTensor> call_operation_templates(const OperationPtr& op, Json args_template, Json kwargs_template,
                                                  std::vector<KerasTensor> inputs) {
  return op->symbolic_call(std::move(args_template), std::move(kwargs_template), std::move(inputs));
}

namespace {
std::mutex& names_mutex() {
  static std::mutex m;
  return m;
}
std::unordered_map<std::string, int>& name_counters() {
  static std::unordered_map<std::string, int> counters;
  return counters;
}
}  // namespace

std::string unique_object_name(const std::string& prefix) {
  std::lock_guard lock(names_mutex());
  int& count = name_counters()[prefix];
  std::string name = count == 0 ? prefix : prefix + "_" + std::to_string(count);
  ++count;
  return name;
}

void clear_session() {
  std::lock_guard lock(names_mutex());
  name_counters().clear();
}

std::string to_snake_case(const std::string& name) {
  // (1) drop non-word characters
  std::string word;
  for (char c : name) {
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '_') word += c;
  }
  // (2) "(.)([A-Z][a-z]+)" -> "\1_\2", one left-to-right pass
  static const std::regex upper_word("(.)([A-Z][a-z]+)");
  std::string step2 = std::regex_replace(word, upper_word, "$1_$2");
  // (3) "([a-z])([A-Z])" -> "\1_\2"
  static const std::regex lower_upper("([a-z])([A-Z])");
  std::string step3 = std::regex_replace(step2, lower_upper, "$1_$2");
  for (char& c : step3) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return step3;
}

}  // namespace keras
