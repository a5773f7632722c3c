// Pooling over 1, 2 or 3 spatial dims, channels_last ([batch, *spatial, C]). float32.
#pragma once

#include <cstdint>
#include <vector>

#include "keras/tensor.hpp"
#include "ops/conv.hpp"

namespace keras::kernels {

// Window pooling with padding valid or same (TF/Keras "same": pad before =
// total / 2). pool_size and strides: one value per spatial dim or one for all;
// empty strides = pool_size. Output length per dim: valid floor((in - p) / s) + 1
// (0 when the input is shorter than the window), same ceil(in / s).
Tensor max_pool(const Tensor& x, const std::vector<std::int64_t>& pool_size, const std::vector<std::int64_t>& strides,
                Padding padding);
// Average over the window; with "same" padding the padded cells are excluded from the divisor.
Tensor avg_pool(const Tensor& x, const std::vector<std::int64_t>& pool_size, const std::vector<std::int64_t>& strides,
                Padding padding);

// Over every spatial axis (1 .. rank-2): [N, *spatial, C] -> [N, C] or [N, 1.., C] with keepdims.
Tensor global_avg_pool(const Tensor& x, bool keepdims = false);
Tensor global_max_pool(const Tensor& x, bool keepdims = false);

// Keras 3.16 adaptive pooling: output bin i along a dim of length L covers
// [floor(i * L / out), ceil((i + 1) * L / out)). output_size: one per spatial dim or one for all.
Tensor adaptive_avg_pool(const Tensor& x, const std::vector<std::int64_t>& output_size);
Tensor adaptive_max_pool(const Tensor& x, const std::vector<std::int64_t>& output_size);

}  // namespace keras::kernels
