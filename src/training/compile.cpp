// keras.Model.compile (keras/src/trainers/trainer.py) without a training
// loop: resolves the optimizer, keeps losses and metrics as identifiers, and
// records compile_config exactly as Keras serializes it.
#include "training/compile.hpp"

#include <algorithm>
#include <iostream>
#include <set>

#include "keras/metrics.hpp"
#include "keras/operation.hpp"
#include "keras/optimizers.hpp"
#include "training/trainer.hpp"

namespace keras {

namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// keras.losses: classes and functions (ALL_OBJECTS) and the short aliases.
const std::set<std::string>& loss_classes() {
  static const std::set<std::string> names = {"Loss",
                                              "LossFunctionWrapper",
                                              "KLDivergence",
                                              "Poisson",
                                              "BinaryCrossentropy",
                                              "BinaryFocalCrossentropy",
                                              "CategoricalCrossentropy",
                                              "CategoricalFocalCrossentropy",
                                              "SparseCategoricalCrossentropy",
                                              "MeanSquaredError",
                                              "MeanAbsoluteError",
                                              "MeanAbsolutePercentageError",
                                              "MeanSquaredLogarithmicError",
                                              "CosineSimilarity",
                                              "LogCosh",
                                              "Huber",
                                              "Hinge",
                                              "SquaredHinge",
                                              "CategoricalHinge",
                                              "Dice",
                                              "Tversky",
                                              "Circle",
                                              "CTC"};
  return names;
}

const std::set<std::string>& loss_functions() {
  static const std::set<std::string> names = {
      "kl_divergence", "poisson", "binary_crossentropy", "binary_focal_crossentropy", "categorical_crossentropy",
      "categorical_focal_crossentropy", "sparse_categorical_crossentropy", "mean_squared_error", "mean_absolute_error",
      "mean_absolute_percentage_error", "mean_squared_logarithmic_error", "cosine_similarity", "log_cosh", "huber",
      "hinge", "squared_hinge", "categorical_hinge", "dice", "tversky", "circle", "ctc",
      // aliases
      "bce", "BCE", "kld", "KLD", "mae", "MAE", "mse", "MSE", "mape", "MAPE", "msle", "MSLE"};
  return names;
}

// keras.metrics classes (ALL_OBJECTS): the registered built-ins and their base class.
const std::set<std::string>& metric_classes() {
  static const std::set<std::string> names = [] {
    const auto builtins = metrics::builtin_class_names();
    std::set<std::string> out(builtins.begin(), builtins.end());
    out.insert("Metric");
    return out;
  }();
  return names;
}

// Strings metrics.get resolves: class names, their snake_case forms, aliases.
const std::set<std::string>& metric_names() {
  static const std::set<std::string> names = [] {
    std::set<std::string> out = metric_classes();
    for (const auto& c : metric_classes()) out.insert(to_snake_case(c));
    for (const char* alias : {"bce", "BCE", "mse", "MSE", "mae", "MAE", "mape", "MAPE", "msle", "MSLE"})
      out.insert(alias);
    return out;
  }();
  return names;
}

// Functions a {"class_name": "function"} metric envelope may name.
bool is_metric_function(const std::string& name) {
  static const std::set<std::string> functions = {"binary_accuracy", "categorical_accuracy",
                                                  "sparse_categorical_accuracy", "top_k_categorical_accuracy",
                                                  "sparse_top_k_categorical_accuracy"};
  return functions.count(name) != 0 || loss_functions().count(name) != 0 || metric_names().count(name) != 0;
}

bool is_custom_name(const std::string& name) { return name.find('>') != std::string::npos; }

// Checks one envelope of a keras.losses / keras.metrics object or function.
void validate_envelope(const Json& envelope, const char* kind, const std::set<std::string>& classes,
                       bool (*is_function)(const std::string&)) {
  const Json& cls = envelope.at("class_name");
  if (!cls.is_string())
    throw ValueError(std::string("Could not interpret ") + kind + " identifier: " + envelope.dump());
  const std::string class_name = cls.get<std::string>();
  const Json module = envelope.value("module", Json(nullptr));
  const bool keras_module = module.is_string() && module.get<std::string>().rfind("keras", 0) == 0;
  if (class_name == "function") {
    const Json& config = envelope.at("config");
    if (!config.is_string())
      throw ValueError(std::string("A ") + kind + " function envelope needs a string config: " + envelope.dump());
    const std::string fn = config.get<std::string>();
    if (is_function(fn) || is_custom_name(fn)) return;
    if (!keras_module && !(module.is_string() && module.get<std::string>() == "builtins")) return;  // custom function
    throw UnknownObjectError(std::string("Could not locate function '") + fn + "' (a " + kind + " in compile_config)");
  }
  if (!keras_module) return;  // a custom class: kept as its config, never run
  if (classes.count(class_name) == 0)
    throw UnknownObjectError(std::string("Could not locate class '") + class_name + "' in module '" +
                             module.get<std::string>() + "' (a " + kind + " in compile_config)");
}

bool is_loss_function(const std::string& name) { return loss_functions().count(name) != 0; }

void validate_loss_entry(const Json& value, bool check_names) {
  if (value.is_null()) return;
  if (value.is_string()) {
    const std::string name = value.get<std::string>();
    if (!check_names || is_custom_name(name)) return;
    const std::string low = lower(name);
    if (low == "crossentropy" || low == "ce" || loss_functions().count(name) != 0 || loss_classes().count(name) != 0)
      return;
    throw ValueError("Could not interpret loss identifier: " + name);
  }
  if (value.is_array()) {
    for (const auto& v : value) validate_loss_entry(v, check_names);
    return;
  }
  if (value.is_object()) {
    if (value.contains("class_name") && value.contains("config")) {
      validate_envelope(value, "loss", loss_classes(), is_loss_function);
      return;
    }
    for (const auto& [key, v] : value.items()) validate_loss_entry(v, check_names);
    return;
  }
  throw ValueError("Could not interpret loss identifier: " + value.dump());
}

void validate_metric_entry(const Json& value, bool check_names) {
  if (value.is_null()) return;
  if (value.is_string()) {
    const std::string name = value.get<std::string>();
    if (!check_names || is_custom_name(name)) return;
    const std::string low = lower(name);
    if (low == "accuracy" || low == "acc" || low == "crossentropy" || low == "ce" || metric_names().count(name) != 0)
      return;
    throw ValueError("Could not interpret metric identifier: " + name);
  }
  if (value.is_array()) {
    for (const auto& v : value) validate_metric_entry(v, check_names);
    return;
  }
  if (value.is_object()) {
    if (value.contains("class_name") && value.contains("config")) {
      validate_envelope(value, "metric", metric_classes(), is_metric_function);
      return;
    }
    for (const auto& [key, v] : value.items()) validate_metric_entry(v, check_names);
    return;
  }
  throw ValueError("Could not interpret metric identifier: " + value.dump());
}

// Keras' supports_jit is false for these layers (preprocessing with lookups
// or data-dependent shapes).
bool layer_supports_jit(const Layer& layer) {
  static const std::set<std::string> no_jit = {
      "HashedCrossing",    "Hashing",    "RandomCrop",    "RandomPerspective", "RandomRotation",   "RandomShear",
      "RandomTranslation", "RandomZoom", "IntegerLookup", "StringLookup",      "TextVectorization"};
  if (no_jit.count(layer.class_name()) != 0) return false;
  for (const auto& sub : layer.layer_list())
    if (!layer_supports_jit(*sub)) return false;
  for (const auto& child : layer.tracked_sublayers())
    if (!layer_supports_jit(*child.layer)) return false;
  return true;
}

void compile_model(ModelImpl& model, const CompileOptions& options, bool check_names) {
  std::shared_ptr<Optimizer> optimizer = options.optimizer.resolve();
  detail::validate_losses(options.loss, check_names);
  detail::validate_metrics(options.metrics, check_names);
  detail::validate_metrics(options.weighted_metrics, check_names);
  const Json& weights = options.loss_weights;
  if (!weights.is_null() && !weights.is_array() && !weights.is_object() && !weights.is_number_float() &&
      !(weights.is_number() && weights.get<double>() == 0.0))
    throw ValueError(
        "Expected `loss_weights` argument to be a float (single output case) or a list, tuple, or dict "
        "(multiple output case). Received instead: loss_weights=" +
        weights.dump());
  bool jit_compile = options.jit_compile.value_or(!options.run_eagerly && layer_supports_jit(model));
  if (jit_compile && options.run_eagerly) {
    jit_compile = false;
    if (options.jit_compile)
      std::cerr << "WARNING: If `run_eagerly` is True, then `jit_compile` cannot also be True. Disabling "
                   "`jit_compile`.\n";
  }
  model.compiled_optimizer = optimizer;
  model.optimizer = optimizer;
  if (options.auto_scale_loss && model.dtype_policy().name() == "mixed_float16" && optimizer &&
      dynamic_cast<optimizers::LossScaleOptimizer*>(optimizer.get()) == nullptr) {
    model.optimizer = std::make_shared<optimizers::LossScaleOptimizer>(
        optimizer, optimizers::LossScaleOptimizerOptions{.name = "loss_scale_optimizer"});
  }
  training::set_trainer_state(model, options.loss, options.loss_weights, options.metrics, options.weighted_metrics);
  model.compile_config = Json{{"optimizer", optimizer ? optimizer->serialize() : Json(nullptr)},
                              {"loss", options.loss},
                              {"loss_weights", options.loss_weights},
                              {"metrics", options.metrics},
                              {"weighted_metrics", options.weighted_metrics},
                              {"run_eagerly", options.run_eagerly},
                              {"steps_per_execution", options.steps_per_execution},
                              {"jit_compile", jit_compile}};
}

}  // namespace

