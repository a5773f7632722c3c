// The Layer base: naming, config, variables, sublayers, build and calls.
#include "keras/layer.hpp"
#include "graph/config_json.hpp"

#include <algorithm>
#include <unordered_set>

namespace keras {

// ---------------------------------------------------------------- DTypePolicy

namespace {

// Keras' QUANTIZATION_MODES; keras-cpp runs the first three.
const std::vector<std::string>& quantization_modes() {
  static const std::vector<std::string> modes = {"int8", "float8", "int4", "ternary", "gptq", "awq"};
  return modes;
}

bool is_mixed(const std::string& name) { return name == "mixed_float16" || name == "mixed_bfloat16"; }

// A float policy name: a dtype or mixed_float16 / mixed_bfloat16.
void check_float_policy_name(const std::string& name) {
  if (!is_mixed(name)) (void)dtype_from_name(name);
}

std::string join_modes() {
  std::string out = "(";
  for (const auto& m : quantization_modes()) out += (out.size() > 1 ? ", '" : "'") + m + "'";
  return out + ")";
}

std::int64_t parse_int4_block_size(const std::string& mode) {
  const std::string expected = "Expected format 'int4/<block_size>', but got '" + mode + "'.";
  const auto slash = mode.find('/');
  if (slash == std::string::npos || mode.substr(0, slash) != "int4" || mode.find('/', slash + 1) != std::string::npos)
    throw ValueError("Invalid mode for Int4DTypePolicy. " + expected);
  const std::string digits = mode.substr(slash + 1);
  if (digits == "None") return -1;  // older files wrote per-channel int4 as "int4/None"
  std::int64_t block = 0;
  try {
    std::size_t used = 0;
    block = std::stoll(digits, &used);
    if (used != digits.size()) throw std::invalid_argument(digits);
  } catch (const std::exception&) {
    throw ValueError("Invalid mode for Int4DTypePolicy. <block_size> must be an integer. " + expected);
  }
  if (block < -1 || block == 0)
    throw ValueError(
        "Invalid block_size in mode. Supported values are -1 (per-channel) or a positive integer "
        "(sub-channel), but got " +
        std::to_string(block) + " from '" + mode + "'.");
  return block;
}

}  // namespace

DTypePolicy::DTypePolicy(std::string name) : name_(std::move(name)), source_(name_) {
  const auto& modes = quantization_modes();
  const bool starts_with_mode =
      std::any_of(modes.begin(), modes.end(), [&](const std::string& m) { return name_.rfind(m, 0) == 0; });
  if (!starts_with_mode) {
    check_float_policy_name(name_);
    return;
  }
  // Keras' _get_quantized_dtype_policy_by_str.
  const auto at = name_.find("_from_");
  if (at == std::string::npos || name_.find("_from_", at + 1) != std::string::npos)
    throw ValueError(
        "Cannot convert `policy` into a valid pair (`mode`, `source_name`) to instantiate "
        "`QuantizedDTypePolicy`. Received: policy=" +
        name_);
  const std::string mode = name_.substr(0, at);
  const std::string source = name_.substr(at + 6);
  if (mode.rfind("int4", 0) == 0 && mode.find('/') != std::string::npos)
    set_quantized(Kind::int4, mode, source);
  else if (mode.rfind("float8", 0) == 0)
    set_quantized(Kind::float8, mode, source);
  else
    set_quantized(Kind::quantized, mode, source);
}

void DTypePolicy::set_quantized(Kind kind, std::string mode, std::string source) {
  check_float_policy_name(source);
  if (kind == Kind::int4) {
    block_size_ = parse_int4_block_size(mode);
    mode = "int4";
  }
  const std::string base_mode = mode.substr(0, mode.find('/'));  // "gptq/4/128" -> "gptq"
  if (base_mode == "ternary" || base_mode == "gptq" || base_mode == "awq")
    throw NotImplementedError("Quantization mode '" + mode + "' (dtype policy '" + name_ +
                              "') is not supported by keras-cpp; it runs int8, int4 and float8");
  const auto& modes = quantization_modes();
  if (std::find(modes.begin(), modes.end(), mode) == modes.end())
    throw ValueError("Invalid quantization mode. Expected one of " + join_modes() + ". Received: mode=" + mode);
  kind_ = kind;
  mode_ = std::move(mode);
  source_ = std::move(source);
  if (mode_ == "int8" && DTypePolicy(source_).compute_dtype() == DType::float16)
    throw ValueError("Quantization mode='int8' doesn't work well with compute_dtype='float16'.");
  name_ = (kind_ == Kind::int4 ? "int4/" + std::to_string(block_size_) : mode_) + "_from_" + source_;
}

DTypePolicy DTypePolicy::float8(const std::string& source_name, std::int64_t amax_history_length) {
  DTypePolicy policy("float8_from_" + source_name);
  if (amax_history_length <= 0)
    throw ValueError("`amax_history_length` must be a positive integer. Received: amax_history_length=" +
                     std::to_string(amax_history_length));
  policy.amax_history_length_ = amax_history_length;
  return policy;
}

std::optional<std::int64_t> DTypePolicy::int4_block_size() const {
  if (kind_ != Kind::int4) return std::nullopt;
  return block_size_;
}

DType DTypePolicy::variable_dtype() const {
  if (is_mixed(source_)) return DType::float32;
  return dtype_from_name(source_);
}

DType DTypePolicy::compute_dtype() const {
  if (source_ == "mixed_float16") return DType::float16;
  if (source_ == "mixed_bfloat16") return DType::bfloat16;
  return dtype_from_name(source_);
}

Json DTypePolicy::serialize() const {
  if (kind_ == Kind::plain)
    return Json{{"module", "keras"},
                {"class_name", "DTypePolicy"},
                {"config", Json{{"name", name_}}},
                {"registered_name", nullptr}};
  Json config{{"mode", kind_ == Kind::int4 ? "int4/" + std::to_string(block_size_) : mode_}, {"source_name", source_}};
  if (kind_ == Kind::float8) config["amax_history_length"] = amax_history_length_;
  const char* cls = kind_ == Kind::int4     ? "Int4DTypePolicy"
                    : kind_ == Kind::float8 ? "QuantizedFloat8DTypePolicy"
                                            : "QuantizedDTypePolicy";
  return Json{
      {"module", "keras.dtype_policies"}, {"class_name", cls}, {"config", config}, {"registered_name", nullptr}};
}

DTypePolicy DTypePolicy::from_json(const Json& value) {
  if (value.is_null()) return DTypePolicy();
  if (value.is_string()) return DTypePolicy(value.get<std::string>());
  if (!value.is_object()) throw FormatError("Invalid dtype: " + value.dump());
  const std::string cls = detail::config_value(value, "class_name", "");
  auto it = value.find("config");
  if (it == value.end() || !it->is_object())
    throw FormatError("The dtype policy " + cls + " needs a 'config' object, got " + value.dump());
  const Json& config = *it;
  if (cls == "DTypePolicy" || cls == "FloatDTypePolicy" || cls == "Policy") {
    // Keras' DTypePolicy(name=None) is the global default policy; a name of another type is refused by key.
    if (!config.contains("name") || config.at("name").is_null()) return DTypePolicy();
    return DTypePolicy(detail::config_value<std::string>(config, "name", ""));
  }
  if (cls == "QuantizedDTypePolicy" || cls == "Int4DTypePolicy" || cls == "QuantizedFloat8DTypePolicy") {
    auto mode = config.find("mode");
    if (mode == config.end() || !mode->is_string())
      throw FormatError("The dtype policy " + cls + " needs a string 'mode', got " + value.dump());
    std::string source = "float32";  // Keras' global policy when source_name is None
    if (auto s = config.find("source_name"); s != config.end() && !s->is_null()) {
      if (!s->is_string()) throw FormatError("The dtype policy " + cls + ": 'source_name' must be a string");
      source = s->get<std::string>();
    }
    DTypePolicy policy;
    policy.name_ = mode->get<std::string>() + "_from_" + source;
    policy.set_quantized(cls == "Int4DTypePolicy"              ? Kind::int4
                         : cls == "QuantizedFloat8DTypePolicy" ? Kind::float8
                                                               : Kind::quantized,
                         mode->get<std::string>(), source);
    if (cls == "QuantizedFloat8DTypePolicy") {
      if (auto a = config.find("amax_history_length"); a != config.end()) {
        if (!a->is_number_integer())
          throw FormatError("`amax_history_length` must be an integer. Received: amax_history_length=" + a->dump());
        if (a->get<std::int64_t>() <= 0)
          throw ValueError("`amax_history_length` must be a positive integer. Received: amax_history_length=" +
                           a->dump());
        policy.amax_history_length_ = a->get<std::int64_t>();
      }
    }
    return policy;
  }
  if (cls == "TernaryDTypePolicy" || cls == "GPTQDTypePolicy" || cls == "AWQDTypePolicy" || cls == "DTypePolicyMap")
    throw NotImplementedError("The dtype policy " + cls +
                              " is not supported by keras-cpp (it runs int8, int4 and float8 quantized layers)");
  throw UnknownObjectError("Unknown dtype policy class: " + cls);
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

LayerBaseOptions Layer::base_options_from_config(const Json& config, bool quantizable) {
  LayerBaseOptions base;
  if (!config.is_object()) throw FormatError("A layer config must be an object, got " + config.dump());
  if (auto it = config.find("name"); it != config.end() && it->is_string()) base.name = it->get<std::string>();
  if (auto it = config.find("trainable"); it != config.end() && it->is_boolean()) base.trainable = it->get<bool>();
  if (auto it = config.find("dtype"); it != config.end() && !it->is_null()) {
    const DTypePolicy policy = DTypePolicy::from_json(*it);
    // Keras has quantized forward passes only for Dense, EinsumDense and
    // Embedding; any other layer with such a policy fails in Keras' call.
    if (policy.quantized() && !quantizable)
      throw NotImplementedError("Layer '" + base.name + "' has the quantized dtype policy '" + policy.name() +
                                "': only Dense, EinsumDense and Embedding layers run quantized");
    base.dtype = policy.name();
  }
  return base;
}

void Layer::set_dtype_policy(DTypePolicy policy) { dtype_policy_ = std::move(policy); }

void Layer::quantize(const std::string& mode, const std::optional<quantizers::QuantizationConfig>& config) {
  // Keras' quantize_wrapper: validate_and_resolve_config, then _check_quantize_args.
  quantizers::QuantizationConfig resolved = config ? *config : quantizers::QuantizationConfig::for_mode(mode);
  if (config) {
    resolved.validate();
    if (!mode.empty() && mode != config->mode)
      throw ValueError("Contradictory arguments: mode='" + mode + "' but config.mode='" + config->mode + "'");
  }
  if (!built())
    throw ValueError("Cannot quantize a layer that isn't yet built. Layer '" + name() + "' (of type '" +
                     python_class_name() + "') is not built yet.");
  if (dtype_policy().quantized())
    throw ValueError("Layer '" + name() + "' is already quantized with dtype_policy='" + dtype_policy().name() +
                     "'. Received: mode=" + resolved.mode);
  if (resolved.mode == "int8" && compute_dtype() == DType::float16)
    throw ValueError(
        "Quantization mode='int8' doesn't work well with compute_dtype='float16'. Consider loading "
        "model/layer with another dtype policy such as 'mixed_bfloat16' or 'mixed_float16' before "
        "calling `quantize()`.");
  quantize_weights(resolved);
}

void Layer::quantize_weights(const quantizers::QuantizationConfig& /*config*/) {
  throw NotImplementedError("Layer " + python_class_name() + " does not have a `quantize` method implemented.");
}

void Layer::remove_weight(const VariablePtr& variable) {
  for (auto* list : {&trainable_vars_, &non_trainable_vars_})
    list->erase(std::remove(list->begin(), list->end(), variable), list->end());
}

void Layer::freeze_weight(const VariablePtr& variable) { variable->set_trainable(false); }

void Layer::enable_lora(std::int64_t /*rank*/, const LoraOptions& /*options*/) {
  throw NotImplementedError("Layer '" + name() + "' (" + class_name() + ") has no enable_lora()");
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

// Keras' order: a layer's own trainable list (frozen variables such as a LoRA
// kernel keep their place there), its own non-trainable list, then each
// sublayer's weights; the trainable and non-trainable views filter it.
std::vector<VariablePtr> Layer::weights() const {
  std::vector<VariablePtr> out = trainable_vars_;
  out.insert(out.end(), non_trainable_vars_.begin(), non_trainable_vars_.end());
  auto add_from = [&](const Layer& layer) {
    auto sub = layer.weights();
    out.insert(out.end(), sub.begin(), sub.end());
  };
  for (const auto& layer : layer_list()) add_from(*layer);
  for (const auto& child : sublayers_) add_from(*child.layer);
  return unique(std::move(out));
}

std::vector<VariablePtr> Layer::trainable_variables() const {
  if (!trainable_) return {};
  std::vector<VariablePtr> out = own_trainable_variables();
  auto add_from = [&](const Layer& layer) {
    auto sub = layer.trainable_variables();
    out.insert(out.end(), sub.begin(), sub.end());
  };
  for (const auto& layer : layer_list()) add_from(*layer);
  for (const auto& child : sublayers_) add_from(*child.layer);
  return unique(std::move(out));
}

std::vector<VariablePtr> Layer::non_trainable_variables() const {
  if (!trainable_) return weights();
  std::vector<VariablePtr> out;
  for (const auto& v : trainable_vars_)
    if (!v->trainable()) out.push_back(v);
  out.insert(out.end(), non_trainable_vars_.begin(), non_trainable_vars_.end());
  auto add_from = [&](const Layer& layer) {
    auto sub = layer.non_trainable_variables();
    out.insert(out.end(), sub.begin(), sub.end());
  };
  for (const auto& layer : layer_list()) add_from(*layer);
  for (const auto& child : sublayers_) add_from(*child.layer);
  return unique(std::move(out));
}

std::vector<VariablePtr> Layer::own_trainable_variables() const {
  std::vector<VariablePtr> out;
  for (const auto& v : trainable_vars_)
    if (v->trainable()) out.push_back(v);
  return out;
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

std::optional<KerasTensor> Layer::compute_mask(const std::vector<KerasTensor>& inputs, const Node& node) {
  if (auto given = node.kwargs.find("mask"); given != node.kwargs.end() && SpecArgs::is_ref(*given))
    return node.inputs.at(given->at("__tensor__").get<std::size_t>());
  if (inputs.empty()) return std::nullopt;
  return inputs.front().keras_mask();
}

std::vector<std::string> Layer::call_parameter_names() const {
  if (call_accepts_mask()) return {"inputs", "mask", "training"};
  return {"inputs", "training"};
}

std::vector<Layer::CallMask> Layer::call_time_masks(const Json& args, const Json& kwargs) const {
  const std::vector<std::string> names = call_parameter_names();
  auto takes = [&](const std::string& p) { return std::find(names.begin(), names.end(), p) != names.end(); };
  auto given = [&](const std::string& p) {
    auto it = kwargs.find(p);
    return it != kwargs.end() && !it->is_null();
  };
  // CallSpec.tensor_arguments_dict: the bound arguments holding tensors.
  std::vector<std::pair<std::string, const Json*>> tensor_arguments;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (is_tensor_argument(args[i])) tensor_arguments.emplace_back(i < names.size() ? names[i] : "", &args[i]);
  }
  for (const auto& [key, value] : kwargs.items()) {
    if (is_tensor_argument(value)) tensor_arguments.emplace_back(key, &value);
  }
  std::vector<CallMask> fills;
  if (tensor_arguments.size() == 1) {
    if (takes("mask") && !given("mask")) fills.push_back({"mask", *tensor_arguments.front().second});
  } else {
    for (const auto& [name, value] : tensor_arguments) {
      const std::string p = name + "_mask";
      if (!name.empty() && takes(p) && !given(p)) fills.push_back({p, *value});
    }
  }
  return fills;
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
  // _set_mask_metadata: only layers that support masking set one, and a
  // single mask goes to the first output (zip of the flattened structures).
  if (!outputs.empty() && supports_masking()) {
    if (auto mask = compute_mask(first_arg_tensors, *outputs.front().node())) outputs.front().set_keras_mask(*mask);
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
