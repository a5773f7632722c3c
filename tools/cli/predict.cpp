// keras-cpp predict MODEL --input X: runs a model on .npy / .npz arrays or
// image files and writes the outputs (.npy files, one .npz, or the top
// classes of a classifier).
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <numeric>

#include "arrays.hpp"
#include "cli.hpp"
#include "image.hpp"
#include "keras/utils.hpp"
#include "progress.hpp"

namespace keras_cli {

namespace {

struct PredictOptions {
  std::string model;
  std::string weights;
  std::vector<std::string> inputs;
  std::string output;
  std::string output_dir;
  std::int64_t batch_size = 32;
  bool overwrite = false;
  int top_k = 0;
  std::string labels;
  std::string rescale = "1";
  std::string interpolation = "bilinear";
};

double parse_rescale(const std::string& text) {
  // A number or a fraction such as 1/255.
  auto number = [&](const std::string& part) {
    const auto value = parse_number(part);
    if (!value) throw UsageError("--rescale needs a number or a fraction such as 1/255, got '" + text + "'");
    return *value;
  };
  const auto slash = text.find('/');
  if (slash == std::string::npos) return number(text);
  const double denominator = number(text.substr(slash + 1));
  if (denominator == 0) throw UsageError("--rescale divides by zero: '" + text + "'");
  return number(text.substr(0, slash)) / denominator;
}

// The model inputs from the --input values (arrays.hpp); image files are
// decoded to the input's shape.
std::vector<keras::Tensor> gather_inputs(const keras::Model& model, const PredictOptions& o) {
  const auto symbolic = model.inputs();
  ImageInputOptions image_options;
  image_options.rescale = parse_rescale(o.rescale);
  image_options.interpolation = o.interpolation;
  const ImageLoader load_image = [&](const std::string& file, std::size_t slot) {
    return load_image_input(file, symbolic[slot].shape(), image_options);
  };
  return gather_arrays({model.input_names(), "input", "--input"}, o.inputs, load_image).tensors;
}

// Rows [begin, end) along axis 0.
keras::Tensor slice_rows(const keras::Tensor& t, std::int64_t begin, std::int64_t end) {
  keras::Shape shape = t.shape();
  const std::int64_t rows = shape.at(0);
  if (begin == 0 && end == rows) return t;
  const std::size_t row_bytes = t.nbytes() / static_cast<std::size_t>(std::max<std::int64_t>(rows, 1));
  shape[0] = end - begin;
  keras::Tensor out(shape, t.dtype());
  std::memcpy(out.raw_data(), static_cast<const std::byte*>(t.raw_data()) + static_cast<std::size_t>(begin) * row_bytes,
              static_cast<std::size_t>(end - begin) * row_bytes);
  return out;
}

keras::Tensor concat_rows(const std::vector<keras::Tensor>& parts) {
  if (parts.size() == 1) return parts.front();
  keras::Shape shape = parts.front().shape();
  std::int64_t rows = 0;
  for (const auto& p : parts) rows += p.shape().at(0);
  shape[0] = rows;
  keras::Tensor out(shape, parts.front().dtype());
  std::size_t offset = 0;
  for (const auto& p : parts) {
    std::memcpy(static_cast<std::byte*>(out.raw_data()) + offset, p.raw_data(), p.nbytes());
    offset += p.nbytes();
  }
  return out;
}

// model.predict in batches, with a progress bar counting them.
std::vector<keras::Tensor> predict_batches(const keras::Model& model, const std::vector<keras::Tensor>& inputs,
                                           std::int64_t batch_size, const Context& context) {
  if (inputs.empty() || inputs.front().rank() == 0) return model.predict(inputs, batch_size);
  const std::int64_t rows = inputs.front().shape()[0];
  const std::int64_t batches = std::max<std::int64_t>(1, (rows + batch_size - 1) / batch_size);
  if (batches == 1) return model.predict(inputs, batch_size);
  for (const auto& t : inputs) {
    if (t.rank() == 0 || t.shape()[0] != rows) return model.predict(inputs, batch_size);  // predict's own message
  }
  Progress progress("predict", batches, context.quiet);
  std::vector<std::vector<keras::Tensor>> parts;
  for (std::int64_t b = 0; b < batches; ++b) {
    std::vector<keras::Tensor> batch;
    for (const auto& t : inputs) batch.push_back(slice_rows(t, b * batch_size, std::min(rows, (b + 1) * batch_size)));
    auto out = model.predict(batch, batch_size);
    if (parts.empty()) parts.resize(out.size());
    for (std::size_t i = 0; i < out.size(); ++i) parts[i].push_back(out[i]);
    progress.update(b + 1);
  }
  progress.finish();
  std::vector<keras::Tensor> outputs;
  for (const auto& p : parts) outputs.push_back(concat_rows(p));
  return outputs;
}

std::vector<std::string> read_labels(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw keras::FileNotFoundError("Cannot open labels file " + path);
  std::vector<std::string> labels;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    labels.push_back(line);
  }
  return labels;
}

void print_top_k(const std::vector<keras::Tensor>& outputs, const std::vector<std::string>& output_names, int k,
                 const std::vector<std::string>& labels) {
  for (std::size_t o = 0; o < outputs.size(); ++o) {
    const auto& y = outputs[o];
    if (y.rank() != 2) {
      std::cerr << "keras-cpp: output '" << output_names[o] << "' has shape " << shape_text(y.shape())
                << ", not (samples, classes): no top classes\n";
      continue;
    }
    if (outputs.size() > 1) std::cout << output_names[o] << ":\n";
    const std::int64_t samples = y.shape()[0];
    const std::int64_t classes = y.shape()[1];
    for (std::int64_t s = 0; s < samples; ++s) {
      std::vector<std::int64_t> order(static_cast<std::size_t>(classes));
      std::iota(order.begin(), order.end(), 0);
      const auto count = std::min<std::int64_t>(k, classes);
      std::partial_sort(order.begin(), order.begin() + count, order.end(), [&](std::int64_t a, std::int64_t b) {
        const double va = y.at(s * classes + a);
        const double vb = y.at(s * classes + b);
        return va > vb || (va == vb && a < b);
      });
      std::cout << "sample " << s << ":";
      for (std::int64_t i = 0; i < count; ++i) {
        const auto c = order[static_cast<std::size_t>(i)];
        char score[32];
        std::snprintf(score, sizeof(score), "%.4f", y.at(s * classes + c));
        std::cout << (i > 0 ? "," : "") << " " << c;
        if (static_cast<std::size_t>(c) < labels.size()) std::cout << " " << labels[static_cast<std::size_t>(c)];
        std::cout << " (" << score << ")";
      }
      std::cout << "\n";
    }
  }
}

int run_predict(const PredictOptions& o, const Context& context) {
  if (o.output.empty() && o.output_dir.empty() && o.top_k == 0)
    throw UsageError(
        "predict needs somewhere to put the outputs: -o FILE (.npy or .npz), --output-dir DIR or --top-k K");
  if (!o.output.empty() && !o.output.ends_with(".npy") && !o.output.ends_with(".npz"))
    throw UsageError("-o " + o.output +
                     ": the output file must end in .npy (one output) or .npz (one array per output)");
  keras::Model model = load_any_model(o.model, o.weights, context);
  const auto output_names = model.output_names();
  if (o.output.ends_with(".npy") && output_names.size() != 1)
    throw keras::ValueError("-o " + o.output + ": the model has " + std::to_string(output_names.size()) +
                            " outputs; write them with -o OUT.npz or --output-dir DIR");
  if (!o.output.empty()) confirm_output(o.output, o.overwrite);
  const auto inputs = gather_inputs(model, o);
  const auto outputs = predict_batches(model, inputs, o.batch_size, context);
  if (!o.output_dir.empty()) {
    std::filesystem::create_directories(o.output_dir);
    for (std::size_t i = 0; i < outputs.size(); ++i)
      keras::save_npy(std::filesystem::path(o.output_dir) / ("y" + std::to_string(i) + ".npy"), outputs[i]);
  }
  if (o.output.ends_with(".npy")) {
    keras::save_npy(o.output, outputs.front());
  } else if (!o.output.empty()) {
    keras::utils::NamedTensors named;
    for (std::size_t i = 0; i < outputs.size(); ++i) named.emplace_back(output_names[i], outputs[i]);
    keras::utils::save_npz(o.output, named);
  }
  if (o.top_k > 0)
    print_top_k(outputs, output_names, o.top_k, o.labels.empty() ? std::vector<std::string>{} : read_labels(o.labels));
  return 0;
}

}  // namespace

