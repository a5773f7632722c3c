// The training level's built-ins (optimizers, learning-rate schedules,
// losses and metrics), after the models level's. Idempotent; every lookup of
// this level calls it first.
#pragma once

#include "graph/registry.hpp"

namespace keras::detail {

void register_training_builtins();

void register_optimizers();
void register_schedules();
void register_losses();   // training/losses/builtin.cpp
void register_metrics();  // training/metrics/metric.cpp

}  // namespace keras::detail
