#include "layers/lora.hpp"

#include <cmath>

#include "graph/config_json.hpp"
#include "ops/elementwise.hpp"
#include "ops/linalg.hpp"

namespace keras::detail {

namespace {

Json alpha_json(double alpha) {
  if (std::floor(alpha) == alpha && std::abs(alpha) < 9.0e15) return Json(static_cast<std::int64_t>(alpha));
  return Json(alpha);
}

}  // namespace

void LoraAdapter::read_config(const Json& config, const std::string& layer) {
  std::optional<std::int64_t> rank;
  std::optional<double> alpha;
  if (auto it = config.find("lora_rank"); it != config.end() && !it->is_null()) {
    if (!it->is_number_integer())
      throw FormatError("Invalid config for class '" + layer + "': 'lora_rank' must be an integer, got " + it->dump());
    rank = it->get<std::int64_t>();
  }
  if (auto it = config.find("lora_alpha"); it != config.end() && !it->is_null()) {
    if (!it->is_number())
      throw FormatError("Invalid config for class '" + layer + "': 'lora_alpha' must be a number, got " + it->dump());
    alpha = it->get<double>();
  }
  set_requested(rank, alpha, layer);
  if (rank_ && alpha) alpha_ = config.at("lora_alpha");  // keeps 8 or 8.0 as written
}

void LoraAdapter::set_requested(std::optional<std::int64_t> rank, std::optional<double> alpha,
                                const std::string& layer) {
  if (rank && *rank < 0)
    throw ValueError(layer + ": lora_rank must be a positive integer, received lora_rank=" + std::to_string(*rank));
  // Keras tests `if self.lora_rank:`, so 0 means no LoRA.
  rank_ = rank && *rank > 0 ? rank : std::nullopt;
  alpha_ = alpha ? alpha_json(*alpha) : (rank_ ? Json(*rank_) : Json(nullptr));
}

std::optional<double> LoraAdapter::requested_alpha() const {
  if (alpha_.is_number()) return alpha_.get<double>();
  return std::nullopt;
}

void LoraAdapter::write_config(Json& config) const {
  if (!rank_) return;
  config["lora_rank"] = *rank_;
  config["lora_alpha"] = alpha_;
}

void LoraAdapter::check_can_enable(const Layer& layer, std::int64_t rank, const Json& constraint,
                                   const std::string& what) const {
  if (!constraint.is_null())
    throw ValueError("Lora is incompatible with " + what +
                     " constraints. In order to enable lora on this layer, remove the `" +
                     (what == "embedding" ? std::string("embeddings") : what) + "_constraint` argument.");
  if (!layer.built()) throw ValueError("Cannot enable lora on a layer that isn't yet built.");
  if (enabled()) throw ValueError("lora is already enabled. This can only be done once per layer.");
  if (rank <= 0)
    throw ValueError("Layer '" + layer.name() +
                     "': enable_lora() needs a positive rank, received rank=" + std::to_string(rank));
}

void LoraAdapter::enabled_with(VariablePtr a, VariablePtr b, std::int64_t rank, std::optional<double> alpha) {
  a_ = std::move(a);
  b_ = std::move(b);
  rank_ = rank;
  alpha_ = alpha ? alpha_json(*alpha) : Json(rank);
}

double LoraAdapter::scale() const { return alpha_.get<double>() / static_cast<double>(*rank_); }

Tensor LoraAdapter::delta(const Shape& kernel_shape) const {
  const Tensor& a = a_->value();
  const std::int64_t rank = a.shape().back();
  const Tensor product = kernels::matmul(a.reshape({a.size() / rank, rank}), b_->value());
  return kernels::multiply(product, static_cast<float>(scale())).reshape(kernel_shape);
}

Tensor LoraAdapter::merge(const Tensor& kernel) const {
  const Tensor k = kernel.dtype() == DType::float32 ? kernel : kernel.astype(DType::float32);
  return kernels::add(k, delta(k.shape()));
}

ad::Var LoraAdapter::merge_tape(const ad::Var& kernel, TapeVariables& variables) const {
  const Shape& a_shape = a_->shape();
  const std::int64_t rank = a_shape.back();
  const std::int64_t rows = shape_size(a_shape) / rank;
  ad::Var product = ad::matmul(ad::reshape(variables(a_), {rows, rank}), variables(b_));
  ad::Var delta = ad::reshape(product * static_cast<float>(scale()), kernel.shape());
  return kernel + delta;
}

void LoraAdapter::reset() const {
  a_->assign(Tensor::zeros(a_->shape()));
  b_->assign(Tensor::zeros(b_->shape()));
}

std::vector<VariablePtr> LoraAdapter::without_matrices(std::vector<VariablePtr> variables) const {
  std::erase_if(variables, [&](const VariablePtr& v) { return v == a_ || v == b_; });
  return variables;
}

void LoraAdapter::substitute(std::vector<VariablePtr>& variables, const VariablePtr& which, const Tensor& value,
                             std::optional<DType> dtype) {
  auto stand_in = std::make_shared<Variable>(which->name(), which->shape(), dtype.value_or(which->dtype()),
                                             initializers::Zeros(), false);
  stand_in->set_path(which->path());
  stand_in->assign(value);
  for (auto& v : variables)
    if (v == which) v = stand_in;
}

}  // namespace keras::detail
