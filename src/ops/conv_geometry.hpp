// The geometry of a channels_last convolution as oneDNN describes it, shared
// by the forward kernel (conv.cpp) and its backward passes (conv_grad.cpp).
// Internal to src/ops.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <dnnl.hpp>

#include "ops/conv.hpp"

namespace keras::kernels {

struct ConvGeometry {
  int n_sp = 0;
  std::vector<std::int64_t> strides, ksize, pad_l, pad_r;
  std::vector<std::int64_t> dilation;  // oneDNN's convention: Keras' dilation - 1
  Shape out_shape;
  std::int64_t groups = 1, filters = 0;
  dnnl::memory::desc src_md, dst_md, bias_md;
  dnnl::memory::desc keras_w_md;  // the Keras kernel [*k, C/g, F] as oneDNN (grouped) weights
  dnnl::memory::desc any_w_md;
  std::string key;  // identifies the geometry in the primitive cache
};

// Validates the shapes and arguments as conv() does (ValueError /
// ShapeMismatchError) and computes the geometry. `zero_padding` (one (before, after) pair per
// spatial dim, or empty) describes zeros added around x before the convolution, as a
// ZeroPadding layer in front of it would: the geometry convolves the padded input while
// reading x itself.
ConvGeometry conv_geometry(const Shape& x_shape, const Shape& kernel_shape, const std::vector<std::int64_t>& strides,
                           Padding padding, const std::vector<std::int64_t>& dilation,
                           const std::vector<std::pair<std::int64_t, std::int64_t>>& zero_padding = {});

// A transposed convolution as a oneDNN deconvolution: `computed_shape` is
// what the deconvolution produces; when `extended`, Keras' output
// (`out_shape`) continues past it with zeros (plus the bias).
struct DeconvGeometry {
  int n_sp = 0;
  std::vector<std::int64_t> strides, ksize, pad_l, pad_r, dilation;
  Shape out_shape, computed_shape;
  bool extended = false;
  std::int64_t filters = 0;
  dnnl::memory::desc src_md, dst_md, bias_md, keras_w_md, any_w_md;
  std::string key;
};

DeconvGeometry deconv_geometry(const Shape& x_shape, const Shape& kernel_shape,
                               const std::vector<std::int64_t>& strides, Padding padding,
                               const std::vector<std::int64_t>& output_padding,
                               const std::vector<std::int64_t>& dilation);

}  // namespace keras::kernels
