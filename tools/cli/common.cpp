#include <cmath>
#include <cstdio>

#include "cli.hpp"
#include "progress.hpp"

namespace keras_cli {

CLI::Option* add_weights_option(CLI::App& command, std::string& weights) {
  return command.add_option(
      "--weights", weights,
      "Weights loaded on top of the model: .weights.h5, sharded .weights.json, .keras, legacy .h5");
}

CLI::Option* add_overwrite_flag(CLI::App& command, bool& overwrite) {
  return command.add_flag("--overwrite", overwrite,
                          "Replace an existing output without asking (else: ask on a terminal, fail elsewhere)");
}

CLI::Option* add_quiet_flag(CLI::App& command, Context& context) {
  return command.add_flag("-q,--quiet", context.quiet,
                          "No progress bars (they are drawn only when stderr is a terminal)");
}

void add_limit_options(CLI::App& app, Context& context) {
  keras::LoadLimits& l = context.limits;
  const std::string group = "Load limits (a file beyond one is refused; docs/limits.md)";
  app.add_option("--max-weights-bytes", l.max_weights_bytes,
                 "Bytes of all variables of a model (default: the physical memory)")
      ->group(group);
  app.add_option("--max-config-bytes", l.max_config_bytes, "Bytes of config.json")->capture_default_str()->group(group);
  app.add_option("--max-metadata-bytes", l.max_metadata_bytes, "Bytes of metadata.json")
      ->capture_default_str()
      ->group(group);
  app.add_option("--max-json-depth", l.max_json_depth, "Nesting of JSON arrays and objects")
      ->capture_default_str()
      ->check(CLI::PositiveNumber)
      ->group(group);
  app.add_option("--max-inflate-ratio", l.max_inflate_ratio,
                 "Inflated-to-stored ratio of a zip member above 16 MiB (0: no limit)")
      ->capture_default_str()
      ->group(group);
  app.add_option("--max-storage-ratio", l.max_storage_ratio,
                 "Declared-to-stored ratio of an HDF5 dataset above 16 MiB (0: no limit)")
      ->capture_default_str()
      ->group(group);
  app.add_option("--max-units", l.max_units, "Units, filters, heads, vocabulary sizes in configs")
      ->capture_default_str()
      ->check(CLI::PositiveNumber)
      ->group(group);
  app.add_option("--max-window", l.max_window, "Kernel sizes, strides, dilation rates, pool sizes in configs")
      ->capture_default_str()
      ->check(CLI::PositiveNumber)
      ->group(group);
  app.add_option("--max-dimension", l.max_dimension, "Any dimension of a shape in a config")
      ->capture_default_str()
      ->check(CLI::PositiveNumber)
      ->group(group);
}

bool is_weights_only_file(const std::string& path) {
  return path.ends_with(".weights.h5") || path.ends_with(".weights.json");
}

keras::Model load_any_model(const std::string& path, const std::string& weights, const Context& context) {
  if (is_weights_only_file(path))
    throw UsageError(path +
                     " holds only weights: give the model's config JSON (or a .keras file) as the model and "
                     "this file with --weights");
  const bool config_only = path.ends_with(".json");
  if (config_only && weights.empty())
    throw UsageError("MODEL " + path + " is a config without weights: give --weights");
  Progress progress("loading " + std::filesystem::path(path).filename().string(), 0, context.quiet);
  // The scope covers the loaders without a limits option (configs, weights files).
  const keras::detail::LoadLimitsScope limits(context.limits);
  keras::LoadModelOptions options;
  options.limits = context.limits;
  keras::Model model = config_only ? keras::load_model_config(path) : keras::load_model(path, options);
  if (!weights.empty()) keras::load_weights(model, weights);
  progress.finish();
  return model;
}

void confirm_output(const std::filesystem::path& path, bool overwrite) {
  std::error_code ec;
  if (overwrite || !std::filesystem::exists(path, ec)) return;
  if (keras::saving::ask_to_proceed_with_overwrite(path)) return;
  throw keras::FileExistsError("File " + path.string() +
                               " already exists: nothing was written. Pass --overwrite to replace it.");
}

std::string readable_size(std::uint64_t bytes) {
  if (bytes < 1024) return std::to_string(bytes) + " B";
  return keras::readable_param_size(static_cast<double>(bytes));
}

std::string shape_text(const keras::Shape& shape) {
  std::string out = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) out += ", ";
    out += shape[i] < 0 ? "None" : std::to_string(shape[i]);
  }
  return out + (shape.size() == 1 ? ",)" : ")");
}

std::optional<double> parse_number(const std::string& text) {
  std::size_t used = 0;
  double value = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  if (used == 0 || used != text.size() || !std::isfinite(value)) return std::nullopt;
  return value;
}

CLI::Validator positive_integer() {
  return CLI::Validator(
      [](std::string& input) -> std::string {
        std::size_t used = 0;
        long long value = 0;
        try {
          value = std::stoll(input, &used);
        } catch (const std::exception&) {
          used = 0;
        }
        if (used == 0 || used != input.size() || value <= 0) return "needs a positive integer, got '" + input + "'";
        return "";
      },
      "POSITIVE", "positive_integer");
}

CLI::Validator non_negative_number() {
  return CLI::Validator(
      [](std::string& input) -> std::string {
        const auto value = parse_number(input);
        if (!value || !(*value >= 0)) return "needs a number >= 0, got '" + input + "'";
        return "";
      },
      "NUMBER>=0", "non_negative_number");
}

}  // namespace keras_cli
