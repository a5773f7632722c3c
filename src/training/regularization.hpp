// What layers' regularizer and constraint configs do during training
// (keras/src/regularizers, keras/src/constraints): penalties added to the
// loss, and projections applied to variables after each optimizer step.
#pragma once

#include <utility>
#include <vector>

#include "keras/autodiff.hpp"
#include "keras/json.hpp"
#include "keras/layer.hpp"
#include "keras/tensor.hpp"

namespace keras::training {

// regularizer(x) for a keras.regularizers envelope (L1, L2, L1L2,
// OrthogonalRegularizer), differentiable in x. NotImplementedError for
// other classes.
ad::Var regularization_penalty(const Json& regularizer, const ad::Var& x);

// constraint(w) for a keras.constraints envelope (MaxNorm, NonNeg,
// UnitNorm, MinMaxNorm).
Tensor apply_constraint(const Json& constraint, const Tensor& w);

// The trainable variables of `root` and of every layer inside it that carry
// a regularizer (`which` = "regularizer") or a constraint ("constraint"), as
// Keras attaches them with add_weight: a layer config's "<x>_regularizer"
// belongs to its own variable "<x>" or "<x>_kernel" (kernel, bias,
// depthwise_kernel, recurrent_kernel, embeddings, gamma, ...).
std::vector<std::pair<VariablePtr, Json>> variables_with(const Layer& root, const std::string& which);

// Layers inside `root` (itself included) with an activity_regularizer.
std::vector<std::string> layers_with_activity_regularizer(const Layer& root);

}  // namespace keras::training
