// keras-cpp: the command-line tool.
//   keras-cpp predict MODEL --input X.npy [--input NAME=X.npy ...] --output-dir DIR
//   keras-cpp convert SRC DST [--overwrite]
// Exit status: 0 on success, 1 on an error (one line on stderr), 2 on bad usage.
#include <filesystem>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "keras/keras.hpp"

namespace {

constexpr const char* kUsage =
    "usage:\n"
    "  keras-cpp predict MODEL --input X.npy [--input NAME=X.npy ...] --output-dir DIR [--batch-size N]\n"
    "  keras-cpp convert SRC DST [--overwrite]\n";

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

int predict(const std::vector<std::string>& args) {
  std::string model_path;
  std::vector<std::string> inputs;
  std::string output_dir;
  std::int64_t batch_size = 32;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&]() -> const std::string& {
      if (i + 1 >= args.size()) throw UsageError(a + " needs a value");
      return args[++i];
    };
    if (a == "--input") inputs.push_back(value());
    else if (a == "--output-dir") output_dir = value();
    else if (a == "--batch-size") batch_size = std::stoll(value());
    else if (a.starts_with("--")) throw UsageError("unknown option " + a);
    else if (model_path.empty()) model_path = a;
    else throw UsageError("unexpected argument " + a);
  }
  if (model_path.empty() || inputs.empty() || output_dir.empty())
    throw UsageError("predict needs MODEL, --input and --output-dir");

  keras::Model model = keras::load_model(model_path);
  auto names = model.input_names();
  std::vector<keras::Tensor> ordered(names.size());
  std::vector<bool> given(names.size(), false);
  std::size_t positional = 0;
  for (const auto& spec : inputs) {
    auto eq = spec.find('=');
    std::size_t slot = 0;
    std::string file = spec;
    if (eq != std::string::npos) {
      std::string name = spec.substr(0, eq);
      file = spec.substr(eq + 1);
      auto it = std::find(names.begin(), names.end(), name);
      if (it == names.end()) throw keras::ValueError("model has no input named '" + name + "'");
      slot = static_cast<std::size_t>(it - names.begin());
    } else {
      while (positional < names.size() && given[positional]) ++positional;
      slot = positional;
    }
    if (slot >= names.size())
      throw keras::ValueError("too many --input values: the model takes " + std::to_string(names.size()));
    if (given[slot]) throw keras::ValueError("input '" + names[slot] + "' given twice");
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
  bool overwrite = false;
  for (const auto& a : args) {
    if (a == "--overwrite") overwrite = true;
    else if (a.starts_with("--")) throw UsageError("unknown option " + a);
    else positional.push_back(a);
  }
  if (positional.size() != 2) throw UsageError("convert needs SRC and DST");
  keras::Model model = keras::load_model(positional[0]);
  const std::filesystem::path dst = positional[1];
  keras::SaveModelOptions options;
  options.overwrite = overwrite;
  options.zipped = dst.extension() == ".keras";
  keras::save_model(model, dst, options);
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
