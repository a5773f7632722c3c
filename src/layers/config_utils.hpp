// Reading layer configs: typed accessors with errors that name the layer and
// the key (and, through activation_functions.hpp, activation identifiers).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "graph/config_json.hpp"
#include "keras/json.hpp"
#include "keras/layer.hpp"
#include "layers/activations/activation_functions.hpp"

namespace keras::detail {

// A positive size of at most LoadLimits::max_units (units, filters, heads).
std::int64_t required_int(const Json& config, const std::string& key, const std::string& layer);
std::int64_t int_or(const Json& config, const std::string& key, std::int64_t fallback);
double number_or(const Json& config, const std::string& key, double fallback);
// An int or a list of ints (Keras' normalize_tuple), expanded to n values, each positive and
// at most LoadLimits::max_window (kernel sizes, strides, dilation rates, pool sizes).
std::vector<std::int64_t> int_tuple(const Json& config, const std::string& key, std::size_t n, const std::string& layer,
                                    std::optional<std::int64_t> fallback = std::nullopt);
Json ints_to_json(const std::vector<std::int64_t>& values);
// config[key] as a bool / string; `fallback` when absent or null. Throws
// FormatError naming the layer and key for a value of another type.
bool bool_or(const Json& config, const std::string& key, bool fallback, const std::string& layer);
std::string string_or(const Json& config, const std::string& key, const std::string& fallback,
                      const std::string& layer);
// Copies name, dtype and trainable of a layer config into an options struct
// with those three fields.
template <typename Options>
void read_base_options(const Json& config, Options& o, bool quantizable = false) {
  const LayerBaseOptions base = Layer::base_options_from_config(config, quantizable);
  o.name = base.name;
  o.dtype = base.dtype;
  o.trainable = base.trainable;
}

// A quantized layer's "quantization_config" (nullopt when absent or null).
std::optional<quantizers::QuantizationConfig> read_quantization_config(const Json& config);

// Refuses configs that need features keras-cpp lacks or the class has not:
// lora_rank unless the layer is `lora_capable` (Keras' Dense, EinsumDense,
// Embedding, Conv1D/2D/3D), quantization unless it is `quantizable`.
void reject_unsupported_options(const Json& config, const std::string& layer, bool quantizable = false,
                                bool lora_capable = false);

}  // namespace keras::detail