Json ModelImpl::get_compile_config() const {
  if (!compile_config.is_object() || compile_config.empty()) return Json::object();
  Json config = compile_config;
  if (config.contains("optimizer"))
    config["optimizer"] = compiled_optimizer ? compiled_optimizer->serialize() : Json(nullptr);
  return config;
}

void Model::compile(const CompileOptions& options) const { compile_model(impl(), options, true); }

bool Model::compiled() const { return impl().compile_config.is_object() && !impl().compile_config.empty(); }

std::shared_ptr<Optimizer> Model::optimizer() const { return impl().optimizer; }

std::vector<VariablePtr> Model::trainable_variables() const { return impl().trainable_variables(); }

namespace detail {

void validate_losses(const Json& loss, bool check_names) { validate_loss_entry(loss, check_names); }

void validate_metrics(const Json& metrics, bool check_names) { validate_metric_entry(metrics, check_names); }

void compile_from_config(ModelImpl& model, const Json& compile_config) {
  if (!compile_config.is_object())
    throw FormatError("compile_config must be an object, got " + compile_config.dump().substr(0, 200));
  if (compile_config.empty()) return;
  CompileOptions options;
  auto get = [&](const char* key) { return compile_config.contains(key) ? compile_config.at(key) : Json(nullptr); };
  const Json optimizer = get("optimizer");
  if (optimizer.is_string()) {
    options.optimizer = optimizer.get<std::string>();
  } else if (optimizer.is_null() && !compile_config.contains("optimizer")) {
    options.optimizer = "rmsprop";  // compile()'s default
  } else {
    options.optimizer = optimizer;
  }
  options.loss = get("loss");
  options.loss_weights = get("loss_weights");
  options.metrics = get("metrics");
  options.weighted_metrics = get("weighted_metrics");
  if (const Json v = get("run_eagerly"); v.is_boolean()) options.run_eagerly = v.get<bool>();
  if (const Json v = get("steps_per_execution"); v.is_number_integer())
    options.steps_per_execution = v.get<std::int64_t>();
  if (const Json v = get("jit_compile"); v.is_boolean()) options.jit_compile = v.get<bool>();
  compile_model(model, options, false);
}

}  // namespace detail

}  // namespace keras
