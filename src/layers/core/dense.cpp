#include "layers/core/dense.hpp"

#include <cstring>

#include "keras/regularizers.hpp"
#include "layers/activations/activation_tape.hpp"
#include "layers/config_utils.hpp"
#include "layers/core/quantization.hpp"
#include "ops/activations.hpp"
#include "ops/common.hpp"
#include "ops/elementwise.hpp"
#include "ops/linalg.hpp"
#include "ops/shape_ops.hpp"
#include "ops/threads.hpp"

namespace keras::detail {

namespace {
// A kernel this large (4 MiB of float32) is worth the wake-up of a second thread at one row.
constexpr std::int64_t kMinSplitWeights = std::int64_t{1} << 20;
}  // namespace

Tensor PreparedMatmulCache::run(const Tensor& x, const VariablePtr& kernel, const VariablePtr& bias, std::int64_t k,
                                std::int64_t n) const {
  const std::int64_t rows = x.size() / k;
  const std::uint64_t kernel_version = kernel->version();
  const std::uint64_t bias_version = bias ? bias->version() : 0;
  auto same = [](const std::weak_ptr<Variable>& a, const VariablePtr& b) {
    return !a.owner_before(b) && !b.owner_before(a);
  };
  auto current = [&](const Prepared& p) {
    return same(p.kernel, kernel) && same(p.bias, bias) && p.kernel_version == kernel_version &&
           p.bias_version == bias_version;
  };
  // A primitive is partitioned for the OpenMP team it was made for. One row: the batch-size rule
  // runs it on a team of one, and the configured threads split the columns (negative in the key).
  const int column_blocks = rows == 1 && k * n >= kMinSplitWeights && !kernels::idle_threads_sleep_at_once()
                                ? std::min<int>(kernels::num_threads(), 8)
                                : 1;
  const std::pair<std::int64_t, int> key{rows, column_blocks > 1 ? -column_blocks : kernels::current_threads()};
  std::shared_ptr<const kernels::PreparedDense> found;
  std::vector<std::shared_ptr<const kernels::PreparedDense>> found_columns;
  std::shared_ptr<const kernels::PreparedDense> share;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = prepared_.find(key);
    if (it != prepared_.end() && current(it->second)) {
      found = it->second.dense;
      found_columns = it->second.columns;
    } else {
      // The weights changed (assign, an optimizer step): drop every stale preparation.
      std::erase_if(prepared_, [&](const auto& entry) { return !current(entry.second); });
      // A whole-kernel preparation whose prepacked copy the new one may share (column blocks have none).
      for (const auto& entry : prepared_) {
        if (entry.second.dense) {
          share = entry.second.dense;
          break;
        }
      }
    }
  }
  if (found) return found->run(x);
  if (!found_columns.empty()) return run_columns(found_columns, x, n);
  // snapshot(): another cache (another plan's) may release the same variables meanwhile.
  Tensor bias_vector = bias ? bias->snapshot().reshape({n}) : Tensor();
  Prepared entry{nullptr, {}, kernel, bias, kernel_version, bias_version};
  if (column_blocks == 1 && kernel->dtype() == DType::float32) {
    // The prepared copy holds the same numbers: the variable gives its own buffer up (as ONNX
    // Runtime drops an initializer it prepacked), so that the weights are in memory once, and
    // the copy is made from it in blocks whose pages go as they are copied. Reading the
    // variable again (saving, get_weights, training) rebuilds it from the copy.
    kernel->release_into(
        [&](Tensor& value) -> std::function<Tensor()> {
          // Made before the copy: nothing may fail once the kernel's pages start to go.
          auto holder = std::make_shared<std::shared_ptr<const kernels::PreparedDense>>();
          std::function<Tensor()> restore = [holder, shape = kernel->shape()] {
            return (*holder)->kernel().reshape(shape);
          };
          Tensor matrix = value.reshape({k, n});
          entry.dense = std::make_shared<const kernels::PreparedDense>(kernels::PreparedDense::ConsumeKernel{}, rows,
                                                                       matrix, bias_vector, post_ops_, share.get());
          *holder = entry.dense;
          return restore;
        },
        kernel_version);
  }
  if (!entry.dense) {
    // Shared elsewhere, released already (a copy lent by snapshot()), or not float32.
    const Tensor kernel_matrix = kernel->snapshot().reshape({k, n});
    if (column_blocks > 1) {
      // Blocks of whole 16-column groups (a vector register), the last one taking the rest.
      const std::int64_t block = (n / column_blocks + 15) / 16 * 16;
      const Tensor kernel_float = kernels::detail::to_float(kernel_matrix);
      const Tensor bias_float = bias_vector.defined() ? kernels::detail::to_float(bias_vector) : Tensor();
      for (std::int64_t begin = 0; begin < n; begin += block) {
        const std::int64_t width = std::min(block, n - begin);
        Tensor part = Tensor::uninitialized({k, width});
        for (std::int64_t r = 0; r < k; ++r)
          std::memcpy(part.data<float>() + r * width, kernel_float.data<float>() + r * n + begin,
                      static_cast<std::size_t>(width) * sizeof(float));
        Tensor part_bias;
        if (bias_float.defined()) {
          part_bias = Tensor::uninitialized({width});
          std::memcpy(part_bias.data<float>(), bias_float.data<float>() + begin,
                      static_cast<std::size_t>(width) * sizeof(float));
        }
        entry.columns.push_back(std::make_shared<const kernels::PreparedDense>(1, part, part_bias, post_ops_));
      }
    } else {
      entry.dense =
          std::make_shared<const kernels::PreparedDense>(rows, kernel_matrix, bias_vector, post_ops_, share.get());
    }
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    // Bounded: every batch size (a last partial batch too) has a preparation of its own.
    constexpr std::size_t kMaxPrepared = 16;
    if (prepared_.size() >= kMaxPrepared && prepared_.count(key) == 0) prepared_.erase(prepared_.begin());
    prepared_[key] = entry;
  }
  return entry.dense ? entry.dense->run(x) : run_columns(entry.columns, x, n);
}

