// The keras.losses functions (keras/src/losses/losses.py with the numpy
// backend's crossentropies), step for step in float32, on differentiable
// values.
#include <cmath>

#include "keras/losses.hpp"
#include "ops/elementwise.hpp"
#include "ops/reduce.hpp"
#include "ops/shape_ops.hpp"

namespace keras::losses {

namespace {

using ad::Var;
namespace k = keras::kernels;

constexpr float kEpsilon = 1e-7F;  // keras.backend.epsilon()

Var f32(const Var& x) { return ad::cast(x, DType::float32); }

// Python's `tensor * (1.0 - s)`: the factor is computed in double, then used as float32.
float as_f32(double v) { return static_cast<float>(v); }

// The y_true of Keras' label smoothing for `num_classes` classes.
Var smooth_labels(const Var& y_true, double label_smoothing, std::int64_t num_classes) {
  const float keep = as_f32(1.0 - label_smoothing);
  const float spread = as_f32(label_smoothing) / static_cast<float>(num_classes);
  return y_true * keep + spread;
}

Var smooth_binary_labels(const Var& y_true, double label_smoothing) {
  return y_true * as_f32(1.0 - label_smoothing) + as_f32(0.5 * label_smoothing);
}

// backend.numpy.nn.binary_crossentropy: elementwise.
Var elementwise_bce(const Var& target, const Var& output_in, bool from_logits) {
  if (target.shape() != output_in.shape())
    throw ValueError("Arguments `target` and `output` must have the same shape. Received: target.shape=" +
                     shape_to_string(target.shape()) + ", output.shape=" + shape_to_string(output_in.shape()));
  Var output = from_logits ? ad::sigmoid(output_in) : output_in;
  output = ad::clip(output, kEpsilon, 1.0F - kEpsilon);
  Var bce = target * ad::log(output);
  bce = bce + (1.0F - target) * ad::log(1.0F - output);
  return -bce;
}

// The log-probabilities of backend.numpy.nn.(sparse_)categorical_crossentropy.
Var log_probabilities(const Var& output, bool from_logits, int axis) {
  if (from_logits) return ad::log_softmax(output, {axis});
  Var normalized = output / ad::sum(output, {axis}, true);
  return ad::log(ad::clip(normalized, kEpsilon, 1.0F - kEpsilon));
}

Var hinge_labels(const Var& y_true) {
  // convert_binary_labels_to_hinge: {0, 1} labels become {-1, 1}.
  const std::vector<float> values = y_true.value().to_vector();
  bool binary = true;
  for (float v : values) binary = binary && (v == 0.0F || v == 1.0F);
  return binary ? 2.0F * y_true - 1.0F : y_true;
}

int axis_of(int axis, const Var& x) { return normalize_axis(axis, x.rank()); }

}  // namespace

std::pair<Var, Var> squeeze_or_expand_to_same_rank(const Var& x1_in, const Var& x2_in, bool expand_rank_1) {
  Var x1 = x1_in;
  Var x2 = x2_in;
  const int r1 = x1.rank();
  const int r2 = x2.rank();
  if (r1 == r2) return {x1, x2};
  if (r1 == r2 + 1 && x1.dim(-1) == 1) {
    if (r2 == 1 && expand_rank_1)
      x2 = ad::expand_dims(x2, -1);
    else
      x1 = ad::squeeze(x1, {-1});
  }
  if (r2 == r1 + 1 && x2.dim(-1) == 1) {
    if (r1 == 1 && expand_rank_1)
      x1 = ad::expand_dims(x1, -1);
    else
      x2 = ad::squeeze(x2, {-1});
  }
  return {x1, x2};
}

Var mean_squared_error(const Var& y_true_in, const Var& y_pred_in) {
  auto [y_true, y_pred] = squeeze_or_expand_to_same_rank(f32(y_true_in), f32(y_pred_in));
  return ad::mean(ad::square(y_true - y_pred), {-1});
}

Var mean_absolute_error(const Var& y_true_in, const Var& y_pred_in) {
  auto [y_true, y_pred] = squeeze_or_expand_to_same_rank(f32(y_true_in), f32(y_pred_in));
  return ad::mean(ad::abs(y_true - y_pred), {-1});
}

Var mean_absolute_percentage_error(const Var& y_true_in, const Var& y_pred_in) {
  auto [y_true, y_pred] = squeeze_or_expand_to_same_rank(f32(y_true_in), f32(y_pred_in));
  Var diff = ad::abs((y_true - y_pred) / ad::maximum(ad::abs(y_true), ad::scalar(kEpsilon)));
  return 100.0F * ad::mean(diff, {-1});
}

Var mean_squared_logarithmic_error(const Var& y_true_in, const Var& y_pred_in) {
  auto [y_true, y_pred] = squeeze_or_expand_to_same_rank(f32(y_true_in), f32(y_pred_in));
  Var first_log = ad::log(ad::maximum(y_pred, ad::scalar(kEpsilon)) + 1.0F);
  Var second_log = ad::log(ad::maximum(y_true, ad::scalar(kEpsilon)) + 1.0F);
  return ad::mean(ad::square(first_log - second_log), {-1});
}

Var cosine_similarity(const Var& y_true_in, const Var& y_pred_in, int axis) {
  auto [y_true, y_pred] = squeeze_or_expand_to_same_rank(f32(y_true_in), f32(y_pred_in));
  Var p = ad::l2_normalize(y_pred, {axis}, kEpsilon);
  Var t = ad::l2_normalize(y_true, {axis}, kEpsilon);
  return -ad::sum(t * p, {axis});
}

Var huber(const Var& y_true_in, const Var& y_pred_in, double delta_in) {
  auto [y_true, y_pred] = squeeze_or_expand_to_same_rank(f32(y_true_in), f32(y_pred_in));
  const float delta = as_f32(delta_in);
  Var error = y_pred - y_true;
  Var abs_error = ad::abs(error);
  Tensor small = k::less_equal(abs_error.value(), Tensor::scalar(delta));
  Var quadratic = 0.5F * ad::square(error);
  Var linear = delta * abs_error - 0.5F * (delta * delta);
  return ad::mean(ad::where(small, quadratic, linear), {-1});
}

Var log_cosh(const Var& y_true_in, const Var& y_pred_in) {
  auto [y_true, y_pred] = squeeze_or_expand_to_same_rank(f32(y_true_in), f32(y_pred_in));
  const auto log2 = static_cast<float>(std::log(2.0));
  Var x = y_pred - y_true;
  return ad::mean(x + ad::softplus(x * -2.0F) - log2, {-1});
}

Var hinge(const Var& y_true_in, const Var& y_pred_in) {
  Var y_pred = f32(y_pred_in);
  Var y_true = hinge_labels(f32(y_true_in));
  return ad::mean(ad::maximum(1.0F - y_true * y_pred, ad::scalar(0.0F)), {-1});
}

Var squared_hinge(const Var& y_true_in, const Var& y_pred_in) {
  Var y_pred = f32(y_pred_in);
  Var y_true = hinge_labels(f32(y_true_in));
  return ad::mean(ad::square(ad::maximum(1.0F - y_true * y_pred, ad::scalar(0.0F))), {-1});
}

Var categorical_hinge(const Var& y_true_in, const Var& y_pred_in) {
  Var y_pred = f32(y_pred_in);
  Var y_true = f32(y_true_in);
  Var pos = ad::sum(y_true * y_pred, {-1});
  Var neg = ad::max((1.0F - y_true) * y_pred, {-1});
  return ad::maximum(neg - pos + 1.0F, ad::scalar(0.0F));
}

Var kl_divergence(const Var& y_true_in, const Var& y_pred_in) {
  Var y_true = ad::clip(f32(y_true_in), kEpsilon, 1.0F);
  Var y_pred = ad::clip(f32(y_pred_in), kEpsilon, 1.0F);
  return ad::sum(y_true * ad::log(y_true / y_pred), {-1});
}

Var poisson(const Var& y_true_in, const Var& y_pred_in) {
  Var y_pred = f32(y_pred_in);
  Var y_true = f32(y_true_in);
  return ad::mean(y_pred - y_true * ad::log(y_pred + kEpsilon), {-1});
}

Var binary_crossentropy(const Var& y_true_in, const Var& y_pred_in, bool from_logits, double label_smoothing,
                        int axis) {
  Var y_pred = f32(y_pred_in);
  Var y_true = f32(y_true_in);
  if (label_smoothing != 0.0) y_true = smooth_binary_labels(y_true, label_smoothing);
  return ad::mean(elementwise_bce(y_true, y_pred, from_logits), {axis});
}

Var binary_focal_crossentropy(const Var& y_true_in, const Var& y_pred_in, bool apply_class_balancing, double alpha,
                              double gamma, bool from_logits, double label_smoothing, int axis) {
  Var y_pred = f32(y_pred_in);
  Var y_true = f32(y_true_in);
  if (label_smoothing != 0.0) y_true = smooth_binary_labels(y_true, label_smoothing);
  if (from_logits) y_pred = ad::sigmoid(y_pred);
  Var bce = elementwise_bce(y_true, y_pred, false);
  Var p_t = y_true * y_pred + (1.0F - y_true) * (1.0F - y_pred);
  Var focal_factor = ad::power(1.0F - p_t, ad::scalar(as_f32(gamma)));
  Var focal_bce = focal_factor * bce;
  if (apply_class_balancing) {
    Var weight = y_true * as_f32(alpha) + (1.0F - y_true) * as_f32(1.0 - alpha);
    focal_bce = weight * focal_bce;
  }
  return ad::mean(focal_bce, {axis});
}

Var categorical_crossentropy(const Var& y_true_in, const Var& y_pred_in, bool from_logits, double label_smoothing,
                             int axis_in) {
  Var y_pred = f32(y_pred_in);
  Var y_true = f32(y_true_in);
  if (y_pred.rank() < 1)
    throw ValueError("Arguments `target` and `output` must be at least rank 1. Received: target.shape=" +
                     shape_to_string(y_true.shape()) + ", output.shape=" + shape_to_string(y_pred.shape()));
  const int axis = axis_of(axis_in, y_pred);
  if (label_smoothing != 0.0) y_true = smooth_labels(y_true, label_smoothing, y_pred.dim(axis));
  if (y_true.shape() != y_pred.shape())
    throw ValueError("Arguments `target` and `output` must have the same shape. Received: target.shape=" +
                     shape_to_string(y_true.shape()) + ", output.shape=" + shape_to_string(y_pred.shape()));
  return -ad::sum(y_true * log_probabilities(y_pred, from_logits, axis), {axis});
}

Var categorical_focal_crossentropy(const Var& y_true_in, const Var& y_pred_in, double alpha, double gamma,
                                   bool from_logits, double label_smoothing, int axis_in) {
  Var y_pred = f32(y_pred_in);
  Var y_true = f32(y_true_in);
  const int axis = axis_of(axis_in, y_pred);
  if (label_smoothing != 0.0) y_true = smooth_labels(y_true, label_smoothing, y_pred.dim(axis));
  if (from_logits) y_pred = ad::softmax(y_pred, {axis});
  Var output = y_pred / ad::sum(y_pred, {axis}, true);
  output = ad::clip(output, kEpsilon, 1.0F - kEpsilon);
  Var cce = -y_true * ad::log(output);
  Var modulating_factor = ad::power(1.0F - output, ad::scalar(as_f32(gamma)));
  Var weighting_factor = modulating_factor * as_f32(alpha);
  return ad::sum(weighting_factor * cce, {axis});
}

LossValues sparse_categorical_crossentropy(const Var& y_true_in, const Var& y_pred_in, bool from_logits,
                                           std::optional<std::int64_t> ignore_class, int axis_in) {
  Var y_pred = f32(y_pred_in);
  Tensor y_true = y_true_in.value();
  if (y_true.rank() == y_pred.rank() && y_true.dim(axis_in) == 1) y_true = k::squeeze(y_true, {axis_in});
  const int axis = axis_of(axis_in, y_pred);
  Tensor valid;
  if (ignore_class) {
    valid = k::not_equal(y_true.astype(DType::float32), Tensor::scalar(static_cast<float>(*ignore_class)));
    y_true = k::where(valid, y_true, Tensor::scalar(0.0F));
    y_pred = ad::where(k::expand_dims(valid, axis), y_pred, ad::scalar(0.0F));
  }
  // backend.numpy.nn.sparse_categorical_crossentropy
  Tensor target = y_true.astype(DType::int32);
  if (target.rank() == y_pred.rank() && target.dim(-1) == 1) target = k::squeeze(target, {-1});
  Shape expected(y_pred.shape().begin(), y_pred.shape().end() - 1);
  if (target.shape() != expected)
    throw ValueError(
        "Arguments `target` and `output` must have the same shape up until the last dimension: target.shape=" +
        shape_to_string(target.shape()) + ", output.shape=" + shape_to_string(y_pred.shape()));
  Var log_prob = log_probabilities(y_pred, from_logits, axis);
  Tensor one_hot = k::one_hot(target, y_pred.dim(axis), axis);
  Var res = -ad::sum(Var(one_hot) * log_prob, {axis});
  if (!ignore_class) return {res, {}};
  Tensor mask = valid.reshape(res.shape());
  return {ad::where(mask, res, ad::scalar(0.0F)), mask};
}

namespace {

std::vector<int> reduce_axes(const std::optional<std::vector<int>>& axis) { return axis ? *axis : std::vector<int>{}; }

}  // namespace

Var dice(const Var& y_true_in, const Var& y_pred_in, const std::optional<std::vector<int>>& axis) {
  Var y_pred = f32(y_pred_in);
  Var y_true = f32(y_true_in);
  const auto axes = reduce_axes(axis);
  Var intersection = ad::sum(y_true * y_pred, axes);
  Var score = 2.0F * intersection / (ad::sum(y_true, axes) + ad::sum(y_pred, axes) + kEpsilon);
  return 1.0F - score;
}

Var tversky(const Var& y_true_in, const Var& y_pred_in, double alpha, double beta,
            const std::optional<std::vector<int>>& axis) {
  Var inputs = f32(y_pred_in);
  Var targets = f32(y_true_in);
  const auto axes = reduce_axes(axis);
  Var intersection = ad::sum(inputs * targets, axes);
  Var fp = ad::sum((1.0F - targets) * inputs, axes);
  Var fn = ad::sum(targets * (1.0F - inputs), axes);
  Var score = intersection / (intersection + fp * as_f32(alpha) + fn * as_f32(beta) + kEpsilon);
  return 1.0F - score;
}

LossValues circle(const Var& y_true_in, const Var& y_pred_in, double gamma_in, double margin_in, bool remove_diagonal) {
  Var y_pred = f32(y_pred_in);
  Tensor labels = y_true_in.value().astype(DType::int32);
  if (labels.rank() == 1) labels = labels.reshape({labels.dim(0), 1});
  const float margin = as_f32(margin_in);
  const float gamma = as_f32(gamma_in);
  const float optim_pos = margin;
  const float optim_neg = as_f32(1.0 + margin_in);
  const float delta_pos = margin;
  const float delta_neg = as_f32(1.0 - margin_in);
  Var distances = ad::maximum(1.0F - ad::matmul(y_pred, ad::transpose(y_pred)), ad::scalar(0.0F));
  Tensor positive = k::equal(labels, k::transpose(labels, {}));
  Tensor negative = k::logical_not(positive);
  if (remove_diagonal) {
    const std::int64_t n = positive.dim(0);
    Tensor off_diagonal = Tensor::full({n, positive.dim(1)}, 1.0F);
    float* p = off_diagonal.data<float>();
    for (std::int64_t i = 0; i < n && i < positive.dim(1); ++i) p[i * positive.dim(1) + i] = 0.0F;
    positive = k::logical_and(positive, off_diagonal);
  }
  Tensor pos_f = positive.astype(DType::float32);
  Tensor neg_f = negative.astype(DType::float32);
  Var pos_weights = ad::maximum((optim_pos + distances) * Var(pos_f), ad::scalar(0.0F));
  Var neg_weights = ad::maximum((optim_neg - distances) * Var(neg_f), ad::scalar(0.0F));
  Var pos_dists = delta_pos - distances;
  Var neg_dists = delta_neg - distances;
  Var pos_wdists = (-1.0F * gamma) * pos_weights * pos_dists;
  Var neg_wdists = gamma * neg_weights * neg_dists;
  const Var minus_inf = ad::scalar(-INFINITY);
  Var p_loss = ad::logsumexp(ad::where(positive, pos_wdists, minus_inf), {1});
  Var n_loss = ad::logsumexp(ad::where(negative, neg_wdists, minus_inf), {1});
  Var loss = ad::softplus(p_loss + n_loss);
  return {loss, k::greater(loss.value(), Tensor::scalar(0.0F))};
}

Var categorical_generalized_cross_entropy(const Var& y_true, const Var& y_pred_in, double q_in) {
  Var y_pred = f32(y_pred_in);
  Tensor one_hot = k::one_hot(y_true.value().astype(DType::int64), y_pred.dim(-1));
  Var p = ad::sum(y_pred * Var(one_hot), {-1});
  const float q = as_f32(q_in);
  return (1.0F - ad::power(p, ad::scalar(q))) / q;
}

}  // namespace keras::losses
