#include "layers/spectral_window.hpp"

#include "keras/error.hpp"
#include "ops/spectral.hpp"

namespace keras::detail {

std::vector<double> window_from_json(const Json& window, std::int64_t n, bool periodic, const std::string& what) {
  if (window.is_null()) return std::vector<double>(static_cast<std::size_t>(n), 1.0);
  if (window.is_string()) return kernels::window_function(window.get<std::string>(), n, periodic);
  if (window.is_array() && static_cast<std::int64_t>(window.size()) == n) {
    std::vector<double> w;
    for (const auto& v : window) {
      if (!v.is_number()) throw FormatError(what + ": a window must hold numbers, got " + v.dump());
      w.push_back(v.get<double>());
    }
    return w;
  }
  throw ValueError(what + ": The shape of `window` must be equal to [" + std::to_string(n) +
                   "]. Received: window=" + window.dump().substr(0, 100));
}

}  // namespace keras::detail