Tensor PreparedMatmulCache::run_columns(const std::vector<std::shared_ptr<const kernels::PreparedDense>>& columns,
                                        const Tensor& x, std::int64_t n) {
  Shape out_shape = x.shape();
  out_shape.back() = n;
  Tensor out = Tensor::uninitialized(out_shape);
  std::vector<std::int64_t> offsets(columns.size() + 1, 0);
  for (std::size_t i = 0; i < columns.size(); ++i) offsets[i + 1] = offsets[i] + columns[i]->columns();
  kernels::parallel_tasks(static_cast<std::int64_t>(columns.size()), static_cast<int>(columns.size()),
                          [&](std::int64_t i) {
                            const auto index = static_cast<std::size_t>(i);
                            columns[index]->run_into(x, out.data<float>() + offsets[index]);
                          });
  return out;
}

namespace {
LayerBaseOptions dense_base(const layers::DenseOptions& o) { return {o.name, o.dtype, o.trainable}; }
}  // namespace

DenseImpl::DenseImpl(std::int64_t units, const layers::DenseOptions& options)
    : QuantizedKernelLayer(dense_base(options), "dense"), units_(units), options_(options) {
  if (units <= 0)
    throw ValueError("Received an invalid value for `units`, expected a positive integer. Received: units=" +
                     std::to_string(units));
  canonicalize_dense_options(options_);
  if (!options.activity_regularizer.is_null()) activity_regularizer_ = regularizers::get(options.activity_regularizer);
  lora_.set_requested(options.lora_rank, options.lora_alpha, "Dense");
}

LayerPtr DenseImpl::from_config(const Json& config) {
  reject_unsupported_options(config, "Dense", true, true);
  layers::DenseOptions o;
  read_dense_options(config, o, true);
  LoraAdapter lora;
  lora.read_config(config, "Dense");
  o.lora_rank = lora.requested_rank();
  o.lora_alpha = lora.requested_alpha();
  auto layer = std::make_shared<DenseImpl>(required_int(config, "units", "Dense"), o);
  layer->lora_ = lora;  // keeps lora_alpha as written (8 or 8.0)
  if (auto it = config.find("dtype"); it != config.end() && it->is_object())
    layer->set_dtype_policy(DTypePolicy::from_json(*it));  // keeps a float8 amax_history_length
  return layer;
}

