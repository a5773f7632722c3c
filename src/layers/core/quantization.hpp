// The arithmetic of Keras 3.16's quantized layers (keras/src/quantizers/
// quantizers.py), reproduced operation for operation in float32 so that
// keras-cpp computes the same int8 values, scales and outputs as Keras.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "keras/layer.hpp"
#include "keras/quantizers.hpp"
#include "keras/tensor.hpp"

namespace keras::detail::quant {

// A layer with a quantizable kernel (Dense, EinsumDense): the variables
// Keras' quantized_build adds beside the kernel and bias, and their save order.
class QuantizedKernelLayer : public Layer {
 protected:
  using Layer::Layer;
  // int4: kernel_scale [groups, columns] (per channel: [columns]); grouped, also
  // kernel_zero and g_idx (floor(row / block_size)) over `rows`.
  void add_int4_scales(std::int64_t rows, std::int64_t columns, std::optional<std::int64_t> block_size);
  // float8: the scale and amax history of the inputs, the kernel and the
  // outputs' gradient, in Keras' order (trainable, as Keras creates them).
  void add_float8_variables();
  // Keras' serialization spec of the mode: kernel, bias, then float8's six
  // variables or kernel_scale, kernel_zero, g_idx; absent ones take no index.
  std::vector<VariablePtr> quantized_own_variables(const VariablePtr& kernel, const VariablePtr& bias) const;
  // Keras' _get_kernel_with_merged_lora for an int4 kernel packed as [rows,
  // ceil(columns / 2)]: dequantize it (grouped when `block_size` is set), add
  // the LoRA delta (as [rows, columns]), quantize again (grouped: with a new
  // zero point; else per column over axis 0) and pack; the results replace
  // kernel, kernel_scale and kernel_zero in `saved`.
  void save_int4_merged_with_lora(std::vector<VariablePtr>& saved, const VariablePtr& kernel, std::int64_t columns,
                                  std::optional<std::int64_t> block_size, const Tensor& delta,
                                  const std::string& where) const;

  VariablePtr kernel_scale_, kernel_zero_, g_idx_;
  VariablePtr inputs_scale_, inputs_amax_history_, kernel_amax_history_, outputs_grad_scale_,
      outputs_grad_amax_history_;
};

// abs_max_quantize: scale = hi / (max|x| + epsilon) over `axes` (kept as
// size-1 axes), values = clip(round_half_even(x * scale), lo, hi) as int8;
// every step in float32 as Keras' numpy and tensor paths compute it.
struct AbsMax {
  Tensor values;  // int8, x's shape
  Tensor scale;   // float32, x's shape with `axes` set to 1
};
AbsMax abs_max_quantize(const Tensor& x, const std::vector<int>& axes, std::pair<std::int64_t, std::int64_t> range,
                        double epsilon);
AbsMax abs_max_quantize(const Tensor& x, const std::vector<int>& axes, const quantizers::AbsMaxQuantizer& q);

// abs_max_quantize_grouped_with_zero_point on a 2-D [rows, columns] tensor:
// groups of `block_size` rows (the last one zero-padded, the padding taking
// part in the min/max as in Keras), asymmetric: scale = (max - min + eps) /
// (hi - lo), zero = clip(round(-min / scale) + lo), q = clip(round(x /
// scale) + zero).
struct Grouped {
  Tensor values;  // int8 [rows, columns]
  Tensor scale;   // float32 [groups, columns]
  Tensor zero;    // int8 [groups, columns]
};
Grouped grouped_quantize_with_zero_point(const Tensor& x, std::int64_t block_size,
                                         std::pair<std::int64_t, std::int64_t> range = {-8, 7}, double epsilon = 1e-7);

// pack_int4 / unpack_int4 along `axis`: pairs of int4 values [-8, 7], the
// first in the low nibble, an odd length padded with a zero.
Tensor pack_int4(const Tensor& values, int axis);
Tensor unpack_int4(const Tensor& packed, std::int64_t orig_len, int axis);

// dequantize_with_sz_map: (float(q) - float(zero[g])) * scale[g], where
// g = int(g_idx[i]) indexes `group_axis` of scale and zero and i runs over
// the last axis of q when group_axis is -1, over its first axis when 0
// (g_idx is checked against the number of groups).
Tensor dequantize_with_sz_map(const Tensor& q, const Tensor& scale, const Tensor& zero, const Tensor& g_idx,
                              int group_axis, const std::string& where);

// floor(arange(n) / block_size) as float32: the g_idx Keras stores.
Tensor group_indices(std::int64_t n, std::int64_t block_size);

// The float8 types' largest finite values and a float32 -> float8 -> float32
// round trip (round to nearest even; values already clipped by the caller).
inline constexpr float kFloat8E4M3Max = 448.0F;
inline constexpr float kFloat8E5M2Max = 57344.0F;
float round_to_float8_e4m3fn(float x);

// QuantizationConfig.activation_quantizer_or_default: the config's (maybe
// none) when there is a config, else AbsMaxQuantizer() for int8 and none
// for int4.
std::optional<quantizers::AbsMaxQuantizer> inputs_quantizer(const std::optional<quantizers::QuantizationConfig>& config,
                                                            const std::string& mode);
// get_block_size_for_layer: an int4 config's block size, else the
// Int4DTypePolicy's; nullopt (per channel) for -1 and for a legacy policy.
std::optional<std::int64_t> int4_block_size(const std::optional<quantizers::QuantizationConfig>& config,
                                            const DTypePolicy& policy);
// The policy quantize() gives a layer: "<mode>_from_<policy>" ("int4/<block or -1>_from_...").
DTypePolicy quantized_policy(const quantizers::QuantizationConfig& config, const DTypePolicy& policy);
// quantize_and_dequantize(x, scale, "float8_e4m3fn"): clip(x / scale, +-448)
// rounded to float8, times scale.
Tensor quantize_dequantize_float8(const Tensor& x, float scale);

// Keras' _analyze_quantization_info for EinsumDense: the axes its quantizers
// reduce, and the transpose / expand / squeeze that align each scale with
// the output (including Keras' reuse of a stale index when an operand has
// more reduced axes than the output has missing ones).
struct EinsumQuantInfo {
  std::vector<int> input_reduced_axes;
  std::vector<int> kernel_reduced_axes;
  std::vector<int> input_transpose_axes;
  std::vector<int> kernel_transpose_axes;
  std::vector<int> input_expand_axes;
  std::vector<int> kernel_expand_axes;
  std::vector<int> input_squeeze_axes;
  std::vector<int> kernel_squeeze_axes;
};
EinsumQuantInfo analyze_einsum_quantization(const std::string& equation, int input_rank);
// _adjust_scale_for_quant: transpose, then expand_dims, then squeeze.
Tensor adjust_scale_for_quant(const Tensor& scale, const std::vector<int>& transpose_axes,
                              const std::vector<int>& expand_axes, const std::vector<int>& squeeze_axes);
// The shape of that adjusted kernel scale (Keras' _get_kernel_scale_shape, per channel).
Shape kernel_scale_shape(const Shape& kernel_shape, const EinsumQuantInfo& info);

}  // namespace keras::detail::quant
