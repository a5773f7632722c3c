// keras.callbacks that only look at logs and the model: Callback, History,
// EarlyStopping, ReduceLROnPlateau, LearningRateScheduler, TerminateOnNaN,
// LambdaCallback (keras/src/callbacks/).
#include <cmath>
#include <iostream>

#include "keras/callbacks.hpp"
#include "keras/json.hpp"
#include "keras/optimizers.hpp"
#include "training/trainer.hpp"

namespace keras {

// ---------------------------------------------------------------- Logs

std::optional<double> Logs::get(const std::string& name) const {
  for (const auto& [key, value] : entries_)
    if (key == name) return value;
  return std::nullopt;
}

double Logs::at(const std::string& name) const {
  auto v = get(name);
  if (!v) throw ValueError("No log entry named '" + name + "'");
  return *v;
}

void Logs::set(const std::string& name, double value) {
  for (auto& [key, v] : entries_) {
    if (key == name) {
      v = value;
      return;
    }
  }
  entries_.emplace_back(name, value);
}

std::vector<std::string> Logs::keys() const {
  std::vector<std::string> out;
  for (const auto& e : entries_) out.push_back(e.first);
  return out;
}

// ---------------------------------------------------------------- Callback

Callback::~Callback() = default;

void Callback::stop_training() {
  if (stop_flag_ != nullptr) *stop_flag_ = true;
}

namespace callbacks {

namespace {

std::string available(const Logs& logs) {
  std::string out;
  for (const auto& key : logs.keys()) out += (out.empty() ? "" : ",") + key;
  return out;
}

// Python's repr of a float, as Keras' messages print them.
std::string repr(double value) { return dump_json_like_python(Json(value)); }

}  // namespace

// ---------------------------------------------------------------- History

void History::on_train_begin(const Logs& /*logs*/) { epoch_.clear(); }

void History::on_epoch_end(std::int64_t epoch, Logs& logs) {
  epoch_.push_back(epoch);
  for (const auto& [key, value] : logs.entries()) {
    auto it = std::find_if(history_.begin(), history_.end(), [&name = key](const auto& e) { return e.first == name; });
    if (it == history_.end()) {
      history_.emplace_back(key, std::vector<double>{value});
    } else {
      it->second.push_back(value);
    }
  }
}

const std::vector<double>& History::operator[](const std::string& key) const {
  for (const auto& [k, values] : history_)
    if (k == key) return values;
  throw ValueError("History has no key '" + key + "'");
}

// ---------------------------------------------------------------- MonitorCallback

MonitorCallback::MonitorCallback(std::string monitor, std::string mode, std::optional<double> baseline,
                                 double min_delta)
    : monitor_(std::move(monitor)), mode_(std::move(mode)), best_(baseline), min_delta_(std::abs(min_delta)) {
  if (mode_ != "auto" && mode_ != "min" && mode_ != "max") {
    std::cerr << "WARNING: "
              << "mode '" << mode_ << "' is unknown, fallback to auto mode.\n";
    mode_ = "auto";
  }
}

void MonitorCallback::set_monitor_op() {
  if (mode_ == "min") {
    sign_ = -1;
  } else if (mode_ == "max") {
    sign_ = 1;
  } else {
    std::string metric = monitor_;
    if (metric.rfind("val_", 0) == 0) metric = metric.substr(4);
    if (metric == "loss") sign_ = -1;
    const std::string direction = training::metric_direction(model(), metric);
    if (direction == "up") sign_ = 1;
    if (direction == "down") sign_ = -1;
    if (sign_ == 0)
      throw ValueError("callback received monitor=" + monitor_ +
                       ", but Keras isn't able to automatically determine whether that metric should be maximized "
                       "or minimized. Pass `mode='max'` in order to monitor based on the highest metric value, or "
                       "pass `mode='min'` in order to use the lowest value.");
  }
}

bool MonitorCallback::is_improvement(double value, std::optional<double> reference) const {
  if (!reference) return true;
  // Keras: monitor_op(value - min_delta, reference) with min_delta negated for "less".
  if (sign_ < 0) return value + min_delta_ < *reference;
  return value - min_delta_ > *reference;
}

// ---------------------------------------------------------------- EarlyStopping

EarlyStopping::EarlyStopping(const EarlyStoppingOptions& options)
    : MonitorCallback(options.monitor, options.mode, std::nullopt, options.min_delta), options_(options) {}

void EarlyStopping::on_train_begin(const Logs& /*logs*/) {
  wait_ = 0;
  stopped_epoch_ = 0;
  best_.reset();
  best_weights_.clear();
  best_epoch_ = 0;
}

void EarlyStopping::on_epoch_end(std::int64_t epoch, Logs& logs) {
  if (sign_ == 0) set_monitor_op();
  const auto current = logs.get(monitor_);
  if (!current) {
    std::cerr << "WARNING: Early stopping conditioned on metric `" << monitor_
              << "` which is not available. Available metrics are: " << available(logs) << "\n";
    return;
  }
  if (epoch < options_.start_from_epoch) return;
  if (options_.restore_best_weights && best_weights_.empty()) {
    best_weights_ = model().get_weights();
    best_epoch_ = epoch;
  }
  ++wait_;
  if (is_improvement(*current, best_)) {
    best_ = *current;
    best_epoch_ = epoch;
    if (options_.restore_best_weights) best_weights_ = model().get_weights();
    if (!options_.baseline || is_improvement(*current, options_.baseline)) wait_ = 0;
    return;
  }
  if (wait_ >= options_.patience && epoch > 0) {
    stopped_epoch_ = epoch;
    stop_training();
  }
}

void EarlyStopping::on_train_end(const Logs& /*logs*/) {
  if (stopped_epoch_ > 0 && options_.verbose > 0) std::cout << "Epoch " << stopped_epoch_ + 1 << ": early stopping\n";
  if (options_.restore_best_weights && !best_weights_.empty()) {
    if (options_.verbose > 0)
      std::cout << "Restoring model weights from the end of the best epoch: " << best_epoch_ + 1 << ".\n";
    model().set_weights(best_weights_);
  }
}

// ---------------------------------------------------------------- ReduceLROnPlateau

ReduceLROnPlateau::ReduceLROnPlateau(const ReduceLROnPlateauOptions& options)
    : MonitorCallback(options.monitor, options.mode, std::nullopt, options.min_delta), options_(options) {
  if (options.factor >= 1.0)
    throw ValueError("ReduceLROnPlateau does not support a factor >= 1.0. Received factor=" + repr(options.factor));
}

void ReduceLROnPlateau::on_train_begin(const Logs& /*logs*/) {
  best_.reset();
  cooldown_counter_ = 0;
  wait_ = 0;
}

void ReduceLROnPlateau::on_epoch_end(std::int64_t epoch, Logs& logs) {
  if (sign_ == 0) set_monitor_op();
  auto optimizer = model().optimizer();
  if (!optimizer) throw ValueError("ReduceLROnPlateau needs a compiled model");
  logs.set("learning_rate", static_cast<double>(optimizer->learning_rate()));
  const auto current = logs.get(monitor_);
  if (!current) {
    std::cerr << "WARNING: Learning rate reduction is conditioned on metric `" << monitor_
              << "` which is not available. Available metrics are: " << available(logs) << ".\n";
    return;
  }
  if (cooldown_counter_ > 0) {
    --cooldown_counter_;
    wait_ = 0;
  }
  if (is_improvement(*current, best_)) {
    best_ = *current;
    wait_ = 0;
  } else if (cooldown_counter_ <= 0) {
    ++wait_;
    if (wait_ >= options_.patience) {
      const double old_lr = static_cast<double>(optimizer->learning_rate());
      if (old_lr > static_cast<double>(static_cast<float>(options_.min_lr))) {
        const double new_lr = std::max(old_lr * options_.factor, options_.min_lr);
        optimizer->set_learning_rate(new_lr);
        if (options_.verbose > 0)
          std::cout << "\nEpoch " << epoch + 1 << ": ReduceLROnPlateau reducing learning rate to " << repr(new_lr)
                    << ".\n";
        cooldown_counter_ = options_.cooldown;
        wait_ = 0;
      }
    }
  }
}

// ---------------------------------------------------------------- LearningRateScheduler

LearningRateScheduler::LearningRateScheduler(Schedule schedule, int verbose)
    : schedule_(std::move(schedule)), verbose_(verbose) {}

void LearningRateScheduler::on_epoch_begin(std::int64_t epoch, const Logs& /*logs*/) {
  auto optimizer = model().optimizer();
  if (!optimizer) throw ValueError("LearningRateScheduler needs a compiled model");
  const double lr = schedule_(epoch, static_cast<double>(optimizer->learning_rate()));
  if (!std::isfinite(lr)) throw ValueError("The output of the `schedule` function should be a float. Got: " + repr(lr));
  optimizer->set_learning_rate(lr);
  if (verbose_ > 0)
    std::cout << "\nEpoch " << epoch + 1 << ": LearningRateScheduler setting learning rate to " << repr(lr) << ".\n";
}

void LearningRateScheduler::on_epoch_end(std::int64_t /*epoch*/, Logs& logs) {
  logs.set("learning_rate", static_cast<double>(model().optimizer()->learning_rate()));
}

// ---------------------------------------------------------------- TerminateOnNaN

void TerminateOnNaN::on_train_batch_end(std::int64_t batch, const Logs& logs) {
  const auto loss = logs.get("loss");
  if (!loss || std::isfinite(*loss)) return;
  if (raise_error_)
    throw Error("NaN or Inf loss encountered at batch " + std::to_string(batch) + ". Loss value: " + repr(*loss) +
                ". Terminating training immediately.");
  std::cout << "Batch " << batch << ": Invalid loss, terminating training\n";
  stop_training();
}

// ---------------------------------------------------------------- LambdaCallback

void LambdaCallback::on_epoch_end(std::int64_t epoch, Logs& logs) {
  if (options_.on_epoch_end) options_.on_epoch_end(epoch, logs);
}
void LambdaCallback::on_epoch_begin(std::int64_t epoch, const Logs& logs) {
  if (options_.on_epoch_begin) options_.on_epoch_begin(epoch, logs);
}
void LambdaCallback::on_train_batch_end(std::int64_t batch, const Logs& logs) {
  if (options_.on_train_batch_end) options_.on_train_batch_end(batch, logs);
}
void LambdaCallback::on_train_begin(const Logs& logs) {
  if (options_.on_train_begin) options_.on_train_begin(logs);
}
void LambdaCallback::on_train_end(const Logs& logs) {
  if (options_.on_train_end) options_.on_train_end(logs);
}

}  // namespace callbacks

}  // namespace keras
