// The normalization kernels are the differentiable normalizations of
// keras::ad evaluated on constants: one definition, in Keras' order.
#include "ops/normalization.hpp"

#include "keras/autodiff.hpp"

namespace keras::kernels {

namespace {
ad::Var optional(const Tensor& t) { return t.defined() ? ad::Var(t) : ad::Var(); }
}  // namespace

Tensor batch_norm_inference(const Tensor& x, const Tensor& mean, const Tensor& variance, const Tensor& gamma,
                            const Tensor& beta, float epsilon, int axis) {
  return ad::batch_norm(ad::Var(x), ad::Var(mean), ad::Var(variance), optional(gamma), optional(beta), epsilon, axis)
      .value();
}

Tensor layer_norm(const Tensor& x, const std::vector<int>& axes, const Tensor& gamma, const Tensor& beta, float epsilon,
                  bool rms_scaling) {
  return ad::layer_norm(ad::Var(x), axes, optional(gamma), optional(beta), epsilon, rms_scaling).value();
}

Tensor rms_norm(const Tensor& x, const std::vector<int>& axes, const Tensor& scale, float epsilon) {
  return ad::rms_norm(ad::Var(x), axes, optional(scale), epsilon).value();
}

Tensor group_norm(const Tensor& x, std::int64_t groups, const Tensor& gamma, const Tensor& beta, float epsilon,
                  int axis) {
  return ad::group_norm(ad::Var(x), groups, optional(gamma), optional(beta), epsilon, axis).value();
}

}  // namespace keras::kernels
