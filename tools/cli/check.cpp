// keras-cpp check MODEL: validates a file against every guard of the loaders
// and the format spec without running it.
#include <iostream>

#include "cli.hpp"
#include "keras/utils.hpp"
#include "progress.hpp"

namespace keras_cli {

namespace {

struct CheckOptions {
  std::string model;
  std::string weights;
};

int run_check(const CheckOptions& o, const Context& context) {
  std::optional<std::filesystem::path> weights;
  if (!o.weights.empty()) weights = o.weights;
  Progress progress("checking " + std::filesystem::path(o.model).filename().string(), 0, context.quiet);
  const auto problems = keras::utils::check_model_file(o.model, weights);
  progress.finish();
  if (problems.empty()) {
    std::cout << "ok\n";
    return 0;
  }
  for (const auto& p : problems) std::cout << p << "\n";
  return 1;
}

}  // namespace

void add_check_command(CLI::App& app, Context& context) {
  auto o = std::make_shared<CheckOptions>();
  CLI::App* check = app.add_subcommand(
      "check",
      "Validate a model file against every guard and the format spec without running it: prints ok (exit 0) or "
      "what is wrong (exit 1)");
  check->add_option("MODEL", o->model, "A .keras file, model directory, legacy .h5, or config JSON")->required();
  add_weights_option(*check, o->weights);
  add_quiet_flag(*check, context);
  check->callback([o, &context] { context.run = [o, &context] { return run_check(*o, context); }; });
}

}  // namespace keras_cli
