// Layout and indexing operations. They work on every dtype (elements are moved,
// not converted) unless stated; axes may be negative (counted from the end).
#pragma once

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "keras/tensor.hpp"

namespace keras::kernels {

// numpy.transpose with an explicit permutation (empty = reverse the axes).
Tensor transpose(const Tensor& x, const std::vector<int>& permutation);
// Shares storage with x; one dimension may be -1.
Tensor reshape(const Tensor& x, const Shape& shape);
// Same dtype required, else every operand is converted to float32.
Tensor concatenate(const std::vector<Tensor>& tensors, int axis);
Tensor stack(const std::vector<Tensor>& tensors, int axis = 0);
// Splits into `sections` equal parts along axis (numpy.split with an int).
std::vector<Tensor> split(const Tensor& x, std::int64_t sections, int axis);
// Splits at the given indices along axis (numpy.split with a list).
std::vector<Tensor> split_at(const Tensor& x, const std::vector<std::int64_t>& indices, int axis);

// keras.ops.slice: start index and size per axis (size -1 = to the end).
Tensor slice(const Tensor& x, const std::vector<std::int64_t>& start, const std::vector<std::int64_t>& size);

// One axis of a Python slice start:stop:step; nullopt = omitted.
struct SliceSpec {
  std::optional<std::int64_t> start;
  std::optional<std::int64_t> stop;
  std::int64_t step = 1;
};
// Where x[s0, s1, ...] lies in x's row-major storage: element offset and
// strides (in elements, possibly negative) and the shape of the result.
struct StridedView {
  std::int64_t offset = 0;
  std::vector<std::int64_t> strides;
  Shape shape;
};
StridedView strided_view(const Shape& x_shape, const std::vector<SliceSpec>& specs);
// x[s0, s1, ...] with Python semantics (negative indices, clamping, negative steps);
// axes beyond specs.size() are kept whole.
Tensor strided_slice(const Tensor& x, const std::vector<SliceSpec>& specs);

// Constant padding: (before, after) per axis, in axis order.
Tensor pad(const Tensor& x, const std::vector<std::pair<std::int64_t, std::int64_t>>& paddings, float value = 0.0F);
// numpy.tile (reps shorter than the rank repeat the trailing axes).
Tensor tile(const Tensor& x, const std::vector<std::int64_t>& reps);
// numpy.repeat along axis: every element `repeats` times, or repeats[i] times for element i.
Tensor repeat(const Tensor& x, std::int64_t repeats, int axis);
Tensor repeat(const Tensor& x, const std::vector<std::int64_t>& repeats, int axis);
// axis in [-(rank+1), rank].
Tensor expand_dims(const Tensor& x, int axis);
// Removes the given size-1 axes (empty = every size-1 axis).
Tensor squeeze(const Tensor& x, const std::vector<int>& axes = {});
Tensor broadcast_to(const Tensor& x, const Shape& shape);
// Reverses the given axes (empty = all).
Tensor flip(const Tensor& x, const std::vector<int>& axes = {});

// numpy.take: out shape = x.shape[:axis] + indices.shape + x.shape[axis+1:].
// Indices of any integer or float dtype (floats truncate); negatives count
// from the end; out-of-range indices throw ValueError.
Tensor take(const Tensor& x, const Tensor& indices, int axis = 0);
// Embedding lookup: take(table, ids, 0) -> [..., dim].
Tensor gather(const Tensor& table, const Tensor& ids);
// numpy.take_along_axis.
Tensor take_along_axis(const Tensor& x, const Tensor& indices, int axis);
// One-hot of integer ids (any int/float dtype): new axis of num_classes at `axis`;
// negative or out-of-range ids give an all-zero row.
Tensor one_hot(const Tensor& ids, std::int64_t num_classes, int axis = -1, DType dtype = DType::float32);

// Cast (converted copy; the same tensor when the dtype already matches).
Tensor cast(const Tensor& x, DType dtype);

}  // namespace keras::kernels
