// Small helpers shared by the core, activation, regularization, reshaping and
// merging layers: Keras' input autocasting, config numbers kept as written,
// and data_format.
#pragma once

#include <string>
#include <vector>

#include "keras/json.hpp"
#include "keras/layer.hpp"

namespace keras::detail::layer_utils {

// Keras' Layer.__call__ casts floating inputs to the compute dtype and leaves
// other dtypes alone.
inline DType autocast_dtype(DType input, DType compute) { return is_floating(input) ? compute : input; }
inline Tensor autocast(const Tensor& x, DType compute) {
  return x.dtype() == autocast_dtype(x.dtype(), compute) ? x : x.astype(compute);
}
// A float32 result converted back to the dtype the layer outputs.
inline Tensor to_dtype(const Tensor& x, DType dtype) { return x.dtype() == dtype ? x : x.astype(dtype); }

// A number as the config holds it (an int stays an int, as Python writes it
// back); `fallback` when the key is absent or null. Throws FormatError for
// anything but a number.
Json config_number(const Json& config, const std::string& key, const Json& fallback, const std::string& layer);
// The same where null is a value of its own (ReLU's max_value).
Json config_number_or_null(const Json& config, const std::string& key, const std::string& layer);
// Reads a number kept as JSON.
inline double number_value(const Json& number) { return number.get<double>(); }

// "channels_last" / "channels_first"; null or absent gives channels_last
// (Keras' default image_data_format). Throws ValueError otherwise.
std::string data_format_from(const Json& config, const std::string& layer);
std::string standardize_data_format(const std::string& data_format);

// Keras' argument_validation.standardize_tuple: an int or n ints, each >= 0
// (allow_zero) or > 0.
std::vector<std::int64_t> standardize_tuple(const Json& value, std::size_t n, const std::string& what, bool allow_zero);

// A list of lists of ints: [[1, 2], [3, 4]].
Json pairs_to_json(const std::vector<std::pair<std::int64_t, std::int64_t>>& pairs);

}  // namespace keras::detail::layer_utils
