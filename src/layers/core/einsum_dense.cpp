// keras.layers.EinsumDense (keras/src/layers/core/einsum_dense.py).
#include "layers/core/einsum_dense.hpp"
#include "layers/activations/activation_tape.hpp"

#include <algorithm>
#include <cctype>
#include <regex>

#include "keras/regularizers.hpp"
#include "layers/config_utils.hpp"
#include "layers/core/dense.hpp"
#include "layers/core/layer_utils.hpp"
#include "layers/core/quantization.hpp"
#include "ops/activations.hpp"
#include "ops/elementwise.hpp"
#include "ops/linalg.hpp"
#include "ops/shape_ops.hpp"

namespace keras::detail {

using namespace layer_utils;  // NOLINT(google-build-using-namespace): our own helpers

namespace {

std::string dim_str(std::int64_t d) { return d < 0 ? "None" : std::to_string(d); }

EinsumAnalysis analyze_split(const std::string& input_spec, const std::string& weight_spec,
                             const std::string& output_spec, const std::optional<std::string>& bias_axes,
                             const Shape& input_shape, const Shape& partial_output_shape, bool left_elided) {
  const auto in_rank = static_cast<std::int64_t>(input_shape.size());
  const std::int64_t elided = in_rank - static_cast<std::int64_t>(input_spec.size());
  if (input_shape.empty()) throw ValueError("EinsumDense needs an input of rank >= 1");

  Shape output_shape = partial_output_shape;
  output_shape.insert(output_shape.begin(), input_shape[0]);
  if (elided > 0 && left_elided) {
    // Keras inserts each elided dimension at position 1, which reverses their
    // order; reproduced so that symbolic shapes match Keras'.
    for (std::int64_t i = 1; i < elided; ++i) output_shape.insert(output_shape.begin() + 1, input_shape[i]);
  } else if (elided > 0) {
    for (std::int64_t i = in_rank - elided; i < in_rank; ++i) output_shape.push_back(input_shape[i]);
  }

  // Positions of each letter in the input and the full output shape.
  auto input_index = [&](char dim) -> std::int64_t {
    auto pos = static_cast<std::int64_t>(input_spec.find(dim));
    return left_elided ? pos + elided : pos;  // Keras' negative index resolved
  };
  auto output_index = [&](char dim) -> std::int64_t {
    auto pos = static_cast<std::int64_t>(output_spec.find(dim));
    return left_elided ? pos + elided : pos;
  };
  auto at = [](const Shape& shape, std::int64_t index, const char* what) {
    if (index < 0 || index >= static_cast<std::int64_t>(shape.size()))
      throw ValueError(std::string("EinsumDense: the equation does not fit the ") + what + " shape " +
                       shape_to_string(shape));
    return shape[static_cast<std::size_t>(index)];
  };

  for (char dim : input_spec) {
    const std::int64_t in_dim = at(input_shape, input_index(dim), "input");
    if (output_spec.find(dim) != std::string::npos) {
      const std::int64_t out_dim = at(output_shape, output_index(dim), "output");
      if (out_dim >= 0 && out_dim != in_dim)
        throw ValueError("Input shape and output shape do not match at shared dimension '" + std::string(1, dim) +
                         "'. Input shape is " + dim_str(in_dim) + ", and output shape is " + dim_str(out_dim) + ".");
    }
  }
  for (char dim : output_spec) {
    if (input_spec.find(dim) == std::string::npos && weight_spec.find(dim) == std::string::npos)
      throw ValueError("Dimension '" + std::string(1, dim) + "' was specified in the output '" + output_spec +
                       "' but has no corresponding dim in the input spec '" + input_spec + "' or weight spec '" +
                       output_spec + "'");
  }

  EinsumAnalysis result;
  for (std::size_t i = 0; i < weight_spec.size(); ++i) {
    const char dim = weight_spec[i];
    if (output_spec.find(dim) != std::string::npos) {
      result.kernel_shape.push_back(at(output_shape, output_index(dim), "output"));
      result.output_axes.push_back(static_cast<int>(i));
    } else if (input_spec.find(dim) != std::string::npos) {
      result.kernel_shape.push_back(at(input_shape, input_index(dim), "input"));
      result.input_axes.push_back(static_cast<int>(i));
    } else {
      throw ValueError("Weight dimension '" + std::string(1, dim) +
                       "' did not have a match in either the input spec '" + input_spec + "' or the output spec '" +
                       output_spec + "'. For this layer, the weight must be fully specified.");
    }
  }

  if (bias_axes) {
    const std::int64_t num_left_elided = left_elided ? elided : 0;
    for (char c : *bias_axes) {
      if (output_spec.find(c) == std::string::npos)
        throw ValueError("Bias dimension '" + std::string(1, c) +
                         "' was requested, but is not part of the output spec '" + output_spec + "'");
    }
    std::size_t first = output_spec.size();
    for (char c : *bias_axes) first = std::min(first, output_spec.find(c));
    Shape bias_shape;
    for (std::size_t i = first; i < output_spec.size(); ++i) {
      const char c = output_spec[i];
      bias_shape.push_back(bias_axes->find(c) != std::string::npos
                               ? at(output_shape, static_cast<std::int64_t>(i) + num_left_elided, "output")
                               : 1);
    }
    if (!left_elided) {
      for (std::int64_t i = 0; i < elided; ++i) bias_shape.push_back(1);
    }
    result.bias_shape = bias_shape;
  }
  result.full_output_shape = output_shape;
  return result;
}

// A VarianceScaling initializer with Keras' input_axes/output_axes: fans are
// the products of those kernel axes (compute_fans of a [fan_in, fan_out] matrix).
class FanAxesInitializer final : public initializers::InitializerImpl {
 public:
  FanAxesInitializer(initializers::Initializer inner, std::vector<int> input_axes, std::vector<int> output_axes)
      : inner_(std::move(inner)), input_axes_(std::move(input_axes)), output_axes_(std::move(output_axes)) {}
  std::string class_name() const override { return inner_.impl().class_name(); }
  Json get_config() const override { return inner_.impl().get_config(); }
  Tensor generate(const Shape& shape, DType dtype) const override {
    std::int64_t fan_in = 1;
    std::int64_t fan_out = 1;
    for (int a : input_axes_) fan_in *= shape.at(static_cast<std::size_t>(a));
    for (int a : output_axes_) fan_out *= shape.at(static_cast<std::size_t>(a));
    return inner_(Shape{fan_in, fan_out}, dtype).reshape(shape);
  }

