// keras.quantizers: the quantization configs that Model::quantize() applies
// and quantized Dense, EinsumDense and Embedding layers keep in their configs.
//
// Keras 3.16's schemes (keras/src/quantizers/quantization_config.py):
// - int8: int8 weights (abs-max per output channel) times int8 activations
//   (abs-max per token, computed at each call), an exact integer matmul,
//   then de-scaling;
// - int4: weight-only; by default groups of 128 inputs with an asymmetric
//   scale and zero point per group (block_size -1 or None: one symmetric
//   scale per output channel), two int4 values packed per int8 byte;
// - float8: the quantize-dequantize training scheme (scales and amax
//   histories as variables).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "keras/json.hpp"

namespace keras::quantizers {

// keras.quantizers.AbsMaxQuantizer: x * scale rounded and clipped to
// value_range, with scale = value_range[1] / (max|x| + epsilon) over `axis`.
struct AbsMaxQuantizer {
  std::optional<std::vector<int>> axis;  // deprecated in Keras: the layer passes the axis
  std::pair<std::int64_t, std::int64_t> value_range{-127, 127};
  double epsilon = 1e-7;
  std::string output_dtype = "int8";

  // {"module": "keras.quantizers", "class_name": "AbsMaxQuantizer", "config": {...}, "registered_name": null}
  Json serialize() const;
  static AbsMaxQuantizer from_json(const Json& value);
};

// keras.quantizers.Int8QuantizationConfig, Int4QuantizationConfig and
// Float8QuantizationConfig, told apart by `mode`.
struct QuantizationConfig {
  std::string mode = "int8";  // "int8", "int4" or "float8"
  std::optional<AbsMaxQuantizer> weight_quantizer;
  std::optional<AbsMaxQuantizer> activation_quantizer;
  // int4 only: rows per group along the input axis; -1 or nullopt (None): per channel.
  std::optional<std::int64_t> block_size;

  // Keras' constructors with their defaults (they validate as Keras does).
  static QuantizationConfig int8(std::optional<AbsMaxQuantizer> weight_quantizer = std::nullopt,
                                 std::optional<AbsMaxQuantizer> activation_quantizer = AbsMaxQuantizer{});
  static QuantizationConfig int4(std::optional<std::int64_t> block_size = 128,
                                 std::optional<AbsMaxQuantizer> weight_quantizer = std::nullopt,
                                 std::optional<AbsMaxQuantizer> activation_quantizer = std::nullopt);
  static QuantizationConfig float8();
  // What model.quantize(mode) uses: the mode's config with its defaults.
  // Throws ValueError for a mode Keras does not know and NotImplementedError
  // for ternary, gptq and awq.
  static QuantizationConfig for_mode(const std::string& mode);

  // int4 with a positive block size (grouped, asymmetric).
  bool grouped() const { return mode == "int4" && block_size && *block_size > 0; }
  // Checks the combination as Keras' constructors do (ValueError).
  void validate() const;

  Json serialize() const;
  static QuantizationConfig from_json(const Json& value);
};

}  // namespace keras::quantizers
