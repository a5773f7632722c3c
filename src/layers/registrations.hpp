// Explicit registration of the built-in classes, one function per family;
// each family's function lives beside its layers and registers each of them.
// saving::register_builtins() calls them all once.
#pragma once

namespace keras::detail {

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
void register_raw_operations();
void register_models();

}  // namespace keras::detail
