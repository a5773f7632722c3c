#include "layers/pooling/pooling.hpp"
#include "layers/registrations.hpp"

namespace keras::detail {

void register_pooling_layers() {
  using enum PoolMode;
  const Registrar<OperationPtr> r(saving::ObjectKind::layer, "keras.layers");
  r.add("MaxPooling1D", [](const Json& c) { return PoolingImpl::from_config(max, 1, c); });
  r.add("MaxPooling2D", [](const Json& c) { return PoolingImpl::from_config(max, 2, c); });
  r.add("MaxPooling3D", [](const Json& c) { return PoolingImpl::from_config(max, 3, c); });
  r.add("AveragePooling1D", [](const Json& c) { return PoolingImpl::from_config(average, 1, c); });
  r.add("AveragePooling2D", [](const Json& c) { return PoolingImpl::from_config(average, 2, c); });
  r.add("AveragePooling3D", [](const Json& c) { return PoolingImpl::from_config(average, 3, c); });
  r.add("GlobalMaxPooling1D", [](const Json& c) { return GlobalPoolingImpl::from_config(max, 1, c); });
  r.add("GlobalMaxPooling2D", [](const Json& c) { return GlobalPoolingImpl::from_config(max, 2, c); });
  r.add("GlobalMaxPooling3D", [](const Json& c) { return GlobalPoolingImpl::from_config(max, 3, c); });
  r.add("GlobalAveragePooling1D", [](const Json& c) { return GlobalPoolingImpl::from_config(average, 1, c); });
  r.add("GlobalAveragePooling2D", [](const Json& c) { return GlobalPoolingImpl::from_config(average, 2, c); });
  r.add("GlobalAveragePooling3D", [](const Json& c) { return GlobalPoolingImpl::from_config(average, 3, c); });
  r.add("AdaptiveMaxPooling1D", [](const Json& c) { return AdaptivePoolingImpl::from_config(max, 1, c); });
  r.add("AdaptiveMaxPooling2D", [](const Json& c) { return AdaptivePoolingImpl::from_config(max, 2, c); });
  r.add("AdaptiveMaxPooling3D", [](const Json& c) { return AdaptivePoolingImpl::from_config(max, 3, c); });
  r.add("AdaptiveAveragePooling1D", [](const Json& c) { return AdaptivePoolingImpl::from_config(average, 1, c); });
  r.add("AdaptiveAveragePooling2D", [](const Json& c) { return AdaptivePoolingImpl::from_config(average, 2, c); });
  r.add("AdaptiveAveragePooling3D", [](const Json& c) { return AdaptivePoolingImpl::from_config(average, 3, c); });
  // The short names keras.layers exports as aliases.
  r.alias("MaxPool1D", "MaxPooling1D");
  r.alias("MaxPool2D", "MaxPooling2D");
  r.alias("MaxPool3D", "MaxPooling3D");
  r.alias("AvgPool1D", "AveragePooling1D");
  r.alias("AvgPool2D", "AveragePooling2D");
  r.alias("AvgPool3D", "AveragePooling3D");
  r.alias("GlobalMaxPool1D", "GlobalMaxPooling1D");
  r.alias("GlobalMaxPool2D", "GlobalMaxPooling2D");
  r.alias("GlobalMaxPool3D", "GlobalMaxPooling3D");
  r.alias("GlobalAvgPool1D", "GlobalAveragePooling1D");
  r.alias("GlobalAvgPool2D", "GlobalAveragePooling2D");
  r.alias("GlobalAvgPool3D", "GlobalAveragePooling3D");
}

}  // namespace keras::detail
