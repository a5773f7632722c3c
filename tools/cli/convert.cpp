// keras-cpp convert SRC DST: any readable model form to a .keras zip, a model
// directory, a .weights.h5 file or a sharded .weights.json set.
#include "cli.hpp"
#include "progress.hpp"

namespace keras_cli {

namespace {

struct ConvertOptions {
  std::string source;
  std::string destination;
  std::string output;
  std::string weights;
  bool weights_only = false;
  std::string max_shard_size;
  bool overwrite = false;
  std::string quantize;
};

double parse_shard_size(const std::string& text) {
  const auto value = parse_number(text);
  if (!value || !(*value > 0)) throw UsageError("--max-shard-size needs a positive number of GB, got '" + text + "'");
  return *value;
}

int run_convert(const ConvertOptions& o, const Context& context) {
  if (!o.destination.empty() && !o.output.empty() && o.destination != o.output)
    throw UsageError("convert takes DST once: either as the second argument or with -o, not both");
  const std::string dst = o.destination.empty() ? o.output : o.destination;
  if (dst.empty()) throw UsageError("convert needs SRC and DST (or -o DST)");
  std::optional<double> shard_size;
  if (!o.max_shard_size.empty()) shard_size = parse_shard_size(o.max_shard_size);
  const bool weights_target = o.weights_only || shard_size;
  if (!weights_target && is_weights_only_file(dst))
    throw UsageError("DST " + dst + " is a weights-only file name: add --weights-only (or --max-shard-size GB)");
  keras::Model model = load_any_model(o.source, o.weights, context);
  if (!o.quantize.empty()) {
    // model.quantize(mode) before saving, with the mode's default config.
    const auto report = model.quantize(o.quantize);
    if (report.quantized.empty())
      throw keras::ValueError(
          "--quantize " + o.quantize + ": " + o.source +
          " has no Dense, EinsumDense or Embedding layer left to quantize; nothing was written to " + dst);
  }
  // Ask before the progress bar starts, so that the question stands alone on the terminal.
  std::filesystem::path target = dst;
  if (shard_size && dst.ends_with("weights.h5")) target = dst.substr(0, dst.size() - 2) + "json";
  confirm_output(target, o.overwrite);
  Progress progress("saving " + std::filesystem::path(dst).filename().string(), 0, context.quiet);
  if (weights_target) {
    keras::SaveWeightsOptions options;
    options.overwrite = true;
    options.max_shard_size = shard_size;
    keras::save_weights(model, dst, options);
  } else {
    keras::SaveModelOptions options;
    options.overwrite = true;
    // .keras: a zip; .h5/.hdf5 go to save_model, which refuses the legacy format; anything else is a directory.
    options.zipped = dst.ends_with(".keras") || dst.ends_with(".h5") || dst.ends_with(".hdf5");
    keras::save_model(model, dst, options);
  }
  progress.finish();
  return 0;
}

}  // namespace

void add_convert_command(CLI::App& app, Context& context) {
  auto o = std::make_shared<ConvertOptions>();
  CLI::App* convert = app.add_subcommand(
      "convert",
      "Convert a model: DST ending in .keras is a zip, any other DST a model directory; with --weights-only a "
      ".weights.h5 file, with --max-shard-size a sharded .weights.json set (writing legacy .h5 is not supported)");
  convert->add_option("SRC", o->source, "A .keras file, model directory, legacy .h5, or config JSON (+ --weights)")
      ->required();
  convert->add_option("DST", o->destination, "Where to write (or -o DST)");
  convert->add_option("-o,--output", o->output, "Where to write (instead of the DST argument)");
  add_weights_option(*convert, o->weights);
  convert->add_flag("--weights-only", o->weights_only, "Write only the weights, as a .weights.h5 file");
  convert->add_option("--max-shard-size", o->max_shard_size,
                      "Write sharded weights (DST.weights.json + shards) of at most this many GB each");
  add_overwrite_flag(*convert, o->overwrite);
  convert
      ->add_option("--quantize", o->quantize,
                   "Quantize the model first, as Keras' model.quantize(mode): int8 (int8 weights and "
                   "activations), int4 (weight-only, groups of 128) or float8")
      ->check(CLI::IsMember({"int8", "int4", "float8"}));
  add_quiet_flag(*convert, context);
  convert->callback([o, &context] { context.run = [o, &context] { return run_convert(*o, context); }; });
}

}  // namespace keras_cli
