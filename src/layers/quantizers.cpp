// keras.quantizers configs (keras/src/quantizers/quantization_config.py and
// quantizers.py AbsMaxQuantizer): construction checks and serialization.
#include "keras/quantizers.hpp"

#include "graph/config_json.hpp"
#include "keras/error.hpp"

namespace keras::quantizers {

namespace {

Json envelope(const std::string& class_name, Json config) {
  return Json{{"module", "keras.quantizers"},
              {"class_name", class_name},
              {"config", std::move(config)},
              {"registered_name", nullptr}};
}

const Json& config_of(const Json& value, const std::string& what) {
  if (!value.is_object())
    throw FormatError(what + " must be a serialized keras.quantizers object, got " + value.dump());
  auto it = value.find("config");
  if (it == value.end() || !it->is_object()) throw FormatError(what + " needs a 'config' object, got " + value.dump());
  return *it;
}

std::string class_of(const Json& value, const std::string& what) {
  auto it = value.find("class_name");
  if (it == value.end() || !it->is_string())
    throw FormatError(what + " needs a string 'class_name', got " + value.dump());
  return it->get<std::string>();
}

std::optional<AbsMaxQuantizer> optional_quantizer(const Json& config, const std::string& key, const std::string& cls) {
  auto it = config.find(key);
  if (it == config.end() || it->is_null()) return std::nullopt;
  try {
    return AbsMaxQuantizer::from_json(*it);
  } catch (const FormatError& e) {
    throw FormatError(cls + " '" + key + "': " + e.what());
  }
}

Json quantizer_or_null(const std::optional<AbsMaxQuantizer>& q) { return q ? q->serialize() : Json(nullptr); }

}  // namespace

// ------------------------------------------------------------ AbsMaxQuantizer

Json AbsMaxQuantizer::serialize() const {
  Json config{{"value_range", Json::array({value_range.first, value_range.second})},
              {"epsilon", epsilon},
              {"output_dtype", output_dtype}};
  if (axis) {
    Json axes = Json::array();
    for (int a : *axis) axes.push_back(a);
    config["axis"] = axes;
  }
  return envelope("AbsMaxQuantizer", config);
}

AbsMaxQuantizer AbsMaxQuantizer::from_json(const Json& value) {
  const std::string cls = class_of(value, "A quantizer");
  if (cls != "AbsMaxQuantizer")
    throw NotImplementedError("The quantizer " + cls + " is not supported by keras-cpp (it runs AbsMaxQuantizer)");
  const Json& config = config_of(value, "AbsMaxQuantizer");
  AbsMaxQuantizer q;
  if (auto it = config.find("value_range"); it != config.end() && !it->is_null()) {
    if (!it->is_array() || it->size() != 2 || !(*it)[0].is_number_integer() || !(*it)[1].is_number_integer())
      throw FormatError("AbsMaxQuantizer 'value_range' must be two integers, got " + it->dump());
    q.value_range = {(*it)[0].get<std::int64_t>(), (*it)[1].get<std::int64_t>()};
    if (q.value_range.first >= q.value_range.second)
      throw FormatError("AbsMaxQuantizer 'value_range' must be increasing, got " + it->dump());
  }
  if (auto it = config.find("epsilon"); it != config.end() && !it->is_null()) {
    if (!it->is_number() || it->is_boolean())
      throw FormatError("AbsMaxQuantizer 'epsilon' must be a number, got " + it->dump());
    q.epsilon = it->get<double>();
  }
  q.output_dtype = detail::config_value(config, "output_dtype", q.output_dtype);
  if (q.output_dtype != "int8")
    throw NotImplementedError("AbsMaxQuantizer output_dtype '" + q.output_dtype +
                              "' is not supported by keras-cpp (it runs int8)");
  if (q.value_range.first < -128 || q.value_range.second > 127)
    throw ValueError(
        "Quantizer with output_dtype='int8' requires value_range to be within the interval [-128, 127]. Received: "
        "value_range=(" +
        std::to_string(q.value_range.first) + ", " + std::to_string(q.value_range.second) + ")");
  if (auto it = config.find("axis"); it != config.end() && !it->is_null()) {
    std::vector<int> axes;
    if (it->is_number_integer()) {
      axes.push_back(it->get<int>());
    } else if (it->is_array()) {
      for (const auto& a : *it) {
        if (!a.is_number_integer()) throw FormatError("AbsMaxQuantizer 'axis' must hold integers, got " + it->dump());
        axes.push_back(a.get<int>());
      }
    } else {
      throw FormatError("AbsMaxQuantizer 'axis' must be an integer or a list, got " + it->dump());
    }
    q.axis = axes;
  }
  return q;
}

// --------------------------------------------------------- QuantizationConfig

QuantizationConfig QuantizationConfig::int8(std::optional<AbsMaxQuantizer> weight_quantizer,
                                            std::optional<AbsMaxQuantizer> activation_quantizer) {
  QuantizationConfig c;
  c.mode = "int8";
  c.weight_quantizer = std::move(weight_quantizer);
  c.activation_quantizer = std::move(activation_quantizer);
  c.validate();
  return c;
}

QuantizationConfig QuantizationConfig::int4(std::optional<std::int64_t> block_size,
                                            std::optional<AbsMaxQuantizer> weight_quantizer,
                                            std::optional<AbsMaxQuantizer> activation_quantizer) {
  QuantizationConfig c;
  c.mode = "int4";
  c.block_size = block_size;
  c.weight_quantizer = std::move(weight_quantizer);
  c.activation_quantizer = std::move(activation_quantizer);
  c.validate();
  return c;
}

QuantizationConfig QuantizationConfig::float8() {
  QuantizationConfig c;
  c.mode = "float8";
  return c;
}

QuantizationConfig QuantizationConfig::for_mode(const std::string& mode) {
  if (mode == "int8") return int8();
  if (mode == "int4") return int4();
  if (mode == "float8") return float8();
  if (mode == "ternary" || mode == "gptq" || mode == "awq")
    throw NotImplementedError("Quantization mode '" + mode +
                              "' is not supported by keras-cpp; it quantizes to int8, int4 and float8");
  throw ValueError(
      "Invalid quantization mode. Expected one of ('int8', 'float8', 'int4', 'ternary', 'gptq', "
      "'awq'). Received: mode=" +
      mode);
}

void QuantizationConfig::validate() const {
  if (mode == "int8") {
    if (block_size) throw ValueError("Int8QuantizationConfig has no block_size");
    return;
  }
  if (mode == "float8") {
    if (weight_quantizer || activation_quantizer || block_size)
      throw ValueError("Float8QuantizationConfig takes no quantizers and no block_size");
    return;
  }
  if (mode != "int4") throw ValueError("Invalid quantization config mode '" + mode + "'");
  if (block_size && *block_size != -1 && *block_size <= 0)
    throw ValueError("block_size must be None, -1, or a positive integer. Received: block_size=" +
                     std::to_string(*block_size));
  if (grouped() && (weight_quantizer || activation_quantizer))
    throw ValueError(
        "Int4 sub-channel quantization (block_size > 0) does not support custom quantizers. Either set block_size to "
        "None or -1 for per-channel quantization, or remove the custom quantizer arguments. Received: block_size=" +
        std::to_string(*block_size));
  if (weight_quantizer && weight_quantizer->value_range != std::pair<std::int64_t, std::int64_t>{-8, 7})
    throw ValueError(
        "Int4QuantizationConfig requires a weight_quantizer with value_range=(-8, 7). Received: "
        "value_range=(" +
        std::to_string(weight_quantizer->value_range.first) + ", " +
        std::to_string(weight_quantizer->value_range.second) + ")");
}

Json QuantizationConfig::serialize() const {
  if (mode == "float8") return envelope("Float8QuantizationConfig", Json::object());
  Json config{{"weight_quantizer", quantizer_or_null(weight_quantizer)},
              {"activation_quantizer", quantizer_or_null(activation_quantizer)}};
  if (mode == "int4") {
    config["block_size"] = block_size ? Json(*block_size) : Json(nullptr);
    return envelope("Int4QuantizationConfig", config);
  }
  return envelope("Int8QuantizationConfig", config);
}

QuantizationConfig QuantizationConfig::from_json(const Json& value) {
  const std::string cls = class_of(value, "A quantization config");
  const Json& config = config_of(value, cls);
  QuantizationConfig c;
  if (cls == "Int8QuantizationConfig") {
    c.mode = "int8";
  } else if (cls == "Int4QuantizationConfig") {
    c.mode = "int4";
    // Files written before block_size existed were per channel (Keras' from_config default).
    if (auto it = config.find("block_size"); it != config.end() && !it->is_null()) {
      if (!it->is_number_integer())
        throw FormatError("Int4QuantizationConfig 'block_size' must be an integer or null, got " + it->dump());
      c.block_size = it->get<std::int64_t>();
    }
  } else if (cls == "Float8QuantizationConfig") {
    c.mode = "float8";
    return c;
  } else if (cls == "TernaryQuantizationConfig" || cls == "GPTQConfig" || cls == "AWQConfig") {
    throw NotImplementedError("The quantization config " + cls +
                              " is not supported by keras-cpp (it runs int8, int4 and float8)");
  } else {
    throw UnknownObjectError("Unknown quantization config class: " + cls);
  }
  c.weight_quantizer = optional_quantizer(config, "weight_quantizer", cls);
  c.activation_quantizer = optional_quantizer(config, "activation_quantizer", cls);
  c.validate();
  return c;
}

}  // namespace keras::quantizers
