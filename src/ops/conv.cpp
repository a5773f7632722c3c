#include "ops/conv.hpp"

#include <algorithm>
#include <cctype>
#include <string>

#include "ops/common.hpp"
#include "ops/dnnl_context.hpp"

namespace keras::kernels {

using dnnl::memory;

Padding parse_padding(std::string_view name) {
  std::string lower;
  for (char c : name) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "valid") return Padding::valid;
  if (lower == "same") return Padding::same;
  if (lower == "causal") return Padding::causal;
  throw ValueError("Invalid padding '" + std::string(name) + "': expected 'valid', 'same' or 'causal'");
}

namespace {

std::int64_t effective_kernel(std::int64_t kernel, std::int64_t dilation) { return (kernel - 1) * dilation + 1; }

std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

std::int64_t floor_div(std::int64_t a, std::int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

void check_positive(const std::vector<std::int64_t>& values, const char* what) {
  for (auto v : values)
    if (v < 1) throw ValueError(std::string(what) + " must be positive, got (" + detail::join(values) + ")");
}

memory::format_tag channels_last_tag(int spatial) {
  switch (spatial) {
    case 1:
      return memory::format_tag::nwc;
    case 2:
      return memory::format_tag::nhwc;
    default:
      return memory::format_tag::ndhwc;
  }
}

// dnnl dims {N, C, *spatial} of a channels_last tensor shape [N, *spatial, C].
memory::dims ncx_dims(const Shape& shape) {
  memory::dims dims{shape.front(), shape.back()};
  dims.insert(dims.end(), shape.begin() + 1, shape.end() - 1);
  return dims;
}

std::string key_of(const char* kind, const std::vector<const std::vector<std::int64_t>*>& parts) {
  std::string key = kind;
  for (const auto* part : parts) {
    key += '|';
    key += detail::join(*part);
  }
  return key;
}

// Validates x and the kernel's spatial rank; returns the number of spatial dims.
int spatial_rank(const Tensor& x, const Tensor& kernel, const char* what) {
  const int spatial = x.rank() - 2;
  if (spatial < 1 || spatial > 3)
    throw ShapeMismatchError(std::string(what) +
                             ": input must have rank 3, 4 or 5 (batch, spatial..., channels), got " +
                             shape_to_string(x.shape()));
  if (kernel.rank() != spatial + 2)
    throw ShapeMismatchError(std::string(what) + ": kernel shape " + shape_to_string(kernel.shape()) +
                             " does not match input shape " + shape_to_string(x.shape()));
  return spatial;
}

Tensor checked_bias(const Tensor& bias, std::int64_t channels, const char* what) {
  if (!bias.defined()) return {};
  Tensor b = detail::to_float(bias);
  if (b.size() != channels)
    throw ShapeMismatchError(std::string(what) + ": bias shape " + shape_to_string(b.shape()) + " does not match " +
                             std::to_string(channels) + " filters");
  return b;
}

}  // namespace

std::pair<std::int64_t, std::int64_t> conv_padding(std::int64_t input, std::int64_t kernel, std::int64_t stride,
                                                   Padding padding, std::int64_t dilation) {
  const std::int64_t k_eff = effective_kernel(kernel, dilation);
  switch (padding) {
    case Padding::valid:
      return {0, 0};
    case Padding::causal:
      return {k_eff - 1, 0};
    case Padding::same: {
      const std::int64_t out = ceil_div(input, stride);
      const std::int64_t total = std::max<std::int64_t>((out - 1) * stride + k_eff - input, 0);
      return {total / 2, total - total / 2};
    }
  }
  return {0, 0};
}

std::int64_t conv_output_length(std::int64_t input, std::int64_t kernel, std::int64_t stride, Padding padding,
                                std::int64_t dilation) {
  const auto [before, after] = conv_padding(input, kernel, stride, padding, dilation);
  return floor_div(input + before + after - effective_kernel(kernel, dilation), stride) + 1;
}

namespace {

// Everything a forward convolution needs from the shapes and arguments, validated.
struct ConvSetup {
  Shape out_shape;
  bool empty = false;  // nothing to compute (batch or filters 0)
  memory::desc src_md, dst_md, bias_md, keras_w_md, any_w_md;
  memory::dims strides, dilation, pad_l, pad_r;
  std::int64_t groups = 1;
  std::int64_t filters = 0;
  std::string key;  // identifies the primitive (with the bias flag)
};

ConvSetup setup_conv(const Shape& x_shape, const Shape& kernel_shape, bool has_bias,
                     const std::vector<std::int64_t>& strides_in, Padding padding,
                     const std::vector<std::int64_t>& dilation_in) {
  const int n_sp = static_cast<int>(x_shape.size()) - 2;
  if (padding == Padding::causal && n_sp != 1)
    throw ValueError("conv: causal padding is only supported for 1-D convolutions");
  ConvSetup s;
  s.strides = detail::spatial_param(strides_in, n_sp, 1, "conv strides");
  const auto dilation = detail::spatial_param(dilation_in, n_sp, 1, "conv dilation_rate");
  check_positive(s.strides, "conv strides");
  check_positive(dilation, "conv dilation_rate");

  const std::int64_t batch = x_shape.front();
  const std::int64_t channels = x_shape.back();
  const std::int64_t in_per_group = kernel_shape[kernel_shape.size() - 2];
  s.filters = kernel_shape.back();
  if (in_per_group <= 0 || channels % in_per_group != 0)
    throw ShapeMismatchError("conv: the number of input channels (" + std::to_string(channels) +
                             ") must be evenly divisible by the kernel's in_channels (" + std::to_string(in_per_group) +
                             ")");
  s.groups = channels / in_per_group;
  if (s.filters % s.groups != 0)
    throw ShapeMismatchError("conv: filters (" + std::to_string(s.filters) + ") must be divisible by groups (" +
                             std::to_string(s.groups) + ")");

  std::vector<std::int64_t> ksize;
  s.out_shape = {batch};
  for (int i = 0; i < n_sp; ++i) {
    auto u = static_cast<std::size_t>(i);
    const std::int64_t in = x_shape[u + 1];
    const std::int64_t k = kernel_shape[u];
    ksize.push_back(k);
    const std::int64_t out = conv_output_length(in, k, s.strides[u], padding, dilation[u]);
    if (out <= 0)
      throw ValueError("The convolution operation resulted in an empty output: input shape " +
                       shape_to_string(x_shape) + ", kernel shape " + shape_to_string(kernel_shape) + ", strides (" +
                       detail::join(s.strides) + "), dilation_rate (" + detail::join(dilation) + ")");
    const auto [before, after] = conv_padding(in, k, s.strides[u], padding, dilation[u]);
    s.pad_l.push_back(before);
    // oneDNN wants dst == (src - k_eff + pad_l + pad_r) / stride + 1 exactly.
    s.pad_r.push_back(
        std::max<std::int64_t>((out - 1) * s.strides[u] + effective_kernel(k, dilation[u]) - in - before, 0));
    s.dilation.push_back(dilation[u] - 1);
    s.out_shape.push_back(out);
  }
  s.out_shape.push_back(s.filters);
  s.empty = batch == 0 || s.filters == 0;

  const auto tag = channels_last_tag(n_sp);
  s.src_md = memory::desc(ncx_dims(x_shape), memory::data_type::f32, tag);
  s.dst_md = memory::desc(ncx_dims(s.out_shape), memory::data_type::f32, tag);
  s.bias_md = memory::desc({s.filters}, memory::data_type::f32, memory::format_tag::a);

  // Keras kernel [*k, C/g, F] described with explicit strides as oneDNN's
  // (grouped) weights {G, F/g, C/g, *k}.
  const std::int64_t out_per_group = s.filters / s.groups;
  std::vector<std::int64_t> spatial_strides(static_cast<std::size_t>(n_sp));
  std::int64_t running = in_per_group * s.filters;
  for (int i = n_sp - 1; i >= 0; --i) {
    spatial_strides[static_cast<std::size_t>(i)] = running;
    running *= ksize[static_cast<std::size_t>(i)];
  }
  memory::dims w_dims, w_strides;
  if (s.groups > 1) {
    w_dims = {s.groups, out_per_group, in_per_group};
    w_strides = {out_per_group, 1, s.filters};
  } else {
    w_dims = {s.filters, in_per_group};
    w_strides = {1, s.filters};
  }
  w_dims.insert(w_dims.end(), ksize.begin(), ksize.end());
  w_strides.insert(w_strides.end(), spatial_strides.begin(), spatial_strides.end());
  s.keras_w_md = memory::desc(w_dims, memory::data_type::f32, w_strides);
  s.any_w_md = memory::desc(w_dims, memory::data_type::f32, memory::format_tag::any);

  const std::vector<std::int64_t> flags{s.groups, has_bias ? 1 : 0};
  s.key = key_of("conv", {&x_shape, &kernel_shape, &s.strides, &s.pad_l, &s.pad_r, &s.dilation, &flags});
  return s;
}

}  // namespace

namespace {

detail::DnnlPrimitive make_conv_primitive(const ConvSetup& s, bool has_bias, const dnnl::primitive_attr& attr) {
  auto desc = has_bias ? dnnl::convolution_forward::desc(dnnl::prop_kind::forward_inference,
                                                         dnnl::algorithm::convolution_direct, s.src_md, s.any_w_md,
                                                         s.bias_md, s.dst_md, s.strides, s.dilation, s.pad_l, s.pad_r)
                       : dnnl::convolution_forward::desc(dnnl::prop_kind::forward_inference,
                                                         dnnl::algorithm::convolution_direct, s.src_md, s.any_w_md,
                                                         s.dst_md, s.strides, s.dilation, s.pad_l, s.pad_r);
  dnnl::convolution_forward::primitive_desc pd(desc, attr, detail::cpu_engine());
  auto p = detail::make_primitive<dnnl::convolution_forward::primitive_desc, dnnl::convolution_forward>(pd);
  p.weights_desc = pd.weights_desc();
  return p;
}

void append_post_op(dnnl::post_ops& ops, PostOp op) {
  using dnnl::algorithm;
  switch (op) {
    case PostOp::relu:
      ops.append_eltwise(1.0F, algorithm::eltwise_relu, 0.0F, 0.0F);
      break;
    case PostOp::relu6:
      ops.append_eltwise(1.0F, algorithm::eltwise_clip, 0.0F, 6.0F);
      break;
    case PostOp::sigmoid:
      ops.append_eltwise(1.0F, algorithm::eltwise_logistic, 0.0F, 0.0F);
      break;
    case PostOp::tanh:
      ops.append_eltwise(1.0F, algorithm::eltwise_tanh, 0.0F, 0.0F);
      break;
    case PostOp::silu:
      ops.append_eltwise(1.0F, algorithm::eltwise_swish, 1.0F, 0.0F);
      break;
    case PostOp::hard_silu:
      ops.append_eltwise(1.0F, algorithm::eltwise_hardswish, 0.0F, 0.0F);
      break;
    case PostOp::gelu_erf:
      ops.append_eltwise(1.0F, algorithm::eltwise_gelu_erf, 0.0F, 0.0F);
      break;
    case PostOp::gelu_tanh:
      ops.append_eltwise(1.0F, algorithm::eltwise_gelu_tanh, 0.0F, 0.0F);
      break;
  }
}

}  // namespace

Tensor conv(const Tensor& x_in, const Tensor& kernel_in, const Tensor& bias_in,
            const std::vector<std::int64_t>& strides_in, Padding padding,
            const std::vector<std::int64_t>& dilation_in) {
  Tensor x = detail::to_float(x_in);
  Tensor kernel = detail::to_float(kernel_in);
  spatial_rank(x, kernel, "conv");
  Tensor bias = checked_bias(bias_in, kernel.dim(-1), "conv");
  const ConvSetup s = setup_conv(x.shape(), kernel.shape(), bias.defined(), strides_in, padding, dilation_in);
  Tensor out(s.out_shape);
  if (s.empty) return out;
  auto prim =
      detail::cached_primitive(s.key, [&] { return make_conv_primitive(s, bias.defined(), detail::default_attr()); });
  dnnl::memory weights = detail::reorder_if_needed(s.keras_w_md, kernel.data<float>(), prim->weights_desc);
  std::unordered_map<int, memory> args{{DNNL_ARG_SRC, detail::wrap_memory(s.src_md, x.data<float>())},
                                       {DNNL_ARG_WEIGHTS, weights},
                                       {DNNL_ARG_DST, detail::wrap_memory(s.dst_md, out.data<float>())}};
  if (bias.defined()) args.emplace(DNNL_ARG_BIAS, detail::wrap_memory(s.bias_md, bias.data<float>()));
  detail::execute(*prim, std::move(args));
  return out;
}

struct PreparedConv::State {
  Shape input_shape;
  ConvSetup setup;
  detail::DnnlPrimitive primitive;
  dnnl::memory weights;  // owned, in the primitive's layout
  Tensor bias;
};

PreparedConv::PreparedConv(const Shape& input_shape, const Tensor& kernel_in, const Tensor& bias_in,
                           const std::vector<std::int64_t>& strides, Padding padding,
                           const std::vector<std::int64_t>& dilation, const std::vector<PostOp>& post_ops) {
  auto state = std::make_shared<State>();
  Tensor kernel = detail::to_float(kernel_in);
  if (static_cast<int>(input_shape.size()) != kernel.rank() || kernel.rank() < 3 || kernel.rank() > 5)
    throw ShapeMismatchError("conv: kernel shape " + shape_to_string(kernel.shape()) + " does not match input shape " +
                             shape_to_string(input_shape));
  state->input_shape = input_shape;
  state->bias = checked_bias(bias_in, kernel.dim(-1), "conv");
  state->setup = setup_conv(input_shape, kernel.shape(), state->bias.defined(), strides, padding, dilation);
  dnnl::primitive_attr attr = detail::default_attr();
  if (!post_ops.empty()) {
    dnnl::post_ops ops;
    for (PostOp op : post_ops) append_post_op(ops, op);
    attr.set_post_ops(ops);
  }
  try {
    state->primitive = make_conv_primitive(state->setup, state->bias.defined(), attr);
  } catch (const dnnl::error& e) {
    throw ValueError(std::string("oneDNN cannot create a convolution for ") + state->setup.key + ": " + e.what());
  }
  // Copies (reorders) the weights even when the layouts agree: the prepared conv must not
  // depend on the variable's buffer staying as it is.
  state->weights = dnnl::memory(state->primitive.weights_desc, detail::cpu_engine());
  dnnl::memory source = detail::wrap_memory(state->setup.keras_w_md, kernel.data<float>());
  detail::run_reorder(source, state->weights);
  state_ = std::move(state);
}

const Shape& PreparedConv::input_shape() const { return state_->input_shape; }
const Shape& PreparedConv::output_shape() const { return state_->setup.out_shape; }

Tensor PreparedConv::run(const Tensor& x) const {
  const State& s = *state_;
  if (x.shape() != s.input_shape || x.dtype() != DType::float32)
    throw ShapeMismatchError("conv: prepared for input shape " + shape_to_string(s.input_shape) + ", got " +
                             shape_to_string(x.shape()));
  Tensor out = Tensor::uninitialized(s.setup.out_shape);
  if (s.setup.empty) return Tensor(s.setup.out_shape);
  std::unordered_map<int, memory> args{{DNNL_ARG_SRC, detail::wrap_memory(s.setup.src_md, x.data<float>())},
                                       {DNNL_ARG_WEIGHTS, s.weights},
                                       {DNNL_ARG_DST, detail::wrap_memory(s.setup.dst_md, out.data<float>())}};
  if (s.bias.defined()) args.emplace(DNNL_ARG_BIAS, detail::wrap_memory(s.setup.bias_md, s.bias.data<float>()));
  detail::execute(s.primitive, std::move(args));
  return out;
}

Tensor depthwise_conv(const Tensor& x, const Tensor& kernel, const Tensor& bias,
                      const std::vector<std::int64_t>& strides, Padding padding,
                      const std::vector<std::int64_t>& dilation) {
  if (kernel.rank() < 3)
    throw ShapeMismatchError("depthwise_conv: kernel must be [*kernel_size, channels, depth_multiplier], got " +
                             shape_to_string(kernel.shape()));
  if (x.rank() < 1 || kernel.dim(-2) != x.dim(-1))
    throw ShapeMismatchError("depthwise_conv: kernel shape " + shape_to_string(kernel.shape()) +
                             " does not match input channels of " + shape_to_string(x.shape()));
  // [*k, C, M] has the memory layout of [*k, 1, C * M]: a conv with groups = C
  // whose output channel c * M + m reads input channel c.
  Shape grouped(kernel.shape().begin(), kernel.shape().end() - 2);
  grouped.push_back(1);
  grouped.push_back(kernel.dim(-2) * kernel.dim(-1));
  return conv(x, kernel.reshape(grouped), bias, strides, padding, dilation);
}

Tensor separable_conv(const Tensor& x, const Tensor& depthwise_kernel, const Tensor& pointwise_kernel,
                      const Tensor& bias, const std::vector<std::int64_t>& strides, Padding padding,
                      const std::vector<std::int64_t>& dilation) {
  Tensor depthwise = depthwise_conv(x, depthwise_kernel, Tensor(), strides, padding, dilation);
  return conv(depthwise, pointwise_kernel, bias, {1}, Padding::valid, {1});
}

namespace {

// Keras' conversion of transposed-conv arguments to the explicit (left, right)
// padding of an input-dilated convolution (backend_utils,
// _convert_conv_transpose_padding_args_from_keras_to_jax).
std::pair<std::int64_t, std::int64_t> transpose_pads(std::int64_t kernel, std::int64_t stride, std::int64_t dilation,
                                                     Padding padding, std::optional<std::int64_t> output_padding) {
  const std::int64_t k_eff = effective_kernel(kernel, dilation);
  if (padding == Padding::valid) {
    const std::int64_t extra = output_padding ? *output_padding : std::max(k_eff, stride) - k_eff;
    return {k_eff - 1, k_eff - 1 + extra};
  }
  if (padding != Padding::same) throw ValueError("conv_transpose: padding must be 'valid' or 'same'");
  const std::int64_t pad_len = output_padding ? k_eff + k_eff % 2 - 2 + *output_padding : stride + k_eff - 2;
  const std::int64_t left = std::min(pad_len / 2 + pad_len % 2, k_eff - 1);
  return {left, pad_len - left};
}

}  // namespace

std::int64_t conv_transpose_output_length(std::int64_t input, std::int64_t kernel, std::int64_t stride, Padding padding,
                                          std::optional<std::int64_t> output_padding, std::int64_t dilation) {
  const auto [left, right] = transpose_pads(kernel, stride, dilation, padding, output_padding);
  return (input - 1) * stride + 1 + left + right - effective_kernel(kernel, dilation) + 1;
}

Tensor conv_transpose(const Tensor& x_in, const Tensor& kernel_in, const Tensor& bias_in,
                      const std::vector<std::int64_t>& strides_in, Padding padding,
                      const std::vector<std::int64_t>& output_padding_in,
                      const std::vector<std::int64_t>& dilation_in) {
  Tensor x = detail::to_float(x_in);
  Tensor kernel = detail::to_float(kernel_in);
  const int n_sp = spatial_rank(x, kernel, "conv_transpose");
  const auto strides = detail::spatial_param(strides_in, n_sp, 1, "conv_transpose strides");
  const auto dilation = detail::spatial_param(dilation_in, n_sp, 1, "conv_transpose dilation_rate");
  check_positive(strides, "conv_transpose strides");
  check_positive(dilation, "conv_transpose dilation_rate");
  std::vector<std::optional<std::int64_t>> output_padding(static_cast<std::size_t>(n_sp));
  if (!output_padding_in.empty()) {
    const auto values = detail::spatial_param(output_padding_in, n_sp, 0, "conv_transpose output_padding");
    for (int i = 0; i < n_sp; ++i) {
      if (values[static_cast<std::size_t>(i)] < 0) throw ValueError("conv_transpose: negative output_padding");
      output_padding[static_cast<std::size_t>(i)] = values[static_cast<std::size_t>(i)];
    }
  }

  const std::int64_t batch = x.dim(0);
  const std::int64_t channels = x.dim(-1);
  const std::int64_t filters = kernel.dim(-2);
  if (kernel.dim(-1) != channels)
    throw ShapeMismatchError("conv_transpose: kernel shape " + shape_to_string(kernel.shape()) +
                             " (last axis = input channels) does not match input shape " + shape_to_string(x.shape()));
  Tensor bias = checked_bias(bias_in, filters, "conv_transpose");

  std::vector<std::int64_t> ksize, pad_l, pad_r, dnnl_dilation;
  Shape out_shape{batch}, computed_shape{batch};
  bool extended = false;
  for (int i = 0; i < n_sp; ++i) {
    auto u = static_cast<std::size_t>(i);
    const std::int64_t in = x.shape()[u + 1];
    const std::int64_t k = kernel.shape()[u];
    const std::int64_t k_eff = effective_kernel(k, dilation[u]);
    const auto [left, right] = transpose_pads(k, strides[u], dilation[u], padding, output_padding[u]);
    const std::int64_t out = (in - 1) * strides[u] + 1 + left + right - k_eff + 1;
    if (in <= 0 || out <= 0)
      throw ValueError("conv_transpose: empty output for input shape " + shape_to_string(x.shape()) +
                       " and kernel shape " + shape_to_string(kernel.shape()));
    // The full transposed conv has length (in - 1) * s + k_eff; Keras' output
    // starts k_eff - 1 - left into it and may run past its end (zeros there).
    const std::int64_t crop_left = k_eff - 1 - left;
    const std::int64_t crop_right = std::max<std::int64_t>(k_eff - 1 - right, 0);
    const std::int64_t computed = (in - 1) * strides[u] + k_eff - crop_left - crop_right;
    extended = extended || computed != out;
    ksize.push_back(k);
    pad_l.push_back(crop_left);
    pad_r.push_back(crop_right);
    dnnl_dilation.push_back(dilation[u] - 1);
    out_shape.push_back(out);
    computed_shape.push_back(computed);
  }
  out_shape.push_back(filters);
  computed_shape.push_back(filters);
  if (batch == 0 || filters == 0) return Tensor(out_shape);

  const bool fuse_bias = bias.defined() && !extended;
  const auto tag = channels_last_tag(n_sp);
  memory::desc src_md(ncx_dims(x.shape()), memory::data_type::f32, tag);
  memory::desc dst_md(ncx_dims(computed_shape), memory::data_type::f32, tag);
  memory::desc bias_md({filters}, memory::data_type::f32, memory::format_tag::a);
  // Keras kernel [*k, F, C] as oneDNN deconvolution weights {F, C, *k}.
  memory::dims w_dims{filters, channels};
  memory::dims w_strides{channels, 1};
  std::vector<std::int64_t> spatial_strides(static_cast<std::size_t>(n_sp));
  std::int64_t running = filters * channels;
  for (int i = n_sp - 1; i >= 0; --i) {
    spatial_strides[static_cast<std::size_t>(i)] = running;
    running *= ksize[static_cast<std::size_t>(i)];
  }
  w_dims.insert(w_dims.end(), ksize.begin(), ksize.end());
  w_strides.insert(w_strides.end(), spatial_strides.begin(), spatial_strides.end());
  memory::desc keras_w_md(w_dims, memory::data_type::f32, w_strides);
  memory::desc any_w_md(w_dims, memory::data_type::f32, memory::format_tag::any);

  const std::vector<std::int64_t> flags{fuse_bias ? 1 : 0};
  const std::string key =
      key_of("deconv", {&x.shape(), &kernel.shape(), &strides, &pad_l, &pad_r, &dnnl_dilation, &flags});
  auto prim = detail::cached_primitive(key, [&] {
    auto desc = fuse_bias ? dnnl::deconvolution_forward::desc(dnnl::prop_kind::forward_inference,
                                                              dnnl::algorithm::deconvolution_direct, src_md, any_w_md,
                                                              bias_md, dst_md, strides, dnnl_dilation, pad_l, pad_r)
                          : dnnl::deconvolution_forward::desc(dnnl::prop_kind::forward_inference,
                                                              dnnl::algorithm::deconvolution_direct, src_md, any_w_md,
                                                              dst_md, strides, dnnl_dilation, pad_l, pad_r);
    dnnl::deconvolution_forward::primitive_desc pd(desc, detail::default_attr(), detail::cpu_engine());
    auto p = detail::make_primitive<dnnl::deconvolution_forward::primitive_desc, dnnl::deconvolution_forward>(pd);
    p.weights_desc = pd.weights_desc();
    return p;
  });
  Tensor computed(computed_shape);
  dnnl::memory weights = detail::reorder_if_needed(keras_w_md, kernel.data<float>(), prim->weights_desc);
  std::unordered_map<int, memory> args{{DNNL_ARG_SRC, detail::wrap_memory(src_md, x.data<float>())},
                                       {DNNL_ARG_WEIGHTS, weights},
                                       {DNNL_ARG_DST, detail::wrap_memory(dst_md, computed.data<float>())}};
  if (fuse_bias) args.emplace(DNNL_ARG_BIAS, detail::wrap_memory(bias_md, bias.data<float>()));
  detail::execute(*prim, std::move(args));
  if (!extended) return computed;

  // Place the computed region at the start of a zero output, then add the bias everywhere.
  Tensor out(out_shape);
  detail::copy_strided(computed.data<float>(), 0, detail::contiguous_strides(computed_shape), out.data<float>(), 0,
                       detail::contiguous_strides(out_shape), computed_shape, sizeof(float));
  if (bias.defined()) {
    float* o = out.data<float>();
    const float* b = bias.data<float>();
    for (std::int64_t i = 0; i < out.size(); ++i) o[i] += b[i % filters];
  }
  return out;
}

}  // namespace keras::kernels
