#include "saving/legacy_h5.hpp"

#include <iostream>
#include <map>

#include "keras/optimizers.hpp"
#include "saving/dialects.hpp"
#include "training/compile.hpp"

namespace keras::saving {

namespace {

// Keras' _legacy_weights: trainable weights, then non-trainable ones
// (sublayers included), the order of a layer's weight_names.
std::vector<VariablePtr> legacy_weights(const Layer& layer) {
  auto out = layer.trainable_variables();
  auto rest = layer.non_trainable_variables();
  out.insert(out.end(), rest.begin(), rest.end());
  return out;
}

void warn(const std::string& message, std::vector<std::string>& warnings) {
  std::cerr << "WARNING: " << message << "\n";
  warnings.push_back(message);
}

// Keras' _set_weights: shapes must match exactly; with skip_mismatch a
// mismatching weight is skipped with a warning. Every shape is checked
// before any dataset is read.
void set_weights(const std::vector<VariablePtr>& variables, const H5Group& group,
                 const std::vector<std::string>& weight_names, const std::string& name, const std::string& origin,
                 bool skip_mismatch, std::vector<std::string>& warnings) {
  std::vector<bool> load(weight_names.size(), true);
  for (std::size_t i = 0; i < weight_names.size(); ++i) {
    const Shape received = group.dataset_info(weight_names[i]).shape;
    const Shape& expected = variables[i]->shape();
    if (received == expected) continue;
    const std::string detail = "for weight " + variables[i]->path() + ". Weight expects shape " +
                               shape_to_string(expected) + ". Received saved weight with shape " +
                               shape_to_string(received);
    if (!skip_mismatch) throw ShapeMismatchError(origin + ": Shape mismatch in " + name + detail);
    warn(origin + ": Skipping loading weights for " + name + "due to mismatch in shape " + detail, warnings);
    load[i] = false;
  }
  for (std::size_t i = 0; i < weight_names.size(); ++i)
    if (load[i]) variables[i]->assign(group.read_dataset(weight_names[i]));
}

std::vector<std::string> load_topological(const ModelImpl& model, const H5Group& group, const std::string& origin,
                                          bool skip_mismatch) {
  std::vector<std::string> warnings;
  std::vector<std::shared_ptr<Layer>> filtered_layers;
  for (const auto& layer : model.layer_list())
    if (!legacy_weights(*layer).empty()) filtered_layers.push_back(layer);
  std::vector<std::string> layer_names;
  for (const auto& name : read_chunked_string_list(group, "layer_names")) {
    if (!read_chunked_string_list(group.group(name), "weight_names").empty()) layer_names.push_back(name);
  }
  if (layer_names.size() != filtered_layers.size())
    throw ValueError(origin + ": Layer count mismatch when loading weights from file. Model expected " +
                     std::to_string(filtered_layers.size()) + " layers, found " + std::to_string(layer_names.size()) +
                     " saved layers.");
  for (std::size_t k = 0; k < layer_names.size(); ++k) {
    const H5Group layer_group = group.group(layer_names[k]);
    const Layer& layer = *filtered_layers[k];
    const auto variables = legacy_weights(layer);
    const auto weight_names = read_chunked_string_list(layer_group, "weight_names");
    const std::string index = "layer #" + std::to_string(k);
    if (weight_names.size() != variables.size())
      throw ValueError(origin + ": Weight count mismatch for " + index + " (named " + layer.name() +
                       " in the current model, " + layer_names[k] + " in the save file). Layer expects " +
                       std::to_string(variables.size()) + " weight(s). Received " +
                       std::to_string(weight_names.size()) + " saved weight(s)");
    set_weights(variables, layer_group, weight_names, index + " (named " + layer.name() + ")", origin, skip_mismatch,
                warnings);
  }
  if (group.has_group("top_level_model_weights")) {
    const H5Group top = group.group("top_level_model_weights");
    const auto variables = model.own_variables();
    const auto weight_names = read_chunked_string_list(top, "weight_names");
    if (weight_names.size() != variables.size())
      throw ValueError(origin +
                       ": Weight count mismatch for top-level weights when loading weights from file. Model expects " +
                       std::to_string(variables.size()) + " top-level weight(s). Received " +
                       std::to_string(weight_names.size()) + " saved top-level weight(s)");
    set_weights(variables, top, weight_names, "top-level model", origin, skip_mismatch, warnings);
  }
  return warnings;
}

std::vector<std::string> load_by_name(const ModelImpl& model, const H5Group& group, const std::string& origin,
                                      bool skip_mismatch) {
  std::vector<std::string> warnings;
  std::map<std::string, std::vector<std::shared_ptr<Layer>>> index;
  for (const auto& layer : model.layer_list()) index[layer->name()].push_back(layer);
  const auto layer_names = read_chunked_string_list(group, "layer_names");
  for (std::size_t k = 0; k < layer_names.size(); ++k) {
    auto it = index.find(layer_names[k]);
    if (it == index.end()) continue;
    const H5Group layer_group = group.group(layer_names[k]);
    const auto weight_names = read_chunked_string_list(layer_group, "weight_names");
    for (const auto& layer : it->second) {
      const auto variables = legacy_weights(*layer);
      const std::string name = "layer #" + std::to_string(k) + " (named " + layer->name() + ")";
      if (weight_names.size() != variables.size()) {
        const std::string counts = "Layer expects " + std::to_string(variables.size()) + " weight(s). Received " +
                                   std::to_string(weight_names.size()) + " saved weight(s)";
        if (!skip_mismatch) throw ValueError(origin + ": Weight count mismatch for " + name + ". " + counts);
        warn(origin + ": Skipping loading of weights for " + name + " due to mismatch in number of weights. " + counts,
             warnings);
        continue;
      }
      set_weights(variables, layer_group, weight_names, name, origin, skip_mismatch, warnings);
    }
  }
  if (group.has_group("top_level_model_weights")) {
    const H5Group top = group.group("top_level_model_weights");
    const auto variables = model.own_variables();
    const auto weight_names = read_chunked_string_list(top, "weight_names");
    if (weight_names.size() != variables.size()) {
      const std::string counts = "Model expects " + std::to_string(variables.size()) +
                                 " top-level weight(s). Received " + std::to_string(weight_names.size()) +
                                 " saved top-level weight(s)";
      if (!skip_mismatch)
        throw ValueError(origin + ": Weight count mismatch for top-level weights of model. " + counts);
      warn(origin + ": Skipping loading top-level weights for model due to mismatch in number of weights. " + counts,
           warnings);
    } else {
      set_weights(variables, top, weight_names, "top-level model", origin, skip_mismatch, warnings);
    }
  }
  return warnings;
}

Model model_from_legacy_config(const std::string& text, const std::string& origin) {
  const std::string source = origin + " model_config";
  Json config = parse_json(text, source);
  if (!config.is_object() || !config.contains("config"))
    throw ValueError(origin +
                     ": The provided configuration is not a valid Keras configuration. Expected a dictionary "
                     "containing a 'config' key. Received: config=" +
                     text.substr(0, 200));
  return with_context(ErrorContext::source(source), [&] {
    LayerPtr layer;
    try {
      layer = deserialize_layer(normalize_config_dialect(config));
    } catch (const Json::exception& e) {
      throw FormatError(std::string("model_config does not describe a valid model: ") + e.what());
    }
    auto model = std::dynamic_pointer_cast<ModelImpl>(layer);
    if (!model) throw FormatError("model_config describes a " + layer->class_name() + ", not a model");
    return Model(model);
  });
}

// Keras' compile step of load_model_from_hdf5: compile from training_config,
// then build the optimizer and set its variables from optimizer_weights. As
// in Keras, a failure to restore the optimizer state only warns; so does (in
// keras-cpp) a training_config that cannot be compiled, e.g. Keras 2's
// optimizer arguments.
void compile_from_training_config(ModelImpl& model, const H5Group& root, const std::string& origin) {
  std::vector<std::string> warnings;
  if (!root.has_attr("training_config")) return;
  const auto text = root.string_attr("training_config");
  Json training;
  try {
    training = normalize_config_dialect(parse_json(text.value_or(""), origin + " training_config"));
    if (!training.is_object() || !training.contains("optimizer_config"))
      throw FormatError("training_config has no optimizer_config");
    Json compile_config{{"optimizer", training.at("optimizer_config")},
                        {"loss", training.value("loss", Json(nullptr))},
                        {"loss_weights", training.value("loss_weights", Json(nullptr))},
                        {"metrics", training.value("metrics", Json(nullptr))},
                        {"weighted_metrics", training.value("weighted_metrics", Json(nullptr))}};
    for (const char* key : {"run_eagerly", "steps_per_execution", "jit_compile"}) {
      if (training.contains(key)) compile_config[key] = training.at(key);
    }
    keras::detail::compile_from_config(model, compile_config);
  } catch (const Error& e) {
    warn(origin + ": the training configuration could not be restored, so the model was *not* compiled: " + e.what(),
         warnings);
    return;
  }
  if (!root.has_group("optimizer_weights") || !model.optimizer) return;
  const H5Group group = root.group("optimizer_weights");
  try {
    model.optimizer->build(model.trainable_variables());
    const auto variables = model.optimizer->variables();
    const auto names = read_chunked_string_list(group, "weight_names");
    if (names.size() != variables.size())
      throw ValueError("expected " + std::to_string(variables.size()) + " optimizer variables, the file has " +
                       std::to_string(names.size()));
    for (std::size_t i = 0; i < names.size(); ++i) {
      if (group.dataset_info(names[i]).shape != variables[i]->shape())
        throw ValueError("optimizer variable " + names[i] + " does not match " + variables[i]->path());
    }
    for (std::size_t i = 0; i < names.size(); ++i) variables[i]->assign(group.read_dataset(names[i]));
  } catch (const UnsafeContentError&) {
    throw;
  } catch (const Error& e) {
    warn(origin + ": Error in loading the saved optimizer state (" + e.what() +
             "). As a result, your model is starting with a freshly initialized optimizer.",
         warnings);
  }
}

}  // namespace

std::vector<std::string> read_chunked_string_list(const H5Group& group, const std::string& name) {
  if (group.has_attr(name)) return group.string_list_attr(name);
  std::vector<std::string> out;
  for (int chunk = 0; group.has_attr(name + std::to_string(chunk)); ++chunk) {
    auto part = group.string_list_attr(name + std::to_string(chunk));
    out.insert(out.end(), part.begin(), part.end());
  }
  return out;
}

std::vector<std::string> load_legacy_weights_from_group(const ModelImpl& model, const H5Group& group,
                                                        const std::string& origin,
                                                        const LegacyWeightsOptions& options) {
  return options.by_name ? load_by_name(model, group, origin, options.skip_mismatch)
                         : load_topological(model, group, origin, options.skip_mismatch);
}

Model load_legacy_h5_model(const std::filesystem::path& path, const LoadModelOptions& options) {
  const std::string origin = path.string();
  auto file = H5File::open_read(path);
  const H5Group root = file.root();
  std::optional<std::string> config_text =
      root.has_attr("model_config") ? root.string_attr("model_config") : std::nullopt;
  if (!config_text) throw ValueError("No model config found in the file at " + origin + ".");
  Model model = model_from_legacy_config(*config_text, origin);
  load_legacy_weights_from_group(model.impl(), root.group("model_weights"), origin);
  if (options.compile) compile_from_training_config(model.impl(), root, origin);
  return model;
}

void load_legacy_h5_weights(const Model& model, const std::filesystem::path& path,
                            const LegacyWeightsOptions& options) {
  auto file = H5File::open_read(path);
  const H5Group root = file.root();
  if (!root.has_attr("layer_names") && root.has_group("model_weights")) {
    load_legacy_weights_from_group(model.impl(), root.group("model_weights"), path.string(), options);
  } else {
    load_legacy_weights_from_group(model.impl(), root, path.string(), options);
  }
}

}  // namespace keras::saving
