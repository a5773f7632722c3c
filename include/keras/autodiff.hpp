// keras::ad: reverse-mode automatic differentiation over tensors.
//
// A Var is a tensor that may remember how it was computed. Operations on Vars
// (the functions below, mirroring keras.ops) compute their value with the
// float32 kernels and, when an input requires a gradient, record a pullback
// that maps the output's gradient to the inputs' gradients. gradients() walks
// that record backwards. Without any leaf() in sight nothing is recorded, so
// the same code computes plain values (losses and metrics use it both ways).
//
//   auto w = keras::ad::leaf(keras::Tensor::from_vector({2}, {1.0F, 2.0F}));
//   auto y = keras::ad::sum(keras::ad::square(w));            // 5
//   auto g = keras::ad::gradients(y, {w});                    // {[2, 4]}
//
// Layers use it for the backward pass of composite computations (RNN cells,
// attention); custom losses written with it are trainable.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "keras/tensor.hpp"

namespace keras::ad {

namespace detail {
struct Node;
}

class Var {
 public:
  Var() = default;
  Var(Tensor value) : value_(std::move(value)) {}  // NOLINT(google-explicit-constructor): a constant

  const Tensor& value() const { return value_; }
  bool defined() const { return value_.defined(); }
  const Shape& shape() const { return value_.shape(); }
  int rank() const { return value_.rank(); }
  std::int64_t dim(int axis) const { return value_.dim(axis); }
  DType dtype() const { return value_.dtype(); }
  // True for leaves and for values computed from them.
  bool requires_grad() const { return node_ != nullptr; }
  const std::shared_ptr<detail::Node>& node() const { return node_; }

