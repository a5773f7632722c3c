// The optimizer's part of a weights file (spec §4.2-§4.4, §5.3): the
// top-level model's optimizer at "optimizer" (a LossScaleOptimizer's inner
// optimizer also at "optimizer/inner_optimizer"), written after the model's
// objects and read with Keras' leniency (a count mismatch is a warning).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "keras/models.hpp"
#include "keras/optimizers.hpp"
#include "saving/weights_walk.hpp"

namespace keras::saving {

// (path, optimizer) in Keras' walk order; empty for an uncompiled model.
std::vector<std::pair<std::string, Optimizer*>> walk_optimizers(const ModelImpl& model);

// Writes every optimizer's vars group (name attribute and datasets).
void save_optimizer_variables(const ModelImpl& model, const H5Group& root);

// Loads every optimizer's variables. A count mismatch skips that optimizer
// with Keras' warning (on stderr); other errors (shapes, missing datasets)
// are returned to be reported with the layers' errors.
struct OptimizerLoadFailure {
  std::string object;
  std::string message;
  bool shape_mismatch = false;
};
std::vector<OptimizerLoadFailure> load_optimizer_variables(const ModelImpl& model, const VarsGroupLookup& lookup);

// load_model's optimizer step (spec §4.3, reader recipe step 6), before the
// weights are read: wraps the optimizer in a LossScaleOptimizer when the file
// holds one that config.json does not mention, and builds it for the model's
// trainable variables unless the file holds an unbuilt optimizer.
void prepare_optimizer_for_file(ModelImpl& model, const H5Group& root);

}  // namespace keras::saving