Json DenseImpl::get_config() const {
  Json config = base_config();
  config["units"] = units_;
  config["activation"] = activation_to_config(options_.activation);
  config["use_bias"] = options_.use_bias;
  config["kernel_initializer"] = options_.kernel_initializer.serialize();
  config["bias_initializer"] = options_.bias_initializer.serialize();
  config["kernel_regularizer"] = options_.kernel_regularizer;
  config["bias_regularizer"] = options_.bias_regularizer;
  config["kernel_constraint"] = options_.kernel_constraint;
  config["bias_constraint"] = options_.bias_constraint;
  config["quantization_config"] =
      options_.quantization_config ? options_.quantization_config->serialize() : Json(nullptr);
  lora_.write_config(config);
  return config;
}

void DenseImpl::build(const std::vector<Shape>& input_shapes) {
  const Shape& shape = input_shapes.at(0);
  if (shape.empty() || shape.back() < 0)
    throw ValueError("Dense layer '" + name() + "' needs a known last input dimension, got " + shape_to_string(shape));
  const std::string& mode = dtype_policy().quantization_mode();
  if (!mode.empty()) quantized_build(shape.back());
  // int8 and int4 keep only their integer kernel; float8 quantizes a float one on the fly.
  if (mode.empty() || mode == "float8")
    kernel_ = add_weight("kernel", {shape.back(), units_}, options_.kernel_initializer);
  if (options_.use_bias) bias_ = add_weight("bias", {units_}, options_.bias_initializer);
  // Keras' Dense.build calls enable_lora(self.lora_rank) without lora_alpha,
  // so a built layer's lora_alpha is its rank whatever the config said.
  set_built(true);
  if (auto rank = lora_.requested_rank()) enable_lora(*rank);
}

void DenseImpl::enable_lora(std::int64_t rank, const LoraOptions& options) {
  lora_.check_can_enable(*this, rank, options_.kernel_constraint, "kernel");
  // The LoRA matrices are float32 whatever the policy, [in, rank] and [rank, units].
  const std::int64_t in_dim = kernel_->shape()[0];
  auto a = add_weight("lora_kernel_a", {in_dim, rank}, options.a_initializer, true, DType::float32);
  auto b = add_weight("lora_kernel_b", {rank, units_}, options.b_initializer, true, DType::float32);
  freeze_weight(kernel_);
  lora_.enabled_with(a, b, rank, options.lora_alpha);
}

std::vector<VariablePtr> DenseImpl::variables_to_save() const {
  std::vector<VariablePtr> out = own_variables();
  if (!lora_.enabled()) return out;
  const std::string& mode = dtype_policy().quantization_mode();
  if (mode.empty()) {
    LoraAdapter::substitute(out, kernel_, lora_.merge(kernel_->value()), compute_dtype());
    return out;
  }
  // Keras' _get_kernel_with_merged_lora: dequantize, add the delta, quantize again
  // (int8 and per-channel int4 over axis 0; grouped int4 with a new zero point).
  if (mode != "int8" && mode != "int4")
    throw NotImplementedError("Dense layer '" + name() + "': saving LoRA with quantization mode '" + mode +
                              "' is not supported by keras-cpp");
  if (mode == "int4") {
    save_int4_merged_with_lora(out, kernel_, units_,
                               quant::int4_block_size(options_.quantization_config, dtype_policy()),
                               lora_.delta({kernel_->shape()[0], units_}), "Dense layer '" + name() + "'");
    return out;
  }
  const Tensor float_kernel = kernels::divide(kernel_->value().astype(DType::float32), kernel_scale_->value());
  auto a =
      quant::abs_max_quantize(kernels::add(float_kernel, lora_.delta(float_kernel.shape())), {0}, {-127, 127}, 1e-7);
  LoraAdapter::substitute(out, kernel_, a.values);
  LoraAdapter::substitute(out, kernel_scale_, kernels::squeeze(a.scale, {0}));
  return out;
}

void DenseImpl::own_variables_loaded() {
  if (lora_.enabled()) lora_.reset();
}

std::optional<std::int64_t> DenseImpl::int4_block_size() const {
  return quant::int4_block_size(options_.quantization_config, dtype_policy());
}

