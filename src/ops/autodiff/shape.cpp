// Differentiable layout, indexing and casting operations.
#include <numeric>

#include "keras/autodiff.hpp"
#include "ops/common.hpp"
#include "ops/shape_grad.hpp"
#include "ops/shape_ops.hpp"

namespace keras::ad {

namespace k = keras::kernels;

namespace {

Tensor f32(const Tensor& t) { return t.dtype() == DType::float32 ? t : t.astype(DType::float32); }

// An op whose gradient is grad reshaped back to the input's shape.
Var reshaping(const Var& x, Tensor y) {
  Shape shape = x.shape();
  return record(std::move(y), {x}, [shape](const Tensor& g, const std::vector<bool>&) {
    return std::vector<Tensor>{f32(g).reshape(shape)};
  });
}

}  // namespace

Var reshape(const Var& x, const Shape& shape) { return reshaping(x, k::reshape(x.value(), shape)); }
Var expand_dims(const Var& x, int axis) { return reshaping(x, k::expand_dims(x.value(), axis)); }
Var squeeze(const Var& x, const std::vector<int>& axes) { return reshaping(x, k::squeeze(x.value(), axes)); }

Var transpose(const Var& x, const std::vector<int>& permutation) {
  std::vector<int> perm = permutation;
  if (perm.empty()) {
    perm.resize(static_cast<std::size_t>(x.rank()));
    std::iota(perm.rbegin(), perm.rend(), 0);
  }
  std::vector<int> inverse(perm.size());
  for (std::size_t i = 0; i < perm.size(); ++i)
    inverse[static_cast<std::size_t>(normalize_axis(perm[i], x.rank()))] = static_cast<int>(i);
  return record(k::transpose(x.value(), perm), {x}, [inverse](const Tensor& g, const std::vector<bool>&) {
    return std::vector<Tensor>{k::transpose(g, inverse)};
  });
}

Var broadcast_to(const Var& x, const Shape& shape) {
  Shape in = x.shape();
  return record(k::broadcast_to(x.value(), shape), {x}, [in](const Tensor& g, const std::vector<bool>&) {
    return std::vector<Tensor>{reduce_to_shape(g, in)};
  });
}

Var concatenate(const std::vector<Var>& xs, int axis) {
  std::vector<Tensor> values;
  std::vector<std::int64_t> split_points;
  std::int64_t running = 0;
  for (const auto& x : xs) values.push_back(x.value());
  Tensor y = k::concatenate(values, axis);
  const int ax = normalize_axis(axis, y.rank());
  for (std::size_t i = 0; i + 1 < xs.size(); ++i) {
    running += xs[i].dim(ax);
    split_points.push_back(running);
  }
  return record(y, xs, [split_points, ax](const Tensor& g, const std::vector<bool>&) {
    return k::split_at(g, split_points, ax);
  });
}

Var stack(const std::vector<Var>& xs, int axis) {
  std::vector<Var> expanded;
  expanded.reserve(xs.size());
  const int ax = axis < 0 ? axis + (xs.empty() ? 0 : xs[0].rank()) + 1 : axis;
  for (const auto& x : xs) expanded.push_back(expand_dims(x, ax));
  return concatenate(expanded, ax);
}

std::vector<Var> split(const Var& x, std::int64_t sections, int axis) {
  std::vector<Tensor> parts = k::split(x.value(), sections, axis);
  const int ax = normalize_axis(axis, x.rank());
  std::vector<Shape> shapes;
  for (const auto& p : parts) shapes.push_back(p.shape());
  return record_multi(std::move(parts), {x}, [shapes, ax](const std::vector<Tensor>& grads, const std::vector<bool>&) {
    std::vector<Tensor> full;
    for (std::size_t i = 0; i < shapes.size(); ++i)
      full.push_back(i < grads.size() && grads[i].defined() ? f32(grads[i]) : Tensor::zeros(shapes[i]));
    return std::vector<Tensor>{k::concatenate(full, ax)};
  });
}

Var slice(const Var& x, const std::vector<std::int64_t>& start, const std::vector<std::int64_t>& size) {
  Tensor y = k::slice(x.value(), start, size);
  std::vector<k::SliceSpec> specs;
  for (std::size_t i = 0; i < start.size(); ++i) specs.push_back(k::SliceSpec{start[i], start[i] + y.shape()[i], 1});
  Shape shape = x.shape();
  return record(y, {x}, [specs, shape](const Tensor& g, const std::vector<bool>&) {
    return std::vector<Tensor>{k::strided_slice_backward(g, specs, shape)};
  });
}

Var pad(const Var& x, const std::vector<std::pair<std::int64_t, std::int64_t>>& paddings, float value) {
  Shape shape = x.shape();
  return record(k::pad(x.value(), paddings, value), {x}, [paddings, shape](const Tensor& g, const std::vector<bool>&) {
    std::vector<std::int64_t> start;
    for (const auto& p : paddings) start.push_back(p.first);
    Shape size = shape;
    return std::vector<Tensor>{k::slice(g, start, size)};
  });
}

Var tile(const Var& x, const std::vector<std::int64_t>& reps) {
  Shape shape = x.shape();
  return record(k::tile(x.value(), reps), {x}, [reps, shape](const Tensor& g, const std::vector<bool>&) {
    return std::vector<Tensor>{k::tile_backward(g, reps, shape)};
  });
}

Var repeat(const Var& x, std::int64_t repeats, int axis) {
  Shape shape = x.shape();
  return record(k::repeat(x.value(), repeats, axis), {x},
                [repeats, axis, shape](const Tensor& g, const std::vector<bool>&) {
                  return std::vector<Tensor>{k::repeat_backward(g, repeats, axis, shape)};
                });
}

Var flip(const Var& x, const std::vector<int>& axes) {
  return record(k::flip(x.value(), axes), {x},
                [axes](const Tensor& g, const std::vector<bool>&) { return std::vector<Tensor>{k::flip(g, axes)}; });
}

Var take(const Var& x, const Tensor& indices, int axis) {
  Shape shape = x.shape();
  return record(k::take(x.value(), indices, axis), {x},
                [indices, axis, shape](const Tensor& g, const std::vector<bool>&) {
                  return std::vector<Tensor>{k::take_backward(g, indices, shape, axis)};
                });
}

Var take_along_axis(const Var& x, const Tensor& indices, int axis) {
  Shape shape = x.shape();
  return record(k::take_along_axis(x.value(), indices, axis), {x},
                [indices, axis, shape](const Tensor& g, const std::vector<bool>&) {
                  return std::vector<Tensor>{k::take_along_axis_backward(g, indices, shape, axis)};
                });
}

Var cast(const Var& x, DType dtype) {
  if (x.dtype() == dtype) return x;
  Tensor y = k::cast(x.value(), dtype);
  if (!is_floating(dtype) || !is_floating(x.dtype())) return Var(y);  // integer values carry no gradient
  return record(y, {x}, [](const Tensor& g, const std::vector<bool>&) { return std::vector<Tensor>{f32(g)}; });
}

}  // namespace keras::ad
