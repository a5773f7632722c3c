// keras.losses.Loss and the reduction of weighted values
// (keras/src/losses/loss.py).
#include <set>

#include "keras/losses.hpp"
#include "ops/elementwise.hpp"
#include "ops/reduce.hpp"

namespace keras {

namespace {

namespace k = keras::kernels;
using ad::Var;

void check_reduction(const Reduction& reduction) {
  static const std::set<std::string> allowed = {"sum_over_batch_size", "sum", "none", "mean",
                                                "mean_with_sample_weight"};
  if (reduction && allowed.count(*reduction) == 0)
    throw ValueError(
        "Invalid value for argument `reduction`. Expected one of {'sum_over_batch_size', 'sum', None, 'none', "
        "'mean', 'mean_with_sample_weight'}. Received: reduction=" +
        *reduction);
}

bool averages(const Reduction& r) { return r && (*r == "mean" || *r == "sum_over_batch_size"); }

// keras.losses.loss.apply_mask: merges a mask into the sample weights. With
// an averaging reduction, valid entries weigh total / valid so that the mean
// runs over the valid entries only.
Tensor apply_mask(const Tensor& sample_weight, const Tensor& mask, const Reduction& reduction) {
  if (!mask.defined()) return sample_weight;
  Tensor float_mask;
  if (averages(reduction)) {
    const auto total = static_cast<float>(mask.size());
    const float valid = k::sum(mask.astype(DType::float32)).item();
    const float weight = valid == 0.0F ? 0.0F : total / valid;
    float_mask = k::where(mask, Tensor::scalar(weight), Tensor::scalar(0.0F));
  } else {
    float_mask = mask.astype(DType::float32);
  }
  if (!sample_weight.defined()) return float_mask;
  auto [m, sw] = losses::squeeze_or_expand_to_same_rank(Var(float_mask), Var(sample_weight.astype(DType::float32)));
  return k::multiply(sw.value(), m.value());
}

}  // namespace

Loss::~Loss() = default;

Loss::Loss(std::string name, Reduction reduction) : name_(std::move(name)), reduction_(std::move(reduction)) {
  check_reduction(reduction_);
}

Json Loss::get_config() const {
  return Json{{"name", name_}, {"reduction", reduction_ ? Json(*reduction_) : Json(nullptr)}};
}

Json Loss::serialize() const {
  const auto registered = registered_name();
  return Json{{"module", module()},
              {"class_name", class_name()},
              {"config", get_config()},
              {"registered_name", registered ? Json(*registered) : Json(nullptr)}};
}

Var Loss::compute(const Var& y_true, const Var& y_pred, const Tensor& sample_weight, const Tensor& mask) const {
  LossValues losses = call(ad::cast(y_true, DType::float32), ad::cast(y_pred, DType::float32));
  Tensor merged = mask;
  if (mask.defined() && losses.mask.defined())
    merged = k::logical_and(mask, losses.mask);
  else if (losses.mask.defined())
    merged = losses.mask;
  return losses::reduce_weighted_values(losses.values, sample_weight, merged, reduction_);
}

Tensor Loss::operator()(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) const {
  return compute(Var(y_true), Var(y_pred), sample_weight).value();
}

namespace losses {

Var reduce_weighted_values(const Var& values_in, const Tensor& sample_weight_in, const Tensor& mask,
                           const Reduction& reduction) {
  check_reduction(reduction);
  Var values = ad::cast(values_in, DType::float32);
  Tensor sample_weight = apply_mask(sample_weight_in, mask, reduction);
  if (sample_weight.defined()) {
    auto [v, sw] = squeeze_or_expand_to_same_rank(values, Var(sample_weight.astype(DType::float32)));
    values = v * sw;
    sample_weight = sw.value();
  }
  // reduce_values
  const Shape& shape = values.shape();
  if (!reduction || *reduction == "none" || shape.empty() || shape == Shape{0}) return values;
  Var loss = ad::sum(values);
  if (*reduction == "sum") return loss;
  float divisor = 0.0F;
  if (*reduction == "mean_with_sample_weight" && sample_weight.defined())
    divisor = k::sum(sample_weight).item();
  else
    divisor = static_cast<float>(values.value().size());
  if (divisor == 0.0F) return Var(Tensor::scalar(0.0F));  // divide_no_nan
  return loss / divisor;
}

}  // namespace losses

}  // namespace keras
