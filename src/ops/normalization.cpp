#include "ops/normalization.hpp"

#include <cmath>
#include <string>

#include "ops/common.hpp"
#include "ops/elementwise.hpp"
#include "ops/reduce.hpp"
#include "ops/shape_ops.hpp"

namespace keras::kernels {

namespace {

// Reshapes a parameter vector so that it broadcasts along the given axes of a rank-`rank` tensor of shape `shape`.
Tensor param_for_axes(const Tensor& p, const Shape& shape, const std::vector<int>& axes, const char* what,
                      const char* name) {
  Shape target(shape.size(), 1);
  for (int a : axes) target[static_cast<std::size_t>(a)] = shape[static_cast<std::size_t>(a)];
  Tensor value = detail::to_float(p);
  if (value.size() != shape_size(target))
    throw ShapeMismatchError(std::string(what) + ": " + name + " shape " + shape_to_string(value.shape()) +
                             " does not match the normalized axes of " + shape_to_string(shape));
  return value.reshape(target);
}

// Mean and (two-pass) variance over axes, keepdims.
void moments(const Tensor& x, const std::vector<int>& axes, Tensor* mean_out, Tensor* var_out) {
  *mean_out = mean(x, axes, true);
  *var_out = var(x, axes, true);
}

// x * inv + res, with inv = rsqrt(var + eps) * gamma and res = beta - mean * inv (Keras' order).
Tensor scale_shift(const Tensor& x, const Tensor& mean_t, const Tensor& var_t, const Tensor& gamma, const Tensor& beta,
                   float epsilon) {
  Tensor inv = rsqrt(add(var_t, epsilon));
  if (gamma.defined()) inv = multiply(inv, gamma);
  Tensor res = neg(multiply(mean_t, inv));
  if (beta.defined()) res = add(res, beta);
  return add(multiply(x, inv), res);
}

}  // namespace

Tensor batch_norm_inference(const Tensor& x_in, const Tensor& mean_in, const Tensor& variance_in, const Tensor& gamma,
                            const Tensor& beta, float epsilon, int axis) {
  Tensor x = detail::to_float(x_in);
  const int ax = normalize_axis(axis, x.rank());
  const std::vector<int> axes{ax};
  const char* what = "batch_norm_inference";
  Tensor m = param_for_axes(mean_in, x.shape(), axes, what, "mean");
  Tensor v = param_for_axes(variance_in, x.shape(), axes, what, "variance");
  Tensor g = gamma.defined() ? param_for_axes(gamma, x.shape(), axes, what, "gamma") : Tensor();
  Tensor b = beta.defined() ? param_for_axes(beta, x.shape(), axes, what, "beta") : Tensor();
  return scale_shift(x, m, v, g, b, epsilon);
}

Tensor layer_norm(const Tensor& x_in, const std::vector<int>& axes_in, const Tensor& gamma, const Tensor& beta,
                  float epsilon, bool rms_scaling) {
  Tensor x = detail::to_float(x_in);
  const std::vector<int> axes =
      detail::normalize_axes(axes_in.empty() ? std::vector<int>{-1} : axes_in, x.rank(), "layer_norm");
  const char* what = "layer_norm";
  Tensor g = gamma.defined() ? param_for_axes(gamma, x.shape(), axes, what, "gamma") : Tensor();
  Tensor b = beta.defined() ? param_for_axes(beta, x.shape(), axes, what, "beta") : Tensor();
  if (rms_scaling) {
    Tensor out = multiply(x, rsqrt(add(var(x, axes, true), epsilon)));
    return g.defined() ? multiply(out, g) : out;
  }
  Tensor m, v;
  moments(x, axes, &m, &v);
  return scale_shift(x, m, v, g, b, epsilon);
}

Tensor rms_norm(const Tensor& x_in, const std::vector<int>& axes_in, const Tensor& scale, float epsilon) {
  Tensor x = detail::to_float(x_in);
  if (x.rank() == 0) x = x.reshape({1});
  const std::vector<int> axes =
      detail::normalize_axes(axes_in.empty() ? std::vector<int>{-1} : axes_in, x.rank(), "rms_norm");
  Tensor out = multiply(x, rsqrt(add(mean(square(x), axes, true), epsilon)));
  if (!scale.defined()) return out;
  return multiply(out, param_for_axes(scale, x.shape(), axes, "rms_norm", "scale"));
}

Tensor group_norm(const Tensor& x_in, std::int64_t groups, const Tensor& gamma, const Tensor& beta, float epsilon,
                  int axis) {
  Tensor x = detail::to_float(x_in);
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
  Tensor xg = x.reshape(grouped);
  std::vector<int> reduce_axes;
  for (int i = 1; i < static_cast<int>(grouped.size()); ++i)
    if (i != ax) reduce_axes.push_back(i);
  Tensor m, v;
  moments(xg, reduce_axes, &m, &v);
  const std::vector<int> param_axes{ax, ax + 1};
  Tensor g = gamma.defined() ? param_for_axes(gamma, grouped, param_axes, "group_norm", "gamma") : Tensor();
  Tensor b = beta.defined() ? param_for_axes(beta, grouped, param_axes, "group_norm", "beta") : Tensor();
  return scale_shift(xg, m, v, g, b, epsilon).reshape(x.shape());
}

}  // namespace keras::kernels
