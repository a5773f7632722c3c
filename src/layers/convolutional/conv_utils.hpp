// Argument handling shared by the convolution and pooling layers: Keras'
// standardize_tuple / standardize_padding / standardize_data_format, the
// channels_first <-> channels_last layout changes around the channels_last
// kernels, and typed config readers.
#pragma once

#include "keras/autodiff.hpp"

#include <cstdint>
#include <string>
#include <vector>

#include "keras/json.hpp"
#include "keras/tensor.hpp"
#include "layers/config_utils.hpp"

namespace keras::detail::spatial {

// One value per spatial dim (a single value is repeated), each > 0 (>= 0 with allow_zero).
std::vector<std::int64_t> standardize_tuple(const std::vector<std::int64_t>& values, std::size_t n,
                                            const std::string& arg, const std::string& layer, bool allow_zero = false);
// Lower-cased "valid" / "same" (/ "causal" when allowed).
std::string standardize_padding(const std::string& padding, bool allow_causal, const std::string& layer);
// Lower-cased "channels_last" / "channels_first"; empty means channels_last (Keras' image_data_format()).
std::string standardize_data_format(const std::string& data_format, const std::string& layer);

// [N, C, *spatial] -> [N, *spatial, C] and back.
Tensor channels_first_to_last(const Tensor& x);
Tensor channels_last_to_first(const Tensor& x);
// The float32 view used by the kernels, in channels_last layout.
Tensor as_channels_last_float(const Tensor& x, bool channels_first);
// The kernels' float32 channels_last result brought back to the layer's layout and compute dtype.
Tensor from_channels_last(const Tensor& y, bool channels_first, DType compute_dtype);

// The same on the keras::ad tape (identity for channels_last).
ad::Var to_channels_last(const ad::Var& x, bool channels_first);
ad::Var from_channels_last(const ad::Var& y, bool channels_first);

// A regularizer / constraint entry (null when absent).
Json json_or_null(const Json& config, const std::string& key);

// Validates an input's rank for a layer over `spatial` spatial dims.
void check_input_rank(const Shape& shape, int spatial, const std::string& layer_name, const std::string& class_name);

}  // namespace keras::detail::spatial
