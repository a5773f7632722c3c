// Reductions over a set of axes (empty list = every axis), softmax and friends.
// Inputs of any dtype are converted to float32; sums accumulate in double.
#pragma once

#include <vector>

#include "keras/tensor.hpp"

namespace keras::kernels {

Tensor sum(const Tensor& x, const std::vector<int>& axes = {}, bool keepdims = false);
Tensor mean(const Tensor& x, const std::vector<int>& axes = {}, bool keepdims = false);
Tensor max(const Tensor& x, const std::vector<int>& axes = {}, bool keepdims = false);  // NaN propagates
Tensor min(const Tensor& x, const std::vector<int>& axes = {}, bool keepdims = false);
Tensor prod(const Tensor& x, const std::vector<int>& axes = {}, bool keepdims = false);
// Population variance / standard deviation (ddof = 0, like numpy and Keras).
Tensor var(const Tensor& x, const std::vector<int>& axes = {}, bool keepdims = false);
Tensor stddev(const Tensor& x, const std::vector<int>& axes = {}, bool keepdims = false);
// bool results; nonzero = true.
Tensor any(const Tensor& x, const std::vector<int>& axes = {}, bool keepdims = false);
Tensor all(const Tensor& x, const std::vector<int>& axes = {}, bool keepdims = false);
// Index of the first maximum / minimum along one axis, int32 like Keras (NaN counts as the maximum and minimum).
Tensor argmax(const Tensor& x, int axis = -1, bool keepdims = false);
Tensor argmin(const Tensor& x, int axis = -1, bool keepdims = false);
// log(sum(exp(x))) computed stably.
Tensor logsumexp(const Tensor& x, const std::vector<int>& axes = {}, bool keepdims = false);

// exp(x - max) / sum(exp(x - max)) along one axis or jointly along several.
Tensor softmax(const Tensor& x, int axis = -1);
Tensor softmax(const Tensor& x, const std::vector<int>& axes);
// x - max - log(sum(exp(x - max))).
Tensor log_softmax(const Tensor& x, int axis = -1);
Tensor log_softmax(const Tensor& x, const std::vector<int>& axes);

// keras.ops.normalize(order=2): x * rsqrt(max(sum(x^2), epsilon^2)) over the axes
// (UnitNormalization passes epsilon = 1e-12).
Tensor l2_normalize(const Tensor& x, const std::vector<int>& axes = {-1}, float epsilon = 1e-7F);

}  // namespace keras::kernels