 private:
  friend Var leaf(Tensor value);
  friend class Recorder;
  Tensor value_;
  std::shared_ptr<detail::Node> node_;
};

// A value whose gradient is wanted (a variable, an input).
Var leaf(Tensor value);
// A float32 scalar constant.
Var scalar(float value);

// Maps the gradient of an op's output to the gradients of its inputs.
// needs[i] says whether input i wants one; the pullback may return an
// undefined Tensor for the others (and for inputs without a gradient).
using Pullback = std::function<std::vector<Tensor>(const Tensor& grad, const std::vector<bool>& needs)>;

// Defines a differentiable operation: `value` computed from `inputs`, with
// `pullback` (called only if some input requires a gradient).
class Recorder {
 public:
  static Var record(Tensor value, const std::vector<Var>& inputs, Pullback pullback);
  // Gives `v` the record `node` (used by multi-output operations).
  static Var attach(Var v, std::shared_ptr<detail::Node> node);
};
inline Var record(Tensor value, const std::vector<Var>& inputs, Pullback pullback) {
  return Recorder::record(std::move(value), inputs, std::move(pullback));
}
// Several outputs computed together, with one pullback that receives the
// gradient of each output (undefined for outputs that got none).
using MultiPullback =
    std::function<std::vector<Tensor>(const std::vector<Tensor>& grads, const std::vector<bool>& needs)>;
std::vector<Var> record_multi(std::vector<Tensor> values, const std::vector<Var>& inputs, MultiPullback pullback);

// Reverse-mode gradients of `outputs` (each seeded with its seed; an undefined
// seed means ones) with respect to `wrt`. Entries of `wrt` the outputs do not
// depend on get a zero tensor of their shape.
std::vector<Tensor> gradients(const std::vector<Var>& outputs, const std::vector<Tensor>& seeds,
                              const std::vector<Var>& wrt);
std::vector<Tensor> gradients(const Var& output, const std::vector<Var>& wrt, const Tensor& seed = {});

// Sums `grad` over the axes along which a value of shape `shape` was broadcast
// to grad's shape (the gradient of broadcasting).
Tensor reduce_to_shape(const Tensor& grad, const Shape& shape);

// ------------------------------------------------------------ elementwise
Var neg(const Var& x);
Var exp(const Var& x);
Var log(const Var& x);
Var log1p(const Var& x);
Var expm1(const Var& x);
Var sqrt(const Var& x);
Var rsqrt(const Var& x);
Var square(const Var& x);
Var abs(const Var& x);
Var tanh(const Var& x);
Var sigmoid(const Var& x);
Var relu(const Var& x);
Var softplus(const Var& x);
Var sin(const Var& x);
Var cos(const Var& x);
Var erf(const Var& x);
Var reciprocal(const Var& x);
// Piecewise constant: zero gradient.
Var sign(const Var& x);
Var floor(const Var& x);
Var ceil(const Var& x);
Var round(const Var& x);
// A keras.activations function by its serialized name (see kernels::apply_activation).
Var activation(std::string_view name, const Var& x);

Var add(const Var& a, const Var& b);
Var subtract(const Var& a, const Var& b);
Var multiply(const Var& a, const Var& b);
Var divide(const Var& a, const Var& b);
// keras.ops.divide_no_nan: 0 where b == 0.
Var divide_no_nan(const Var& a, const Var& b);
Var power(const Var& a, const Var& b);
// At ties the gradient goes to `a` (as in JAX's maximum of a and b when a >= b).
Var maximum(const Var& a, const Var& b);
Var minimum(const Var& a, const Var& b);
// cond ? a : b (cond is not differentiated).
Var where(const Tensor& cond, const Var& a, const Var& b);
// numpy.clip; the gradient passes where lo <= x <= hi.
Var clip(const Var& x, float lo, float hi);

// ------------------------------------------------------------- reductions
Var sum(const Var& x, const std::vector<int>& axes = {}, bool keepdims = false);
Var mean(const Var& x, const std::vector<int>& axes = {}, bool keepdims = false);
// The gradient is shared equally among tied extrema.
Var max(const Var& x, const std::vector<int>& axes = {}, bool keepdims = false);
Var min(const Var& x, const std::vector<int>& axes = {}, bool keepdims = false);
Var prod(const Var& x, const std::vector<int>& axes = {}, bool keepdims = false);
Var var(const Var& x, const std::vector<int>& axes = {}, bool keepdims = false);
Var stddev(const Var& x, const std::vector<int>& axes = {}, bool keepdims = false);
Var logsumexp(const Var& x, const std::vector<int>& axes = {}, bool keepdims = false);
Var softmax(const Var& x, const std::vector<int>& axes = {-1});
Var log_softmax(const Var& x, const std::vector<int>& axes = {-1});
// keras.ops.normalize (order 2): x * rsqrt(max(sum(x^2), epsilon^2)).
Var l2_normalize(const Var& x, const std::vector<int>& axes = {-1}, float epsilon = 1e-7F);

// -------------------------------------------------------- shapes and layout
Var reshape(const Var& x, const Shape& shape);
Var transpose(const Var& x, const std::vector<int>& permutation = {});
Var expand_dims(const Var& x, int axis);
Var squeeze(const Var& x, const std::vector<int>& axes = {});
Var broadcast_to(const Var& x, const Shape& shape);
Var concatenate(const std::vector<Var>& xs, int axis);
Var stack(const std::vector<Var>& xs, int axis = 0);
std::vector<Var> split(const Var& x, std::int64_t sections, int axis);
// keras.ops.slice: start and size per axis (size -1: to the end).
Var slice(const Var& x, const std::vector<std::int64_t>& start, const std::vector<std::int64_t>& size);
Var pad(const Var& x, const std::vector<std::pair<std::int64_t, std::int64_t>>& paddings, float value = 0.0F);
Var tile(const Var& x, const std::vector<std::int64_t>& reps);
Var repeat(const Var& x, std::int64_t repeats, int axis);
Var flip(const Var& x, const std::vector<int>& axes = {});
// numpy.take along one axis; indices are not differentiated.
Var take(const Var& x, const Tensor& indices, int axis = 0);
Var take_along_axis(const Var& x, const Tensor& indices, int axis);
// To a floating dtype: gradient passes through (cast back to the input's dtype).
Var cast(const Var& x, DType dtype);

// ----------------------------------------------------------------- linalg
Var matmul(const Var& a, const Var& b);
// x [..., K] . kernel [K, N] (+ bias [N]).
Var dense(const Var& x, const Var& kernel, const Var& bias = {});
Var einsum(std::string_view equation, const Var& a, const Var& b);

// ------------------------------------------------------------- convolutions
// channels_last, Keras kernel layouts; padding "valid", "same" or "causal";
// strides / dilation: one value per spatial dimension or one for all.
Var conv(const Var& x, const Var& kernel, const Var& bias, const std::vector<std::int64_t>& strides,
         const std::string& padding, const std::vector<std::int64_t>& dilation = {});
Var depthwise_conv(const Var& x, const Var& kernel, const Var& bias, const std::vector<std::int64_t>& strides,
                   const std::string& padding, const std::vector<std::int64_t>& dilation = {});
Var conv_transpose(const Var& x, const Var& kernel, const Var& bias, const std::vector<std::int64_t>& strides,
                   const std::string& padding, const std::vector<std::int64_t>& output_padding = {},
                   const std::vector<std::int64_t>& dilation = {});
Var max_pool(const Var& x, const std::vector<std::int64_t>& pool_size, const std::vector<std::int64_t>& strides,
             const std::string& padding);
Var avg_pool(const Var& x, const std::vector<std::int64_t>& pool_size, const std::vector<std::int64_t>& strides,
             const std::string& padding);
Var adaptive_max_pool(const Var& x, const std::vector<std::int64_t>& output_size);
Var adaptive_avg_pool(const Var& x, const std::vector<std::int64_t>& output_size);

// ----------------------------------------------------------- normalization
// The normalizations of the Keras layers (kernels::layer_norm and friends
// are these on constants): gamma / beta / scale may be undefined.
Var batch_norm(const Var& x, const Var& mean, const Var& variance, const Var& gamma, const Var& beta, float epsilon,
               int axis);
Var layer_norm(const Var& x, const std::vector<int>& axes, const Var& gamma, const Var& beta, float epsilon,
               bool rms_scaling = false);
Var rms_norm(const Var& x, const std::vector<int>& axes, const Var& scale, float epsilon);
Var group_norm(const Var& x, std::int64_t groups, const Var& gamma, const Var& beta, float epsilon, int axis);

// ---------------------------------------------------------------- operators
Var operator+(const Var& a, const Var& b);
Var operator-(const Var& a, const Var& b);
Var operator*(const Var& a, const Var& b);
Var operator/(const Var& a, const Var& b);
Var operator-(const Var& x);
Var operator+(const Var& a, float b);
Var operator+(float a, const Var& b);
Var operator-(const Var& a, float b);
Var operator-(float a, const Var& b);
Var operator*(const Var& a, float b);
Var operator*(float a, const Var& b);
Var operator/(const Var& a, float b);
Var operator/(float a, const Var& b);

}  // namespace keras::ad
