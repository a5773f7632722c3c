#include "ops/conv_grad.hpp"

#include <cstring>

#include "ops/common.hpp"
#include "ops/conv_geometry.hpp"
#include "ops/dnnl_context.hpp"
#include "ops/reduce.hpp"

namespace keras::kernels {

using dnnl::memory;

namespace {

// Copies oneDNN data laid out as `from` into `out` laid out as `to` (the
// Keras layout, described with strides).
void reorder_out(const memory::desc& from, const void* data, const memory::desc& to, Tensor& out) {
  memory converted = detail::reorder_if_needed(from, data, to);
  std::memcpy(out.raw_data(), converted.get_data_handle(), out.nbytes());
}

Tensor bias_grad(const Tensor& dy) {
  std::vector<int> axes;
  for (int i = 0; i + 1 < dy.rank(); ++i) axes.push_back(i);
  return sum(dy, axes);
}

// The primitives of a convolution or deconvolution's backward passes, built
// with the forward_training descriptor oneDNN wants as a hint.
template <typename Fwd, typename BwdData, typename BwdWeights, typename Geometry>
ConvGrads backward(const Geometry& g, dnnl::algorithm algorithm, const Tensor& x, const Tensor& kernel,
                   const Tensor& dy, const ConvGradRequest& want, const char* what) {
  ConvGrads out;
  auto forward_pd = [&] {
    typename Fwd::desc desc(dnnl::prop_kind::forward_training, algorithm, g.src_md, g.any_w_md, g.dst_md, g.strides,
                            g.dilation, g.pad_l, g.pad_r);
    return typename Fwd::primitive_desc(desc, detail::default_attr(), detail::cpu_engine());
  };
  if (want.x) {
    auto prim = detail::cached_primitive(g.key + "|" + what + "_bwd_data", [&] {
      typename BwdData::desc desc(algorithm, g.src_md, g.any_w_md, g.dst_md, g.strides, g.dilation, g.pad_l, g.pad_r);
      typename BwdData::primitive_desc pd(desc, detail::default_attr(), detail::cpu_engine(), forward_pd());
      detail::DnnlPrimitive p;
      p.primitive = BwdData(pd);
      p.weights_desc = pd.weights_desc();
      p.scratchpad_desc = pd.scratchpad_desc();
      return p;
    });
    out.x = Tensor(x.shape());
    memory weights = detail::reorder_if_needed(g.keras_w_md, kernel.data<float>(), prim->weights_desc);
    detail::execute(*prim, {{DNNL_ARG_DIFF_DST, detail::wrap_memory(g.dst_md, dy.data<float>())},
                            {DNNL_ARG_WEIGHTS, weights},
                            {DNNL_ARG_DIFF_SRC, detail::wrap_memory(g.src_md, out.x.data<float>())}});
  }
  if (want.kernel) {
    auto prim = detail::cached_primitive(g.key + "|" + what + "_bwd_weights", [&] {
      typename BwdWeights::desc desc(algorithm, g.src_md, g.any_w_md, g.dst_md, g.strides, g.dilation, g.pad_l,
                                     g.pad_r);
      typename BwdWeights::primitive_desc pd(desc, detail::default_attr(), detail::cpu_engine(), forward_pd());
      detail::DnnlPrimitive p;
      p.primitive = BwdWeights(pd);
      p.weights_desc = pd.diff_weights_desc();
      p.scratchpad_desc = pd.scratchpad_desc();
      return p;
    });
    memory diff_weights(prim->weights_desc, detail::cpu_engine());
    detail::execute(*prim, {{DNNL_ARG_SRC, detail::wrap_memory(g.src_md, x.data<float>())},
                            {DNNL_ARG_DIFF_DST, detail::wrap_memory(g.dst_md, dy.data<float>())},
                            {DNNL_ARG_DIFF_WEIGHTS, diff_weights}});
    out.kernel = Tensor(kernel.shape());
    reorder_out(prim->weights_desc, diff_weights.get_data_handle(), g.keras_w_md, out.kernel);
  }
  return out;
}

}  // namespace

ConvGrads conv_backward(const Tensor& x_in, const Tensor& kernel_in, const Tensor& dy_in,
                        const std::vector<std::int64_t>& strides, Padding padding,
                        const std::vector<std::int64_t>& dilation, const ConvGradRequest& want) {
  Tensor x = detail::to_float(x_in);
  Tensor kernel = detail::to_float(kernel_in);
  Tensor dy = detail::to_float(dy_in);
  const ConvGeometry g = conv_geometry(x.shape(), kernel.shape(), strides, padding, dilation);
  if (dy.shape() != g.out_shape)
    throw ShapeMismatchError("conv backward: gradient shape " + shape_to_string(dy.shape()) +
                             " does not match the output shape " + shape_to_string(g.out_shape));
  ConvGrads out;
  if (x.size() == 0 || dy.size() == 0) {
    if (want.x) out.x = Tensor(x.shape());
    if (want.kernel) out.kernel = Tensor(kernel.shape());
  } else {
    out = backward<dnnl::convolution_forward, dnnl::convolution_backward_data, dnnl::convolution_backward_weights>(
        g, dnnl::algorithm::convolution_direct, x, kernel, dy, want, "conv");
  }
  if (want.bias) out.bias = bias_grad(dy);
  return out;
}

ConvGrads depthwise_conv_backward(const Tensor& x, const Tensor& kernel, const Tensor& dy,
                                  const std::vector<std::int64_t>& strides, Padding padding,
                                  const std::vector<std::int64_t>& dilation, const ConvGradRequest& want) {
  // The grouped view of depthwise_conv(): [*k, C, M] as [*k, 1, C * M].
  Shape grouped(kernel.shape().begin(), kernel.shape().end() - 2);
  grouped.push_back(1);
  grouped.push_back(kernel.dim(-2) * kernel.dim(-1));
  ConvGrads out = conv_backward(x, kernel.reshape(grouped), dy, strides, padding, dilation, want);
  if (out.kernel.defined()) out.kernel = out.kernel.reshape(kernel.shape());
  return out;
}

ConvGrads conv_transpose_backward(const Tensor& x_in, const Tensor& kernel_in, const Tensor& dy_in,
                                  const std::vector<std::int64_t>& strides, Padding padding,
                                  const std::vector<std::int64_t>& output_padding,
                                  const std::vector<std::int64_t>& dilation, const ConvGradRequest& want) {
  Tensor x = detail::to_float(x_in);
  Tensor kernel = detail::to_float(kernel_in);
  Tensor dy = detail::to_float(dy_in);
  const DeconvGeometry g = deconv_geometry(x.shape(), kernel.shape(), strides, padding, output_padding, dilation);
  if (dy.shape() != g.out_shape)
    throw ShapeMismatchError("conv_transpose backward: gradient shape " + shape_to_string(dy.shape()) +
                             " does not match the output shape " + shape_to_string(g.out_shape));
  ConvGrads out;
  // Only the computed region depends on x and the kernel.
  Tensor dy_computed = dy;
  if (g.extended) {
    dy_computed = Tensor(g.computed_shape);
    detail::copy_strided(dy.data<float>(), 0, detail::contiguous_strides(g.out_shape), dy_computed.data<float>(), 0,
                         detail::contiguous_strides(g.computed_shape), g.computed_shape, sizeof(float));
  }
  if (x.size() == 0 || dy.size() == 0) {
    if (want.x) out.x = Tensor(x.shape());
    if (want.kernel) out.kernel = Tensor(kernel.shape());
  } else {
    out =
        backward<dnnl::deconvolution_forward, dnnl::deconvolution_backward_data, dnnl::deconvolution_backward_weights>(
            g, dnnl::algorithm::deconvolution_direct, x, kernel, dy_computed, want, "deconv");
  }
  if (want.bias) out.bias = bias_grad(dy);
  return out;
}

}  // namespace keras::kernels
