#include "layers/registrations.hpp"

#include <mutex>

namespace keras::detail {

void register_layer_builtins() {
  static std::once_flag once;
  std::call_once(once, [] {
    register_graph_builtins();
    register_activation_functions();
    register_initializers();
    register_regularizers_and_constraints();
    register_core_layers();
    register_activation_layers();
    register_regularization_layers();
    register_convolution_layers();
    register_pooling_layers();
    register_normalization_layers();
    register_reshaping_layers();
    register_merging_layers();
    register_rnn_layers();
    register_attention_layers();
    register_preprocessing_layers();
    register_image_augmentation_layers();
    register_application_layers();
  });
}

LayerPtr layer_from_envelope(const Json& envelope) {
  register_layer_builtins();
  OperationPtr op = operation_from_envelope(envelope);
  if (!op->is_layer())
    throw FormatError("Expected a layer, got the operation '" + envelope.value("class_name", std::string("?")) + "'");
  return std::static_pointer_cast<Layer>(op);
}

}  // namespace keras::detail
