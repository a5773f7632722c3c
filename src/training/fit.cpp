// keras.Model.fit / evaluate / train_on_batch / test_on_batch (the loops of
// keras/src/backend/jax/trainer.py, without JAX's state juggling), and the
// CallbackList they drive.
#include <cmath>

#include "keras/callbacks.hpp"
#include "keras/optimizers.hpp"
#include "training/callback_list.hpp"
#include "training/data.hpp"
#include "training/train_step.hpp"
#include "training/trainer.hpp"

namespace keras {

namespace training {

// ---------------------------------------------------------------- CallbackList

CallbackList::CallbackList(const std::vector<CallbackPtr>& callbacks, bool add_history, bool add_progbar,
                           const Model& model, const CallbackParams& params, bool* stop_flag)
    : callbacks_(callbacks) {
  bool has_progbar = false;
  for (const auto& cb : callbacks_) {
    if (auto h = std::dynamic_pointer_cast<callbacks::History>(cb)) history_ = h;
    if (std::dynamic_pointer_cast<callbacks::ProgbarLogger>(cb)) has_progbar = true;
  }
  if (!history_ && add_history) {
    history_ = std::make_shared<callbacks::History>();
    callbacks_.push_back(history_);
  }
  if (!has_progbar && add_progbar) callbacks_.push_back(std::make_shared<callbacks::ProgbarLogger>());
  for (const auto& cb : callbacks_) {
    cb->set_model(model);
    cb->set_params(params);
    cb->set_stop_flag(stop_flag);
  }
}

#define KERAS_DISPATCH(call) \
  for (const auto& cb : callbacks_) cb->call

void CallbackList::on_train_begin(const Logs& logs) { KERAS_DISPATCH(on_train_begin(logs)); }
void CallbackList::on_train_end(const Logs& logs) { KERAS_DISPATCH(on_train_end(logs)); }
void CallbackList::on_epoch_begin(std::int64_t epoch, const Logs& logs) { KERAS_DISPATCH(on_epoch_begin(epoch, logs)); }
void CallbackList::on_epoch_end(std::int64_t epoch, Logs& logs) { KERAS_DISPATCH(on_epoch_end(epoch, logs)); }
void CallbackList::on_train_batch_begin(std::int64_t batch, const Logs& logs) {
  KERAS_DISPATCH(on_train_batch_begin(batch, logs));
}
void CallbackList::on_train_batch_end(std::int64_t batch, const Logs& logs) {
  KERAS_DISPATCH(on_train_batch_end(batch, logs));
}
void CallbackList::on_test_begin(const Logs& logs) { KERAS_DISPATCH(on_test_begin(logs)); }
void CallbackList::on_test_end(const Logs& logs) { KERAS_DISPATCH(on_test_end(logs)); }
void CallbackList::on_test_batch_begin(std::int64_t batch, const Logs& logs) {
  KERAS_DISPATCH(on_test_batch_begin(batch, logs));
}
void CallbackList::on_test_batch_end(std::int64_t batch, const Logs& logs) {
  KERAS_DISPATCH(on_test_batch_end(batch, logs));
}
#undef KERAS_DISPATCH

namespace {

void check_data(const Model& model, const TrainingData& data, const char* what) {
  if (data.x.size() != model.impl().inputs().size())
    throw ValueError(std::string(what) + ": the model expects " + std::to_string(model.impl().inputs().size()) +
                     " input(s), but it received " + std::to_string(data.x.size()) + " input array(s)");
  if (!data.y.empty() && data.y.size() != model.impl().outputs().size())
    throw ValueError(std::string(what) + ": the model has " + std::to_string(model.impl().outputs().size()) +
                     " output(s), but it received " + std::to_string(data.y.size()) + " target array(s)");
  if (data.sample_weight.size() > 1 && data.sample_weight.size() != data.y.size())
    throw ValueError("You should provide one `sample_weight` array per output in `y`, or a single one");
}

TrainingData with_class_weight(TrainingData data, const std::map<std::int64_t, double>& class_weight) {
  if (class_weight.empty()) return data;
  if (!data.sample_weight.empty()) throw ValueError("You cannot `class_weight` and `sample_weight` at the same time.");
  if (data.y.size() != 1) throw ValueError("`class_weight` is only supported for Models with a single output.");
  data.sample_weight = {class_weight_to_sample_weights(data.y[0], class_weight)};
  return data;
}

std::int64_t resolve_batch_size(std::optional<std::int64_t> batch_size, std::optional<std::int64_t> steps,
                                std::int64_t samples) {
  if (batch_size) return *batch_size;
  if (steps && *steps > 0) return std::max<std::int64_t>((samples + *steps - 1) / *steps, 1);
  return 32;
}

// evaluate()'s loop over batches, reporting through `callbacks`.
Logs run_evaluation(const Model& model, TrainerState& state, const TrainingData& data, std::int64_t batch_size,
                    std::optional<std::int64_t> steps, CallbackList& callbacks) {
  const std::int64_t samples = num_samples(data);
  auto batches = epoch_batches(samples, batch_size, false, std::nullopt, 0);
  if (steps && *steps < static_cast<std::int64_t>(batches.size())) batches.resize(static_cast<std::size_t>(*steps));
  callbacks.on_test_begin({});
  state.reset_metrics();
  Logs logs;
  for (std::size_t b = 0; b < batches.size(); ++b) {
    const auto step = static_cast<std::int64_t>(b);
    callbacks.on_test_batch_begin(step, {});
    logs = test_step(model, state, batch_of(data, batches[b]));
    callbacks.on_test_batch_end(step, logs);
  }
  logs = state.results();
  callbacks.on_test_end(logs);
  return logs;
}

}  // namespace

}  // namespace training

Logs Model::evaluate(const std::vector<Tensor>& x, const std::vector<Tensor>& y, const EvaluateOptions& options) const {
  training::TrainerState& state = training::trainer_state(*this, "evaluate");
  TrainingData data{x, y, options.sample_weight};
  training::check_data(*this, data, "evaluate");
  const std::int64_t samples = training::num_samples(data);
  const std::int64_t batch_size = training::resolve_batch_size(options.batch_size, options.steps, samples);
  const std::int64_t batches = (samples + batch_size - 1) / batch_size;
  CallbackParams params{options.verbose, 1, options.steps ? std::min(*options.steps, batches) : batches};
  training::CallbackList callbacks(options.callbacks, false, options.verbose != 0, *this, params, &state.stop_training);
  return training::run_evaluation(*this, state, data, batch_size, options.steps, callbacks);
}

Logs Model::evaluate(const Tensor& x, const Tensor& y, const EvaluateOptions& options) const {
  return evaluate(std::vector<Tensor>{x}, std::vector<Tensor>{y}, options);
}

Logs Model::test_on_batch(const std::vector<Tensor>& x, const std::vector<Tensor>& y,
                          const std::vector<Tensor>& sample_weight) const {
  training::TrainerState& state = training::trainer_state(*this, "test_on_batch");
  TrainingData data{x, y, sample_weight};
  training::check_data(*this, data, "test_on_batch");
  training::num_samples(data);
  state.reset_metrics();
  return training::test_step(*this, state, data);
}

Logs Model::train_on_batch(const std::vector<Tensor>& x, const std::vector<Tensor>& y,
                           const std::vector<Tensor>& sample_weight,
                           const std::map<std::int64_t, double>& class_weight) const {
  training::TrainerState& state = training::trainer_state(*this, "train_on_batch");
  TrainingData data = training::with_class_weight({x, y, sample_weight}, class_weight);
  training::check_data(*this, data, "train_on_batch");
  training::num_samples(data);
  state.reset_metrics();
  return training::train_step(*this, state, data);
}

std::shared_ptr<callbacks::History> Model::fit(const Tensor& x, const Tensor& y, const FitOptions& options) const {
  return fit(std::vector<Tensor>{x}, std::vector<Tensor>{y}, options);
}

std::shared_ptr<callbacks::History> Model::fit(const std::vector<Tensor>& x, const std::vector<Tensor>& y,
                                               const FitOptions& options) const {
  training::TrainerState& state = training::trainer_state(*this, "fit");
  TrainingData data{x, y, options.sample_weight};
  training::check_data(*this, data, "fit");
  std::optional<TrainingData> validation = options.validation_data;
  if (options.validation_split > 0.0 && !validation) {
    auto [train, val] = training::train_validation_split(data, options.validation_split);
    data = std::move(train);
    validation = std::move(val);
  }
  data = training::with_class_weight(std::move(data), options.class_weight);
  if (validation) training::check_data(*this, *validation, "fit (validation data)");
  const std::int64_t samples = training::num_samples(data);
  const std::int64_t batch_size = training::resolve_batch_size(options.batch_size, options.steps_per_epoch, samples);
  const std::int64_t batches_per_epoch = (samples + batch_size - 1) / batch_size;
  const std::int64_t steps =
      options.steps_per_epoch ? std::min(*options.steps_per_epoch, batches_per_epoch) : batches_per_epoch;
  CallbackParams params{options.verbose, options.epochs, steps};
  state.stop_training = false;
  training::CallbackList callbacks(options.callbacks, true, options.verbose != 0, *this, params, &state.stop_training);
  const std::int64_t val_batch_size = options.validation_batch_size.value_or(batch_size);
  Logs training_logs;
  callbacks.on_train_begin({});
  for (std::int64_t epoch = options.initial_epoch; epoch < options.epochs; ++epoch) {
    state.reset_metrics();
    callbacks.on_epoch_begin(epoch, {});
    auto batches = training::epoch_batches(samples, batch_size, options.shuffle, options.seed, epoch);
    batches.resize(static_cast<std::size_t>(steps));
    Logs logs;
    for (std::int64_t step = 0; step < steps; ++step) {
      callbacks.on_train_batch_begin(step, {});
      logs = training::train_step(*this, state, training::batch_of(data, batches[static_cast<std::size_t>(step)]));
      callbacks.on_train_batch_end(step, logs);
      if (state.stop_training) break;
    }
    Logs epoch_logs = state.results();
    if (validation && (epoch + 1) % std::max<std::int64_t>(options.validation_freq, 1) == 0) {
      // The progress bar stays silent during validation inside fit (ProgbarLogger knows).
      Logs val =
          training::run_evaluation(*this, state, *validation, val_batch_size, options.validation_steps, callbacks);
      for (const auto& [key, value] : val.entries()) epoch_logs.set("val_" + key, value);
    }
    callbacks.on_epoch_end(epoch, epoch_logs);
    training_logs = epoch_logs;
    if (state.stop_training) break;
  }
  if (auto optimizer = impl().optimizer; optimizer && options.epochs > 0)
    optimizer->finalize_variable_values(impl().trainable_variables());
  callbacks.on_train_end(training_logs);
  return callbacks.history();
}

}  // namespace keras
