// The layers level's built-in registrations: one function per family, each
// beside its family's code with one literal Registrar::add() per class.
// register_layer_builtins() runs them (and the graph level's) once; every
// lookup of this level calls it first (see graph/registry.hpp).
#pragma once

#include "graph/registry.hpp"
#include "keras/layer.hpp"

namespace keras::detail {

void register_layer_builtins();

void register_activation_functions();
void register_initializers();
void register_regularizers_and_constraints();

void register_core_layers();
void register_activation_layers();
void register_regularization_layers();
void register_convolution_layers();
void register_pooling_layers();
void register_normalization_layers();
void register_reshaping_layers();
void register_merging_layers();
void register_rnn_layers();
void register_attention_layers();
void register_preprocessing_layers();
void register_image_augmentation_layers();
void register_application_layers();

// The layer a layer envelope describes (what nested layers such as an RNN's
// cell are read with); FormatError when it names an operation.
LayerPtr layer_from_envelope(const Json& envelope);

}  // namespace keras::detail
