// Config reading shared by the normalization and preprocessing layers.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "keras/initializers.hpp"
#include "keras/json.hpp"
#include "keras/regularizers.hpp"
#include "keras/tensor.hpp"
#include "layers/config_utils.hpp"

namespace keras::detail {

// config[key] as an initializer; `fallback` (a Keras name) when absent or null.
initializers::Initializer initializer_or(const Json& config, const std::string& key, const char* fallback);
// config[key] as a regularizer / constraint envelope, or null.
Json regularizer_from(const Json& config, const std::string& key);
Json constraint_from(const Json& config, const std::string& key);
// The base layer's activity_regularizer, when the config sets one.
std::optional<Json> activity_regularizer_from(const Json& config);

// Layer outputs leave in the layer's compute dtype (float32 unless a
// float16/bfloat16 policy says otherwise).
Tensor to_compute_dtype(const Tensor& x, DType compute_dtype);

// Axes resolved against a rank (Keras' canonicalize_axes): non-negative;
// throws ValueError naming the layer when one is out of range.
std::vector<int> canonical_axes(const std::vector<int>& axes, int rank, const std::string& layer);

}  // namespace keras::detail
