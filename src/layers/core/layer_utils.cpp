#include "layers/core/layer_utils.hpp"

#include <cctype>

namespace keras::detail::layer_utils {

Json config_number(const Json& config, const std::string& key, const Json& fallback, const std::string& layer) {
  auto it = config.find(key);
  if (it == config.end() || it->is_null()) return fallback;
  if (!it->is_number() || it->is_boolean())
    throw FormatError(layer + " config '" + key + "' must be a number, got " + it->dump());
  return *it;
}

Json config_number_or_null(const Json& config, const std::string& key, const std::string& layer) {
  return config_number(config, key, Json(nullptr), layer);
}

std::string standardize_data_format(const std::string& data_format) {
  if (data_format.empty()) return "channels_last";
  std::string lower;
  for (char c : data_format) lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  if (lower != "channels_last" && lower != "channels_first")
    throw ValueError(
        "The `data_format` argument must be one of {'channels_first', 'channels_last'}. Received: data_format=" +
        data_format);
  return lower;
}

std::string data_format_from(const Json& config, const std::string& layer) {
  auto it = config.find("data_format");
  if (it == config.end() || it->is_null()) return "channels_last";
  if (!it->is_string()) throw FormatError(layer + " config 'data_format' must be a string, got " + it->dump());
  return standardize_data_format(it->get<std::string>());
}

std::vector<std::int64_t> standardize_tuple(const Json& value, std::size_t n, const std::string& what,
                                            bool allow_zero) {
  const std::string error = "The `" + what + "` argument must be a tuple of " + std::to_string(n) +
                            " integers. Received " + what + "=" + value.dump();
  std::vector<std::int64_t> out;
  if (value.is_number_integer()) {
    out.assign(n, value.get<std::int64_t>());
  } else if (value.is_array() && value.size() == n) {
    for (const auto& v : value) {
      if (!v.is_number_integer()) throw ValueError(error);
      out.push_back(v.get<std::int64_t>());
    }
  } else {
    throw ValueError(error);
  }
  for (auto v : out) {
    if (allow_zero ? v < 0 : v <= 0)
      throw ValueError(error + ", where all values should be " + (allow_zero ? ">= 0" : "> 0"));
  }
  return out;
}

Json pairs_to_json(const std::vector<std::pair<std::int64_t, std::int64_t>>& pairs) {
  Json out = Json::array();
  for (const auto& [a, b] : pairs) out.push_back(Json::array({a, b}));
  return out;
}

}  // namespace keras::detail::layer_utils
