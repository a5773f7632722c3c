// The callbacks that write files: ModelCheckpoint (keras/src/callbacks/
// model_checkpoint.py) and CSVLogger (csv_logger.py).
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>

#include "keras/callbacks.hpp"
#include "keras/json.hpp"
#include "keras/saving.hpp"

namespace keras::callbacks {

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string python_float(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return dump_json_like_python(Json(v));
}

// str.format with the fields ModelCheckpoint passes: integers (epoch, batch)
// and floats (the logs); "{name}" or "{name:spec}" with a printf-like spec.
std::string python_format(const std::string& pattern, const std::map<std::string, std::int64_t>& ints,
                          const Logs& floats) {
  std::string out;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '{' && i + 1 < pattern.size() && pattern[i + 1] == '{') {
      out += '{';
      ++i;
      continue;
    }
    if (c == '}' && i + 1 < pattern.size() && pattern[i + 1] == '}') {
      out += '}';
      ++i;
      continue;
    }
    if (c != '{') {
      out += c;
      continue;
    }
    const auto close = pattern.find('}', i);
    if (close == std::string::npos) throw ValueError("Single '{' encountered in format string: " + pattern);
    const std::string field = pattern.substr(i + 1, close - i - 1);
    const auto colon = field.find(':');
    const std::string name = field.substr(0, colon);
    const std::string spec = colon == std::string::npos ? "" : field.substr(colon + 1);
    auto int_it = ints.find(name);
    const auto float_value = floats.get(name);
    if (int_it == ints.end() && !float_value)
      throw ValueError("Failed to format this callback filepath: \"" + pattern + "\". Reason: '" + name + "'");
    char buffer[128];
    if (spec.empty()) {
      out += int_it != ints.end() ? std::to_string(int_it->second) : python_float(*float_value);
    } else {
      const char type = spec.back();
      const bool integer_spec = type == 'd';
      const std::string format = "%" + (std::isalpha(static_cast<unsigned char>(type)) != 0 ? spec : spec + "g");
      if (integer_spec) {
        const long long v = int_it != ints.end() ? int_it->second : static_cast<long long>(*float_value);
        std::snprintf(buffer, sizeof(buffer), (format.substr(0, format.size() - 1) + "lld").c_str(), v);
      } else {
        const double v = int_it != ints.end() ? static_cast<double>(int_it->second) : *float_value;
        std::snprintf(buffer, sizeof(buffer), format.c_str(), v);
      }
      out += buffer;
    }
    i = close;
  }
  return out;
}

std::string fixed5(double v) {
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%.5f", v);
  return buffer;
}

}  // namespace

// ---------------------------------------------------------------- ModelCheckpoint

ModelCheckpoint::ModelCheckpoint(std::string filepath, const ModelCheckpointOptions& options)
    : MonitorCallback(options.monitor, options.mode, options.initial_value_threshold, 0.0),
      filepath_(std::move(filepath)),
      options_(options) {
  if (options.save_freq_batches && *options.save_freq_batches <= 0)
    throw ValueError("Unrecognized save_freq: " + std::to_string(*options.save_freq_batches) +
                     ". Expected save_freq are 'epoch' or integer values");
  if (options.save_weights_only) {
    if (!ends_with(filepath_, ".weights.h5"))
      throw ValueError(
          "When using `save_weights_only=True` in `ModelCheckpoint`, the filepath provided must end in "
          "`.weights.h5` (Keras weights format). Received: filepath=" +
          filepath_);
  } else if (!ends_with(filepath_, ".keras")) {
    throw ValueError("The filepath provided must end in `.keras` (Keras model format). Received: filepath=" +
                     filepath_);
  }
}

std::string ModelCheckpoint::file_path(std::int64_t epoch, std::optional<std::int64_t> batch, const Logs& logs) const {
  std::map<std::string, std::int64_t> ints{{"epoch", epoch + 1}};
  if (batch && !logs.contains("batch")) ints["batch"] = *batch + 1;
  return python_format(filepath_, ints, logs);
}

void ModelCheckpoint::on_epoch_begin(std::int64_t epoch, const Logs& /*logs*/) { current_epoch_ = epoch; }

void ModelCheckpoint::on_epoch_end(std::int64_t epoch, Logs& logs) {
  if (sign_ == 0) set_monitor_op();
  if (!options_.save_freq_batches) save(epoch, std::nullopt, logs);
}

