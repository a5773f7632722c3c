// One batch of training or evaluation: forward pass, compiled loss (plus
// the regularization losses), metrics and, for training, the gradient step.
// Internal to src/training.
#pragma once

#include "keras/logs.hpp"
#include "keras/models.hpp"
#include "training/trainer.hpp"

namespace keras::training {

// Keras' test_step: updates the loss tracker and the metrics; returns the
// metrics' results so far.
Logs test_step(const Model& model, TrainerState& state, const TrainingData& batch);

// Keras' train_step: forward in training mode, gradients of the loss with
// respect to the trainable variables, one optimizer step, constraints, then
// the loss tracker and metrics.
Logs train_step(const Model& model, TrainerState& state, const TrainingData& batch);

}  // namespace keras::training
