// Differentiable reductions and softmax.
#include "ops/reduce.hpp"
#include "keras/autodiff.hpp"
#include "ops/activations_grad.hpp"
#include "ops/common.hpp"
#include "ops/elementwise.hpp"
#include "ops/shape_ops.hpp"

namespace keras::ad {

namespace k = keras::kernels;

namespace {

// The shape of the reduction's result with keepdims, so that it broadcasts
// against the input.
Shape kept_shape(const Shape& shape, const std::vector<int>& axes_in) {
  const auto axes = k::detail::normalize_axes(axes_in, static_cast<int>(shape.size()), "reduction");
  Shape out = shape;
  if (axes.empty()) {
    for (auto& d : out) d = 1;
  } else {
    for (int a : axes) out[static_cast<std::size_t>(a)] = 1;
  }
  return out;
}

std::int64_t reduced_count(const Shape& shape, const std::vector<int>& axes) {
  return shape_size(shape) / std::max<std::int64_t>(shape_size(kept_shape(shape, axes)), 1);
}

}  // namespace

Var sum(const Var& x, const std::vector<int>& axes, bool keepdims) {
  Shape kept = kept_shape(x.shape(), axes);
  Shape shape = x.shape();
  return record(k::sum(x.value(), axes, keepdims), {x}, [kept, shape](const Tensor& g, const std::vector<bool>&) {
    return std::vector<Tensor>{k::broadcast_to(g.reshape(kept), shape)};
  });
}

Var mean(const Var& x, const std::vector<int>& axes, bool keepdims) {
  Shape kept = kept_shape(x.shape(), axes);
  Shape shape = x.shape();
  const auto n = static_cast<float>(reduced_count(shape, axes));
  return record(k::mean(x.value(), axes, keepdims), {x}, [kept, shape, n](const Tensor& g, const std::vector<bool>&) {
    return std::vector<Tensor>{k::broadcast_to(k::multiply(g.reshape(kept), 1.0F / n), shape)};
  });
}

namespace {

Var extremum(const Var& x, const std::vector<int>& axes, bool keepdims, bool is_max) {
  Tensor xv = x.value();
  Tensor y = is_max ? k::max(xv, axes, keepdims) : k::min(xv, axes, keepdims);
  Shape kept = kept_shape(x.shape(), axes);
  return record(y, {x}, [xv, y, kept, axes](const Tensor& g, const std::vector<bool>&) {
    Tensor hit = k::cast(k::equal(xv, y.reshape(kept)), DType::float32);
    Tensor count = k::sum(hit, axes, true);
    return std::vector<Tensor>{k::multiply(hit, k::divide(g.reshape(kept), count))};
  });
}

}  // namespace

Var max(const Var& x, const std::vector<int>& axes, bool keepdims) { return extremum(x, axes, keepdims, true); }
Var min(const Var& x, const std::vector<int>& axes, bool keepdims) { return extremum(x, axes, keepdims, false); }

Var prod(const Var& x, const std::vector<int>& axes, bool keepdims) {
  Tensor xv = k::detail::to_float(x.value());
  Tensor y = k::prod(xv, axes, keepdims);
  Shape kept = kept_shape(x.shape(), axes);
  return record(y, {x}, [xv, y, kept, axes](const Tensor& g, const std::vector<bool>&) {
    // d prod / d x_i = product of the others: y / x_i, or for a zero x_i the
    // product of the nonzero others when it is the only zero.
    const Tensor zero = Tensor::scalar(0.0F);
    Tensor is_zero = k::equal(xv, zero);
    Tensor nonzero_prod = k::prod(k::where(is_zero, Tensor::scalar(1.0F), xv), axes, true);
    Tensor zeros = k::sum(k::cast(is_zero, DType::float32), axes, true);
    Tensor at_zero = k::where(k::equal(zeros, Tensor::scalar(1.0F)), nonzero_prod, zero);
    Tensor safe_x = k::where(is_zero, Tensor::scalar(1.0F), xv);
    Tensor others = k::where(is_zero, at_zero, k::divide(y.reshape(kept), safe_x));
    return std::vector<Tensor>{k::multiply(others, g.reshape(kept))};
  });
}

Var var(const Var& x, const std::vector<int>& axes, bool keepdims) {
  Tensor xv = k::detail::to_float(x.value());
  Shape kept = kept_shape(x.shape(), axes);
  const auto n = static_cast<float>(reduced_count(x.shape(), axes));
  return record(k::var(xv, axes, keepdims), {x}, [xv, kept, axes, n](const Tensor& g, const std::vector<bool>&) {
    Tensor centred = k::subtract(xv, k::mean(xv, axes, true));
    return std::vector<Tensor>{k::multiply(k::multiply(centred, 2.0F / n), g.reshape(kept))};
  });
}

Var stddev(const Var& x, const std::vector<int>& axes, bool keepdims) {
  Tensor xv = k::detail::to_float(x.value());
  Tensor y = k::stddev(xv, axes, keepdims);
  Shape kept = kept_shape(x.shape(), axes);
  const auto n = static_cast<float>(reduced_count(x.shape(), axes));
  return record(y, {x}, [xv, y, kept, axes, n](const Tensor& g, const std::vector<bool>&) {
    Tensor centred = k::subtract(xv, k::mean(xv, axes, true));
    Tensor scale = k::divide(g.reshape(kept), k::multiply(y.reshape(kept), n));
    return std::vector<Tensor>{k::multiply(centred, scale)};
  });
}

Var logsumexp(const Var& x, const std::vector<int>& axes, bool keepdims) {
  Tensor xv = x.value();
  Tensor y = k::logsumexp(xv, axes, keepdims);
  Shape kept = kept_shape(x.shape(), axes);
  return record(y, {x}, [xv, y, kept](const Tensor& g, const std::vector<bool>&) {
    Tensor weights = k::exp(k::subtract(xv, y.reshape(kept)));
    return std::vector<Tensor>{k::multiply(weights, g.reshape(kept))};
  });
}

Var softmax(const Var& x, const std::vector<int>& axes) {
  Tensor y = axes.size() == 1 ? k::softmax(x.value(), axes[0]) : k::softmax(x.value(), axes);
  return record(y, {x}, [y, axes](const Tensor& g, const std::vector<bool>&) {
    return std::vector<Tensor>{k::softmax_backward(y, g, axes)};
  });
}

Var log_softmax(const Var& x, const std::vector<int>& axes) {
  Tensor y = axes.size() == 1 ? k::log_softmax(x.value(), axes[0]) : k::log_softmax(x.value(), axes);
  return record(y, {x}, [y, axes](const Tensor& g, const std::vector<bool>&) {
    return std::vector<Tensor>{k::log_softmax_backward(y, g, axes)};
  });
}

Var l2_normalize(const Var& x_in, const std::vector<int>& axes, float epsilon) {
  Var x = x_in.rank() == 0 ? reshape(x_in, {1}) : x_in;
  Var inv_norm = rsqrt(maximum(sum(square(x), axes, true), scalar(epsilon * epsilon)));
  return x * inv_norm;
}

}  // namespace keras::ad
