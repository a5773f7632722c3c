// Shape and dtype inference for raw operations, following Keras'
// compute_output_spec rules (keras/src/ops/*.py, numpy backend).
#pragma once

#include <string>
#include <vector>

#include "keras/json.hpp"
#include "keras/tensor.hpp"

namespace keras::detail::graph_ops {

// An argument as keras.backend.result_type sees it: a tensor dtype, or a
// Python number (weak int / weak float; a Python bool is a strong "bool").
struct DTypeArg {
  std::string dtype;
  bool weak = false;
};
DTypeArg tensor_dtype_arg(DType dtype);
// The type of a JSON constant (int -> weak int, float -> weak float, bool -> bool).
DTypeArg constant_dtype_arg(const Json& value);
// keras.backend.result_type with the numpy backend (64-bit results become 32-bit).
DType result_type(const std::vector<DTypeArg>& args);

// Keras' broadcast_shapes on symbolic shapes (-1 = None).
Shape broadcast_shapes(const Shape& a, const Shape& b);

// Axis lists from a config value: null = every axis; an int; a list.
// Negative axes are resolved against `rank`; throws ValueError when out of range.
std::vector<int> axes_from_json(const Json& axis, int rank, const std::string& what);
Shape reduced_shape(const Shape& shape, const Json& axis, bool keepdims, const std::string& what);

// Python's len(range(*slice(start, stop, step).indices(length))).
std::int64_t slice_length(const Json& start, const Json& stop, const Json& step, std::int64_t length);

}  // namespace keras::detail::graph_ops
