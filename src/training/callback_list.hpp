// keras.callbacks.CallbackList: the callbacks of one fit / evaluate call,
// with History and ProgbarLogger added as Keras adds them. Internal to
// src/training.
#pragma once

#include <memory>
#include <vector>

#include "keras/callbacks.hpp"

namespace keras::training {

class CallbackList {
 public:
  CallbackList(const std::vector<CallbackPtr>& callbacks, bool add_history, bool add_progbar, const Model& model,
               const CallbackParams& params, bool* stop_flag);
  std::shared_ptr<callbacks::History> history() const { return history_; }

  void on_train_begin(const Logs& logs);
  void on_train_end(const Logs& logs);
  void on_epoch_begin(std::int64_t epoch, const Logs& logs);
  void on_epoch_end(std::int64_t epoch, Logs& logs);
  void on_train_batch_begin(std::int64_t batch, const Logs& logs);
  void on_train_batch_end(std::int64_t batch, const Logs& logs);
  void on_test_begin(const Logs& logs);
  void on_test_end(const Logs& logs);
  void on_test_batch_begin(std::int64_t batch, const Logs& logs);
  void on_test_batch_end(std::int64_t batch, const Logs& logs);

 private:
  std::vector<CallbackPtr> callbacks_;
  std::shared_ptr<callbacks::History> history_;
};

}  // namespace keras::training
