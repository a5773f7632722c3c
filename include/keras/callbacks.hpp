// keras.callbacks: hooks into Model::fit / evaluate / predict, with Keras
// 3.16's callbacks and their arguments (keras/src/callbacks/).
//
//   auto history = model.fit({x}, {y}, {.epochs = 30, .callbacks = {
//       std::make_shared<keras::callbacks::EarlyStopping>(keras::callbacks::EarlyStoppingOptions{.patience = 3}),
//       std::make_shared<keras::callbacks::CSVLogger>("training.csv")}});
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "keras/logs.hpp"
#include "keras/models.hpp"

namespace keras {

// What fit() tells its callbacks (Callback.params in Keras).
struct CallbackParams {
  int verbose = 1;
  std::int64_t epochs = 1;
  std::optional<std::int64_t> steps;  // per epoch; nullopt when unknown
};

// keras.callbacks.Callback: override the hooks you need. model() is the
// model being trained; stop_training() asks fit() to stop after the current
// batch or epoch (Keras' `self.model.stop_training = True`).
class Callback {
 public:
  virtual ~Callback();

  void set_model(const Model& model) { model_ = model; }
  const Model& model() const { return model_; }
  virtual void set_params(const CallbackParams& params) { params_ = params; }
  const CallbackParams& params() const { return params_; }
  // Set by fit(): where stop_training() records the request.
  void set_stop_flag(bool* flag) { stop_flag_ = flag; }
  void stop_training();

  virtual void on_train_begin(const Logs& /*logs*/) {}
  virtual void on_train_end(const Logs& /*logs*/) {}
  virtual void on_epoch_begin(std::int64_t /*epoch*/, const Logs& /*logs*/) {}
  // `logs` may be amended (ReduceLROnPlateau adds "learning_rate").
  virtual void on_epoch_end(std::int64_t /*epoch*/, Logs& /*logs*/) {}
  virtual void on_train_batch_begin(std::int64_t /*batch*/, const Logs& /*logs*/) {}
  virtual void on_train_batch_end(std::int64_t /*batch*/, const Logs& /*logs*/) {}
  virtual void on_test_begin(const Logs& /*logs*/) {}
  virtual void on_test_end(const Logs& /*logs*/) {}
  virtual void on_test_batch_begin(std::int64_t /*batch*/, const Logs& /*logs*/) {}
  virtual void on_test_batch_end(std::int64_t /*batch*/, const Logs& /*logs*/) {}
  virtual void on_predict_begin(const Logs& /*logs*/) {}
  virtual void on_predict_end(const Logs& /*logs*/) {}
  virtual void on_predict_batch_begin(std::int64_t /*batch*/, const Logs& /*logs*/) {}
  virtual void on_predict_batch_end(std::int64_t /*batch*/, const Logs& /*logs*/) {}

 protected:
  Callback() = default;

 private:
  Model model_;
  CallbackParams params_;
  bool* stop_flag_ = nullptr;
};

using CallbackPtr = std::shared_ptr<Callback>;

namespace callbacks {

// keras.callbacks.History: every epoch's logs (what fit() returns).
class History final : public Callback {
 public:
  History() = default;
  void on_train_begin(const Logs& logs) override;
  void on_epoch_end(std::int64_t epoch, Logs& logs) override;
  // history["loss"][i] is epoch i's loss; keys in first-seen order.
  const std::vector<std::pair<std::string, std::vector<double>>>& history() const { return history_; }
  const std::vector<double>& operator[](const std::string& key) const;  // ValueError when absent
  const std::vector<std::int64_t>& epoch() const { return epoch_; }