void add_predict_command(CLI::App& app, Context& context) {
  auto o = std::make_shared<PredictOptions>();
  CLI::App* predict =
      app.add_subcommand("predict", "Run a model on .npy / .npz arrays or PNG / JPEG images and write its outputs");
  predict->add_option("MODEL", o->model, "A .keras file, model directory, legacy .h5, or config JSON (+ --weights)")
      ->required();
  add_weights_option(*predict, o->weights);
  predict
      ->add_option("--input,--x", o->inputs,
                   "An input: X.npy, NAME=X.npy, an .npz (arrays matched to inputs by name, else in order), or PNG / "
                   "JPEG images (resized to the input size; several form a batch). Repeat for more inputs")
      ->required()
      ->allow_extra_args(false);
  predict->add_option("-o,--output", o->output,
                      "Write the outputs: Y.npy (single-output models) or OUT.npz (one array per output, named after "
                      "the model's outputs)");
  predict->add_option("--output-dir", o->output_dir,
                      "Write the outputs as DIR/y0.npy, DIR/y1.npy, ... in output order");
  predict->add_option("--batch-size", o->batch_size, "Samples per batch (default 32)")->check(positive_integer());
  add_overwrite_flag(*predict, o->overwrite);
  predict->add_option("--top-k", o->top_k, "Print the K top classes of each (samples, classes) output")
      ->check(positive_integer());
  predict->add_option("--labels", o->labels, "Class names for --top-k, one per line");
  predict->add_option("--rescale", o->rescale, "Multiply image pixel values (0..255) by this, e.g. 1/255");
  predict->add_option("--interpolation", o->interpolation, "How images are resized (default bilinear)")
      ->check(CLI::IsMember({"bilinear", "nearest", "bicubic", "lanczos3", "lanczos5"}));
  add_quiet_flag(*predict, context);
  predict->callback([o, &context] { context.run = [o, &context] { return run_predict(*o, context); }; });
}

}  // namespace keras_cli
