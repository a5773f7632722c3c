// End-to-end benchmarks on realistic models written by Keras 3.16 (../shared/fixtures/bench/<model>/:
// model.keras, x0.npy with a batch of 64, y0.npy, case.json with atol/rtol). For each model:
//   <model>/load         keras::load_model from the .keras file
//   <model>/predict_b64  predict on x0 (one batch of 64); samples/s; checks y0 within case.json's tolerances
//   <model>/predict_b1   predict on the first sample; checks y0's first row
//   <model>/save         keras::save_model to a temporary .keras file; its size
// Values that Google Benchmark has no column for travel in the label as key=value pairs
// (scripts/run-bench turns them into one table). A model that is absent, fails to load or
// fails to predict is reported through SkipWithError, never by crashing the run.
#include <benchmark/benchmark.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "keras/keras.hpp"

namespace {

namespace fs = std::filesystem;

const std::vector<std::string> kModels = {"mlp_1024", "mobilenet_v2_035_96", "efficientnet_b0_64", "transformer_block",
                                          "lstm_text"};

// KERAS_BENCH_DIR, else <repo>/../shared/fixtures/bench (too big to live in tests/data).
fs::path bench_dir() {
  if (const char* dir = std::getenv("KERAS_BENCH_DIR"); dir != nullptr && *dir != '\0') return dir;
  return fs::path(KERAS_SOURCE_DIR) / ".." / "shared" / "fixtures" / "bench";
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw keras::FileNotFoundError("Cannot open " + path.string());
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// One line, bounded, so that an error message fits in a table cell.
std::string one_line(std::string text) {
  for (char& c : text) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  constexpr std::size_t kMaxLength = 160;
  if (text.size() > kMaxLength) text = text.substr(0, kMaxLength) + "...";
  return text;
}

std::string format_double(double value, int precision = 4) {
  std::ostringstream out;
  out.precision(precision);
  out << value;
  return out.str();
}

// Everything a model's benchmarks share, read once per process.
struct Case {
  fs::path dir;
  std::string missing;  // non-empty: why the case cannot run
  std::vector<keras::Tensor> inputs;
  std::vector<keras::Tensor> outputs;
  double atol = 1e-4;
  double rtol = 1e-3;
};

const Case& get_case(const std::string& name) {
  static std::map<std::string, Case> cases;
  if (auto it = cases.find(name); it != cases.end()) return it->second;
  Case c;
  c.dir = bench_dir() / name;
  std::error_code ec;
  if (!fs::is_regular_file(c.dir / "model.keras", ec)) {
    c.missing = "skipped: " + (c.dir / "model.keras").lexically_normal().string() + " is absent (set KERAS_BENCH_DIR)";
  } else {
    try {
      const keras::Json meta = keras::parse_json(read_text(c.dir / "case.json"), (c.dir / "case.json").string());
      c.atol = meta.value("atol", c.atol);
      c.rtol = meta.value("rtol", c.rtol);
      for (const auto& file : meta.at("inputs")) c.inputs.push_back(keras::load_npy(c.dir / file.get<std::string>()));
      for (const auto& file : meta.at("outputs")) c.outputs.push_back(keras::load_npy(c.dir / file.get<std::string>()));
      if (c.inputs.empty() || c.outputs.empty()) c.missing = "skipped: case.json lists no inputs or outputs";
    } catch (const std::exception& e) {
      c.missing = "skipped: cannot read the case: " + one_line(e.what());
    }
  }
  return cases.emplace(name, std::move(c)).first->second;
}

// The first `rows` samples of a tensor, as an independent tensor.
keras::Tensor first_rows(const keras::Tensor& t, std::int64_t rows) {
  keras::Shape shape = t.shape();
  rows = std::min(rows, shape.at(0));
  shape[0] = rows;
  keras::Tensor out(shape, t.dtype());
  std::memcpy(out.raw_data(), t.raw_data(), out.nbytes());
  return out;
}

std::vector<keras::Tensor> first_rows(const std::vector<keras::Tensor>& tensors, std::int64_t rows) {
  std::vector<keras::Tensor> out;
  for (const auto& t : tensors) out.push_back(first_rows(t, rows));
  return out;
}

// The loaded model of one case at a time: several loaded big models would distort the RSS figures.
struct LoadedModel {
  std::string name;
  std::optional<keras::Model> model;
  std::string error;  // non-empty: "load failed: ..."
};

LoadedModel& model_slot() {
  static LoadedModel slot;
  return slot;
}

LoadedModel& loaded_model(const std::string& name, const Case& c) {
  LoadedModel& slot = model_slot();
  if (slot.name == name && (slot.model || !slot.error.empty())) return slot;
  slot = LoadedModel{name, std::nullopt, ""};
  try {
    slot.model = keras::load_model(c.dir / "model.keras");
  } catch (const std::exception& e) {
    slot.error = "load failed: " + one_line(e.what());
  }
  return slot;
}

void drop_loaded_model() { model_slot() = LoadedModel{}; }

// Reads a "VmXXX:   1234 kB" line of /proc/self/status, in MiB; negative when unavailable.
double proc_status_mib(const char* key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  const std::size_t key_length = std::strlen(key);
  while (std::getline(in, line)) {
    if (line.compare(0, key_length, key) == 0 && line.size() > key_length && line[key_length] == ':')
      return std::strtod(line.c_str() + key_length + 1, nullptr) / 1024.0;
  }
  return -1.0;
}

// Restarts the peak-RSS (VmHWM) counter at the current RSS, which Linux allows through
// /proc/self/clear_refs; false when that is not possible (then VmHWM is the process' peak).
bool reset_peak_rss() {
  std::ofstream out("/proc/self/clear_refs");
  out << "5";
  out.flush();
  return static_cast<bool>(out);
}

double peak_rss_mib() {
  const double hwm = proc_status_mib("VmHWM");
  if (hwm >= 0) return hwm;
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // kB on Linux
}

// Compares predictions with Keras' outputs under the case's tolerances; "" when they match.
std::string compare_outputs(const std::vector<keras::Tensor>& got, const std::vector<keras::Tensor>& want, double rtol,
                            double atol, double* max_diff) {
  *max_diff = 0;
  if (got.size() != want.size())
    return std::to_string(got.size()) + " outputs, Keras has " + std::to_string(want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    if (got[i].shape() != want[i].shape())
      return "output " + std::to_string(i) + " has shape " + keras::shape_to_string(got[i].shape()) + ", Keras " +
             keras::shape_to_string(want[i].shape());
    const keras::Tensor actual = got[i].astype(keras::DType::float32);
    const keras::Tensor expected = want[i].astype(keras::DType::float32);
    *max_diff = std::max(*max_diff, keras::max_abs_diff(actual, expected));
    if (!keras::allclose(actual, expected, rtol, atol))
      return "output " + std::to_string(i) + " differs from Keras (max |diff| " + format_double(*max_diff) + ")";
  }
  return "";
}

// A case or model that cannot run: reports why and leaves the benchmark loop unentered.
bool skip_if_unavailable(benchmark::State& state, const Case& c, const LoadedModel* model) {
  if (!c.missing.empty()) {
    state.SkipWithError(c.missing.c_str());
    return true;
  }
  if (model != nullptr && !model->error.empty()) {
    state.SkipWithError(model->error.c_str());
    return true;
  }
  return false;
}

void bench_load(benchmark::State& state, const std::string& name) {
  const Case& c = get_case(name);
  if (skip_if_unavailable(state, c, nullptr)) return;
  const fs::path path = c.dir / "model.keras";
  std::string error;
  for (auto _ : state) {
    try {
      keras::Model model = keras::load_model(path);
      benchmark::DoNotOptimize(model);
    } catch (const std::exception& e) {
      error = "load failed: " + one_line(e.what());
      break;
    }
  }
  if (!error.empty()) state.SkipWithError(error.c_str());
}

// Resident bytes of the shared libraries' file mappings (code and read-only data), in MiB: pages a
// process pulls in on first use of a library and keeps, the same for every model; negative when
// /proc/self/smaps is unavailable.
double shared_library_rss_mib() {
  std::ifstream in("/proc/self/smaps");
  if (!in) return -1.0;
  std::string line;
  bool library = false;
  double kib = 0;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    // A mapping's header: "start-end perms offset dev inode [path]"; its fields follow as "Key: value".
    const std::size_t colon = line.find(':');
    const std::size_t space = line.find(' ');
    if (colon == std::string::npos || (space != std::string::npos && space < colon)) {
      const std::size_t slash = line.find('/');
      library = slash != std::string::npos && line.find(".so", slash) != std::string::npos;
    } else if (library && line.compare(0, 4, "Rss:") == 0) {
      kib += std::strtod(line.c_str() + 4, nullptr);
    }
  }
  return kib / 1024.0;
}

// Bytes of the model's variables, each counted once (a shared layer holds the same variables).
double weight_mib(const keras::Model& model) {
  std::set<const keras::Variable*> seen;
  double bytes = 0;
  for (const auto& layer : model.layers()) {
    for (const auto& variable : layer->weights()) {
      if (!seen.insert(variable.get()).second) continue;
      std::int64_t elements = 1;
      for (const std::int64_t dim : variable->shape()) elements *= dim;
      bytes += static_cast<double>(elements) * static_cast<double>(keras::dtype_size(variable->dtype()));
    }
  }
  return bytes / (1024.0 * 1024.0);
}

// The largest output of any layer call of the model (the inputs included) at this batch size:
// the memory budget counts three of them on top of the weights.
double largest_activation_mib(const keras::Model& model, std::int64_t batch) {
  double largest = 0;
  for (const auto& layer : model.layers()) {
    for (const auto& weak_node : layer->inbound_nodes()) {
      const auto node = weak_node.lock();
      if (!node) continue;
      for (const auto& spec : node->output_specs) {
        double elements = 1;
        for (const std::int64_t dim : spec.shape) elements *= static_cast<double>(dim < 0 ? batch : dim);
        largest = std::max(largest, elements * static_cast<double>(keras::dtype_size(spec.dtype)));
      }
    }
  }
  return largest / (1024.0 * 1024.0);
}

// Peak RSS of one load_model plus one batch-64 predict, from the RSS the process had before.
// Registered first, so that it runs in a process that has not loaded anything yet. The label
// also gives the weight bytes and the largest activation, the terms of the budget, and
// how much of the growth is shared-library pages touched for the first time.
void bench_peak_rss(benchmark::State& state, const std::string& name) {
  const Case& c = get_case(name);
  if (skip_if_unavailable(state, c, nullptr)) return;
  drop_loaded_model();
  const double base_rss = proc_status_mib("VmRSS");
  const double base_library_rss = shared_library_rss_mib();
  const bool peak_is_local = reset_peak_rss();
  std::string error;
  for (auto _ : state) {
    LoadedModel& loaded = loaded_model(name, c);
    if (!loaded.error.empty()) {
      error = loaded.error;
      break;
    }
    try {
      auto outputs = loaded.model->predict(c.inputs, c.inputs.front().shape().at(0));
      benchmark::DoNotOptimize(outputs);
    } catch (const std::exception& e) {
      error = "predict failed: " + one_line(e.what());
      break;
    }
  }
  if (!error.empty()) {
    state.SkipWithError(error.c_str());
    return;
  }
  const double peak = peak_rss_mib();
  const keras::Model& model = *model_slot().model;
  const std::int64_t batch = c.inputs.front().shape().at(0);
  state.SetLabel("peak_rss_mib=" + format_double(peak, 5) + " base_rss_mib=" + format_double(base_rss, 5) +
                 " weight_mib=" + format_double(weight_mib(model), 5) +
                 " largest_activation_mib=" + format_double(largest_activation_mib(model, batch), 5) +
                 " library_growth_mib=" + format_double(shared_library_rss_mib() - base_library_rss, 5) +
                 " rss_scope=" + (peak_is_local ? "load+predict" : "process"));
}

void bench_predict(benchmark::State& state, const std::string& name, std::int64_t batch) {
  const Case& c = get_case(name);
  if (skip_if_unavailable(state, c, nullptr)) return;
  const auto inputs = first_rows(c.inputs, batch);
  const auto expected = first_rows(c.outputs, batch);

  LoadedModel& loaded = loaded_model(name, c);
  if (skip_if_unavailable(state, c, &loaded)) return;

  std::vector<keras::Tensor> first;
  try {
    first = loaded.model->predict(inputs, batch);
  } catch (const std::exception& e) {
    state.SkipWithError(("predict failed: " + one_line(e.what())).c_str());
    return;
  }
  double max_diff = 0;
  const std::string mismatch = compare_outputs(first, expected, c.rtol, c.atol, &max_diff);

  std::string error;
  for (auto _ : state) {
    try {
      auto outputs = loaded.model->predict(inputs, batch);
      benchmark::DoNotOptimize(outputs);
    } catch (const std::exception& e) {
      error = "predict failed: " + one_line(e.what());
      break;
    }
  }
  if (!error.empty()) {
    state.SkipWithError(error.c_str());
    return;
  }
  state.SetItemsProcessed(state.iterations() * batch);
  std::string label =
      "match=" + std::string(mismatch.empty() ? "yes" : "NO") + " max_abs_diff=" + format_double(max_diff, 3);
  if (!mismatch.empty()) label += " mismatch=\"" + mismatch + "\"";
  state.SetLabel(label);
}

void bench_save(benchmark::State& state, const std::string& name) {
  const Case& c = get_case(name);
  if (skip_if_unavailable(state, c, nullptr)) return;
  LoadedModel& loaded = loaded_model(name, c);
  if (skip_if_unavailable(state, c, &loaded)) return;

  const fs::path dir = fs::temp_directory_path() / ("keras-cpp-bench-" + std::to_string(getpid()));
  fs::create_directories(dir);
  const fs::path target = dir / (name + ".keras");
  keras::SaveModelOptions options;
  options.overwrite = true;
  std::string error;
  for (auto _ : state) {
    try {
      keras::save_model(*loaded.model, target, options);
    } catch (const std::exception& e) {
      error = "save failed: " + one_line(e.what());
      break;
    }
  }
  std::error_code ec;
  const auto size = fs::file_size(target, ec);
  fs::remove_all(dir, ec);
  if (!error.empty()) {
    state.SkipWithError(error.c_str());
    return;
  }
  state.SetLabel("file_mib=" + format_double(static_cast<double>(size) / (1024.0 * 1024.0), 4) + " keras_file_mib=" +
                 format_double(static_cast<double>(fs::file_size(c.dir / "model.keras")) / (1024.0 * 1024.0), 4));
}

// Registered in this order, so that a model's load runs before its predictions and save.
[[maybe_unused]] const bool registered = [] {
  for (const auto& name : kModels) {
    benchmark::RegisterBenchmark((name + "/peak_rss").c_str(), bench_peak_rss, name)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime()
        ->Iterations(1)
        ->Repetitions(1);  // one measurement: aggregates of repetitions would drop its label
    benchmark::RegisterBenchmark((name + "/load").c_str(), bench_load, name)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
    benchmark::RegisterBenchmark((name + "/predict_b64").c_str(), bench_predict, name, std::int64_t{64})
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
    benchmark::RegisterBenchmark((name + "/predict_b1").c_str(), bench_predict, name, std::int64_t{1})
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
    benchmark::RegisterBenchmark((name + "/save").c_str(), bench_save, name)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
  }
  return true;
}();

}  // namespace
