// keras-cpp info MODEL: what a model file holds, and the summary table as
// Keras 3 prints it.
#include <algorithm>
#include <iomanip>
#include <iostream>
#include <set>
#include <sstream>

#include "cli.hpp"
#include "keras/utils.hpp"

namespace keras_cli {

namespace {

struct InfoOptions {
  std::string model;
  std::string weights;
  bool json = false;
  bool expand_nested = false;
  bool show_trainable = false;
  int line_length = 0;
};

std::string format_name(const std::string& format) {
  if (format == "keras") return "Keras zip archive";
  if (format == "directory") return "Keras model directory";
  if (format == "h5") return "legacy Keras HDF5 file";
  return "model config JSON";
}

keras::Json tensor_list(const std::vector<keras::KerasTensor>& tensors, const std::vector<std::string>& names) {
  keras::Json out = keras::Json::array();
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    keras::Json shape = keras::Json::array();
    for (auto d : tensors[i].shape()) shape.push_back(d < 0 ? keras::Json(nullptr) : keras::Json(d));
    out.push_back({{"name", i < names.size() ? names[i] : ""},
                   {"shape", shape},
                   {"dtype", keras::dtype_name(tensors[i].dtype())}});
  }
  return out;
}

keras::Json count_json(const keras::ParamCount& c) { return {{"count", c.count}, {"bytes", c.bytes}}; }

keras::Json summary_json(const keras::ModelSummary& s) {
  keras::Json layers = keras::Json::array();
  for (const auto& r : s.rows) {
    keras::Json row = {{"name", r.name},     {"class_name", r.class_name}, {"output_shape", r.output_shape},
                       {"params", r.params}, {"built", r.built},           {"trainable", r.trainable}};
    if (!s.sequential_like) row["connected_to"] = r.connected_to;
    if (r.nesting > 0) row["nesting"] = r.nesting;
    layers.push_back(row);
  }
  keras::Json out = {{"name", s.name},
                     {"sequential_like", s.sequential_like},
                     {"layers", layers},
                     {"total_params", count_json(s.total)},
                     {"trainable_params", count_json(s.trainable)},
                     {"non_trainable_params", count_json(s.non_trainable)}};
  out["optimizer_params"] = s.optimizer ? count_json(*s.optimizer) : keras::Json(nullptr);
  return out;
}

// The dtype policy of the model, and the others its layers use.
std::vector<std::string> dtype_policies(const keras::Model& model) {
  std::vector<std::string> out = {model.impl().dtype_policy().name()};
  for (const auto& layer : model.layers()) {
    const std::string& name = layer->dtype_policy().name();
    if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
  }
  return out;
}

int run_info(const InfoOptions& o, const Context& context) {
  const keras::utils::ModelFileInfo file = keras::utils::inspect_model_file(o.model);
  keras::Model model = load_any_model(o.model, o.weights, context);
  keras::SummaryOptions summary_options;
  summary_options.expand_nested = o.expand_nested;
  summary_options.show_trainable = o.show_trainable;
  if (o.line_length > 0) summary_options.line_length = o.line_length;
  const auto optimizer = model.optimizer();
  const keras::Json& compile_config = model.impl().compile_config;
  const auto policies = dtype_policies(model);

  if (o.json) {
    keras::Json members = keras::Json::array();
    for (const auto& m : file.members)
      members.push_back({{"name", m.name}, {"size", m.size}, {"compressed_size", m.compressed_size}});
    keras::Json out = {{"file", o.model},
                       {"format", file.format},
                       {"file_size", file.file_size},
                       {"keras_version", file.metadata.value("keras_version", keras::Json(nullptr))},
                       {"date_saved", file.metadata.value("date_saved", keras::Json(nullptr))},
                       {"members", members},
                       {"model_class", model.impl().class_name()},
                       {"dtype_policy", policies.front()},
                       {"layer_dtype_policies", policies},
                       {"inputs", tensor_list(model.inputs(), model.input_names())},
                       {"outputs", tensor_list(model.outputs(), model.output_names())},
                       {"compiled", model.compiled()}};
    if (optimizer) {
      out["optimizer"] = {{"class_name", optimizer->class_name()},
                          {"name", optimizer->name()},
                          {"learning_rate", optimizer->learning_rate()},
                          {"iterations", optimizer->iterations()},
                          {"built", optimizer->built()},
                          {"config", optimizer->get_config()}};
    } else {
      out["optimizer"] = nullptr;
    }
    out["loss"] = compile_config.is_object() ? compile_config.value("loss", keras::Json(nullptr)) : nullptr;
    out["metrics"] = compile_config.is_object() ? compile_config.value("metrics", keras::Json(nullptr)) : nullptr;
    out["summary"] = summary_json(model.summarize(summary_options));
    std::cout << out.dump(2) << "\n";
    return 0;
  }

  std::ostringstream text;
  auto field = [&](const std::string& label, const std::string& value) {
    text << std::left << std::setw(15) << (label + ":") << value << "\n";
  };
  field("File", o.model + " (" + format_name(file.format) + ", " + readable_size(file.file_size) + ")");
  if (!o.weights.empty()) field("Weights", o.weights);
  auto meta = [&](const char* key) {
    const auto it = file.metadata.find(key);
    return it != file.metadata.end() && it->is_string() ? it->get<std::string>() : std::string("unknown");
  };
  field("Keras version", meta("keras_version"));
  if (file.format != "h5") field("Saved", meta("date_saved"));
  if (!file.members.empty()) {
    text << (file.format == "h5" ? "Groups:" : "Members:") << "\n";
    std::size_t width = 0;
    for (const auto& m : file.members) width = std::max(width, m.name.size());
    for (const auto& m : file.members) {
      text << "  " << std::left << std::setw(static_cast<int>(width)) << m.name;
      if (file.format != "h5") text << "  " << std::right << std::setw(10) << readable_size(m.size);
      text << "\n";
    }
  }
  std::string policy_text = policies.front();
  if (policies.size() > 1) {
    policy_text += " (layers also use";
    for (std::size_t i = 1; i < policies.size(); ++i) policy_text += (i > 1 ? ", " : " ") + policies[i];
    policy_text += ")";
  }
  field("Dtype policy", policy_text);
  auto tensors_text = [](const std::vector<keras::KerasTensor>& tensors, const std::vector<std::string>& names) {
    std::string out;
    for (std::size_t i = 0; i < tensors.size(); ++i)
      out += (i > 0 ? ", " : "") + (i < names.size() ? names[i] : "?") + " " + shape_text(tensors[i].shape()) + " " +
             keras::dtype_name(tensors[i].dtype());
    return out;
  };
  field("Inputs", tensors_text(model.inputs(), model.input_names()));
  field("Outputs", tensors_text(model.outputs(), model.output_names()));
  if (optimizer) {
    std::ostringstream lr;
    lr << optimizer->learning_rate();
    field("Optimizer", optimizer->class_name() + " \"" + optimizer->name() + "\" (learning rate " + lr.str() + ", " +
                           std::to_string(optimizer->iterations()) + " iterations" +
                           (optimizer->built() ? "" : ", not built") + ")");
    if (compile_config.is_object() && compile_config.contains("loss") && !compile_config.at("loss").is_null())
      field("Loss", compile_config.at("loss").is_string() ? compile_config.at("loss").get<std::string>()
                                                          : keras::dump_json_like_python(compile_config.at("loss")));
    if (compile_config.is_object() && compile_config.contains("metrics") && !compile_config.at("metrics").is_null())
      field("Metrics", keras::dump_json_like_python(compile_config.at("metrics")));
  } else {
    field("Optimizer", "none (not compiled)");
  }
  text << "\n" << model.summary(summary_options);
  std::cout << text.str();
  return 0;
}

}  // namespace

void add_info_command(CLI::App& app, Context& context) {
  auto options = std::make_shared<InfoOptions>();
  CLI::App* info = app.add_subcommand(
      "info",
      "What a model file holds: Keras version, save date, archive members and sizes, dtype policy, inputs, outputs, "
      "optimizer, and the summary table as Keras 3 prints it");
  info->add_option("MODEL", options->model, "A .keras file, model directory, legacy .h5, or config JSON (+ --weights)")
      ->required();
  add_weights_option(*info, options->weights);
  info->add_flag("--json", options->json, "Print the same as JSON, for scripts");
  info->add_flag("--expand-nested", options->expand_nested, "Show the layers of nested models");
  info->add_flag("--show-trainable", options->show_trainable, "Add the Trainable column");
  info->add_option("--line-length", options->line_length,
                   "Width of the table (default: as Keras, at most the terminal width ($COLUMNS) - 4)")
      ->check(CLI::Range(20, 1000));
  add_quiet_flag(*info, context);
  info->callback([options, &context] { context.run = [options, &context] { return run_info(*options, context); }; });
}

}  // namespace keras_cli
