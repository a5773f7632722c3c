// Shared pieces of the keras-cpp command line: the commands' registration,
// usage errors, model loading from every format, and output files.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "keras/keras.hpp"

namespace keras_cli {

// Bad usage found after parsing (exit status 2, like CLI11's own errors).
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// What every command shares.
struct Context {
  bool quiet = false;
  // --max-weights-bytes and the other --max-* options (keras/limits.hpp).
  keras::LoadLimits limits;
  // The command chosen on the command line; runs after parsing.
  std::function<int()> run;
};

// Each command adds its subcommand, options and help text to `app`.
void add_info_command(CLI::App& app, Context& context);
void add_predict_command(CLI::App& app, Context& context);
void add_convert_command(CLI::App& app, Context& context);
void add_diff_command(CLI::App& app, Context& context);
void add_plot_command(CLI::App& app, Context& context);
void add_check_command(CLI::App& app, Context& context);
void add_fit_command(CLI::App& app, Context& context);
void add_evaluate_command(CLI::App& app, Context& context);
void add_completion_command(CLI::App& app, Context& context);

// The options every command spells the same way.
CLI::Option* add_weights_option(CLI::App& command, std::string& weights);
CLI::Option* add_overwrite_flag(CLI::App& command, bool& overwrite);
CLI::Option* add_quiet_flag(CLI::App& command, Context& context);
// The load limits every command that reads a model applies (--max-weights-bytes, ...).
void add_limit_options(CLI::App& app, Context& context);

// Where a value comes from: a .keras zip, a model directory, a legacy
// .h5/.hdf5 file, or a config JSON together with `weights`.
bool is_weights_only_file(const std::string& path);
// Loads a model from any of those (and `weights`, if not empty, on top),
// with a progress indicator on a terminal.
keras::Model load_any_model(const std::string& path, const std::string& weights, const Context& context);

// Refuses to replace an existing `path` unless `overwrite` or the user at a
// terminal agrees (save_model's prompt); FileExistsError otherwise.
void confirm_output(const std::filesystem::path& path, bool overwrite);

// The whole of `text` as a finite number, or nullopt.
std::optional<double> parse_number(const std::string& text);
// Accepts 1, 2, 3, ... with a plain message otherwise.
CLI::Validator positive_integer();
CLI::Validator non_negative_number();

// Keras' readable_memory_size for byte counts ("3.67 KB").
std::string readable_size(std::uint64_t bytes);
// "(None, 10, 3)" as Keras prints shapes.
std::string shape_text(const keras::Shape& shape);

}  // namespace keras_cli
