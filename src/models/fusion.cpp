#include "models/fusion.hpp"

#include <algorithm>
#include <cmath>

#include "layers/activations/activation_functions.hpp"
#include "layers/activations/activation_layers.hpp"
#include "layers/convolutional/conv.hpp"
#include "layers/core/dense.hpp"
#include "layers/normalization/normalization_layers.hpp"
#include "layers/reshaping/reshaping_layers.hpp"
#include "ops/threads.hpp"

namespace keras::detail {

using kernels::PostOp;

namespace {

const ConvImpl* as_conv(const Layer& layer) { return dynamic_cast<const ConvImpl*>(&layer); }
const DepthwiseConvImpl* as_depthwise(const Layer& layer) { return dynamic_cast<const DepthwiseConvImpl*>(&layer); }

bool float32_layer(const Layer& layer) {
  return layer.compute_dtype() == DType::float32 && layer.variable_dtype() == DType::float32;
}

}  // namespace

std::optional<std::optional<PostOp>> FusedConv::post_op_of_name(const std::string& activation) {
  if (activation == "linear" || activation.empty()) return std::optional<PostOp>{};
  if (activation == "relu") return PostOp::relu;
  if (activation == "relu6") return PostOp::relu6;
  if (activation == "sigmoid") return PostOp::sigmoid;
  if (activation == "tanh") return PostOp::tanh;
  if (activation == "silu" || activation == "swish") return PostOp::silu;
  if (activation == "hard_silu" || activation == "hard_swish") return PostOp::hard_silu;
  if (activation == "gelu") return PostOp::gelu_erf;
  if (activation == "leaky_relu") return PostOp::leaky_relu;
  if (activation == "elu") return PostOp::elu;
  if (activation == "selu") return PostOp::selu;
  if (activation == "exponential") return PostOp::exponential;
  if (activation == "hard_sigmoid") return PostOp::hard_sigmoid;
  if (activation == "hard_tanh") return PostOp::hard_tanh;
  if (activation == "mish") return PostOp::mish;
  if (activation == "log_sigmoid") return PostOp::log_sigmoid;
  return std::nullopt;
}

bool FusedConv::starts_chain(const Layer& layer) {
  const ConvLayerBase* conv = as_conv(layer);
  if (conv == nullptr) conv = as_depthwise(layer);
  if (conv == nullptr || conv->channels_first() || !float32_layer(layer) || !layer.built()) return false;
  // A LoRA kernel is the variable plus a delta: the layer computes it (unfused).
  if (layer.lora_enabled()) return false;
  return post_op_of_name(conv->geometry().activation).has_value();
}

bool FusedConv::absorbs_padding(const Layer& pad, const Layer& conv) {
  const auto* zero_padding = dynamic_cast<const PadCropImpl*>(&pad);
  if (zero_padding == nullptr || !zero_padding->pads() || zero_padding->channels_first() || !float32_layer(pad))
    return false;
  const ConvGeometry& g = static_cast<const ConvLayerBase&>(conv).geometry();
  const auto& amounts = zero_padding->amounts();
  if (static_cast<int>(amounts.size()) != g.rank || g.kernel_size.size() != amounts.size() ||
      g.dilation_rate.size() != amounts.size())
    return false;
  // Wider padding is still correct, but sends oneDNN to slower reference kernels.
  for (std::size_t i = 0; i < amounts.size(); ++i) {
    const std::int64_t extent = (g.kernel_size[i] - 1) * g.dilation_rate[i] + 1;
    if (amounts[i].first >= extent || amounts[i].second >= extent) return false;
  }
  return true;
}

bool FusedConv::is_foldable_norm(const Layer& layer, int input_rank) {
  const auto* norm = dynamic_cast<const BatchNormalizationImpl*>(&layer);
  if (norm == nullptr || !float32_layer(layer) || !layer.built()) return false;
  // The channels axis, as -1 or counted from the front (keras.applications write axis=3).
  const int axis = norm->options().axis;
  return axis == -1 || (input_rank > 0 && axis == input_rank - 1);
}

std::optional<PostOp> FusedConv::post_op_of(const Layer& layer) {
  if (!float32_layer(layer)) return std::nullopt;
  if (const auto* relu = dynamic_cast<const ReLUImpl*>(&layer)) {
    auto number = [](const Json& v, double fallback) { return v.is_number() ? v.get<double>() : fallback; };
    if (!relu->negative_slope().is_null() && number(relu->negative_slope(), 1) != 0.0) return std::nullopt;
    if (!relu->threshold().is_null() && number(relu->threshold(), 1) != 0.0) return std::nullopt;
    if (relu->max_value().is_null()) return PostOp::relu;
    if (relu->max_value().is_number() && relu->max_value().get<double>() == 6.0) return PostOp::relu6;
    return std::nullopt;
  }
  if (const auto* activation = dynamic_cast<const ActivationImpl*>(&layer)) {
    auto op = post_op_of_name(activation->activation());
    if (op && *op) return *op;
  }
  return std::nullopt;
}

FusedConv::FusedConv(std::shared_ptr<Layer> pad, std::shared_ptr<Layer> conv, std::shared_ptr<Layer> norm,
                     std::shared_ptr<Layer> activation, std::vector<PostOp> post_ops, std::int64_t channels)
    : channels_(channels),
      pad_(std::move(pad)),
      conv_(std::move(conv)),
      norm_(std::move(norm)),
      activation_(std::move(activation)),
      post_ops_(std::move(post_ops)) {
  if (pad_) {
    const auto& amounts = static_cast<const PadCropImpl&>(*pad_).amounts();
    zero_padding_.assign(amounts.begin(), amounts.end());
  }
  if (const auto* c = as_conv(*conv_)) {
    variables_ = {c->kernel(), c->bias()};
  } else if (const auto* d = as_depthwise(*conv_)) {
    variables_ = {d->kernel(), d->bias()};
  }
  if (norm_) {
    const auto& n = static_cast<const BatchNormalizationImpl&>(*norm_);
    variables_.insert(variables_.end(), {n.gamma(), n.beta(), n.moving_mean(), n.moving_variance()});
  }
}

std::vector<std::uint64_t> FusedConv::versions() const {
  std::vector<std::uint64_t> out;
  out.reserve(variables_.size());
  for (const auto& v : variables_) out.push_back(v ? v->version() : 0);
  return out;
}

bool FusedConv::current(const std::vector<std::uint64_t>& versions) const {
  if (versions.size() != variables_.size()) return false;
  for (std::size_t i = 0; i < versions.size(); ++i)
    if (versions[i] != (variables_[i] ? variables_[i]->version() : 0)) return false;
  return true;
}

std::shared_ptr<const kernels::PreparedConv> FusedConv::prepare(const Shape& input_shape) const {
  // Prepared per shape and OpenMP team size (a primitive is partitioned for the team it was made for).
  const auto team = static_cast<std::int64_t>(kernels::current_threads());
  {
    // Found without building a key or a list of versions: at batch 1 that took 7 % of
    // MobileNetV2's predict.
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& [key, entry] : prepared_) {
      if (key.size() == input_shape.size() + 1 && std::equal(input_shape.begin(), input_shape.end(), key.begin()) &&
          key.back() == team && current(entry.versions))
        return entry.conv;
    }
  }
  auto versions_now = versions();
  Shape key = input_shape;
  key.push_back(team);
  const auto& base = static_cast<const ConvLayerBase&>(*conv_);
  const ConvGeometry& g = base.geometry();
  Tensor kernel;
  Tensor bias;
  if (const auto* c = as_conv(*conv_)) {
    kernel = c->kernel()->value();
    if (c->bias()) bias = c->bias()->value();
  } else {
    const auto* d = as_depthwise(*conv_);
    // [*k, C, M] has the memory layout of [*k, 1, C * M]: a grouped conv with groups = C.
    const Tensor& k = d->kernel()->value();
    Shape grouped(k.shape().begin(), k.shape().end() - 2);
    grouped.push_back(1);
    grouped.push_back(k.dim(-2) * k.dim(-1));
    kernel = k.reshape(grouped);
    if (d->bias()) bias = d->bias()->value();
  }
  if (norm_) {
    // y = (conv(x) + b - mean) * gamma / sqrt(var + eps) + beta: scale the kernel's output
    // channels and fold the rest into the bias.
    const auto& n = static_cast<const BatchNormalizationImpl&>(*norm_);
    const std::int64_t filters = kernel.dim(-1);
    const float* mean = n.moving_mean()->value().data<float>();
    const float* var = n.moving_variance()->value().data<float>();
    const float* gamma = n.gamma() ? n.gamma()->value().data<float>() : nullptr;
    const float* beta = n.beta() ? n.beta()->value().data<float>() : nullptr;
    const auto eps = static_cast<float>(n.options().epsilon);
    std::vector<float> scale(static_cast<std::size_t>(filters));
    for (std::int64_t f = 0; f < filters; ++f)
      scale[static_cast<std::size_t>(f)] = (gamma ? gamma[f] : 1.0F) / std::sqrt(var[f] + eps);
    Tensor folded = Tensor::uninitialized(kernel.shape());
    const float* src = kernel.data<float>();
    float* dst = folded.data<float>();
    for (std::int64_t i = 0, size = kernel.size(); i < size; ++i)
      dst[i] = src[i] * scale[static_cast<std::size_t>(i % filters)];
    Tensor folded_bias = Tensor::uninitialized({filters});
    float* fb = folded_bias.data<float>();
    const float* b = bias.defined() ? bias.data<float>() : nullptr;
    for (std::int64_t f = 0; f < filters; ++f)
      fb[f] = ((b ? b[f] : 0.0F) - mean[f]) * scale[static_cast<std::size_t>(f)] + (beta ? beta[f] : 0.0F);
    kernel = folded;
    bias = folded_bias;
  }
  auto prepared = std::make_shared<const kernels::PreparedConv>(input_shape, kernel, bias, g.strides,
                                                                kernels::parse_padding(g.padding), g.dilation_rate,
                                                                post_ops_, zero_padding_);
  std::lock_guard<std::mutex> lock(mutex_);
  prepared_[key] = Prepared{prepared, std::move(versions_now)};
  return prepared;
}