 private:
  initializers::Initializer inner_;
  std::vector<int> input_axes_;
  std::vector<int> output_axes_;
};

bool is_variance_scaling(const initializers::Initializer& init) {
  static const std::vector<std::string> classes = {"VarianceScaling", "GlorotUniform", "GlorotNormal", "HeUniform",
                                                   "HeNormal",        "LecunUniform",  "LecunNormal"};
  return std::find(classes.begin(), classes.end(), init.impl().class_name()) != classes.end();
}

}  // namespace

namespace {

// How many trailing input axes a plain-matmul equation contracts with the kernel's leading
// axes (input = P + C, kernel = C + K, output = P + K, every letter once per term, an optional
// "..." leading both input and output); 0 for any other equation.
int plain_matmul_contraction(const std::string& equation) {
  const auto comma = equation.find(',');
  const auto arrow = equation.find("->");
  if (comma == std::string::npos || arrow == std::string::npos || arrow < comma) return 0;
  std::string in = equation.substr(0, comma);
  std::string kernel = equation.substr(comma + 1, arrow - comma - 1);
  std::string out = equation.substr(arrow + 2);
  if (in.rfind("...", 0) == 0 && out.rfind("...", 0) == 0) {
    in = in.substr(3);
    out = out.substr(3);
  }
  auto letters_once = [](const std::string& term) {
    for (std::size_t i = 0; i < term.size(); ++i)
      if (!std::isalpha(static_cast<unsigned char>(term[i])) || term.find(term[i], i + 1) != std::string::npos)
        return false;
    return true;
  };
  if (!letters_once(in) || !letters_once(kernel) || !letters_once(out)) return 0;
  std::size_t contracted = 0;
  while (contracted < kernel.size() && out.find(kernel[contracted]) == std::string::npos) ++contracted;
  if (contracted == 0 || contracted > in.size()) return 0;
  const std::string prefix = in.substr(0, in.size() - contracted);
  if (in.substr(prefix.size()) != kernel.substr(0, contracted)) return 0;
  if (out != prefix + kernel.substr(contracted)) return 0;
  return static_cast<int>(contracted);
}

}  // namespace

EinsumAnalysis analyze_einsum_string(const std::string& equation, const std::optional<std::string>& bias_axes,
                                     const Shape& input_shape, const Shape& partial_output_shape) {
  std::string replaced = std::regex_replace(equation, std::regex(R"(\.\.\.)"), "0");
  std::smatch m;
  const auto anchored = std::regex_constants::match_continuous;
  static const std::regex plain("([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)");
  static const std::regex left("0([a-zA-Z]+),([a-zA-Z]+)->0([a-zA-Z]+)");
  static const std::regex right("([a-zA-Z]{2,})0,([a-zA-Z]+)->([a-zA-Z]+)0");
  if (std::regex_search(replaced, m, plain, anchored))
    return analyze_split(m[1], m[2], m[3], bias_axes, input_shape, partial_output_shape, false);
  if (std::regex_search(replaced, m, left, anchored))
    return analyze_split(m[1], m[2], m[3], bias_axes, input_shape, partial_output_shape, true);
  if (std::regex_search(replaced, m, right, anchored))
    return analyze_split(m[1], m[2], m[3], bias_axes, input_shape, partial_output_shape, false);
  throw ValueError("Invalid einsum equation '" + equation +
                   "'. Equations must be in the form [X],[Y]->[Z], ...[X],[Y]->...[Z], or [X]...,[Y]->[Z]....");
}

EinsumDenseImpl::EinsumDenseImpl(std::string equation, Shape output_shape, const layers::EinsumDenseOptions& options)
    : QuantizedKernelLayer(LayerBaseOptions{options.name, options.dtype, options.trainable}, "einsum_dense"),
      equation_(std::move(equation)),
      partial_output_shape_(std::move(output_shape)),
      options_(options) {
  options_.activation = canonical_activation(options.activation);
  options_.kernel_regularizer = regularizers::get(options.kernel_regularizer);
  options_.bias_regularizer = regularizers::get(options.bias_regularizer);
  options_.kernel_constraint = constraints::get(options.kernel_constraint);
  options_.bias_constraint = constraints::get(options.bias_constraint);
  if (!options.activity_regularizer.is_null()) activity_regularizer_ = regularizers::get(options.activity_regularizer);
  for (auto d : partial_output_shape_) {
    if (d < -1)
      throw ValueError("EinsumDense '" + name() + "': invalid output_shape " + shape_to_string(partial_output_shape_));
  }
  contracted_ = plain_matmul_contraction(equation_);
  prepared_ = std::make_shared<PreparedMatmulCache>();
  lora_.set_requested(options.lora_rank, options.lora_alpha, "EinsumDense");
}

EinsumDenseImpl::EinsumDenseImpl(std::string equation, Shape output_shape, std::optional<std::string> bias_axes,
                                 layers::EinsumDenseOptions options, std::string name)
    : EinsumDenseImpl(std::move(equation), std::move(output_shape), [&] {
        options.bias_axes = std::move(bias_axes);
        options.name = std::move(name);
        return options;
      }()) {}

LayerPtr EinsumDenseImpl::from_config(const Json& config) {
  reject_unsupported_options(config, "EinsumDense", true, true);
  layers::EinsumDenseOptions o;
  auto base = Layer::base_options_from_config(config, true);
  o.quantization_config = read_quantization_config(config);
  o.name = base.name;
  o.dtype = base.dtype;
  o.trainable = base.trainable;
  auto eq = config.find("equation");
  if (eq == config.end() || !eq->is_string()) throw FormatError("EinsumDense config needs a string 'equation'");
  Shape output_shape;
  auto os = config.find("output_shape");
  if (os == config.end()) throw FormatError("EinsumDense config needs 'output_shape'");
  if (os->is_number_integer()) {
    output_shape = {os->get<std::int64_t>()};
  } else {
    output_shape = shape_from_json(*os, "EinsumDense output_shape");
  }
  o.activation = activation_from_config(config, "activation");
  if (auto it = config.find("bias_axes"); it != config.end() && !it->is_null()) {
    if (!it->is_string()) throw FormatError("EinsumDense config 'bias_axes' must be a string, got " + it->dump());
    o.bias_axes = it->get<std::string>();
  }
  if (auto it = config.find("kernel_initializer"); it != config.end() && !it->is_null())
    o.kernel_initializer = initializers::get(*it);
  if (auto it = config.find("bias_initializer"); it != config.end() && !it->is_null())
    o.bias_initializer = initializers::get(*it);
  o.kernel_regularizer = detail::config_value(config, "kernel_regularizer", Json(nullptr));
  o.bias_regularizer = detail::config_value(config, "bias_regularizer", Json(nullptr));
  o.activity_regularizer = detail::config_value(config, "activity_regularizer", Json(nullptr));
  o.kernel_constraint = detail::config_value(config, "kernel_constraint", Json(nullptr));
  o.bias_constraint = detail::config_value(config, "bias_constraint", Json(nullptr));
  auto layer = std::make_shared<EinsumDenseImpl>(eq->get<std::string>(), output_shape, o);
  layer->lora_.read_config(config, "EinsumDense");
  if (auto it = config.find("dtype"); it != config.end() && it->is_object())
    layer->set_dtype_policy(DTypePolicy::from_json(*it));  // keeps a float8 amax_history_length
  return layer;
}

Json EinsumDenseImpl::get_config() const {
  Json config = base_config();
  config["output_shape"] = shape_to_json(partial_output_shape_);
  config["equation"] = equation_;
  config["activation"] = activation_to_config(options_.activation);
  config["bias_axes"] = options_.bias_axes ? Json(*options_.bias_axes) : Json(nullptr);
  config["kernel_initializer"] = options_.kernel_initializer.serialize();
  config["bias_initializer"] = options_.bias_initializer.serialize();
  config["kernel_regularizer"] = options_.kernel_regularizer;
  config["bias_regularizer"] = options_.bias_regularizer;
  // Written in this position unless base_config() already placed it.
  config["activity_regularizer"] = activity_regularizer_ ? *activity_regularizer_ : Json(nullptr);
  config["kernel_constraint"] = options_.kernel_constraint;
  config["bias_constraint"] = options_.bias_constraint;
  config["quantization_config"] =
      options_.quantization_config ? options_.quantization_config->serialize() : Json(nullptr);
  lora_.write_config(config);
  return config;
}

void EinsumDenseImpl::build(const std::vector<Shape>& input_shapes) {
  const Shape& input_shape = input_shapes.at(0);
  EinsumAnalysis a = analyze_einsum_string(equation_, options_.bias_axes, input_shape, partial_output_shape_);
  auto check_known = [&](const Shape& shape, const char* what) {
    for (auto d : shape) {
      if (d < 0)
        throw ValueError("EinsumDense '" + name() + "': the " + what + " shape " + shape_to_string(shape) +
                         " has unknown dimensions for input shape " + shape_to_string(input_shape) +
                         "; give them in output_shape");
    }
  };
  check_known(a.kernel_shape, "kernel");
  initializers::Initializer kernel_init = options_.kernel_initializer;
  if (is_variance_scaling(kernel_init))
    kernel_init =
        initializers::Initializer(std::make_shared<FanAxesInitializer>(kernel_init, a.input_axes, a.output_axes));
  const std::string& mode = dtype_policy().quantization_mode();
  kernel_shape_ = a.kernel_shape;
  if (!mode.empty()) quantized_build(a.kernel_shape, static_cast<int>(input_shape.size()));
  // int8 and int4 keep only their integer kernel.
  if (mode.empty() || mode == "float8") kernel_ = add_weight("kernel", a.kernel_shape, kernel_init);
  if (a.bias_shape) {
    check_known(*a.bias_shape, "bias");
    bias_ = add_weight("bias", *a.bias_shape, options_.bias_initializer);
  }
  // Keras' EinsumDense.build passes lora_alpha on (Dense's does not).
  set_built(true);
  if (auto rank = lora_.requested_rank()) enable_lora(*rank, {.lora_alpha = lora_.requested_alpha()});
}

void EinsumDenseImpl::enable_lora(std::int64_t rank, const LoraOptions& options) {
  lora_.check_can_enable(*this, rank, options_.kernel_constraint, "kernel");
  // int4 stores a flattened kernel: the adapters follow the original shape.
  Shape a_shape(kernel_shape_.begin(), kernel_shape_.end() - 1);
  a_shape.push_back(rank);
  auto a = add_weight("lora_kernel_a", a_shape, options.a_initializer, true, DType::float32);
  auto b = add_weight("lora_kernel_b", {rank, kernel_shape_.back()}, options.b_initializer, true, DType::float32);
  freeze_weight(kernel_);
  lora_.enabled_with(a, b, rank, options.lora_alpha);
}

void EinsumDenseImpl::own_variables_loaded() {
  if (lora_.enabled()) lora_.reset();
}

std::vector<VariablePtr> EinsumDenseImpl::variables_to_save() const {
  std::vector<VariablePtr> out = own_variables();
  if (!lora_.enabled()) return out;
  const std::string& mode = dtype_policy().quantization_mode();
  if (mode.empty()) {
    // Keras writes its `kernel` property: the merged kernel in the compute dtype.
    LoraAdapter::substitute(out, kernel_, lora_.merge(kernel_->value()), compute_dtype());
    return out;
  }
  // Keras' _get_kernel_with_merged_lora: dequantize, add the delta, quantize again.
  const std::string where = "EinsumDense layer '" + name() + "'";
  if (mode == "int4") {
    const auto [rows, columns] = int4_rows_columns();
    save_int4_merged_with_lora(out, kernel_, columns,
                               quant::int4_block_size(options_.quantization_config, dtype_policy()),
                               lora_.delta(kernel_shape_).reshape({rows, columns}), where);
    return out;
  }
  if (mode != "int8")
    throw NotImplementedError(where + ": saving LoRA with quantization mode '" + mode +
                              "' is not supported by keras-cpp");
  // int8: the stored scale has the layout quantized_build gives it; undo that
  // (_adjust_scale_for_dequant) to divide the kernel, redo it for the new scale.
  const Tensor float_kernel = kernels::divide(kernel_->value().astype(DType::float32), scale_for_dequant());
  auto a = quant::abs_max_quantize(kernels::add(float_kernel, lora_.delta(kernel_shape_)),
                                   quant_info_.kernel_reduced_axes, {-127, 127}, 1e-7);
  LoraAdapter::substitute(out, kernel_, a.values);
  LoraAdapter::substitute(
      out, kernel_scale_,
      quant::adjust_scale_for_quant(a.scale, quant_info_.kernel_transpose_axes, quant_info_.kernel_expand_axes,
                                    quant_info_.kernel_squeeze_axes));
  return out;
}

// Keras' _adjust_scale_for_dequant: expand the squeezed axes, squeeze the
// expanded ones, and transpose back.
Tensor EinsumDenseImpl::scale_for_dequant() const {
  Tensor scale = kernel_scale_->value();
  if (!quant_info_.kernel_squeeze_axes.empty()) {
    Shape shape = scale.shape();
    std::vector<int> axes = quant_info_.kernel_squeeze_axes;
    const int rank = scale.rank() + static_cast<int>(axes.size());
    for (int& a : axes) a = a < 0 ? a + rank : a;
    std::sort(axes.begin(), axes.end());
    for (int a : axes) shape.insert(shape.begin() + a, 1);
    scale = scale.reshape(shape);
  }
  if (!quant_info_.kernel_expand_axes.empty()) {
    std::vector<int> axes;
    for (int a : quant_info_.kernel_expand_axes) axes.push_back(a < 0 ? a + scale.rank() : a);
    scale = kernels::squeeze(scale, axes);
  }
  if (!quant_info_.kernel_transpose_axes.empty()) {
    const std::vector<int>& forward = quant_info_.kernel_transpose_axes;
    std::vector<int> reverse(forward.size());
    for (std::size_t i = 0; i < forward.size(); ++i)
      reverse[static_cast<std::size_t>(forward[i])] = static_cast<int>(i);
    scale = kernels::transpose(scale, reverse).clone();
  }
  return scale;
}

std::pair<std::int64_t, std::int64_t> EinsumDenseImpl::int4_rows_columns() const {
  std::int64_t rows = 1;
  std::int64_t columns = 1;
  for (std::size_t i = 0; i < kernel_shape_.size(); ++i) {
    const bool reduced = std::find(quant_info_.kernel_reduced_axes.begin(), quant_info_.kernel_reduced_axes.end(),
                                   static_cast<int>(i)) != quant_info_.kernel_reduced_axes.end();
    (reduced ? rows : columns) *= kernel_shape_[i];
  }
  return {rows, columns};
}

void EinsumDenseImpl::quantized_build(const Shape& kernel_shape, int input_rank) {
  const std::string& mode = dtype_policy().quantization_mode();
  const auto zeros = initializers::Zeros();
  const auto ones = initializers::Ones();
  if (mode == "int8" || mode == "int4") {
    quant_info_ = quant::analyze_einsum_quantization(equation_, input_rank);
    inputs_quantizer_ = quant::inputs_quantizer(options_.quantization_config, mode);
  }
  if (mode == "int8") {
    kernel_ = add_weight("kernel", kernel_shape, zeros, false, DType::int8);
    kernel_scale_ = add_weight("kernel_scale", quant::kernel_scale_shape(kernel_shape, quant_info_), ones, false);
  } else if (mode == "int4") {
    const auto [rows, columns] = int4_rows_columns();
    kernel_ = add_weight("kernel", {rows, (columns + 1) / 2}, zeros, false, DType::int8);
    add_int4_scales(rows, columns, quant::int4_block_size(options_.quantization_config, dtype_policy()));
  } else if (mode == "float8") {
    add_float8_variables();
  } else {
    throw NotImplementedError("EinsumDense layer '" + name() + "': quantization mode '" + mode +
                              "' is not supported by keras-cpp");
  }
}

std::vector<VariablePtr> EinsumDenseImpl::own_variables() const {
  const std::string& mode = dtype_policy().quantization_mode();
  if (mode.empty() && lora_.enabled()) return lora_.without_matrices(Layer::own_variables());
  if (mode.empty() || !built()) return Layer::own_variables();
  return quantized_own_variables(kernel_, bias_);
}

void EinsumDenseImpl::quantize_weights(const quantizers::QuantizationConfig& config) {
  const std::string& mode = config.mode;
  const int input_rank = static_cast<int>(build_input_shapes().at(0).size());
  Tensor values, scale, zero;
  if (mode == "int8" || mode == "int4") {
    quant_info_ = quant::analyze_einsum_quantization(equation_, input_rank);
    const Tensor kernel = kernel_->value();
    if (mode == "int8") {
      quantizers::AbsMaxQuantizer q;
      q.axis = quant_info_.kernel_reduced_axes;
      if (config.weight_quantizer) {
        q = *config.weight_quantizer;
        if (!q.axis) q.axis = std::vector<int>{-1};
      }
      auto a = quant::abs_max_quantize(kernel, *q.axis, q);
      values = a.values;
      scale = quant::adjust_scale_for_quant(a.scale, quant_info_.kernel_transpose_axes, quant_info_.kernel_expand_axes,
                                            quant_info_.kernel_squeeze_axes);
    } else {
      const auto [rows, columns] = int4_rows_columns();
      const Tensor flat = kernel.reshape({rows, columns});
      if (config.grouped()) {
        auto g = quant::grouped_quantize_with_zero_point(flat, *config.block_size);
        values = g.values;
        scale = g.scale;
        zero = g.zero;
      } else {
        auto a = quant::abs_max_quantize(flat, {0}, {-8, 7}, 1e-7);
        values = a.values;
        scale = kernels::squeeze(a.scale, {0});
      }
      values = quant::pack_int4(values, -1);
    }
    remove_weight(kernel_);
    kernel_.reset();
  }
  options_.quantization_config = config;
  set_dtype_policy(quant::quantized_policy(config, dtype_policy()));
  quantized_build(kernel_shape_, input_rank);
  if (mode == "int8" || mode == "int4") {
    kernel_->assign(values);
    kernel_scale_->assign(scale);
    if (kernel_zero_) kernel_zero_->assign(zero);
  }
}

Tensor EinsumDenseImpl::quantized_einsum(const Tensor& x_in) {
  const std::string& mode = dtype_policy().quantization_mode();
  const Tensor x = x_in.dtype() == DType::float32 ? x_in : x_in.astype(DType::float32);
  if (mode == "float8") {
    Tensor xq = quant::quantize_dequantize_float8(x, inputs_scale_->value().item());
    Tensor kq = quant::quantize_dequantize_float8(kernel_->value(), kernel_scale_->value().item());
    return kernels::einsum(equation_, xq, kq);
  }
  const std::string where = "EinsumDense layer '" + name() + "'";
  auto input_scale = [&](const Tensor& scale) {
    return quant::adjust_scale_for_quant(scale, quant_info_.input_transpose_axes, quant_info_.input_expand_axes,
                                         quant_info_.input_squeeze_axes);
  };
  if (mode == "int8") {
    const Tensor& kernel = kernel_->value();
    if (inputs_quantizer_) {
      auto q = quant::abs_max_quantize(x, quant_info_.input_reduced_axes, *inputs_quantizer_);
      Tensor acc = kernels::einsum_int8(equation_, q.values, kernel).astype(DType::float32);
      return kernels::divide(acc, kernels::multiply(input_scale(q.scale), kernel_scale_->value()));
    }
    return kernels::divide(kernels::einsum(equation_, x, kernel), kernel_scale_->value());
  }
  // int4: dequantize the [rows, columns] kernel, back to the kernel's shape.
  const auto [rows, columns] = int4_rows_columns();
  (void)rows;
  Tensor unpacked = quant::unpack_int4(kernel_->value(), columns, -1);
  const auto block = quant::int4_block_size(options_.quantization_config, dtype_policy());
  Tensor float_kernel = block ? quant::dequantize_with_sz_map(unpacked, kernel_scale_->value(), kernel_zero_->value(),
                                                              g_idx_->value(), 0, where)
                              : kernels::divide(unpacked.astype(DType::float32), kernel_scale_->value());
  float_kernel = float_kernel.reshape(kernel_shape_);
  if (!block && inputs_quantizer_) {
    auto q = quant::abs_max_quantize(x, quant_info_.input_reduced_axes, *inputs_quantizer_);
    return kernels::divide(kernels::einsum(equation_, q.values, float_kernel), input_scale(q.scale));
  }
  return kernels::einsum(equation_, x, float_kernel);
}

Shape EinsumDenseImpl::compute_output_shape(const Shape& input_shape) {
  return analyze_einsum_string(equation_, options_.bias_axes, input_shape, partial_output_shape_).full_output_shape;
}

Tensor EinsumDenseImpl::forward(const Tensor& input, bool /*training*/) {
  if (!kernel_) throw ValueError("EinsumDense '" + name() + "' is not built");
  if (dtype_policy().quantized()) {
    Tensor y = quantized_einsum(input);
    if (lora_.enabled()) {
      // Keras' quantized calls: + (alpha / rank) * (einsum(equation, x, a) @ b) (float8 refuses LoRA).
      if (dtype_policy().quantization_mode() == "float8")
        throw NotImplementedError("Currently, `_float8_call` doesn't support LoRA");
      const Tensor x = input.dtype() == DType::float32 ? input : input.astype(DType::float32);
      const Tensor lora_x = kernels::matmul(kernels::einsum(equation_, x, lora_.a()->value()), lora_.b()->value());
      y = kernels::add(y, kernels::multiply(lora_x, static_cast<float>(lora_.scale())));
    }
    if (bias_) {
      Tensor bias = bias_->value();
      if (dtype_policy().quantization_mode() == "float8" && compute_dtype() == DType::float32)
        bias = bias.astype(DType::bfloat16).astype(DType::float32);
      y = kernels::add(y, bias.astype(DType::float32));
    }
    y = apply_activation(options_.activation, y);
    return to_dtype(y, compute_dtype());
  }
  Tensor x = input.dtype() == DType::float32 ? input : input.astype(DType::float32);
  if (const auto c = static_cast<std::size_t>(contracted_);
      c > 0 && !lora_.enabled() && variable_dtype() == DType::float32 && compute_dtype() == DType::float32 &&
      x.size() > 0 && static_cast<std::size_t>(x.rank()) >= c) {
    // A matrix product: [rows, k] . kernel [k, n] through a prepared matmul.
    const Shape& ks = kernel_->shape();
    const Shape& xs = x.shape();
    if (ks.size() > c && std::equal(ks.begin(), ks.begin() + static_cast<std::ptrdiff_t>(c), xs.end() - c)) {
      std::int64_t k = 1;
      for (std::size_t i = 0; i < c; ++i) k *= ks[i];
      const Shape kept(ks.begin() + static_cast<std::ptrdiff_t>(c), ks.end());
      const std::int64_t n = shape_size(kept);
      Shape out_shape(xs.begin(), xs.end() - static_cast<std::ptrdiff_t>(c));
      out_shape.insert(out_shape.end(), kept.begin(), kept.end());
      if (k > 0 && n > 0) {
        Shape flat(xs.begin(), xs.end() - static_cast<std::ptrdiff_t>(c));
        flat.push_back(k);
        // The bias goes into the product when it spans the kernel's output axes exactly.
        const bool fuse_bias = bias_ && bias_->shape() == kept;
        Tensor y = prepared_->run(x.reshape(flat), kernel_, fuse_bias ? bias_ : VariablePtr(), k, n).reshape(out_shape);
        if (bias_ && !fuse_bias) y = kernels::add(y, bias_->value());
        y = apply_activation(options_.activation, y);
        return to_dtype(y, compute_dtype());
      }
    }
  }
  Tensor kernel = lora_.enabled() ? lora_.merge(kernel_->value()) : kernel_->value();
  if (kernel.dtype() != DType::float32) kernel = kernel.astype(DType::float32);
  Tensor y = kernels::einsum(equation_, x, kernel);
  if (bias_) y = kernels::add(y, bias_->value());
  y = apply_activation(options_.activation, y);
  return to_dtype(y, compute_dtype());
}

ad::Var EinsumDenseImpl::forward_tape(const ad::Var& input, TapeVariables& variables, bool /*training*/) {
  if (dtype_policy().quantized())
    throw NotImplementedError("keras-cpp has no backward pass for the quantized EinsumDense layer '" + name() + "' (" +
                              dtype_policy().name() + ")");
  ad::Var kernel = variables(kernel_);
  if (lora_.enabled()) kernel = lora_.merge_tape(kernel, variables);
  ad::Var y = ad::einsum(equation_, input, kernel);
  if (bias_) y = y + variables(bias_);
  return activation_tape(options_.activation, y);
}

}  // namespace keras::detail

namespace keras::layers {
EinsumDense::EinsumDense(const std::string& equation, const Shape& output_shape, const EinsumDenseOptions& options)
    : LayerRef(std::make_shared<detail::EinsumDenseImpl>(equation, output_shape, options)) {}
EinsumDense::EinsumDense(const std::string& equation, std::int64_t output_shape, const EinsumDenseOptions& options)
    : LayerRef(std::make_shared<detail::EinsumDenseImpl>(equation, Shape{output_shape}, options)) {}
}  // namespace keras::layers
