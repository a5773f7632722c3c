// keras-cpp fit MODEL --x X --y Y -o OUT: trains a compiled model file with
// its own compile config (loss, metrics, optimizer and its state) and saves
// it, optimizer state included. keras-cpp evaluate MODEL --x X --y Y: the
// loss and the compiled metrics under Keras' names.
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <iostream>

#include "arrays.hpp"
#include "cli.hpp"
#include "keras/callbacks.hpp"
#include "progress.hpp"

namespace keras_cli {

namespace {

// What fit and evaluate share.
struct DataOptions {
  std::string model;
  std::string weights;
  std::vector<std::string> x;
  std::vector<std::string> y;
  std::int64_t batch_size = 32;
  std::optional<int> verbose;
};

struct FitCommandOptions : DataOptions {
  std::string output;
  bool overwrite = false;
  std::int64_t epochs = 1;
  double validation_split = 0.0;
  std::optional<std::uint64_t> seed;
  bool no_shuffle = false;
};

struct EvaluateCommandOptions : DataOptions {
  bool json = false;
};

// Python's repr of a float: the shortest text that reads back as the same double.
std::string python_float(double value) {
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  std::string text(buffer, result.ptr);
  if (text.find_first_of(".en") == std::string::npos) text += ".0";  // 1 -> 1.0, as Python prints it
  return text;
}

keras::Model load_compiled(const DataOptions& o, const Context& context, const char* command) {
  keras::Model model = load_any_model(o.model, o.weights, context);
  if (!model.compiled())
    throw keras::ValueError(o.model + ": the model is not compiled (its config has no compile_config), so " + command +
                            " has no loss or optimizer to use; compile it in Keras or keras-cpp and save it again");
  return model;
}

struct Data {
  std::vector<keras::Tensor> x;
  std::vector<keras::Tensor> y;
};

// The --x and --y arrays, every one with the same number of samples.
Data gather_data(const keras::Model& model, const DataOptions& o) {
  auto x = gather_arrays({model.input_names(), "input", "--x"}, o.x);
  auto y = gather_arrays({model.output_names(), "output", "--y"}, o.y);
  std::optional<std::pair<std::int64_t, std::string>> first;
  auto check = [&](const keras::Tensor& t, const std::string& source) {
    if (t.rank() == 0) throw keras::ValueError(source + ": a scalar array has no samples (axis 0)");
    if (!first) {
      first = {t.dim(0), source};
      return;
    }
    if (t.dim(0) != first->first)
      throw keras::ValueError(source + " holds " + std::to_string(t.dim(0)) + " samples but " + first->second +
                              " holds " + std::to_string(first->first) +
                              ": every --x and --y array needs the same number of samples (axis 0)");
  };
  const auto inputs = model.inputs();
  const auto input_names = model.input_names();
  for (std::size_t i = 0; i < x.tensors.size(); ++i) {
    check(x.tensors[i], x.sources[i]);
    // The known dimensions of each input, named by file before training starts.
    const keras::Shape& expected = inputs[i].shape();
    const keras::Shape& got = x.tensors[i].shape();
    bool fits = got.size() == expected.size();
    for (std::size_t d = 1; fits && d < got.size(); ++d) fits = expected[d] < 0 || expected[d] == got[d];
    if (!fits)
      throw keras::ValueError(x.sources[i] + ": shape " + shape_text(got) + " does not fit the model's input '" +
                              input_names[i] + "' of shape " + shape_text(expected));
  }
  for (std::size_t i = 0; i < y.tensors.size(); ++i) check(y.tensors[i], y.sources[i]);
  return {std::move(x.tensors), std::move(y.tensors)};
}

int run_fit(const FitCommandOptions& o, const Context& context) {
  keras::Model model = load_compiled(o, context, "fit");
  const Data data = gather_data(model, o);
  // Asked before training, so that a long run does not end in a question.
  confirm_output(o.output, o.overwrite);
  if (o.seed) keras::random::set_seed(*o.seed);  // Dropout and noise layers, as keras.utils.set_random_seed
  keras::FitOptions fit;
  fit.batch_size = o.batch_size;
  fit.epochs = o.epochs;
  // Keras' verbose="auto" is 1; --quiet silences the epoch lines too unless --verbose says otherwise.
  fit.verbose = o.verbose.value_or(context.quiet ? 0 : 1);
  fit.validation_split = o.validation_split;
  fit.seed = o.seed;
  fit.shuffle = !o.no_shuffle;
  model.fit(data.x, data.y, fit);
  Progress progress("saving " + std::filesystem::path(o.output).filename().string(), 0, context.quiet);
  keras::SaveModelOptions save;
  save.overwrite = true;
  save.zipped = o.output.ends_with(".keras");
  keras::save_model(model, o.output, save);
  progress.finish();
  return 0;
}

int run_evaluate(const EvaluateCommandOptions& o, const Context& context) {
  keras::Model model = load_compiled(o, context, "evaluate");
  const Data data = gather_data(model, o);
  keras::EvaluateOptions evaluate;
  evaluate.batch_size = o.batch_size;
  // The bar goes to stderr (stdout carries the results), drawn only on a terminal unless --verbose says so.
  const bool terminal = isatty(fileno(stderr)) != 0;
  evaluate.verbose = o.verbose.value_or(terminal && !context.quiet ? 1 : 0);
  if (evaluate.verbose != 0) evaluate.callbacks.push_back(std::make_shared<keras::callbacks::ProgbarLogger>(stderr));
  const keras::Logs logs = model.evaluate(data.x, data.y, evaluate);
  if (o.json) {
    keras::Json out = keras::Json::object();
    for (const auto& [name, value] : logs.entries()) out[name] = value;
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  for (const auto& [name, value] : logs.entries()) std::cout << name << ": " << python_float(value) << "\n";
  return 0;
}

CLI::Validator fraction_below_one() {
  return CLI::Validator(
      [](std::string& input) -> std::string {
        const auto value = parse_number(input);
        if (!value || !(*value >= 0 && *value < 1)) return "needs a number in [0, 1), got '" + input + "'";
        return "";
      },
      "[0,1)", "fraction_below_one");
}

void add_data_options(CLI::App& command, DataOptions& o, Context& context) {
  command.add_option("MODEL", o.model, "A compiled model: .keras file, model directory, legacy .h5, or config JSON")
      ->required();
  add_weights_option(command, o.weights);
  command
      .add_option("--x,--input", o.x,
                  "An input: X.npy, NAME=X.npy, or an .npz (arrays matched to inputs by name, else in order). "
                  "Repeat for more inputs")
      ->required()
      ->allow_extra_args(false);
  command
      .add_option("--y", o.y,
                  "A target: Y.npy, NAME=Y.npy (NAME an output), or an .npz (arrays matched to outputs by name, "
                  "else in order). Repeat for more outputs")
      ->required()
      ->allow_extra_args(false);
  command.add_option("--batch-size", o.batch_size, "Samples per batch (default 32)")->check(positive_integer());
  add_quiet_flag(command, context);
}

}  // namespace

void add_fit_command(CLI::App& app, Context& context) {
  auto o = std::make_shared<FitCommandOptions>();
  CLI::App* fit = app.add_subcommand(
      "fit",
      "Train a compiled model file with its own compile config (loss, metrics, optimizer and its state) on .npy / "
      ".npz arrays and save it with the optimizer state");
  add_data_options(*fit, *o, context);
  fit->add_option("-o,--output", o->output,
                  "Where to save the trained model: OUT.keras (a zip), any other name a model directory")
      ->required();
  add_overwrite_flag(*fit, o->overwrite);
  fit->add_option("--epochs", o->epochs, "Epochs to train (default 1)")->check(positive_integer());
  fit->add_option("--validation-split", o->validation_split,
                  "The last fraction of the samples (before shuffling) held out for validation (default 0)")
      ->check(fraction_below_one());
  fit->add_option("--seed", o->seed, "Seeds the shuffles and the random layers (Dropout, noise) for reproducible runs");
  fit->add_flag("--no-shuffle", o->no_shuffle, "Keep the samples in order (Keras' shuffle=False)");
  fit->add_option("--verbose", o->verbose,
                  "0 silent, 1 a progress bar per epoch (one line per epoch when stdout is no terminal), 2 one line "
                  "per epoch (default 1, 0 with --quiet)")
      ->check(CLI::IsMember(std::vector<int>{0, 1, 2}));
  fit->callback([o, &context] { context.run = [o, &context] { return run_fit(*o, context); }; });
}

void add_evaluate_command(CLI::App& app, Context& context) {
  auto o = std::make_shared<EvaluateCommandOptions>();
  CLI::App* evaluate = app.add_subcommand(
      "evaluate",
      "Evaluate a compiled model file on .npy / .npz arrays: prints the loss and the compiled metrics under Keras' "
      "names (model.evaluate(..., return_dict=True))");
  add_data_options(*evaluate, *o, context);
  evaluate->add_flag("--json", o->json, "Print the results as one JSON object");
  evaluate
      ->add_option("--verbose", o->verbose,
                   "0 silent, 1 a progress bar on stderr, 2 one line (default: 1 when stderr is a terminal, else 0)")
      ->check(CLI::IsMember(std::vector<int>{0, 1, 2}));
  evaluate->callback([o, &context] { context.run = [o, &context] { return run_evaluate(*o, context); }; });
}

}  // namespace keras_cli
