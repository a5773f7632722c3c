// keras-cpp predict MODEL --input X: runs a model on .npy / .npz arrays or
// image files and writes the outputs (.npy files, one .npz, or the top
// classes of a classifier).
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <numeric>

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

// The model inputs from the --input values: NAME=FILE fills the named
// input; plain files fill the others in order; an .npz gives its arrays by
// name (when they match input names) or in order; several images for one
// input form a batch.
std::vector<keras::Tensor> gather_inputs(const keras::Model& model, const PredictOptions& o) {
  const auto names = model.input_names();
  const auto symbolic = model.inputs();
  std::vector<std::vector<keras::Tensor>> slots(names.size());
  std::vector<bool> from_image(names.size(), false);
  ImageInputOptions image_options;
  image_options.rescale = parse_rescale(o.rescale);
  image_options.interpolation = o.interpolation;
  auto slot_of = [&](const std::string& name) -> std::ptrdiff_t {
    auto it = std::find(names.begin(), names.end(), name);
    return it == names.end() ? -1 : it - names.begin();
  };
  auto next_free = [&](const std::string& what) {
    for (std::size_t i = 0; i < slots.size(); ++i) {
      if (slots[i].empty()) return i;
    }
    // A single-input image model takes several images as a batch.
    if (names.size() == 1 && from_image[0]) return std::size_t{0};
    throw keras::ValueError("too many inputs: " + what + " is one more than the model's " +
                            std::to_string(names.size()) + " input(s)");
  };
  auto load_file = [&](const std::string& file, std::size_t slot) {
    if (is_image_file(file)) {
      slots[slot].push_back(load_image_input(file, symbolic[slot].shape(), image_options));
      from_image[slot] = true;
    } else {
      if (!slots[slot].empty()) throw keras::ValueError("input '" + names[slot] + "' given twice");
      slots[slot].push_back(keras::load_npy(file));
    }
  };
  std::vector<std::string> plain;
  for (const auto& spec : o.inputs) {
    const auto eq = spec.find('=');
    std::error_code ec;
    if (eq != std::string::npos && !std::filesystem::exists(spec, ec)) {
      const std::string name = spec.substr(0, eq);
      const auto slot = slot_of(name);
      if (slot < 0) {
        std::string known;
        for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
        throw keras::ValueError("model has no input named '" + name + "' (its inputs are: " + known + ")");
      }
      load_file(spec.substr(eq + 1), static_cast<std::size_t>(slot));
      continue;
    }
    plain.push_back(spec);
  }
  for (const auto& file : plain) {
    if (file.ends_with(".npz")) {
      auto arrays = keras::utils::load_npz(file);
      std::vector<std::pair<std::string, keras::Tensor>> unnamed;
      for (auto& [name, tensor] : arrays) {
        const auto slot = slot_of(name);
        if (slot >= 0) {
          if (!slots[static_cast<std::size_t>(slot)].empty())
            throw keras::ValueError("input '" + name + "' given twice (again in " + file + ")");
          slots[static_cast<std::size_t>(slot)].push_back(tensor);
        } else {
          unnamed.emplace_back(name, tensor);
        }
      }
      for (auto& [name, tensor] : unnamed) slots[next_free(file + "/" + name + ".npy")].push_back(tensor);
      continue;
    }
    load_file(file, next_free(file));
  }
  std::vector<keras::Tensor> ordered;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (slots[i].empty()) throw keras::ValueError("missing --input for model input '" + names[i] + "'");
    if (slots[i].size() == 1) {
      ordered.push_back(slots[i].front());
      continue;
    }
    // Images of one input stacked into a batch.
    keras::Shape shape = slots[i].front().shape();
    shape[0] = static_cast<std::int64_t>(slots[i].size());
    keras::Tensor batch(shape, keras::DType::float32);
    std::size_t offset = 0;
    for (const auto& t : slots[i]) {
      std::memcpy(static_cast<std::byte*>(batch.raw_data()) + offset, t.raw_data(), t.nbytes());
      offset += t.nbytes();
    }
    ordered.push_back(batch);
  }
  return ordered;
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
