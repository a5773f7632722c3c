// keras.layers.SpectralNormalization (keras/src/layers/normalization/spectral_normalization.py).
#include <algorithm>
#include <cmath>

#include "layers/core/layer_utils.hpp"
#include "layers/normalization/normalization_layers.hpp"
#include "layers/registrations.hpp"

namespace keras::detail {

namespace {

// ops.nn.normalize(x, axis=None): x * rsqrt(max(sum(x^2), epsilon^2)).
std::vector<double> normalize(const std::vector<double>& x) {
  double sum = 0.0;
  for (double v : x) sum += v * v;
  const double inv = 1.0 / std::sqrt(std::max(sum, 1e-7 * 1e-7));
  std::vector<double> out(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) out[i] = x[i] * inv;
  return out;
}

}  // namespace

SpectralNormalizationImpl::SpectralNormalizationImpl(LayerPtr layer, std::int64_t power_iterations,
                                                     const LayerBaseOptions& base)
    : Layer(base, "spectral_normalization"), layer_(std::move(layer)), power_iterations_(power_iterations) {
  if (!layer_) throw ValueError("SpectralNormalization needs a layer to wrap");
  if (power_iterations <= 0)
    throw ValueError("`power_iterations` should be greater than zero. Received: `power_iterations=" +
                     std::to_string(power_iterations) + "`");
  track("layer", layer_);
}

LayerPtr SpectralNormalizationImpl::from_config(const Json& config) {
  auto it = config.find("layer");
  if (it == config.end() || !it->is_object()) throw FormatError("SpectralNormalization config needs a 'layer'");
  std::int64_t power_iterations = 1;
  if (auto p = config.find("power_iterations"); p != config.end()) {
    if (!p->is_number_integer())
      throw FormatError("SpectralNormalization config 'power_iterations' must be an integer, got " + p->dump());
    power_iterations = p->get<std::int64_t>();
  }
  return std::make_shared<SpectralNormalizationImpl>(layer_from_envelope(*it), power_iterations,
                                                     base_options_from_config(config));
}

Json SpectralNormalizationImpl::get_config() const {
  Json config = base_config();
  config["layer"] = envelope_of(*layer_);
  config["power_iterations"] = power_iterations_;
  return config;
}

void SpectralNormalizationImpl::build(const std::vector<Shape>& input_shapes) {
  if (!layer_->built()) layer_->build_for(input_shapes);
  // The wrapped layer's `kernel` (or an Embedding's `embeddings`) becomes this layer's first variable too.
  for (const char* wanted : {"kernel", "embeddings"}) {
    for (const auto& v : layer_->own_variables())
      if (!kernel_ && v->name() == wanted) kernel_ = v;
  }
  if (!kernel_)
    throw ValueError("SpectralNormalization '" + name() + "': " + layer_->class_name() +
                     " object has no attribute 'kernel' nor 'embeddings'");
  track_variable(kernel_);
  vector_u_ = add_weight("vector_u", {1, kernel_->shape().back()}, initializers::TruncatedNormal(0.0, 0.02), false,
                         kernel_->dtype());
}

std::vector<TensorSpec> SpectralNormalizationImpl::compute_output_spec(const SpecArgs& args) {
  auto specs = layer_->compute_output_spec(args);
  // Keras casts the wrapped layer's output to the (autocast) input dtype.
  for (auto& spec : specs) spec.dtype = layer_utils::autocast_dtype(args.tensor(0).dtype, compute_dtype());
  return specs;
}

void SpectralNormalizationImpl::normalize_weights() {
  const Tensor kernel = kernel_->value().astype(DType::float32);
  const std::int64_t cols = kernel.dim(-1), rows = kernel.size() / cols;
  bool all_zero = true;
  for (std::int64_t i = 0; i < kernel.size() && all_zero; ++i) all_zero = kernel.data<float>()[i] == 0.0F;
  if (all_zero) return;  // Keras keeps both variables then
  const float* w = kernel.data<float>();
  std::vector<double> u(static_cast<std::size_t>(cols)), v(static_cast<std::size_t>(rows));
  const Tensor u_value = vector_u_->value().astype(DType::float32);
  for (std::int64_t j = 0; j < cols; ++j) u[static_cast<std::size_t>(j)] = u_value.data<float>()[j];
  for (std::int64_t it = 0; it < power_iterations_; ++it) {
    for (std::int64_t i = 0; i < rows; ++i) {  // v = normalize(u @ W^T)
      double acc = 0.0;
      for (std::int64_t j = 0; j < cols; ++j) acc += u[static_cast<std::size_t>(j)] * w[i * cols + j];
      v[static_cast<std::size_t>(i)] = acc;
    }
    v = normalize(v);
    for (std::int64_t j = 0; j < cols; ++j) {  // u = normalize(v @ W)
      double acc = 0.0;
      for (std::int64_t i = 0; i < rows; ++i) acc += v[static_cast<std::size_t>(i)] * w[i * cols + j];
      u[static_cast<std::size_t>(j)] = acc;
    }
    u = normalize(u);
  }
  double sigma = 0.0;  // (v @ W) @ u^T
  for (std::int64_t j = 0; j < cols; ++j) {
    double acc = 0.0;
    for (std::int64_t i = 0; i < rows; ++i) acc += v[static_cast<std::size_t>(i)] * w[i * cols + j];
    sigma += acc * u[static_cast<std::size_t>(j)];
  }
  Tensor new_u({1, cols}, DType::float32);
  for (std::int64_t j = 0; j < cols; ++j) new_u.data<float>()[j] = static_cast<float>(u[static_cast<std::size_t>(j)]);
  Tensor new_kernel(kernel.shape(), DType::float32);
  for (std::int64_t i = 0; i < kernel.size(); ++i) new_kernel.data<float>()[i] = static_cast<float>(w[i] / sigma);
  vector_u_->assign(new_u);
  kernel_->assign(new_kernel);
}

std::vector<Tensor> SpectralNormalizationImpl::call(const CallArgs& args) {
  if (!kernel_) throw ValueError("SpectralNormalization '" + name() + "' is not built");
  if (effective_training(args)) normalize_weights();
  auto outputs = layer_->call(args);
  const DType dtype = layer_utils::autocast_dtype(args.tensor(0).dtype(), compute_dtype());
  for (auto& out : outputs) out = layer_utils::to_dtype(out, dtype);
  return outputs;
}

}  // namespace keras::detail

namespace keras::layers {
SpectralNormalization::SpectralNormalization(const LayerRef& layer, const SpectralNormalizationOptions& options)
    : LayerRef(std::make_shared<detail::SpectralNormalizationImpl>(
          layer.ptr(), options.power_iterations, LayerBaseOptions{options.name, options.dtype, options.trainable})) {}
}  // namespace keras::layers
