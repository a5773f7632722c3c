#include "ops/shape_grad.hpp"

#include "ops/common.hpp"
#include "ops/reduce.hpp"

namespace keras::kernels {

namespace {

// Resolves one index against an axis of length dim as the forward kernels do
// (negative counts from the end).
std::int64_t resolve_index(std::int64_t index, std::int64_t dim, const char* what) {
  const std::int64_t i = index < 0 ? index + dim : index;
  if (i < 0 || i >= dim)
    throw ValueError(std::string(what) + ": index " + std::to_string(index) + " is out of bounds for size " +
                     std::to_string(dim));
  return i;
}

}  // namespace

Tensor take_backward(const Tensor& grad_in, const Tensor& indices, const Shape& x_shape, int axis) {
  const int ax = normalize_axis(axis, static_cast<int>(x_shape.size()));
  const auto u = static_cast<std::size_t>(ax);
  Tensor grad = detail::to_float(grad_in);
  const std::vector<std::int64_t> idx = indices.to_vector_i64();
  const std::int64_t dim = x_shape[u];
  std::int64_t outer = 1, inner = 1;
  for (std::size_t i = 0; i < u; ++i) outer *= x_shape[i];
  for (std::size_t i = u + 1; i < x_shape.size(); ++i) inner *= x_shape[i];
  Tensor out(x_shape);
  const float* g = grad.data<float>();
  float* o = out.data<float>();
  const auto count = static_cast<std::int64_t>(idx.size());
  for (std::int64_t b = 0; b < outer; ++b)
    for (std::int64_t j = 0; j < count; ++j) {
      const std::int64_t row = resolve_index(idx[static_cast<std::size_t>(j)], dim, "take");
      const float* src = g + (b * count + j) * inner;
      float* dst = o + (b * dim + row) * inner;
      for (std::int64_t i = 0; i < inner; ++i) dst[i] += src[i];
    }
  return out;
}

Tensor take_along_axis_backward(const Tensor& grad_in, const Tensor& indices, const Shape& x_shape, int axis) {
  const int ax = normalize_axis(axis, static_cast<int>(x_shape.size()));
  const auto u = static_cast<std::size_t>(ax);
  Tensor grad = detail::to_float(grad_in);
  // The forward broadcasts every axis but `axis`; the gradient is computed for
  // the broadcast input, then summed back to x's shape.
  Shape target = grad.shape();
  target[u] = x_shape[u];
  Tensor ib = broadcast_to(indices, grad.shape());
  const std::vector<std::int64_t> idx = ib.to_vector_i64();
  std::int64_t outer = 1, inner = 1;
  for (std::size_t i = 0; i < u; ++i) outer *= target[i];
  for (std::size_t i = u + 1; i < target.size(); ++i) inner *= target[i];
  const std::int64_t n_in = target[u], n_out = grad.shape()[u];
  Tensor out(target);
  const float* g = grad.data<float>();
  float* o = out.data<float>();
  for (std::int64_t b = 0; b < outer; ++b)
    for (std::int64_t j = 0; j < n_out; ++j)
      for (std::int64_t i = 0; i < inner; ++i) {
        const std::int64_t at = (b * n_out + j) * inner + i;
        const std::int64_t row = resolve_index(idx[static_cast<std::size_t>(at)], n_in, "take_along_axis");
        o[(b * n_in + row) * inner + i] += g[at];
      }
  if (target == x_shape) return out;
  std::vector<int> axes;
  for (std::size_t i = 0; i < x_shape.size(); ++i)
    if (x_shape[i] == 1 && target[i] != 1) axes.push_back(static_cast<int>(i));
  return sum(out, axes, true).reshape(x_shape);
}

Tensor strided_slice_backward(const Tensor& grad_in, const std::vector<SliceSpec>& specs, const Shape& x_shape) {
  Tensor grad = detail::to_float(grad_in);
  const StridedView view = strided_view(x_shape, specs);
  Tensor out(x_shape);
  if (shape_size(view.shape) == 0) return out;
  if (grad.shape() != view.shape)
    throw ShapeMismatchError("strided_slice backward: gradient shape " + shape_to_string(grad.shape()) +
                             " does not match the slice " + shape_to_string(view.shape));
  detail::copy_strided(grad.raw_data(), 0, detail::contiguous_strides(view.shape), out.raw_data(), view.offset,
                       view.strides, view.shape, sizeof(float));
  return out;
}

Tensor tile_backward(const Tensor& grad_in, const std::vector<std::int64_t>& reps_in, const Shape& x_shape) {
  Tensor grad = detail::to_float(grad_in);
  const std::size_t rank = grad.shape().size();
  std::vector<std::int64_t> reps(rank - reps_in.size(), 1);
  reps.insert(reps.end(), reps_in.begin(), reps_in.end());
  Shape dims(rank - x_shape.size(), 1);
  dims.insert(dims.end(), x_shape.begin(), x_shape.end());
  Shape view;
  std::vector<int> axes;
  for (std::size_t i = 0; i < rank; ++i) {
    axes.push_back(static_cast<int>(view.size()));
    view.push_back(reps[i]);
    view.push_back(dims[i]);
  }
  return sum(grad.reshape(view), axes, false).reshape(x_shape);
}

Tensor repeat_backward(const Tensor& grad_in, std::int64_t repeats, int axis, const Shape& x_shape) {
  Tensor grad = detail::to_float(grad_in);
  const int ax = normalize_axis(axis, static_cast<int>(x_shape.size()));
  Shape view = x_shape;
  view.insert(view.begin() + ax + 1, repeats);
  return sum(grad.reshape(view), {ax + 1}, false).reshape(x_shape);
}

}  // namespace keras::kernels