Tensor FusedConv::run_unfused(const Tensor& x) const {
  Tensor y = conv_->forward(pad_ ? pad_->forward(x, false) : x, false);
  if (norm_) y = norm_->forward(y, false);
  if (activation_) y = activation_->forward(y, false);
  return y;
}

Tensor FusedConv::run(const Tensor& x) const {
  const auto& base = static_cast<const ConvLayerBase&>(*conv_);
  const ConvGeometry& g = base.geometry();
  // lora_enabled(): enable_lora() after the plan fused the layer.
  const bool usable =
      x.dtype() == DType::float32 && x.rank() == g.rank + 2 && x.dim(-1) == channels_ && !conv_->lora_enabled();
  if (!usable) return run_unfused(x);  // the layers report what is wrong
  return prepare(x.shape())->run(x);
}

namespace {

const DenseImpl* as_dense(const Layer& layer) { return dynamic_cast<const DenseImpl*>(&layer); }

// The Dense's activation name (Keras' canonical name, "linear" for none).
const std::string& dense_activation(const Layer& layer) { return as_dense(layer)->activation(); }

}  // namespace

bool FusedDense::starts_chain(const Layer& layer) {
  const DenseImpl* dense = as_dense(layer);
  if (dense == nullptr || !float32_layer(layer) || !layer.built() || layer.dtype_policy().quantized()) return false;
  // The prepared product holds the kernel variable: with LoRA the layer adds the delta itself.
  if (dense->lora_enabled()) return false;
  return dense->kernel() && dense->kernel()->shape().size() == 2;
}

