#include "ops/conv.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <string>

#include "ops/common.hpp"
#include "ops/conv_geometry.hpp"
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

ConvGeometry conv_geometry(const Shape& x_shape, const Shape& kernel_shape, const std::vector<std::int64_t>& strides_in,
                           Padding padding, const std::vector<std::int64_t>& dilation_in,
                           const std::vector<std::pair<std::int64_t, std::int64_t>>& zero_padding) {
  ConvGeometry g;
  const int n_sp = static_cast<int>(x_shape.size()) - 2;
  if (n_sp < 1 || n_sp > 3)
    throw ShapeMismatchError("conv: input must have rank 3, 4 or 5 (batch, spatial..., channels), got " +
                             shape_to_string(x_shape));
  if (static_cast<int>(kernel_shape.size()) != n_sp + 2)
    throw ShapeMismatchError("conv: kernel shape " + shape_to_string(kernel_shape) + " does not match input shape " +
                             shape_to_string(x_shape));
  if (padding == Padding::causal && n_sp != 1)
    throw ValueError("conv: causal padding is only supported for 1-D convolutions");
  if (!zero_padding.empty() && static_cast<int>(zero_padding.size()) != n_sp)
    throw ValueError("conv: zero_padding needs one pair per spatial dimension");
  for (const auto& [before, after] : zero_padding)
    if (before < 0 || after < 0) throw ValueError("conv: zero_padding cannot be negative");
  g.n_sp = n_sp;
  g.strides = detail::spatial_param(strides_in, n_sp, 1, "conv strides");
  const auto dilation = detail::spatial_param(dilation_in, n_sp, 1, "conv dilation_rate");
  check_positive(g.strides, "conv strides");
  check_positive(dilation, "conv dilation_rate");

  const std::int64_t batch = x_shape.front();
  const std::int64_t channels = x_shape.back();
  const std::int64_t in_per_group = kernel_shape[kernel_shape.size() - 2];
  const std::int64_t filters = kernel_shape.back();
  if (in_per_group <= 0 || channels % in_per_group != 0)
    throw ShapeMismatchError("conv: the number of input channels (" + std::to_string(channels) +
                             ") must be evenly divisible by the kernel's in_channels (" + std::to_string(in_per_group) +
                             ")");
  const std::int64_t groups = channels / in_per_group;
  if (filters % groups != 0)
    throw ShapeMismatchError("conv: filters (" + std::to_string(filters) + ") must be divisible by groups (" +
                             std::to_string(groups) + ")");
  g.groups = groups;
  g.filters = filters;

  g.out_shape = {batch};
  for (int i = 0; i < n_sp; ++i) {
    auto u = static_cast<std::size_t>(i);
    const std::int64_t in = x_shape[u + 1];
    const auto [zero_before, zero_after] =
        zero_padding.empty() ? std::pair<std::int64_t, std::int64_t>{0, 0} : zero_padding[u];
    const std::int64_t padded = in + zero_before + zero_after;  // what the convolution sees
    const std::int64_t k = kernel_shape[u];
    g.ksize.push_back(k);
    const std::int64_t out = conv_output_length(padded, k, g.strides[u], padding, dilation[u]);
    if (out <= 0)
      throw ValueError("The convolution operation resulted in an empty output: input shape " +
                       shape_to_string(x_shape) + ", kernel shape " + shape_to_string(kernel_shape) + ", strides (" +
                       detail::join(g.strides) + "), dilation_rate (" + detail::join(dilation) + ")");
    const std::int64_t before = conv_padding(padded, k, g.strides[u], padding, dilation[u]).first + zero_before;
    g.pad_l.push_back(before);
    // oneDNN wants dst == (src - k_eff + pad_l + pad_r) / stride + 1 exactly.
    g.pad_r.push_back(
        std::max<std::int64_t>((out - 1) * g.strides[u] + effective_kernel(k, dilation[u]) - in - before, 0));
    g.dilation.push_back(dilation[u] - 1);
    g.out_shape.push_back(out);
  }
  g.out_shape.push_back(filters);

  const auto tag = channels_last_tag(n_sp);
  g.src_md = memory::desc(ncx_dims(x_shape), memory::data_type::f32, tag);
  g.dst_md = memory::desc(ncx_dims(g.out_shape), memory::data_type::f32, tag);
  g.bias_md = memory::desc({filters}, memory::data_type::f32, memory::format_tag::a);
  // Keras kernel [*k, C/g, F] described with explicit strides as oneDNN's
  // (grouped) weights {G, F/g, C/g, *k}.
  const std::int64_t out_per_group = filters / groups;
  std::vector<std::int64_t> spatial_strides(static_cast<std::size_t>(n_sp));
  std::int64_t running = in_per_group * filters;
  for (int i = n_sp - 1; i >= 0; --i) {
    spatial_strides[static_cast<std::size_t>(i)] = running;
    running *= g.ksize[static_cast<std::size_t>(i)];
  }
  memory::dims w_dims, w_strides;
  if (groups > 1) {
    w_dims = {groups, out_per_group, in_per_group};
    w_strides = {out_per_group, 1, filters};
  } else {
    w_dims = {filters, in_per_group};
    w_strides = {1, filters};
  }
  w_dims.insert(w_dims.end(), g.ksize.begin(), g.ksize.end());
  w_strides.insert(w_strides.end(), spatial_strides.begin(), spatial_strides.end());
  g.keras_w_md = memory::desc(w_dims, memory::data_type::f32, w_strides);
  g.any_w_md = memory::desc(w_dims, memory::data_type::f32, memory::format_tag::any);
  g.key = key_of("conv", {&x_shape, &kernel_shape, &g.strides, &g.pad_l, &g.pad_r, &g.dilation});
  return g;
}

