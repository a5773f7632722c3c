// Normalization math of the Keras normalization layers (inference). float32;
// gamma / beta are optional (undefined = absent).
#pragma once

#include <cstdint>
#include <vector>

#include "keras/tensor.hpp"

namespace keras::kernels {

// BatchNormalization at inference: (x - mean) * rsqrt(var + eps) * gamma + beta,
// with mean/var/gamma/beta of shape [x.dim(axis)] broadcast along `axis`
// (evaluated as Keras does: x * inv + (beta - mean * inv)).
Tensor batch_norm_inference(const Tensor& x, const Tensor& mean, const Tensor& variance, const Tensor& gamma,
                            const Tensor& beta, float epsilon, int axis = -1);

// LayerNormalization over `axes`; gamma/beta have the shape of those axes
// (or any shape with as many elements). rms_scaling = Keras' deprecated flag:
// x * rsqrt(var + eps) * gamma, no centring and no beta.
Tensor layer_norm(const Tensor& x, const std::vector<int>& axes, const Tensor& gamma, const Tensor& beta, float epsilon,
                  bool rms_scaling = false);

// RMSNormalization (keras.ops.rms_normalization): x * rsqrt(mean(x^2) + eps) * scale.
Tensor rms_norm(const Tensor& x, const std::vector<int>& axes, const Tensor& scale, float epsilon);

// GroupNormalization: channels along `axis` split into `groups`; statistics per
// (batch, group) over every other non-batch axis; gamma/beta [channels].
Tensor group_norm(const Tensor& x, std::int64_t groups, const Tensor& gamma, const Tensor& beta, float epsilon,
                  int axis = -1);

}  // namespace keras::kernels
