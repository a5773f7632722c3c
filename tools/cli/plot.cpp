// keras-cpp plot MODEL -o model.svg|png|pdf|dot: the model graph as
// keras.utils.plot_model draws it.
#include "cli.hpp"
#include "keras/utils.hpp"
#include "progress.hpp"

namespace keras_cli {

namespace {

struct PlotOptions {
  std::string model;
  std::string weights;
  std::string output;
  bool overwrite = false;
  bool hide_layer_names = false;
  keras::utils::PlotModelOptions plot;
};

int run_plot(PlotOptions o, const Context& context) {
  if (std::filesystem::path(o.output).extension().empty())
    throw UsageError("-o " + o.output + ": give the file an extension (.svg, .png, .pdf or .dot) to pick the format");
  keras::Model model = load_any_model(o.model, o.weights, context);
  o.plot.show_layer_names = !o.hide_layer_names;
  confirm_output(o.output, o.overwrite);
  Progress progress("drawing " + std::filesystem::path(o.output).filename().string(), 0, context.quiet);
  keras::utils::plot_model(model, o.output, o.plot);
  progress.finish();
  return 0;
}

}  // namespace

void add_plot_command(CLI::App& app, Context& context) {
  auto o = std::make_shared<PlotOptions>();
  CLI::App* plot = app.add_subcommand(
      "plot",
      "Draw the model graph as keras.utils.plot_model does (layer names and types; nested models as clusters with "
      "--expand-nested), laid out by Graphviz");
  plot->add_option("MODEL", o->model, "A .keras file, model directory, legacy .h5, or config JSON (+ --weights)")
      ->required();
  add_weights_option(*plot, o->weights);
  plot->add_option("-o,--output", o->output, "The picture: .svg, .png, .pdf, or .dot (Graphviz's laid-out graph)")
      ->required();
  add_overwrite_flag(*plot, o->overwrite);
  plot->add_flag("--show-shapes", o->plot.show_shapes, "Input and output shapes of every layer");
  plot->add_flag("--show-dtype", o->plot.show_dtype, "Output dtypes");
  plot->add_flag("--hide-layer-names", o->hide_layer_names, "Only the layer types (plot_model's default)");
  plot->add_flag("--show-layer-activations", o->plot.show_layer_activations, "Activations of layers that have one");
  plot->add_flag("--show-trainable", o->plot.show_trainable, "Mark layers with weights trainable or not");
  plot->add_flag("--expand-nested", o->plot.expand_nested, "Draw nested models as clusters of their layers");
  plot->add_option("--rankdir", o->plot.rankdir, "TB (top to bottom, default) or LR, BT, RL")
      ->check(CLI::IsMember({"TB", "LR", "BT", "RL"}));
  plot->add_option("--dpi", o->plot.dpi, "Resolution of PNG pictures (default 200)")->check(CLI::Range(10, 2000));
  plot->add_option("--splines", o->plot.splines, "How edges are drawn (default ortho)")
      ->check(CLI::IsMember({"ortho", "curved", "polyline", "spline", "line"}));
  add_quiet_flag(*plot, context);
  plot->callback([o, &context] { context.run = [o, &context] { return run_plot(*o, context); }; });
}

}  // namespace keras_cli