namespace {

// The primitive's key: the geometry's, plus what the geometry alone does not fix.
std::string conv_key(const ConvGeometry& g, bool has_bias) {
  return g.key + (has_bias ? "|bias" : "") + (g.groups > 1 ? "|grouped" : "");
}

detail::DnnlPrimitive make_conv_primitive(const ConvGeometry& g, bool has_bias, const dnnl::primitive_attr& attr) {
  auto desc = has_bias ? dnnl::convolution_forward::desc(dnnl::prop_kind::forward_inference,
                                                         dnnl::algorithm::convolution_direct, g.src_md, g.any_w_md,
                                                         g.bias_md, g.dst_md, g.strides, g.dilation, g.pad_l, g.pad_r)
                       : dnnl::convolution_forward::desc(dnnl::prop_kind::forward_inference,
                                                         dnnl::algorithm::convolution_direct, g.src_md, g.any_w_md,
                                                         g.dst_md, g.strides, g.dilation, g.pad_l, g.pad_r);
  dnnl::convolution_forward::primitive_desc pd(desc, attr, detail::cpu_engine());
  auto p = detail::make_primitive<dnnl::convolution_forward::primitive_desc, dnnl::convolution_forward>(pd);
  p.weights_desc = pd.weights_desc();
  return p;
}

bool is_empty(const ConvGeometry& g) { return g.out_shape.front() == 0 || g.filters == 0; }

}  // namespace

Tensor conv(const Tensor& x_in, const Tensor& kernel_in, const Tensor& bias_in,
            const std::vector<std::int64_t>& strides_in, Padding padding,
            const std::vector<std::int64_t>& dilation_in) {
  Tensor x = detail::to_float(x_in);
  Tensor kernel = detail::to_float(kernel_in);
  spatial_rank(x, kernel, "conv");
  const ConvGeometry g = conv_geometry(x.shape(), kernel.shape(), strides_in, padding, dilation_in);
  Tensor bias = checked_bias(bias_in, g.filters, "conv");
  Tensor out(g.out_shape);
  if (is_empty(g)) return out;
  auto prim = detail::cached_primitive(conv_key(g, bias.defined()),
                                       [&] { return make_conv_primitive(g, bias.defined(), detail::default_attr()); });
  dnnl::memory weights = detail::reorder_if_needed(g.keras_w_md, kernel.data<float>(), prim->weights_desc);
  std::unordered_map<int, memory> args{{DNNL_ARG_SRC, detail::wrap_memory(g.src_md, x.data<float>())},
                                       {DNNL_ARG_WEIGHTS, weights},
                                       {DNNL_ARG_DST, detail::wrap_memory(g.dst_md, out.data<float>())}};
  if (bias.defined()) args.emplace(DNNL_ARG_BIAS, detail::wrap_memory(g.bias_md, bias.data<float>()));
  detail::execute(*prim, std::move(args));
  return out;
}

