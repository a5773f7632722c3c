#include "layers/config_utils.hpp"

#include "graph/config_json.hpp"

namespace keras::detail {

std::int64_t required_int(const Json& config, const std::string& key, const std::string& layer) {
  return config_size(config, key, layer);
}

std::int64_t int_or(const Json& config, const std::string& key, std::int64_t fallback) {
  return config_value<std::int64_t>(config, key, fallback);
}

double number_or(const Json& config, const std::string& key, double fallback) {
  return config_value<double>(config, key, fallback);
}

std::vector<std::int64_t> int_tuple(const Json& config, const std::string& key, std::size_t n, const std::string& layer,
                                    std::optional<std::int64_t> fallback) {
  auto it = config.find(key);
  if (it == config.end() || it->is_null()) {
    if (fallback) return std::vector<std::int64_t>(n, *fallback);
    throw FormatError("Invalid config for class '" + layer + "': '" + key +
                      "' is missing; it must be an integer or a list of " + std::to_string(n) + " integers");
  }
  std::vector<std::int64_t> out;
  if (it->is_number_integer()) {
    out.assign(n, it->get<std::int64_t>());
  } else if (it->is_array() && it->size() == n) {
    for (const auto& v : *it) {
      if (!v.is_number_integer()) throw_bad_config_value(key, "a list of integers", *it, layer);
      out.push_back(v.get<std::int64_t>());
    }
  } else {
    throw_bad_config_value(key, "an integer or a list of " + std::to_string(n) + " integers", *it, layer);
  }
  for (std::int64_t v : out) check_window_value(v, key, *it, layer);
  return out;
}

Json ints_to_json(const std::vector<std::int64_t>& values) {
  Json out = Json::array();
  for (auto v : values) out.push_back(v);
  return out;
}

bool bool_or(const Json& config, const std::string& key, bool fallback, const std::string& layer) {
  const ConfigClassScope reading(layer);
  return config_value<bool>(config, key, fallback);
}

std::string string_or(const Json& config, const std::string& key, const std::string& fallback,
                      const std::string& layer) {
  const ConfigClassScope reading(layer);
  return config_value<std::string>(config, key, fallback);
}

std::optional<quantizers::QuantizationConfig> read_quantization_config(const Json& config) {
  auto it = config.find("quantization_config");
  if (it == config.end() || it->is_null()) return std::nullopt;
  try {
    return quantizers::QuantizationConfig::from_json(*it);
  } catch (const FormatError& e) {
    throw FormatError("Layer '" + detail::config_value(config, "name", std::string()) +
                      "' quantization_config: " + e.what());
  }
}

void reject_unsupported_options(const Json& config, const std::string& layer, bool quantizable, bool lora_capable) {
  if (auto it = config.find("lora_rank"); !lora_capable && it != config.end() && !it->is_null())
    throw NotImplementedError(layer + " '" + detail::config_value(config, "name", std::string()) + "': Keras' " +
                              layer +
                              " takes no lora_rank (LoRA exists for Dense, EinsumDense, "
                              "Embedding and Conv1D/2D/3D)");
  if (quantizable) return;
  if (auto it = config.find("quantization_config"); it != config.end() && !it->is_null())
    throw NotImplementedError(layer + " '" + detail::config_value(config, "name", std::string()) +
                              "': quantized layers are not supported by keras-cpp");
  if (auto it = config.find("dtype"); it != config.end() && it->is_object()) {
    const std::string cls = it->value("class_name", "");
    if (cls != "DTypePolicy" && cls != "FloatDTypePolicy" && cls != "Policy")
      throw NotImplementedError(layer + " '" + detail::config_value(config, "name", std::string()) +
                                "': dtype policy " + cls + " (quantization) is not supported by keras-cpp");
  }
}

}  // namespace keras::detail
