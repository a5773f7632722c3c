// What layers' regularizer and constraint configs do during training
// (keras/src/regularizers, keras/src/constraints): penalties added to the
// loss, and projections applied to variables after each optimizer step.
#pragma once

#include <map>
#include <string>
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

// The layers inside `root` (itself included) with an activity_regularizer:
// those of the model graphs, whose calls the tape sees, and sublayers called
// inside another layer's own call (a wrapped layer, attention projections),
// whose outputs keras-cpp does not regularize yet.
struct ActivityRegularized {
  std::map<const Layer*, Json> graph_layers;  // the layer -> its regularizer envelope
  std::vector<std::string> sublayers;         // names
};
ActivityRegularized activity_regularized_layers(const Layer& root);

// Layer.activity_regularizer's loss on one output: regularizer(output),
// divided by the batch size (axis 0) when the output has one, as
// Layer.__call__ adds it (keras/src/layers/layer.py).
ad::Var activity_penalty(const Json& regularizer, const ad::Var& output);

}  // namespace keras::training
