// Differentiable normalizations, step for step in Keras' order (they also
// serve as the inference kernels of ops/normalization.hpp).
#include <string>

#include "keras/autodiff.hpp"
#include "ops/common.hpp"

namespace keras::ad {

namespace {

// A parameter vector reshaped to broadcast along `axes` of a tensor of `shape`.
Var param_for_axes(const Var& p, const Shape& shape, const std::vector<int>& axes, const char* what, const char* name) {
  Shape target(shape.size(), 1);
  for (int a : axes) target[static_cast<std::size_t>(a)] = shape[static_cast<std::size_t>(a)];
  if (p.value().size() != shape_size(target))
    throw ShapeMismatchError(std::string(what) + ": " + name + " shape " + shape_to_string(p.shape()) +
                             " does not match the normalized axes of " + shape_to_string(shape));
  return reshape(cast(p, DType::float32), target);
}

// x * inv + res, with inv = rsqrt(var + eps) * gamma and res = beta - mean * inv (Keras' order).
Var scale_shift(const Var& x, const Var& mean_v, const Var& var_v, const Var& gamma, const Var& beta, float epsilon) {
  Var inv = rsqrt(var_v + epsilon);
  if (gamma.defined()) inv = inv * gamma;
  Var res = neg(mean_v * inv);
  if (beta.defined()) res = res + beta;
  return x * inv + res;
}

}  // namespace

Var batch_norm(const Var& x_in, const Var& mean_in, const Var& variance_in, const Var& gamma, const Var& beta,
               float epsilon, int axis) {
  Var x = cast(x_in, DType::float32);
  const std::vector<int> axes{normalize_axis(axis, x.rank())};
  const char* what = "batch_norm";
  Var m = param_for_axes(mean_in, x.shape(), axes, what, "mean");
  Var v = param_for_axes(variance_in, x.shape(), axes, what, "variance");
  Var g = gamma.defined() ? param_for_axes(gamma, x.shape(), axes, what, "gamma") : Var();
  Var b = beta.defined() ? param_for_axes(beta, x.shape(), axes, what, "beta") : Var();
  return scale_shift(x, m, v, g, b, epsilon);
}

Var layer_norm(const Var& x_in, const std::vector<int>& axes_in, const Var& gamma, const Var& beta, float epsilon,
               bool rms_scaling) {
  Var x = cast(x_in, DType::float32);
  const std::vector<int> axes =
      kernels::detail::normalize_axes(axes_in.empty() ? std::vector<int>{-1} : axes_in, x.rank(), "layer_norm");
  Var g = gamma.defined() ? param_for_axes(gamma, x.shape(), axes, "layer_norm", "gamma") : Var();
  Var b = beta.defined() ? param_for_axes(beta, x.shape(), axes, "layer_norm", "beta") : Var();
  if (rms_scaling) {
    Var out = x * rsqrt(var(x, axes, true) + epsilon);
    return g.defined() ? out * g : out;
  }
  return scale_shift(x, mean(x, axes, true), var(x, axes, true), g, b, epsilon);
}

Var rms_norm(const Var& x_in, const std::vector<int>& axes_in, const Var& scale, float epsilon) {
  Var x = cast(x_in, DType::float32);
  if (x.rank() == 0) x = reshape(x, {1});
  const std::vector<int> axes =
      kernels::detail::normalize_axes(axes_in.empty() ? std::vector<int>{-1} : axes_in, x.rank(), "rms_norm");
  Var out = x * rsqrt(mean(square(x), axes, true) + epsilon);
  if (!scale.defined()) return out;
  return out * param_for_axes(scale, x.shape(), axes, "rms_norm", "scale");
}

Var group_norm(const Var& x_in, std::int64_t groups, const Var& gamma, const Var& beta, float epsilon, int axis) {
  Var x = cast(x_in, DType::float32);
  if (x.rank() < 2) throw ShapeMismatchError("group_norm: input needs a batch axis and a channel axis");
  const int ax = normalize_axis(axis, x.rank());
  if (ax == 0) throw ValueError("group_norm: the channel axis cannot be the batch axis");
  const std::int64_t channels = x.dim(ax);
  if (groups <= 0 || channels % groups != 0)
    throw ValueError("group_norm: " + std::to_string(channels) + " channels cannot be split into " +
                     std::to_string(groups) + " groups");
  // [..., C, ...] -> [..., G, C/G, ...]; statistics over every non-batch axis but G.
  Shape grouped = x.shape();
  grouped[static_cast<std::size_t>(ax)] = channels / groups;
  grouped.insert(grouped.begin() + ax, groups);
  Var xg = reshape(x, grouped);
  std::vector<int> reduce_axes;
  for (int i = 1; i < static_cast<int>(grouped.size()); ++i)
    if (i != ax) reduce_axes.push_back(i);
  const std::vector<int> param_axes{ax, ax + 1};
  Var g = gamma.defined() ? param_for_axes(gamma, grouped, param_axes, "group_norm", "gamma") : Var();
  Var b = beta.defined() ? param_for_axes(beta, grouped, param_axes, "group_norm", "beta") : Var();
  return reshape(scale_shift(xg, mean(xg, reduce_axes, true), var(xg, reduce_axes, true), g, b, epsilon), x.shape());
}

}  // namespace keras::ad
