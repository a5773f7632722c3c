#include "layers/applications/application_layers.hpp"
#include "layers/registrations.hpp"

namespace keras::detail {

// Module-private classes of keras.applications: Keras writes their Python
// module, and resolves them by module + class_name.
void register_application_layers() {
  const Registrar<OperationPtr> convnext(saving::ObjectKind::layer, "keras.src.applications.convnext");
  convnext.add("LayerScale", LayerScaleImpl::from_config);
  convnext.add("StochasticDepth", StochasticDepthImpl::from_config);
  const Registrar<OperationPtr> inception_resnet_v2(saving::ObjectKind::layer,
                                                    "keras.src.applications.inception_resnet_v2");
  inception_resnet_v2.add("CustomScaleLayer", CustomScaleLayerImpl::from_config);
}

}  // namespace keras::detail
