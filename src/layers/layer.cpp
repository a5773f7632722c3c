// The Layer base: naming, config, variables, sublayers, build and calls.
#include "keras/layer.hpp"
#include "graph/config_json.hpp"

#include <algorithm>
#include <unordered_set>

namespace keras {

// ---------------------------------------------------------------- DTypePolicy

DTypePolicy::DTypePolicy(std::string name) : name_(std::move(name)) {
  if (name_ != "mixed_float16" && name_ != "mixed_bfloat16") (void)dtype_from_name(name_);
}

DType DTypePolicy::variable_dtype() const {
  if (name_ == "mixed_float16" || name_ == "mixed_bfloat16") return DType::float32;
  return dtype_from_name(name_);
}

DType DTypePolicy::compute_dtype() const {
  if (name_ == "mixed_float16") return DType::float16;
  if (name_ == "mixed_bfloat16") return DType::bfloat16;
  return dtype_from_name(name_);
}

Json DTypePolicy::serialize() const {
  return Json{{"module", "keras"},
              {"class_name", "DTypePolicy"},
              {"config", Json{{"name", name_}}},
              {"registered_name", nullptr}};
}

DTypePolicy DTypePolicy::from_json(const Json& value) {
  if (value.is_null()) return DTypePolicy();
  if (value.is_string()) return DTypePolicy(value.get<std::string>());
  if (value.is_object()) {
    const std::string cls = detail::config_value(value, "class_name", "");
    if (cls == "DTypePolicy" || cls == "FloatDTypePolicy" || cls == "Policy") {
      // Keras' DTypePolicy(name=None) is the global default policy; a name of another type is refused by key.
      const Json config = detail::config_value<Json>(value, "config", Json::object());
      if (!config.is_object()) detail::throw_bad_config_value("config", "an object", config, cls);
      if (!config.contains("name") || config.at("name").is_null()) return DTypePolicy();
      return DTypePolicy(detail::config_value<std::string>(config, "name", ""));
    }
    if (cls.find("Quantized") != std::string::npos || cls == "Int4DTypePolicy" || cls == "TernaryDTypePolicy" ||
        cls == "DTypePolicyMap") {
      throw NotImplementedError("Quantized layers are not supported by keras-cpp (dtype policy " + cls + ")");
    }
    throw UnknownObjectError("Unknown dtype policy class: " + cls);
  }
  throw FormatError("Invalid dtype: " + value.dump());
}

// ---------------------------------------------------------------------- Layer

Layer::Layer(const LayerBaseOptions& base, const std::string& auto_name_prefix)
    : Operation(base.name.empty() ? unique_object_name(auto_name_prefix) : base.name),
      trainable_(base.trainable),
      dtype_policy_(base.dtype ? DTypePolicy(*base.dtype) : DTypePolicy()) {}

Json Layer::base_config() const {
  Json config{{"name", name()}, {"trainable", trainable_}, {"dtype", dtype_policy_.serialize()}};
  if (activity_regularizer_) config["activity_regularizer"] = *activity_regularizer_;
  return config;
}

Json Layer::get_config() const { return base_config(); }

LayerBaseOptions Layer::base_options_from_config(const Json& config) {
  LayerBaseOptions base;
  if (!config.is_object()) throw FormatError("A layer config must be an object, got " + config.dump());
  if (auto it = config.find("name"); it != config.end() && it->is_string()) base.name = it->get<std::string>();
  if (auto it = config.find("trainable"); it != config.end() && it->is_boolean()) base.trainable = it->get<bool>();
  if (auto it = config.find("dtype"); it != config.end() && !it->is_null())
    base.dtype = DTypePolicy::from_json(*it).name();
  return base;
}

void Layer::build_for(const std::vector<Shape>& input_shapes, bool list_input) {
  if (built_) return;
  build_shapes_ = input_shapes;
  build_from_list_ = list_input;
  build(input_shapes);
  built_ = true;
}

void Layer::build(const std::vector<Shape>& /*input_shapes*/) {}

std::optional<Json> Layer::build_config() const {
  if (!built_ || !writes_build_config() || build_shapes_.empty()) return std::nullopt;
  if (build_from_list_) {
    Json shapes = Json::array();
    for (const auto& s : build_shapes_) shapes.push_back(shape_to_json(s));
    return Json{{"input_shape", shapes}};
  }
  return Json{{"input_shape", shape_to_json(build_shapes_.front())}};
}

void Layer::build_from_config(const Json& build_config) {
  if (built_) return;
  auto it = build_config.find("input_shape");
  if (it == build_config.end() || it->is_null()) return;
  const Json& shape = *it;
  // A list of shapes is a list whose elements are lists (or nulls for unknown rank).
  bool is_list = shape.is_array() && !shape.empty() && shape.front().is_array();
  if (is_list) {
    std::vector<Shape> shapes;
    for (const auto& s : shape) shapes.push_back(shape_from_json(s, name() + " build_config input_shape"));
    build_for(shapes, true);
  } else {
    build_for({shape_from_json(shape, name() + " build_config input_shape")}, false);
  }
}

VariablePtr Layer::add_weight(const std::string& name, const Shape& shape, const initializers::Initializer& initializer,
                              bool trainable, std::optional<DType> dtype) {
  auto var = std::make_shared<Variable>(name, shape, dtype.value_or(variable_dtype()), initializer, trainable);
  var->set_path(this->name() + "/" + name);
  (trainable ? trainable_vars_ : non_trainable_vars_).push_back(var);
  return var;
}

void Layer::track_variable(const VariablePtr& variable) {
  (variable->trainable() ? trainable_vars_ : non_trainable_vars_).push_back(variable);
}

namespace {

// Keras' variable lists hold each variable once (a wrapper may share its layer's kernel).
std::vector<VariablePtr> unique(std::vector<VariablePtr> variables) {
  std::unordered_set<const Variable*> seen;
  std::vector<VariablePtr> out;
  out.reserve(variables.size());
  for (auto& v : variables)
    if (seen.insert(v.get()).second) out.push_back(std::move(v));
  return out;
}

}  // namespace

void Layer::track(const std::string& attribute, std::shared_ptr<Layer> sublayer) {
  sublayers_.push_back({attribute, std::move(sublayer)});
}

std::vector<VariablePtr> Layer::own_variables() const {
  std::vector<VariablePtr> out = trainable_vars_;
  out.insert(out.end(), non_trainable_vars_.begin(), non_trainable_vars_.end());
  return out;
}

std::vector<VariablePtr> Layer::trainable_variables() const {
  if (!trainable_) return {};
  std::vector<VariablePtr> out = trainable_vars_;
  for (const auto& layer : layer_list()) {
    auto sub = layer->trainable_variables();
    out.insert(out.end(), sub.begin(), sub.end());
  }
  for (const auto& child : sublayers_) {
    auto sub = child.layer->trainable_variables();
    out.insert(out.end(), sub.begin(), sub.end());
  }
  return unique(std::move(out));
}

std::vector<VariablePtr> Layer::non_trainable_variables() const {
  std::vector<VariablePtr> out;
  if (!trainable_) {
    out = trainable_vars_;
  }
  out.insert(out.end(), non_trainable_vars_.begin(), non_trainable_vars_.end());
  auto add_from = [&](const Layer& layer) {
    auto sub = trainable_ ? layer.non_trainable_variables() : layer.weights();
    out.insert(out.end(), sub.begin(), sub.end());
  };
  for (const auto& layer : layer_list()) add_from(*layer);
  for (const auto& child : sublayers_) add_from(*child.layer);
  return unique(std::move(out));
}

std::vector<VariablePtr> Layer::weights() const {
  auto out = trainable_variables();
  auto rest = non_trainable_variables();
  out.insert(out.end(), rest.begin(), rest.end());
  return unique(std::move(out));
}

std::int64_t Layer::count_params() const {
  std::int64_t total = 0;
  for (const auto& v : weights()) total += shape_size(v->shape());
  return total;
}

std::vector<Layer::Child> Layer::walk_children() const {
  std::vector<Child> children = sublayers_;
  // Python's sorted(dir(obj)) with private names ordered as if prefixed by "~".
  auto key = [](const std::string& attr) { return attr.starts_with("_") ? "~" + attr : attr; };
  std::stable_sort(children.begin(), children.end(),
                   [&](const Child& a, const Child& b) { return key(a.attribute) < key(b.attribute); });
  return children;
}

std::optional<KerasTensor> Layer::compute_mask(const std::vector<KerasTensor>& inputs, const Json& /*args*/,
                                               const Json& /*kwargs*/) {
  if (!supports_masking() || inputs.empty()) return std::nullopt;
  return inputs.front().keras_mask();
}

Shape Layer::compute_output_shape(const Shape& input_shape) { return input_shape; }

Tensor Layer::forward(const Tensor& /*input*/, bool /*training*/) {
  throw NotImplementedError("Layer '" + name() + "' (" + class_name() + ") has no forward pass");
}

std::vector<TensorSpec> Layer::compute_output_spec(const SpecArgs& args) {
  return {TensorSpec{compute_output_shape(args.tensor(0).shape), compute_dtype()}};
}

std::vector<Tensor> Layer::call(const CallArgs& args) { return {forward(args.tensor(0), args.training)}; }

void Layer::before_symbolic_call(const SpecArgs& args) {
  if (built_ || args.args.empty()) return;
  const Json& first = args.args[0];
  if (SpecArgs::is_ref(first)) {
    build_for({args.ref(first).shape}, false);
  } else if (first.is_array()) {
    std::vector<Shape> shapes;
    for (const auto& item : first) {
      if (SpecArgs::is_ref(item)) shapes.push_back(args.ref(item).shape);
    }
    build_for(shapes, true);
  }
}

// ------------------------------------------------------------- symbolic calls

namespace {

// map_structure(get_keras_mask, arg) on a template.
Json mask_structure(const Json& value, std::vector<KerasTensor>& inputs) {
  if (SpecArgs::is_ref(value)) {
    auto mask = inputs.at(value.at("__tensor__").get<std::size_t>()).keras_mask();
    if (!mask) return nullptr;
    inputs.push_back(*mask);
    return Json{{"__tensor__", inputs.size() - 1}};
  }
  if (value.is_null()) return nullptr;
  Json out = value.is_array() ? Json::array() : Json::object();
  if (value.is_array()) {
    for (const auto& item : value) out.push_back(mask_structure(item, inputs));
  } else {
    for (const auto& [key, item] : value.items()) out[key] = mask_structure(item, inputs);
  }
  return out;
}

// Layer.__call__ step 6: with a single tensor argument and no mask given, the
// argument's mask is passed as `mask`. The node records it only when
// __call__ did not copy its kwargs to convert inputs, i.e. for exactly one
// positional tensor of the layer's input dtype and no keyword arguments (or
// for layers that never convert, such as Functional).
void record_populated_mask(const Layer& layer, const Json& args_template, Json& kwargs_template,
                           std::vector<KerasTensor>& inputs) {
  auto given = kwargs_template.find("mask");
  if (given != kwargs_template.end() && !given->is_null()) return;
  const Json* only_tensor_arg = nullptr;
  int tensor_arguments = 0;
  for (const auto& a : args_template) {
    if (is_tensor_argument(a)) {
      ++tensor_arguments;
      only_tensor_arg = &a;
    }
  }
  for (const auto& [key, a] : kwargs_template.items()) {
    if (is_tensor_argument(a)) {
      ++tensor_arguments;
      only_tensor_arg = &a;
    }
  }
  if (tensor_arguments != 1) return;
  bool converts = layer.converts_input_args() &&
                  (!kwargs_template.empty() || args_template.size() != 1 || !SpecArgs::is_ref(args_template[0]) ||
                   inputs.at(args_template[0].at("__tensor__").get<std::size_t>()).dtype() != layer.input_dtype());
  if (converts) return;
  Json mask = mask_structure(*only_tensor_arg, inputs);
  kwargs_template["mask"] = mask;
}

}  // namespace

std::vector<KerasTensor> Layer::symbolic_call(Json args_template, Json kwargs_template,
                                              std::vector<KerasTensor> inputs) {
  if (call_accepts_mask()) record_populated_mask(*this, args_template, kwargs_template, inputs);
  std::vector<KerasTensor> first_arg_tensors;
  if (!args_template.empty()) {
    const Json& first = args_template[0];
    auto collect = [&](const Json& item) {
      if (SpecArgs::is_ref(item)) first_arg_tensors.push_back(inputs[item.at("__tensor__").get<std::size_t>()]);
    };
    if (first.is_array()) {
      for (const auto& item : first) collect(item);
    } else {
      collect(first);
    }
  }
  auto outputs = call_symbolic(std::move(args_template), std::move(kwargs_template), std::move(inputs));
  if (!outputs.empty()) {
    if (auto mask = compute_mask(first_arg_tensors, outputs.front().node()->args, outputs.front().node()->kwargs)) {
      for (const auto& out : outputs) out.set_keras_mask(*mask);
    }
  }
  return outputs;
}

KerasTensor LayerRef::operator()(const KerasTensor& x) const {
  auto outputs = call({SymbolicArg(x)});
  if (outputs.size() != 1)
    throw ValueError("Layer '" + layer_->name() + "' returns " + std::to_string(outputs.size()) +
                     " outputs; use call() to get all of them");
  return outputs.front();
}

KerasTensor LayerRef::operator()(const std::vector<KerasTensor>& xs) const {
  auto outputs = call({SymbolicArg(xs)});
  if (outputs.size() != 1)
    throw ValueError("Layer '" + layer_->name() + "' returns " + std::to_string(outputs.size()) +
                     " outputs; use call() to get all of them");
  return outputs.front();
}

std::vector<KerasTensor> LayerRef::call(const std::vector<SymbolicArg>& args, const SymbolicKwargs& kwargs) const {
  if (!layer_) throw ValueError("Calling an empty LayerRef");
  return call_operation(layer_, args, kwargs);
}

}  // namespace keras
