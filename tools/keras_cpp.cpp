// keras-cpp: the command-line tool.
//   keras-cpp predict MODEL [--weights W] --input X.npy [--input NAME=X.npy ...] --output-dir DIR
//     Inputs without NAME= fill the model inputs in order; outputs are written
//     as y0.npy, y1.npy, ... in output order (dict outputs in sorted key order).
//     MODEL may also be a config JSON (save_model_config), then --weights is needed.
//   keras-cpp convert SRC DST [--weights W] [--weights-only] [--max-shard-size GB] [--overwrite]
//     DST ending in .keras is a zip, any other DST a model directory; with
//     --weights-only a .weights.h5 file, with --max-shard-size a sharded
//     .weights.json set. Writing legacy .h5 files is not supported.
//   MODEL / SRC: a .keras zip, a model directory, a legacy .h5/.hdf5 file, or a
//   config JSON with --weights (.weights.h5, sharded .weights.json, .keras, legacy .h5).
// Exit status: 0 on success, 1 on an error (one line on stderr), 2 on bad usage.
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "keras/keras.hpp"

namespace {

constexpr const char* kUsage =
    "usage:\n"
    "  keras-cpp predict MODEL [--weights W] --input X.npy [--input NAME=X.npy ...] --output-dir DIR\n"
    "                    [--batch-size N]\n"
    "  keras-cpp convert SRC DST [--weights W] [--weights-only] [--max-shard-size GB] [--overwrite]\n";

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::int64_t parse_batch_size(const std::string& text) {
  std::size_t used = 0;
  std::int64_t value = 0;
  try {
    value = std::stoll(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || value <= 0) throw UsageError("--batch-size needs a positive integer, got '" + text + "'");
  return value;
}

// ---------------------------------------------------------------- model formats
// Every format predict and convert read, and the forms convert writes.

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool is_weights_only_file(const std::string& path) {
  return ends_with(path, ".weights.h5") || ends_with(path, ".weights.json");
}

// A model from any readable form; `weights` (may be empty) is loaded on top.
keras::Model load_any_model(const std::string& path, const std::string& weights) {
  if (is_weights_only_file(path))
    throw UsageError(path +
                     " holds only weights: give the model's config JSON (or a .keras file) as the model and "
                     "this file with --weights");
  const bool config_only = ends_with(path, ".json");
  if (config_only && weights.empty())
    throw UsageError("MODEL " + path + " is a config without weights: give --weights");
  keras::Model model = config_only ? keras::load_model_config(path) : keras::load_model(path);
  if (!weights.empty()) keras::load_weights(model, weights);
  return model;
}

double parse_shard_size(const std::string& text) {
  std::size_t used = 0;
  double value = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || !(value > 0))
    throw UsageError("--max-shard-size needs a positive number of GB, got '" + text + "'");
  return value;
}

struct ConvertTarget {
  bool weights_only = false;
  std::optional<double> max_shard_size;
  bool overwrite = false;
};

void save_converted(const keras::Model& model, const std::filesystem::path& dst, const ConvertTarget& target) {
  const std::string path = dst.string();
  if (target.weights_only || target.max_shard_size) {
    keras::SaveWeightsOptions options;
    options.overwrite = target.overwrite;
    options.max_shard_size = target.max_shard_size;
    keras::save_weights(model, dst, options);
    return;
  }
  if (is_weights_only_file(path))
    throw UsageError("DST " + path + " is a weights-only file name: add --weights-only (or --max-shard-size GB)");
  keras::SaveModelOptions options;
  options.overwrite = target.overwrite;
  // .keras: a zip; .h5/.hdf5 go to save_model, which refuses the legacy format; anything else is a directory.
  const bool zipped = ends_with(path, ".keras") || ends_with(path, ".h5") || ends_with(path, ".hdf5");
  options.zipped = zipped;
  keras::save_model(model, dst, options);
}

// ---------------------------------------------------------------- commands

int predict(const std::vector<std::string>& args) {
  std::string model_path;
  std::vector<std::string> inputs;
  std::string output_dir;
  std::string weights_path;
  std::int64_t batch_size = 32;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&]() -> const std::string& {
      if (i + 1 >= args.size()) throw UsageError(a + " needs a value");
      return args[++i];
    };
    if (a == "--input")
      inputs.push_back(value());
    else if (a == "--output-dir")
      output_dir = value();
    else if (a == "--weights")
      weights_path = value();
    else if (a == "--batch-size")
      batch_size = parse_batch_size(value());
    else if (a.starts_with("--"))
      throw UsageError("unknown option " + a);
    else if (model_path.empty())
      model_path = a;
    else
      throw UsageError("unexpected argument " + a);
  }
  if (model_path.empty() || inputs.empty() || output_dir.empty())
    throw UsageError("predict needs MODEL, --input and --output-dir");

  keras::Model model = load_any_model(model_path, weights_path);
  auto names = model.input_names();
  std::vector<keras::Tensor> ordered(names.size());
  std::vector<bool> given(names.size(), false);
  // NAME=FILE inputs first; plain files then fill the remaining inputs in order.
  std::vector<std::string> plain;
  for (const auto& spec : inputs) {
    auto eq = spec.find('=');
    auto named = eq == std::string::npos ? names.end() : std::find(names.begin(), names.end(), spec.substr(0, eq));
    if (named == names.end()) {
      if (eq != std::string::npos && !std::filesystem::exists(spec)) {
        std::string known;
        for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
        throw keras::ValueError("model has no input named '" + spec.substr(0, eq) + "' (its inputs are: " + known +
                                ")");
      }
      plain.push_back(spec);
      continue;
    }
    auto slot = static_cast<std::size_t>(named - names.begin());
    if (given[slot]) throw keras::ValueError("input '" + names[slot] + "' given twice");
    ordered[slot] = keras::load_npy(spec.substr(eq + 1));
    given[slot] = true;
  }
  std::size_t slot = 0;
  for (const auto& file : plain) {
    while (slot < names.size() && given[slot]) ++slot;
    if (slot >= names.size())
      throw keras::ValueError("too many --input values: the model takes " + std::to_string(names.size()));
    ordered[slot] = keras::load_npy(file);
    given[slot] = true;
  }
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (!given[i]) throw keras::ValueError("missing --input for model input '" + names[i] + "'");
  }
  auto outputs = model.predict(ordered, batch_size);
  std::filesystem::create_directories(output_dir);
  for (std::size_t i = 0; i < outputs.size(); ++i)
    keras::save_npy(std::filesystem::path(output_dir) / ("y" + std::to_string(i) + ".npy"), outputs[i]);
  return 0;
}

