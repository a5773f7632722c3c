#include "layers/convolutional/conv.hpp"
#include "layers/registrations.hpp"

namespace keras::detail {

void register_convolution_layers() {
  const Registrar<OperationPtr> r(saving::ObjectKind::layer, "keras.layers");
  r.add("Conv1D", [](const Json& c) { return ConvImpl::from_config(1, c); });
  r.add("Conv2D", [](const Json& c) { return ConvImpl::from_config(2, c); });
  r.add("Conv3D", [](const Json& c) { return ConvImpl::from_config(3, c); });
  r.add("Conv1DTranspose", [](const Json& c) { return ConvTransposeImpl::from_config(1, c); });
  r.add("Conv2DTranspose", [](const Json& c) { return ConvTransposeImpl::from_config(2, c); });
  r.add("Conv3DTranspose", [](const Json& c) { return ConvTransposeImpl::from_config(3, c); });
  r.add("DepthwiseConv1D", [](const Json& c) { return DepthwiseConvImpl::from_config(1, c); });
  r.add("DepthwiseConv2D", [](const Json& c) { return DepthwiseConvImpl::from_config(2, c); });
  r.add("SeparableConv1D", [](const Json& c) { return SeparableConvImpl::from_config(1, c); });
  r.add("SeparableConv2D", [](const Json& c) { return SeparableConvImpl::from_config(2, c); });
  // keras.layers exports these aliases too.
  r.alias("Convolution1D", "Conv1D");
  r.alias("Convolution2D", "Conv2D");
  r.alias("Convolution3D", "Conv3D");
  r.alias("Convolution1DTranspose", "Conv1DTranspose");
  r.alias("Convolution2DTranspose", "Conv2DTranspose");
  r.alias("Convolution3DTranspose", "Conv3DTranspose");
  r.alias("SeparableConvolution1D", "SeparableConv1D");
  r.alias("SeparableConvolution2D", "SeparableConv2D");
}

}  // namespace keras::detail