void DenseImpl::quantized_build(std::int64_t input_dim) {
  const std::string& mode = dtype_policy().quantization_mode();
  const auto zeros = initializers::Zeros();
  const auto ones = initializers::Ones();
  if (mode == "int8") {
    inputs_quantizer_ = quant::inputs_quantizer(options_.quantization_config, mode);
    kernel_ = add_weight("kernel", {input_dim, units_}, zeros, false, DType::int8);
    kernel_scale_ = add_weight("kernel_scale", {units_}, ones, false);
  } else if (mode == "int4") {
    inputs_quantizer_ = quant::inputs_quantizer(options_.quantization_config, mode);
    kernel_ = add_weight("kernel", {input_dim, (units_ + 1) / 2}, zeros, false, DType::int8);
    add_int4_scales(input_dim, units_, int4_block_size());
  } else if (mode == "float8") {
    add_float8_variables();
  } else {
    throw NotImplementedError("Dense layer '" + name() + "': quantization mode '" + mode +
                              "' is not supported by keras-cpp");
  }
}

std::vector<VariablePtr> DenseImpl::own_variables() const {
  const std::string& mode = dtype_policy().quantization_mode();
  // Keras' spec (kernel, bias): the LoRA matrices are not saved.
  if (mode.empty() && lora_.enabled()) return lora_.without_matrices(Layer::own_variables());
  if (mode.empty() || !built()) return Layer::own_variables();
  return quantized_own_variables(kernel_, bias_);
}

void DenseImpl::quantize_weights(const quantizers::QuantizationConfig& config) {
  const Shape kernel_shape = kernel_->shape();
  const std::string& mode = config.mode;
  Tensor values, scale, zero;
  if (mode == "int8" || mode == "int4") {
    const Tensor kernel = kernel_->value();
    const std::optional<std::int64_t> block = config.grouped() ? config.block_size : std::nullopt;
    if (block) {
      auto g = quant::grouped_quantize_with_zero_point(kernel, *block);
      values = g.values;
      scale = g.scale;
      zero = g.zero;
    } else {
      // The config's weight quantizer (its own axis, -1 when it has none) or
      // AbsMaxQuantizer(axis=0) with the mode's range.
      quantizers::AbsMaxQuantizer q;
      q.axis = std::vector<int>{0};
      if (mode == "int4") q.value_range = {-8, 7};
      if (config.weight_quantizer) {
        q = *config.weight_quantizer;
        if (!q.axis) q.axis = std::vector<int>{-1};
      }
      auto a = quant::abs_max_quantize(kernel, *q.axis, q);
      values = a.values;
      scale = kernels::squeeze(a.scale, {0});
    }
    if (mode == "int4") values = quant::pack_int4(values, -1);
    remove_weight(kernel_);
    kernel_.reset();
  }
  options_.quantization_config = config;
  // Keras builds the quantized variables under the old policy, then sets the new one.
  const DTypePolicy policy = quant::quantized_policy(config, dtype_policy());
  set_dtype_policy(policy);
  quantized_build(kernel_shape[0]);
  if (mode == "int8" || mode == "int4") {
    kernel_->assign(values);
    kernel_scale_->assign(scale);
    if (kernel_zero_) kernel_zero_->assign(zero);
  }
}

Tensor DenseImpl::quantized_matmul(const Tensor& x_in) {
  const std::string& mode = dtype_policy().quantization_mode();
  const Tensor x = x_in.dtype() == DType::float32 ? x_in : x_in.astype(DType::float32);
  if (mode == "float8") {
    // Inference: quantize-dequantize inputs and kernel with their stored scales.
    Tensor xq = quant::quantize_dequantize_float8(x, inputs_scale_->value().item());
    Tensor kq = quant::quantize_dequantize_float8(kernel_->value(), kernel_scale_->value().item());
    return kernels::matmul(xq, kq);
  }
  const auto block = mode == "int4" ? int4_block_size() : std::nullopt;
  Tensor kernel = mode == "int4" ? quant::unpack_int4(kernel_->value(), units_, -1) : kernel_->value();
  if (block)  // grouped int4: dequantize the kernel, float matmul
    return kernels::matmul(x, quant::dequantize_with_sz_map(kernel, kernel_scale_->value(), kernel_zero_->value(),
                                                            g_idx_->value(), 0, "Dense layer '" + name() + "'"));
  // Per channel: integer kernel, de-scaled after the matmul (with int8
  // inputs when the layer quantizes its activations).
  if (inputs_quantizer_) {
    auto q = quant::abs_max_quantize(x, {-1}, *inputs_quantizer_);
    Tensor acc = kernels::matmul_int8(q.values, kernel).astype(DType::float32);
    return kernels::divide(acc, kernels::multiply(kernel_scale_->value(), q.scale));
  }
  return kernels::divide(kernels::matmul(x, kernel), kernel_scale_->value());
}