void ModelCheckpoint::on_train_batch_end(std::int64_t batch, const Logs& logs) {
  if (!options_.save_freq_batches) return;
  if (!last_batch_ || batch <= *last_batch_)
    batches_since_save_ += batch + 1;
  else
    batches_since_save_ += batch - *last_batch_;
  last_batch_ = batch;
  if (batches_since_save_ >= *options_.save_freq_batches) {
    batches_since_save_ = 0;
    if (sign_ == 0) set_monitor_op();
    save(current_epoch_, batch, logs);
  }
}

void ModelCheckpoint::save(std::int64_t epoch, std::optional<std::int64_t> batch, const Logs& logs) {
  const std::string path = file_path(epoch, batch, logs);
  bool should_save = true;
  if (options_.save_best_only) {
    const auto current = logs.get(monitor_);
    if (!current) {
      std::cerr << "WARNING: Can save best model only with " << monitor_ << " available.\n";
    } else {
      const std::string best = best_ ? fixed5(*best_) : "None";
      if (is_improvement(*current, best_)) {
        if (options_.verbose > 0)
          std::cout << "\nEpoch " << epoch + 1 << ": " << monitor_ << " improved from " << best << " to "
                    << fixed5(*current) << ", saving model to " << path << "\n";
        best_ = *current;
      } else {
        if (options_.verbose > 0)
          std::cout << "\nEpoch " << epoch + 1 << ": " << monitor_ << " did not improve from " << best << "\n";
        should_save = false;
      }
    }
  } else if (options_.verbose > 0) {
    std::cout << "\nEpoch " << epoch + 1 << ": saving model to " << path << "\n";
  }
  if (!should_save) return;
  const std::filesystem::path target(path);
  if (std::filesystem::is_directory(target))
    throw IOError(
        "Please specify a non-directory filepath for ModelCheckpoint. Filepath used is an existing "
        "directory: " +
        path);
  if (target.has_parent_path()) std::filesystem::create_directories(target.parent_path());
  if (options_.save_weights_only)
    save_weights(model(), target, {.overwrite = true});
  else
    save_model(model(), target, {.overwrite = true});
  if (options_.verbose > 0) std::cout << "\nEpoch " << epoch + 1 << ": finished saving model to " << path << "\n";
}

// ---------------------------------------------------------------- CSVLogger

CSVLogger::CSVLogger(std::string filename, std::string separator, bool append)
    : filename_(std::move(filename)), separator_(std::move(separator)), append_(append) {}

CSVLogger::~CSVLogger() {
  if (file_ != nullptr) std::fclose(file_);
}

void CSVLogger::on_train_begin(const Logs& /*logs*/) {
  header_ = true;
  if (append_ && std::filesystem::exists(filename_)) {
    // A header is written only into an empty file.
    header_ = std::filesystem::file_size(filename_) == 0;
  }
  if (file_ != nullptr) std::fclose(file_);
  file_ = std::fopen(filename_.c_str(), append_ ? "ab" : "wb");
  if (file_ == nullptr) throw IOError("CSVLogger cannot open " + filename_ + " for writing");
  keys_.reset();
}

namespace {

// csv.excel's QUOTE_MINIMAL.
std::string csv_field(const std::string& value, const std::string& separator) {
  if (value.find_first_of(separator + "\"\r\n") == std::string::npos) return value;
  std::string quoted = "\"";
  for (char c : value) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

}  // namespace

void CSVLogger::on_epoch_end(std::int64_t epoch, Logs& logs) {
  if (file_ == nullptr) return;
  if (!keys_) {
    std::vector<std::string> keys = logs.keys();
    std::sort(keys.begin(), keys.end());
    const bool has_val =
        std::any_of(keys.begin(), keys.end(), [](const std::string& k) { return k.rfind("val_", 0) == 0; });
    if (!has_val && !keys.empty()) {
      const std::size_t n = keys.size();
      for (std::size_t i = 0; i < n; ++i) keys.push_back("val_" + keys[i]);
    }
    keys_ = keys;
    if (header_) {
      std::string line = "epoch";
      for (const auto& k : *keys_) line += separator_ + csv_field(k, separator_);
      line += "\r\n";
      std::fputs(line.c_str(), file_);
    }
  }
  std::string line = std::to_string(epoch);
  for (const auto& k : *keys_) {
    const auto v = logs.get(k);
    line += separator_ + csv_field(v ? python_float(*v) : "NA", separator_);
  }
  line += "\r\n";
  std::fputs(line.c_str(), file_);
  std::fflush(file_);
}

void CSVLogger::on_train_end(const Logs& /*logs*/) {
  if (file_ != nullptr) std::fclose(file_);
  file_ = nullptr;
}

}  // namespace keras::callbacks
