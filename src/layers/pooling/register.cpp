#include "keras/saving.hpp"
#include "layers/pooling/pooling.hpp"
#include "layers/registrations.hpp"

namespace keras::detail {

void register_pooling_layers() {
  // The short aliases (MaxPool2D, GlobalAvgPool2D, ...) are keras.layers attributes too.
  for (int rank = 1; rank <= 3; ++rank) {
    const std::string r = std::to_string(rank) + "D";
    for (PoolMode mode : {PoolMode::max, PoolMode::average}) {
      const std::string long_name = mode == PoolMode::max ? "Max" : "Average";
      const std::string short_name = mode == PoolMode::max ? "Max" : "Avg";
      auto window = [mode, rank](const Json& config) { return PoolingImpl::from_config(mode, rank, config); };
      auto global = [mode, rank](const Json& config) { return GlobalPoolingImpl::from_config(mode, rank, config); };
      auto adaptive = [mode, rank](const Json& config) { return AdaptivePoolingImpl::from_config(mode, rank, config); };
      saving::register_layer("keras.layers", long_name + "Pooling" + r, window);
      saving::register_layer("keras.layers", short_name + "Pool" + r, window);
      saving::register_layer("keras.layers", "Global" + long_name + "Pooling" + r, global);
      saving::register_layer("keras.layers", "Global" + short_name + "Pool" + r, global);
      saving::register_layer("keras.layers", "Adaptive" + long_name + "Pooling" + r, adaptive);
    }
  }
}

}  // namespace keras::detail
