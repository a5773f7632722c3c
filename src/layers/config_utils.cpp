#include "layers/config_utils.hpp"

namespace keras::detail {

std::int64_t required_int(const Json& config, const std::string& key, const std::string& layer) {
  auto it = config.find(key);
  if (it == config.end() || !it->is_number_integer())
    throw FormatError(layer + " config needs an integer '" + key + "'" +
                      (it == config.end() ? std::string() : ", got " + it->dump()));
  return it->get<std::int64_t>();
}

std::int64_t int_or(const Json& config, const std::string& key, std::int64_t fallback) {
  auto it = config.find(key);
  if (it == config.end() || it->is_null()) return fallback;
  if (!it->is_number_integer()) throw FormatError("Config key '" + key + "' must be an integer, got " + it->dump());
  return it->get<std::int64_t>();
}

double number_or(const Json& config, const std::string& key, double fallback) {
  auto it = config.find(key);
  if (it == config.end() || it->is_null()) return fallback;
  if (!it->is_number()) throw FormatError("Config key '" + key + "' must be a number, got " + it->dump());
  return it->get<double>();
}

std::vector<std::int64_t> int_tuple(const Json& config, const std::string& key, std::size_t n, const std::string& layer,
                                    std::optional<std::int64_t> fallback) {
  auto it = config.find(key);
  if (it == config.end() || it->is_null()) {
    if (fallback) return std::vector<std::int64_t>(n, *fallback);
    throw FormatError(layer + " config needs '" + key + "'");
  }
  if (it->is_number_integer()) return std::vector<std::int64_t>(n, it->get<std::int64_t>());
  if (it->is_array() && it->size() == n) {
    std::vector<std::int64_t> out;
    for (const auto& v : *it) {
      if (!v.is_number_integer())
        throw FormatError(layer + " config '" + key + "' must hold integers, got " + it->dump());
      out.push_back(v.get<std::int64_t>());
    }
    return out;
  }
  throw FormatError(layer + " config '" + key + "' must be an integer or a list of " + std::to_string(n) +
                    " integers, got " + it->dump());
}

Json ints_to_json(const std::vector<std::int64_t>& values) {
  Json out = Json::array();
  for (auto v : values) out.push_back(v);
  return out;
}

bool bool_or(const Json& config, const std::string& key, bool fallback, const std::string& layer) {
  auto it = config.find(key);
  if (it == config.end() || it->is_null()) return fallback;
  if (!it->is_boolean()) throw FormatError(layer + " config '" + key + "' must be a boolean, got " + it->dump());
  return it->get<bool>();
}

std::string string_or(const Json& config, const std::string& key, const std::string& fallback,
                      const std::string& layer) {
  auto it = config.find(key);
  if (it == config.end() || it->is_null()) return fallback;
  if (!it->is_string()) throw FormatError(layer + " config '" + key + "' must be a string, got " + it->dump());
  return it->get<std::string>();
}

void reject_unsupported_options(const Json& config, const std::string& layer) {
  if (auto it = config.find("quantization_config"); it != config.end() && !it->is_null())
    throw NotImplementedError(layer + " '" + config.value("name", std::string()) +
                              "': quantized layers are not supported by keras-cpp");
  if (auto it = config.find("lora_rank"); it != config.end() && !it->is_null())
    throw NotImplementedError(layer + " '" + config.value("name", std::string()) +
                              "': LoRA-enabled layers are not supported by keras-cpp");
  if (auto it = config.find("dtype"); it != config.end() && it->is_object()) {
    const std::string cls = it->value("class_name", "");
    if (cls != "DTypePolicy" && cls != "FloatDTypePolicy" && cls != "Policy")
      throw NotImplementedError(layer + " '" + config.value("name", std::string()) + "': dtype policy " + cls +
                                " (quantization) is not supported by keras-cpp");
  }
}

}  // namespace keras::detail
