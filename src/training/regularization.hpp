// What layers' regularizer and constraint configs do during training
// (keras/src/regularizers, keras/src/constraints): penalties added to the
// loss, and projections applied to variables after each optimizer step.
#pragma once

#include "keras/autodiff.hpp"
#include "keras/json.hpp"
#include "keras/tensor.hpp"

namespace keras::training {

// regularizer(x) for a keras.regularizers envelope (L1, L2, L1L2,
// OrthogonalRegularizer), differentiable in x. NotImplementedError for
// other classes.
ad::Var regularization_penalty(const Json& regularizer, const ad::Var& x);

// constraint(w) for a keras.constraints envelope (MaxNorm, NonNeg,
// UnitNorm, MinMaxNorm).
Tensor apply_constraint(const Json& constraint, const Tensor& w);

}  // namespace keras::training
