// The symbolic ops with which Keras layers build their output masks, recorded
// as graph nodes exactly as Keras records them (keras.src.ops.numpy NotEqual,
// Any, LogicalOr, ...).
#pragma once

#include "keras/json.hpp"
#include "keras/operation.hpp"

namespace keras::detail {

// not_equal(x, value): `value` keeps its JSON type (Embedding passes the int
// 0, Masking its mask_value as written).
KerasTensor symbolic_not_equal(const KerasTensor& x, const Json& value);
// any(x, axis, keepdims).
KerasTensor symbolic_any(const KerasTensor& x, int axis, bool keepdims);

}  // namespace keras::detail
