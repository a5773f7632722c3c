#include "keras/saving.hpp"
#include "layers/convolutional/conv.hpp"
#include "layers/registrations.hpp"

namespace keras::detail {

void register_convolution_layers() {
  // Keras resolves class names through keras.layers, where the Convolution* aliases live too.
  for (int rank = 1; rank <= 3; ++rank) {
    const std::string r = std::to_string(rank) + "D";
    auto conv = [rank](const Json& config) { return ConvImpl::from_config(rank, config); };
    auto transpose = [rank](const Json& config) { return ConvTransposeImpl::from_config(rank, config); };
    saving::register_layer("keras.layers", "Conv" + r, conv);
    saving::register_layer("keras.layers", "Convolution" + r, conv);
    saving::register_layer("keras.layers", "Conv" + r + "Transpose", transpose);
    saving::register_layer("keras.layers", "Convolution" + r + "Transpose", transpose);
    if (rank <= 2) {
      auto depthwise = [rank](const Json& config) { return DepthwiseConvImpl::from_config(rank, config); };
      auto separable = [rank](const Json& config) { return SeparableConvImpl::from_config(rank, config); };
      saving::register_layer("keras.layers", "DepthwiseConv" + r, depthwise);
      saving::register_layer("keras.layers", "SeparableConv" + r, separable);
      saving::register_layer("keras.layers", "SeparableConvolution" + r, separable);
    }
  }
}

}  // namespace keras::detail
