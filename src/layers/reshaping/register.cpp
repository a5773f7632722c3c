#include "layers/registrations.hpp"
#include "layers/reshaping/reshaping_layers.hpp"

namespace keras::detail {

void register_reshaping_layers() {
  const Registrar<OperationPtr> r(saving::ObjectKind::layer, "keras.layers");
  r.add("Flatten", FlattenImpl::from_config);
  r.add("Reshape", ReshapeImpl::from_config);
  r.add("Permute", PermuteImpl::from_config);
  r.add("RepeatVector", RepeatVectorImpl::from_config);
  r.add("UpSampling1D", [](const Json& c) { return UpSamplingImpl::from_config(1, c); });
  r.add("UpSampling2D", [](const Json& c) { return UpSamplingImpl::from_config(2, c); });
  r.add("UpSampling3D", [](const Json& c) { return UpSamplingImpl::from_config(3, c); });
  r.add("ZeroPadding1D", [](const Json& c) { return PadCropImpl::from_config(true, 1, c); });
  r.add("ZeroPadding2D", [](const Json& c) { return PadCropImpl::from_config(true, 2, c); });
  r.add("ZeroPadding3D", [](const Json& c) { return PadCropImpl::from_config(true, 3, c); });
  r.add("Cropping1D", [](const Json& c) { return PadCropImpl::from_config(false, 1, c); });
  r.add("Cropping2D", [](const Json& c) { return PadCropImpl::from_config(false, 2, c); });
  r.add("Cropping3D", [](const Json& c) { return PadCropImpl::from_config(false, 3, c); });
}

}  // namespace keras::detail
