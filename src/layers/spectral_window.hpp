// The `window` argument of the spectral layers and the STFT initializer.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "keras/json.hpp"

namespace keras::detail {

// A window name (scipy.signal.get_window), null (all ones) or n numbers, as
// n values; errors name `what`.
std::vector<double> window_from_json(const Json& window, std::int64_t n, bool periodic, const std::string& what);

}  // namespace keras::detail