 private:
  std::vector<std::pair<std::string, std::vector<double>>> history_;
  std::vector<std::int64_t> epoch_;
};

// keras.callbacks.ProgbarLogger: Keras' progress bar. verbose 1 draws a bar
// that redraws itself on a terminal (on anything else, one line per epoch);
// verbose 2 prints one line per epoch; 0 prints nothing.
class ProgbarLogger final : public Callback {
 public:
  // Output goes to `out` (stdout when null); `terminal` overrides the
  // terminal detection.
  explicit ProgbarLogger(std::FILE* out = nullptr, std::optional<bool> terminal = std::nullopt);
  ~ProgbarLogger() override;
  void set_params(const CallbackParams& params) override;
  void on_train_begin(const Logs& logs) override;
  void on_test_begin(const Logs& logs) override;
  void on_predict_begin(const Logs& logs) override;
  void on_epoch_begin(std::int64_t epoch, const Logs& logs) override;
  void on_train_batch_end(std::int64_t batch, const Logs& logs) override;
  void on_test_batch_end(std::int64_t batch, const Logs& logs) override;
  void on_predict_batch_end(std::int64_t batch, const Logs& logs) override;
  void on_epoch_end(std::int64_t epoch, Logs& logs) override;
  void on_test_end(const Logs& logs) override;
  void on_predict_end(const Logs& logs) override;

 private:
  struct Bar;
  void reset();
  void update(std::int64_t batch, const Logs& logs);
  void finalize(const Logs& logs);
  std::FILE* out_;
  std::optional<bool> terminal_;
  std::unique_ptr<Bar> bar_;
  std::int64_t seen_ = 0;
  bool in_fit_ = false;
};

// The arguments of keras.callbacks.EarlyStopping, with Keras' defaults.
struct EarlyStoppingOptions {
  std::string monitor = "val_loss";
  double min_delta = 0.0;
  std::int64_t patience = 0;
  int verbose = 0;
  std::string mode = "auto";  // "auto", "min" or "max"
  std::optional<double> baseline;
  bool restore_best_weights = false;
  std::int64_t start_from_epoch = 0;
};

// Shared by the callbacks that watch a metric (Keras' MonitorCallback).
class MonitorCallback : public Callback {
 protected:
  MonitorCallback(std::string monitor, std::string mode, std::optional<double> baseline, double min_delta);
  // Picks min or max from the mode, or for "auto" from the metric's
  // direction (ValueError when it cannot tell).
  void set_monitor_op();
  bool is_improvement(double value, std::optional<double> reference) const;
  std::string monitor_;
  std::string mode_;
  std::optional<double> best_;
  double min_delta_ = 0.0;
  int sign_ = 0;  // -1: lower is better, +1: higher is better, 0: not set yet
};

class EarlyStopping final : public MonitorCallback {
 public:
  explicit EarlyStopping(const EarlyStoppingOptions& options = {});
  void on_train_begin(const Logs& logs) override;
  void on_epoch_end(std::int64_t epoch, Logs& logs) override;
  void on_train_end(const Logs& logs) override;
  std::int64_t stopped_epoch() const { return stopped_epoch_; }
  std::int64_t best_epoch() const { return best_epoch_; }

 private:
  EarlyStoppingOptions options_;
  std::int64_t wait_ = 0;
  std::int64_t stopped_epoch_ = 0;
  std::int64_t best_epoch_ = 0;
  std::vector<Tensor> best_weights_;
};

struct ModelCheckpointOptions {
  std::string monitor = "val_loss";
  int verbose = 0;
  bool save_best_only = false;
  bool save_weights_only = false;
  std::string mode = "auto";
  // "epoch", or save every `save_freq_batches` batches when set.
  std::optional<std::int64_t> save_freq_batches;
  std::optional<double> initial_value_threshold;
};

// keras.callbacks.ModelCheckpoint: saves the model (.keras) or its weights
// (.weights.h5) after each epoch (or every N batches), optionally only when
// the monitored value improved. The path may hold Python format fields:
// "ckpt_{epoch:02d}_{val_loss:.2f}.keras".
class ModelCheckpoint final : public MonitorCallback {
 public:
  explicit ModelCheckpoint(std::string filepath, const ModelCheckpointOptions& options = {});
  void on_epoch_begin(std::int64_t epoch, const Logs& logs) override;
  void on_epoch_end(std::int64_t epoch, Logs& logs) override;
  void on_train_batch_end(std::int64_t batch, const Logs& logs) override;
  // The path for this epoch (1-based in the name, as Keras) and logs.
  std::string file_path(std::int64_t epoch, std::optional<std::int64_t> batch, const Logs& logs) const;

