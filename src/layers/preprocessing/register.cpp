#include "layers/preprocessing/audio/audio_layers.hpp"
#include "layers/preprocessing/preprocessing_layers.hpp"
#include "layers/registrations.hpp"

namespace keras::detail {

void register_preprocessing_layers() {
  const Registrar<OperationPtr> r(saving::ObjectKind::layer, "keras.layers");
  r.add("Rescaling", RescalingImpl::from_config);
  r.add("Normalization", NormalizationImpl::from_config);
  r.add("CenterCrop", CenterCropImpl::from_config);
  r.add("Resizing", ResizingImpl::from_config);
  r.add("Discretization", DiscretizationImpl::from_config);
  r.add("CategoryEncoding", CategoryEncodingImpl::from_config);
  r.add("Pipeline", PipelineImpl::from_config);
  r.add("STFTSpectrogram", STFTSpectrogramImpl::from_config);
  r.add("MelSpectrogram", MelSpectrogramImpl::from_config);
  // Their Keras 3 implementations run on TensorFlow (string tensors, tf.data).
  const std::string tensorflow =
      "its Keras 3 implementation needs TensorFlow (string tensors), which keras-cpp does not "
      "support.";
  r.refuse("IntegerLookup", saving::Refusal::unknown, tensorflow);
  r.refuse("StringLookup", saving::Refusal::unknown, tensorflow);
  r.refuse("Hashing", saving::Refusal::unknown, tensorflow);
  r.refuse("TextVectorization", saving::Refusal::unknown, tensorflow);
  r.refuse("HashedCrossing", saving::Refusal::unknown, tensorflow);
  r.refuse("TFSMLayer", saving::Refusal::unknown,
           "it wraps a TensorFlow SavedModel, whose graph only TensorFlow can execute.");
}

}  // namespace keras::detail