Shape DenseImpl::compute_output_shape(const Shape& input_shape) {
  if (input_shape.empty()) throw ValueError("Dense layer '" + name() + "' needs an input of rank >= 1");
  Shape out = input_shape;
  out.back() = units_;
  return out;
}

Tensor DenseImpl::forward(const Tensor& input, bool /*training*/) {
  if (dtype_policy().quantized()) {
    const std::int64_t in_dim = kernel_->shape()[0];
    if (input.rank() == 0 || input.shape().back() != in_dim)
      throw ShapeMismatchError("Dense layer '" + name() + "' expects inputs with last dimension " +
                               std::to_string(in_dim) + ", got shape " + shape_to_string(input.shape()));
    Tensor y = quantized_matmul(input);
    if (lora_.enabled()) {
      // Keras' quantized calls add (alpha / rank) * ((x @ a) @ b) before the bias
      // (its float8 call refuses LoRA).
      if (dtype_policy().quantization_mode() == "float8")
        throw NotImplementedError("Currently, `_float8_call` doesn't support LoRA");
      const Tensor x = input.dtype() == DType::float32 ? input : input.astype(DType::float32);
      const Tensor lora_x = kernels::matmul(kernels::matmul(x, lora_.a()->value()), lora_.b()->value());
      y = kernels::add(y, kernels::multiply(lora_x, static_cast<float>(lora_.scale())));
    }
    if (bias_) {
      Tensor bias = bias_->value();
      // Keras' float8 call rounds a float32 bias through bfloat16.
      if (dtype_policy().quantization_mode() == "float8" && compute_dtype() == DType::float32)
        bias = bias.astype(DType::bfloat16).astype(DType::float32);
      y = kernels::add(y, bias.astype(DType::float32));
    }
    y = apply_activation(options_.activation, y);
    return y.dtype() == compute_dtype() ? y : y.astype(compute_dtype());
  }
  const Tensor kernel = lora_.enabled() ? lora_.merge(kernel_->value()) : kernel_->value();
  if (input.rank() == 0 || input.shape().back() != kernel.shape()[0])
    throw ShapeMismatchError("Dense layer '" + name() + "' expects inputs with last dimension " +
                             std::to_string(kernel.shape()[0]) + ", got shape " + shape_to_string(input.shape()));
  // Keras rounds inputs and variables to the compute dtype (float16 under
  // mixed_float16) and returns that dtype; the math itself runs in float32.
  const DType compute = compute_dtype();
  auto in_compute_precision = [compute](const Tensor& t) {
    Tensor rounded = is_floating(t.dtype()) && t.dtype() != compute ? t.astype(compute) : t;
    return rounded.dtype() == DType::float32 ? rounded : rounded.astype(DType::float32);
  };
  Tensor y = kernels::dense(in_compute_precision(input), in_compute_precision(kernel),
                            bias_ ? in_compute_precision(bias_->value()) : Tensor());
  y = apply_activation(options_.activation, y);
  return y.dtype() == compute ? y : y.astype(compute);
}

ad::Var DenseImpl::forward_tape(const ad::Var& input, TapeVariables& variables, bool /*training*/) {
  if (dtype_policy().quantized())
    throw NotImplementedError("keras-cpp has no backward pass for the quantized Dense layer '" + name() + "' (" +
                              dtype_policy().name() + ")");
  ad::Var kernel = variables(kernel_);
  if (lora_.enabled()) kernel = lora_.merge_tape(kernel, variables);
  ad::Var y = ad::dense(input, kernel, bias_ ? variables(bias_) : ad::Var());
  return activation_tape(options_.activation, y);
}

}  // namespace keras::detail

namespace keras::layers {
Dense::Dense(std::int64_t units, const DenseOptions& options)
    : LayerRef(std::make_shared<detail::DenseImpl>(units, options)) {}
}  // namespace keras::layers