namespace {

// A prepared convolution's arguments: source and destination per call; the weights and (when
// present) the bias bound once.
std::unique_ptr<const detail::BoundArguments> conv_arguments(const ConvGeometry& g, const dnnl::memory& weights,
                                                             const Tensor& bias) {
  std::vector<std::pair<int, memory>> fixed{{DNNL_ARG_WEIGHTS, weights}};
  if (bias.defined()) fixed.emplace_back(DNNL_ARG_BIAS, detail::wrap_memory(g.bias_md, bias.data<float>()));
  return std::make_unique<const detail::BoundArguments>(
      std::vector<std::pair<int, memory::desc>>{{DNNL_ARG_SRC, g.src_md}, {DNNL_ARG_DST, g.dst_md}}, std::move(fixed));
}

}  // namespace

struct PreparedConv::State {
  Shape input_shape;
  ConvGeometry geometry;
  detail::DnnlPrimitive primitive;
  dnnl::memory weights;  // owned, in the primitive's layout
  Tensor bias;
  std::unique_ptr<const detail::BoundArguments> args;
};

PreparedConv::PreparedConv(const Shape& input_shape, const Tensor& kernel_in, const Tensor& bias_in,
                           const std::vector<std::int64_t>& strides, Padding padding,
                           const std::vector<std::int64_t>& dilation, const std::vector<PostOp>& post_ops,
                           const std::vector<std::pair<std::int64_t, std::int64_t>>& zero_padding) {
  auto state = std::make_shared<State>();
  Tensor kernel = detail::to_float(kernel_in);
  state->input_shape = input_shape;
  state->geometry = conv_geometry(input_shape, kernel.shape(), strides, padding, dilation, zero_padding);
  state->bias = checked_bias(bias_in, state->geometry.filters, "conv");
  dnnl::primitive_attr attr = detail::attr_with_post_ops(post_ops);
  try {
    state->primitive = make_conv_primitive(state->geometry, state->bias.defined(), attr);
  } catch (const dnnl::error& e) {
    throw ValueError(std::string("oneDNN cannot create a convolution for ") + state->geometry.key + ": " + e.what());
  }
  // Copies (reorders) the weights even when the layouts agree: the prepared conv must not
  // depend on the variable's buffer staying as it is.
  state->weights = dnnl::memory(state->primitive.weights_desc, detail::cpu_engine());
  dnnl::memory source = detail::wrap_memory(state->geometry.keras_w_md, kernel.data<float>());
  detail::run_reorder(source, state->weights);
  state->args = conv_arguments(state->geometry, state->weights, state->bias);
  state_ = std::move(state);
}

const Shape& PreparedConv::input_shape() const { return state_->input_shape; }
const Shape& PreparedConv::output_shape() const { return state_->geometry.out_shape; }

