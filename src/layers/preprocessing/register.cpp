#include "keras/saving.hpp"
#include "layers/preprocessing/audio/audio_layers.hpp"
#include "layers/preprocessing/preprocessing_layers.hpp"
#include "layers/registrations.hpp"

namespace keras::detail {

void register_preprocessing_layers() {
  saving::register_layer("keras.layers", "Rescaling", RescalingImpl::from_config);
  saving::register_layer("keras.layers", "Normalization", NormalizationImpl::from_config);
  saving::register_layer("keras.layers", "CenterCrop", CenterCropImpl::from_config);
  saving::register_layer("keras.layers", "Resizing", ResizingImpl::from_config);
  saving::register_layer("keras.layers", "Discretization", DiscretizationImpl::from_config);
  saving::register_layer("keras.layers", "CategoryEncoding", CategoryEncodingImpl::from_config);
  saving::register_layer("keras.layers", "Pipeline", PipelineImpl::from_config);
  saving::register_layer("keras.layers", "STFTSpectrogram", STFTSpectrogramImpl::from_config);
  saving::register_layer("keras.layers", "MelSpectrogram", MelSpectrogramImpl::from_config);
}

}  // namespace keras::detail
