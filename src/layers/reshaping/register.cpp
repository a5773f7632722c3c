#include "keras/saving.hpp"
#include "layers/registrations.hpp"
#include "layers/reshaping/reshaping_layers.hpp"

namespace keras::detail {

void register_reshaping_layers() {
  saving::register_layer("keras.layers", "Flatten", FlattenImpl::from_config);
  saving::register_layer("keras.layers", "Reshape", ReshapeImpl::from_config);
  saving::register_layer("keras.layers", "Permute", PermuteImpl::from_config);
  saving::register_layer("keras.layers", "RepeatVector", RepeatVectorImpl::from_config);
  for (int dims = 1; dims <= 3; ++dims) {
    const std::string suffix = std::to_string(dims) + "D";
    saving::register_layer("keras.layers", "UpSampling" + suffix,
                           [dims](const Json& config) { return UpSamplingImpl::from_config(dims, config); });
    saving::register_layer("keras.layers", "ZeroPadding" + suffix,
                           [dims](const Json& config) { return PadCropImpl::from_config(true, dims, config); });
    saving::register_layer("keras.layers", "Cropping" + suffix,
                           [dims](const Json& config) { return PadCropImpl::from_config(false, dims, config); });
  }
}

}  // namespace keras::detail