Tensor PreparedConv::run(const Tensor& x) const {
  const State& s = *state_;
  if (x.shape() != s.input_shape || x.dtype() != DType::float32)
    throw ShapeMismatchError("conv: prepared for input shape " + shape_to_string(s.input_shape) + ", got " +
                             shape_to_string(x.shape()));
  if (is_empty(s.geometry)) return Tensor(s.geometry.out_shape);
  Tensor out = Tensor::uninitialized(s.geometry.out_shape);
  const std::array<const void*, 2> data{x.data<float>(), out.data<float>()};
  s.args->execute(s.primitive, data);
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

DeconvGeometry deconv_geometry(const Shape& x_shape, const Shape& kernel_shape,
                               const std::vector<std::int64_t>& strides_in, Padding padding,
                               const std::vector<std::int64_t>& output_padding_in,
                               const std::vector<std::int64_t>& dilation_in) {
  DeconvGeometry g;
  const int n_sp = static_cast<int>(x_shape.size()) - 2;
  if (n_sp < 1 || n_sp > 3)
    throw ShapeMismatchError("conv_transpose: input must have rank 3, 4 or 5 (batch, spatial..., channels), got " +
                             shape_to_string(x_shape));
  if (static_cast<int>(kernel_shape.size()) != n_sp + 2)
    throw ShapeMismatchError("conv_transpose: kernel shape " + shape_to_string(kernel_shape) +
                             " does not match input shape " + shape_to_string(x_shape));
  g.n_sp = n_sp;
  g.strides = detail::spatial_param(strides_in, n_sp, 1, "conv_transpose strides");
  const auto dilation = detail::spatial_param(dilation_in, n_sp, 1, "conv_transpose dilation_rate");
  check_positive(g.strides, "conv_transpose strides");
  check_positive(dilation, "conv_transpose dilation_rate");
  std::vector<std::optional<std::int64_t>> output_padding(static_cast<std::size_t>(n_sp));
  if (!output_padding_in.empty()) {
    const auto values = detail::spatial_param(output_padding_in, n_sp, 0, "conv_transpose output_padding");
    for (int i = 0; i < n_sp; ++i) {
      if (values[static_cast<std::size_t>(i)] < 0) throw ValueError("conv_transpose: negative output_padding");
      output_padding[static_cast<std::size_t>(i)] = values[static_cast<std::size_t>(i)];
    }
  }

  const std::int64_t batch = x_shape.front();
  const std::int64_t channels = x_shape.back();
  const std::int64_t filters = kernel_shape[kernel_shape.size() - 2];
  if (kernel_shape.back() != channels)
    throw ShapeMismatchError("conv_transpose: kernel shape " + shape_to_string(kernel_shape) +
                             " (last axis = input channels) does not match input shape " + shape_to_string(x_shape));
  g.filters = filters;

  g.out_shape = {batch};
  g.computed_shape = {batch};
  for (int i = 0; i < n_sp; ++i) {
    auto u = static_cast<std::size_t>(i);
    const std::int64_t in = x_shape[u + 1];
    const std::int64_t k = kernel_shape[u];
    const std::int64_t k_eff = effective_kernel(k, dilation[u]);
    const auto [left, right] = transpose_pads(k, g.strides[u], dilation[u], padding, output_padding[u]);
    const std::int64_t out = (in - 1) * g.strides[u] + 1 + left + right - k_eff + 1;
    if (in <= 0 || out <= 0)
      throw ValueError("conv_transpose: empty output for input shape " + shape_to_string(x_shape) +
                       " and kernel shape " + shape_to_string(kernel_shape));
    // The full transposed conv has length (in - 1) * s + k_eff; Keras' output
    // starts k_eff - 1 - left into it and may run past its end (zeros there).
    const std::int64_t crop_left = k_eff - 1 - left;
    const std::int64_t crop_right = std::max<std::int64_t>(k_eff - 1 - right, 0);
    const std::int64_t computed = (in - 1) * g.strides[u] + k_eff - crop_left - crop_right;
    g.extended = g.extended || computed != out;
    g.ksize.push_back(k);
    g.pad_l.push_back(crop_left);
    g.pad_r.push_back(crop_right);
    g.dilation.push_back(dilation[u] - 1);
    g.out_shape.push_back(out);
    g.computed_shape.push_back(computed);
  }
  g.out_shape.push_back(filters);
  g.computed_shape.push_back(filters);

  const auto tag = channels_last_tag(n_sp);
  g.src_md = memory::desc(ncx_dims(x_shape), memory::data_type::f32, tag);
  g.dst_md = memory::desc(ncx_dims(g.computed_shape), memory::data_type::f32, tag);
  g.bias_md = memory::desc({filters}, memory::data_type::f32, memory::format_tag::a);
  // Keras kernel [*k, F, C] as oneDNN deconvolution weights {F, C, *k}.
  memory::dims w_dims{filters, channels};
  memory::dims w_strides{channels, 1};
  std::vector<std::int64_t> spatial_strides(static_cast<std::size_t>(n_sp));
  std::int64_t running = filters * channels;
  for (int i = n_sp - 1; i >= 0; --i) {
    spatial_strides[static_cast<std::size_t>(i)] = running;
    running *= g.ksize[static_cast<std::size_t>(i)];
  }
  w_dims.insert(w_dims.end(), g.ksize.begin(), g.ksize.end());
  w_strides.insert(w_strides.end(), spatial_strides.begin(), spatial_strides.end());
  g.keras_w_md = memory::desc(w_dims, memory::data_type::f32, w_strides);
  g.any_w_md = memory::desc(w_dims, memory::data_type::f32, memory::format_tag::any);
  g.key = key_of("deconv", {&x_shape, &kernel_shape, &g.strides, &g.pad_l, &g.pad_r, &g.dilation});
  return g;
}

Tensor conv_transpose(const Tensor& x_in, const Tensor& kernel_in, const Tensor& bias_in,
                      const std::vector<std::int64_t>& strides_in, Padding padding,
                      const std::vector<std::int64_t>& output_padding_in,
                      const std::vector<std::int64_t>& dilation_in) {
  Tensor x = detail::to_float(x_in);
  Tensor kernel = detail::to_float(kernel_in);
  spatial_rank(x, kernel, "conv_transpose");
  const DeconvGeometry g =
      deconv_geometry(x.shape(), kernel.shape(), strides_in, padding, output_padding_in, dilation_in);
  Tensor bias = checked_bias(bias_in, g.filters, "conv_transpose");
  if (x.dim(0) == 0 || g.filters == 0) return Tensor(g.out_shape);

  const bool fuse_bias = bias.defined() && !g.extended;
  const std::string key = g.key + (fuse_bias ? "|bias" : "");
  auto prim = detail::cached_primitive(key, [&] {
    auto desc = fuse_bias
                    ? dnnl::deconvolution_forward::desc(dnnl::prop_kind::forward_inference,
                                                        dnnl::algorithm::deconvolution_direct, g.src_md, g.any_w_md,
                                                        g.bias_md, g.dst_md, g.strides, g.dilation, g.pad_l, g.pad_r)
                    : dnnl::deconvolution_forward::desc(dnnl::prop_kind::forward_inference,
                                                        dnnl::algorithm::deconvolution_direct, g.src_md, g.any_w_md,
                                                        g.dst_md, g.strides, g.dilation, g.pad_l, g.pad_r);
    dnnl::deconvolution_forward::primitive_desc pd(desc, detail::default_attr(), detail::cpu_engine());
    auto p = detail::make_primitive<dnnl::deconvolution_forward::primitive_desc, dnnl::deconvolution_forward>(pd);
    p.weights_desc = pd.weights_desc();
    return p;
  });
  Tensor computed(g.computed_shape);
  dnnl::memory weights = detail::reorder_if_needed(g.keras_w_md, kernel.data<float>(), prim->weights_desc);
  std::unordered_map<int, memory> args{{DNNL_ARG_SRC, detail::wrap_memory(g.src_md, x.data<float>())},
                                       {DNNL_ARG_WEIGHTS, weights},
                                       {DNNL_ARG_DST, detail::wrap_memory(g.dst_md, computed.data<float>())}};
  if (fuse_bias) args.emplace(DNNL_ARG_BIAS, detail::wrap_memory(g.bias_md, bias.data<float>()));
  detail::execute(*prim, std::move(args));
  if (!g.extended) return computed;

  // Place the computed region at the start of a zero output, then add the bias everywhere.
  Tensor out(g.out_shape);
  detail::copy_strided(computed.data<float>(), 0, detail::contiguous_strides(g.computed_shape), out.data<float>(), 0,
                       detail::contiguous_strides(g.out_shape), g.computed_shape, sizeof(float));
  if (bias.defined()) {
    float* o = out.data<float>();
    const float* b = bias.data<float>();
    for (std::int64_t i = 0; i < out.size(); ++i) o[i] += b[i % g.filters];
  }
  return out;
}

}  // namespace keras::kernels