bool FusedDense::activation_fuses(const Layer& dense) {
  return FusedConv::post_op_of_name(dense_activation(dense)).has_value();
}

FusedDense::FusedDense(std::shared_ptr<Layer> dense, std::shared_ptr<Layer> activation)
    : dense_(std::move(dense)), activation_(std::move(activation)), after_("linear") {
  const std::string& name = dense_activation(*dense_);
  if (auto op = FusedConv::post_op_of_name(name)) {
    if (*op) post_ops_.push_back(**op);
  } else {
    after_ = name;
  }
  if (activation_) post_ops_.push_back(*FusedConv::post_op_of(*activation_));
  prepared_ = std::make_shared<const PreparedMatmulCache>(post_ops_);
}

Tensor FusedDense::run_unfused(const Tensor& x) const {
  Tensor y = dense_->forward(x, false);
  if (activation_) y = activation_->forward(y, false);
  return y;
}

Tensor FusedDense::finish(const Tensor& y) const { return after_ == "linear" ? y : apply_activation(after_, y); }

Tensor FusedDense::run(const Tensor& x) const {
  // The layer can change after the plan fused it (Model::quantize, a new dtype policy).
  if (!starts_chain(*dense_)) return run_unfused(x);
  const auto& dense = static_cast<const DenseImpl&>(*dense_);
  const VariablePtr& kernel = dense.kernel();
  const std::int64_t k = kernel->shape()[0];
  const std::int64_t n = kernel->shape()[1];
  if (x.dtype() != DType::float32 || x.rank() == 0 || x.dim(-1) != k || x.size() == 0 || k == 0 || n == 0)
    return run_unfused(x);  // the layers report what is wrong, or compute the empty result
  return finish(prepared_->run(x, kernel, dense.bias(), k, n));
}

}  // namespace keras::detail
