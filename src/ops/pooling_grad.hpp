// Backward passes of the pooling kernels (pooling.hpp). float32,
// channels_last; the arguments are those of the forward kernel. Max pooling
// sends each output's gradient to the first maximum of its window.
#pragma once

#include <cstdint>
#include <vector>

#include "keras/tensor.hpp"
#include "ops/conv.hpp"

namespace keras::kernels {

Tensor max_pool_backward(const Tensor& x, const Tensor& dy, const std::vector<std::int64_t>& pool_size,
                         const std::vector<std::int64_t>& strides, Padding padding);
Tensor avg_pool_backward(const Shape& x_shape, const Tensor& dy, const std::vector<std::int64_t>& pool_size,
                         const std::vector<std::int64_t>& strides, Padding padding);
Tensor adaptive_max_pool_backward(const Tensor& x, const Tensor& dy, const std::vector<std::int64_t>& output_size);
Tensor adaptive_avg_pool_backward(const Shape& x_shape, const Tensor& dy, const std::vector<std::int64_t>& output_size);

}  // namespace keras::kernels