int convert(const std::vector<std::string>& args) {
  std::vector<std::string> positional;
  std::string weights_path;
  ConvertTarget target;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&]() -> const std::string& {
      if (i + 1 >= args.size()) throw UsageError(a + " needs a value");
      return args[++i];
    };
    if (a == "--overwrite")
      target.overwrite = true;
    else if (a == "--weights-only")
      target.weights_only = true;
    else if (a == "--max-shard-size")
      target.max_shard_size = parse_shard_size(value());
    else if (a == "--weights")
      weights_path = value();
    else if (a.starts_with("--"))
      throw UsageError("unknown option " + a);
    else
      positional.push_back(a);
  }
  if (positional.size() != 2) throw UsageError("convert needs SRC and DST");
  keras::Model model = load_any_model(positional[0], weights_path);
  save_converted(model, positional[1], target);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::cerr << kUsage;
    return args.empty() ? 2 : 0;
  }
  const std::string command = args[0];
  args.erase(args.begin());
  try {
    if (command == "predict") return predict(args);
    if (command == "convert") return convert(args);
    throw UsageError("unknown command '" + command + "'");
  } catch (const UsageError& e) {
    std::cerr << "keras-cpp: " << e.what() << "\n" << kUsage;
    return 2;
  } catch (const std::exception& e) {
    std::string message = e.what();
    for (auto& c : message) {
      if (c == '\n') c = ' ';
    }
    std::cerr << "keras-cpp: error: " << message << "\n";
    return 1;
  }
}
