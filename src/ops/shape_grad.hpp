// Backward passes of the layout and indexing kernels (shape_ops.hpp): each
// takes the gradient of the kernel's output and returns the gradient of its
// input, float32. Indices are resolved as the forward kernels resolve them.
#pragma once

#include <cstdint>
#include <vector>

#include "keras/tensor.hpp"
#include "ops/shape_ops.hpp"

namespace keras::kernels {

// take(x, indices, axis): scatter-adds grad rows back to their source rows.
Tensor take_backward(const Tensor& grad, const Tensor& indices, const Shape& x_shape, int axis);
Tensor take_along_axis_backward(const Tensor& grad, const Tensor& indices, const Shape& x_shape, int axis);
// strided_slice(x, specs): grad written into zeros at the sliced positions.
Tensor strided_slice_backward(const Tensor& grad, const std::vector<SliceSpec>& specs, const Shape& x_shape);
// tile(x, reps) / repeat(x, repeats, axis): sums over the copies.
Tensor tile_backward(const Tensor& grad, const std::vector<std::int64_t>& reps, const Shape& x_shape);
Tensor repeat_backward(const Tensor& grad, std::int64_t repeats, int axis, const Shape& x_shape);

}  // namespace keras::kernels