 private:
  void save(std::int64_t epoch, std::optional<std::int64_t> batch, const Logs& logs);
  std::string filepath_;
  ModelCheckpointOptions options_;
  std::int64_t current_epoch_ = 0;
  std::int64_t batches_since_save_ = 0;
  std::optional<std::int64_t> last_batch_;
};

struct ReduceLROnPlateauOptions {
  std::string monitor = "val_loss";
  double factor = 0.1;
  std::int64_t patience = 10;
  int verbose = 0;
  std::string mode = "auto";
  double min_delta = 1e-4;
  std::int64_t cooldown = 0;
  double min_lr = 0.0;
};

// keras.callbacks.ReduceLROnPlateau.
class ReduceLROnPlateau final : public MonitorCallback {
 public:
  explicit ReduceLROnPlateau(const ReduceLROnPlateauOptions& options = {});
  void on_train_begin(const Logs& logs) override;
  void on_epoch_end(std::int64_t epoch, Logs& logs) override;

 private:
  ReduceLROnPlateauOptions options_;
  std::int64_t cooldown_counter_ = 0;
  std::int64_t wait_ = 0;
};

// keras.callbacks.CSVLogger: one row per epoch ("epoch" then the logs' keys, sorted).
class CSVLogger final : public Callback {
 public:
  explicit CSVLogger(std::string filename, std::string separator = ",", bool append = false);
  ~CSVLogger() override;
  void on_train_begin(const Logs& logs) override;
  void on_epoch_end(std::int64_t epoch, Logs& logs) override;
  void on_train_end(const Logs& logs) override;

 private:
  std::string filename_;
  std::string separator_;
  bool append_;
  std::FILE* file_ = nullptr;
  bool header_ = true;
  std::optional<std::vector<std::string>> keys_;
};

// keras.callbacks.LearningRateScheduler: schedule(epoch, current_lr) -> new lr.
class LearningRateScheduler final : public Callback {
 public:
  using Schedule = std::function<double(std::int64_t epoch, double learning_rate)>;
  explicit LearningRateScheduler(Schedule schedule, int verbose = 0);
  void on_epoch_begin(std::int64_t epoch, const Logs& logs) override;
  void on_epoch_end(std::int64_t epoch, Logs& logs) override;

 private:
  Schedule schedule_;
  int verbose_;
};

// keras.callbacks.TerminateOnNaN: stops (or, with raise_error, throws
// keras::Error) when a batch's loss is NaN or infinite.
class TerminateOnNaN final : public Callback {
 public:
  explicit TerminateOnNaN(bool raise_error = false) : raise_error_(raise_error) {}
  void on_train_batch_end(std::int64_t batch, const Logs& logs) override;

 private:
  bool raise_error_;
};

// keras.callbacks.LambdaCallback: a callback from functions.
struct LambdaCallbackOptions {
  std::function<void(std::int64_t, Logs&)> on_epoch_end;
  std::function<void(std::int64_t, const Logs&)> on_epoch_begin;
  std::function<void(std::int64_t, const Logs&)> on_train_batch_end;
  std::function<void(const Logs&)> on_train_begin;
  std::function<void(const Logs&)> on_train_end;
};
class LambdaCallback final : public Callback {
 public:
  explicit LambdaCallback(LambdaCallbackOptions options) : options_(std::move(options)) {}
  void on_epoch_end(std::int64_t epoch, Logs& logs) override;
  void on_epoch_begin(std::int64_t epoch, const Logs& logs) override;
  void on_train_batch_end(std::int64_t batch, const Logs& logs) override;
  void on_train_begin(const Logs& logs) override;
  void on_train_end(const Logs& logs) override;

 private:
  LambdaCallbackOptions options_;
};

}  // namespace callbacks

}  // namespace keras
