// Shared plumbing of the kernel library (keras::kernels): shape arithmetic,
// axis handling and the N-ary broadcast loop. Internal to src/ops.
//
// Conventions of every kernel in keras::kernels:
// - Tensors are contiguous row-major; math is done in float32 unless a
//   function says otherwise. Non-float32 inputs are converted on entry.
// - Results may share storage with an input (e.g. reshape, linear); callers
//   treat tensors as immutable values.
// - An optional tensor argument is "absent" when it is default-constructed
//   (!tensor.defined()).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "keras/tensor.hpp"

namespace keras::kernels {

// numpy broadcasting of two shapes; throws ShapeMismatchError naming `what`.
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* what = "broadcast");

namespace detail {

// Row-major element strides of a shape.
std::vector<std::int64_t> contiguous_strides(const Shape& shape);

// Strides of `shape` viewed as broadcast to `out_shape` (0 on broadcast axes).
std::vector<std::int64_t> broadcast_strides(const Shape& shape, const Shape& out_shape);

// Sorted, de-duplicated, non-negative axes; an empty list means every axis.
std::vector<int> normalize_axes(const std::vector<int>& axes, int rank, const char* what);

// Per-spatial-dimension parameter: n values, or one value repeated, or `fallback` when empty.
std::vector<std::int64_t> spatial_param(const std::vector<std::int64_t>& values, int n, std::int64_t fallback,
                                        const char* what);

// float32 view of a tensor (converted copy when needed).
Tensor to_float(const Tensor& x);

std::string join(const std::vector<std::int64_t>& values);

// Copies the elements of a strided view of src into a strided view of dst
// (offsets and strides counted in elements of `element_size` bytes; strides may be 0 or negative).
void copy_strided(const void* src, std::int64_t src_offset, const std::vector<std::int64_t>& src_strides, void* dst,
                  std::int64_t dst_offset, const std::vector<std::int64_t>& dst_strides, const Shape& shape,
                  std::size_t element_size);

// A new contiguous tensor holding the strided view (offset, strides, shape) of x.
Tensor materialize_view(const Tensor& x, std::int64_t offset, const std::vector<std::int64_t>& strides,
                        const Shape& shape);

// Calls fn(offsets, count) for runs of the broadcast iteration over out_shape:
// offsets[i] is the element offset of input i at the start of the run and the
// run advances input i by inner_strides[i] per element. Inputs are given by
// their broadcast strides (see broadcast_strides).
template <std::size_t N, typename Fn>
void for_each_broadcast_run(const Shape& out_shape, const std::vector<std::int64_t> (&strides)[N], Fn&& fn) {
  const int rank = static_cast<int>(out_shape.size());
  std::int64_t total = 1;
  for (auto d : out_shape) total *= d;
  if (total == 0) return;
  std::int64_t offsets[N] = {};
  std::int64_t inner_strides[N] = {};
  if (rank == 0) {
    fn(offsets, inner_strides, std::int64_t{1});
    return;
  }
  const std::int64_t inner = out_shape[static_cast<std::size_t>(rank - 1)];
  for (std::size_t i = 0; i < N; ++i) inner_strides[i] = strides[i][static_cast<std::size_t>(rank - 1)];
  std::vector<std::int64_t> counter(static_cast<std::size_t>(rank), 0);
  const std::int64_t outer = total / inner;
  for (std::int64_t run = 0; run < outer; ++run) {
    fn(offsets, inner_strides, inner);
    // Advance the multi-index over all axes but the innermost.
    for (int axis = rank - 2; axis >= 0; --axis) {
      auto a = static_cast<std::size_t>(axis);
      ++counter[a];
      for (std::size_t i = 0; i < N; ++i) offsets[i] += strides[i][a];
      if (counter[a] < out_shape[a]) break;
      for (std::size_t i = 0; i < N; ++i) offsets[i] -= strides[i][a] * out_shape[a];
      counter[a] = 0;
    }
  }
}

}  // namespace detail
}  // namespace keras::kernels
