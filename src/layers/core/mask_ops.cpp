#include "layers/core/mask_ops.hpp"

#include "keras/ops.hpp"

namespace keras::detail {

KerasTensor symbolic_not_equal(const KerasTensor& x, const Json& value) {
  if (value.is_number_integer()) return ops::not_equal(x, value.get<std::int64_t>());
  if (value.is_boolean()) return ops::not_equal(x, value.get<bool>());
  if (value.is_number()) return ops::not_equal(x, value.get<double>());
  throw ValueError("not_equal: expected a number to compare with, got " + value.dump());
}

KerasTensor symbolic_any(const KerasTensor& x, int axis, bool keepdims) { return ops::any(x, axis, keepdims); }

}  // namespace keras::detail
