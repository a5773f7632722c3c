// Every class that `keras.layers` exports in Keras 3.16, and the check that
// keras-cpp either registers it or refuses it with a reason. A class Keras
// adds to keras.layers must land here, then in the registry or on the
// refused list (see test_refused_layers.cpp).
//
// Source: keras/api/layers/__init__.py of github:keras-team/keras at commit
// 3422977a5e38fb2f7709aaa9a08e47f0c43d0f60 (version 3.16.0), one row per class
// (export aliases such as Convolution2D or AvgPool2D name the same class, and
// config.json holds the exported name, which is the class's own but for one).
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "keras/keras.hpp"

namespace {

struct KerasLayersClass {
  const char* class_name;
  const char* defined_in;  // the Keras module that defines it
};

const std::vector<KerasLayersClass>& keras_3_16_layers_classes() {
  static const std::vector<KerasLayersClass> classes = {
      {"Activation", "keras.src.layers.activations.activation"},
      {"ActivityRegularization", "keras.src.layers.regularization.activity_regularization"},
      {"AdaptiveAveragePooling1D", "keras.src.layers.pooling.adaptive_average_pooling1d"},
      {"AdaptiveAveragePooling2D", "keras.src.layers.pooling.adaptive_average_pooling2d"},
      {"AdaptiveAveragePooling3D", "keras.src.layers.pooling.adaptive_average_pooling3d"},
      {"AdaptiveMaxPooling1D", "keras.src.layers.pooling.adaptive_max_pooling1d"},
      {"AdaptiveMaxPooling2D", "keras.src.layers.pooling.adaptive_max_pooling2d"},
      {"AdaptiveMaxPooling3D", "keras.src.layers.pooling.adaptive_max_pooling3d"},
      {"Add", "keras.src.layers.merging.add"},
      {"AdditiveAttention", "keras.src.layers.attention.additive_attention"},
      {"AlphaDropout", "keras.src.layers.regularization.alpha_dropout"},
      {"Attention", "keras.src.layers.attention.attention"},
      {"AugMix", "keras.src.layers.preprocessing.image_preprocessing.aug_mix"},
      {"AutoContrast", "keras.src.layers.preprocessing.image_preprocessing.auto_contrast"},
      {"Average", "keras.src.layers.merging.average"},
      {"AveragePooling1D", "keras.src.layers.pooling.average_pooling1d"},
      {"AveragePooling2D", "keras.src.layers.pooling.average_pooling2d"},
      {"AveragePooling3D", "keras.src.layers.pooling.average_pooling3d"},
      {"BatchNormalization", "keras.src.layers.normalization.batch_normalization"},
      {"Bidirectional", "keras.src.layers.rnn.bidirectional"},
      {"CategoryEncoding", "keras.src.layers.preprocessing.category_encoding"},
      {"CenterCrop", "keras.src.layers.preprocessing.image_preprocessing.center_crop"},
      {"Concatenate", "keras.src.layers.merging.concatenate"},
      {"ContrastLimitedAdaptiveHistogramEqualization", "keras.src.layers.preprocessing.image_preprocessing.clahe"},
      {"Conv1D", "keras.src.layers.convolutional.conv1d"},
      {"Conv1DTranspose", "keras.src.layers.convolutional.conv1d_transpose"},
      {"Conv2D", "keras.src.layers.convolutional.conv2d"},
      {"Conv2DTranspose", "keras.src.layers.convolutional.conv2d_transpose"},
      {"Conv3D", "keras.src.layers.convolutional.conv3d"},
      {"Conv3DTranspose", "keras.src.layers.convolutional.conv3d_transpose"},
      {"ConvLSTM1D", "keras.src.layers.rnn.conv_lstm1d"},
      {"ConvLSTM2D", "keras.src.layers.rnn.conv_lstm2d"},
      {"ConvLSTM3D", "keras.src.layers.rnn.conv_lstm3d"},
      {"Cropping1D", "keras.src.layers.reshaping.cropping1d"},
      {"Cropping2D", "keras.src.layers.reshaping.cropping2d"},
      {"Cropping3D", "keras.src.layers.reshaping.cropping3d"},
      {"CutMix", "keras.src.layers.preprocessing.image_preprocessing.cut_mix"},
      {"Dense", "keras.src.layers.core.dense"},
      {"DepthwiseConv1D", "keras.src.layers.convolutional.depthwise_conv1d"},
      {"DepthwiseConv2D", "keras.src.layers.convolutional.depthwise_conv2d"},
      {"Discretization", "keras.src.layers.preprocessing.discretization"},
      {"Dot", "keras.src.layers.merging.dot"},
      {"Dropout", "keras.src.layers.regularization.dropout"},
      {"ELU", "keras.src.layers.activations.elu"},
      {"EinsumDense", "keras.src.layers.core.einsum_dense"},
      {"Embedding", "keras.src.layers.core.embedding"},
      {"Equalization", "keras.src.layers.preprocessing.image_preprocessing.equalization"},
      {"Flatten", "keras.src.layers.reshaping.flatten"},
      {"FlaxLayer", "keras.src.utils.jax_layer"},
      {"GRU", "keras.src.layers.rnn.gru"},
      {"GRUCell", "keras.src.layers.rnn.gru"},
      {"GaussianDropout", "keras.src.layers.regularization.gaussian_dropout"},
      {"GaussianNoise", "keras.src.layers.regularization.gaussian_noise"},
      {"GlobalAveragePooling1D", "keras.src.layers.pooling.global_average_pooling1d"},
      {"GlobalAveragePooling2D", "keras.src.layers.pooling.global_average_pooling2d"},
      {"GlobalAveragePooling3D", "keras.src.layers.pooling.global_average_pooling3d"},
      {"GlobalMaxPooling1D", "keras.src.layers.pooling.global_max_pooling1d"},
      {"GlobalMaxPooling2D", "keras.src.layers.pooling.global_max_pooling2d"},
      {"GlobalMaxPooling3D", "keras.src.layers.pooling.global_max_pooling3d"},
      {"GroupNormalization", "keras.src.layers.normalization.group_normalization"},
      // Python class GroupedQueryAttention, exported and written into config.json as GroupQueryAttention.
      {"GroupQueryAttention", "keras.src.layers.attention.grouped_query_attention"},
      {"HashedCrossing", "keras.src.layers.preprocessing.hashed_crossing"},
      {"Hashing", "keras.src.layers.preprocessing.hashing"},
      {"Identity", "keras.src.layers.core.identity"},
      {"Input", "keras.src.layers.core.input_layer"},
      {"InputLayer", "keras.src.layers.core.input_layer"},
      {"InputSpec", "keras.src.layers.input_spec"},
      {"IntegerLookup", "keras.src.layers.preprocessing.integer_lookup"},
      {"JaxLayer", "keras.src.utils.jax_layer"},
      {"LSTM", "keras.src.layers.rnn.lstm"},
      {"LSTMCell", "keras.src.layers.rnn.lstm"},
      {"Lambda", "keras.src.layers.core.lambda_layer"},
      {"Layer", "keras.src.layers.layer"},
      {"LayerNormalization", "keras.src.layers.normalization.layer_normalization"},
      {"LeakyReLU", "keras.src.layers.activations.leaky_relu"},
      {"Masking", "keras.src.layers.core.masking"},
      {"MaxNumBoundingBoxes", "keras.src.layers.preprocessing.image_preprocessing.max_num_bounding_box"},
      {"MaxPooling1D", "keras.src.layers.pooling.max_pooling1d"},
      {"MaxPooling2D", "keras.src.layers.pooling.max_pooling2d"},
      {"MaxPooling3D", "keras.src.layers.pooling.max_pooling3d"},
      {"Maximum", "keras.src.layers.merging.maximum"},
      {"MelSpectrogram", "keras.src.layers.preprocessing.mel_spectrogram"},
      {"Minimum", "keras.src.layers.merging.minimum"},
      {"MixUp", "keras.src.layers.preprocessing.image_preprocessing.mix_up"},
      {"MultiHeadAttention", "keras.src.layers.attention.multi_head_attention"},
      {"Multiply", "keras.src.layers.merging.multiply"},
      {"Normalization", "keras.src.layers.preprocessing.normalization"},
      {"PReLU", "keras.src.layers.activations.prelu"},
      {"Permute", "keras.src.layers.reshaping.permute"},
      {"Pipeline", "keras.src.layers.preprocessing.pipeline"},
      {"RMSNormalization", "keras.src.layers.normalization.rms_normalization"},
      {"RNN", "keras.src.layers.rnn.rnn"},
      {"RandAugment", "keras.src.layers.preprocessing.image_preprocessing.rand_augment"},
      {"RandomBrightness", "keras.src.layers.preprocessing.image_preprocessing.random_brightness"},
      {"RandomColorDegeneration", "keras.src.layers.preprocessing.image_preprocessing.random_color_degeneration"},
      {"RandomColorJitter", "keras.src.layers.preprocessing.image_preprocessing.random_color_jitter"},
      {"RandomContrast", "keras.src.layers.preprocessing.image_preprocessing.random_contrast"},
      {"RandomCrop", "keras.src.layers.preprocessing.image_preprocessing.random_crop"},
      {"RandomElasticTransform", "keras.src.layers.preprocessing.image_preprocessing.random_elastic_transform"},
      {"RandomErasing", "keras.src.layers.preprocessing.image_preprocessing.random_erasing"},
      {"RandomFlip", "keras.src.layers.preprocessing.image_preprocessing.random_flip"},
      {"RandomGaussianBlur", "keras.src.layers.preprocessing.image_preprocessing.random_gaussian_blur"},
      {"RandomGrayscale", "keras.src.layers.preprocessing.image_preprocessing.random_grayscale"},
      {"RandomHue", "keras.src.layers.preprocessing.image_preprocessing.random_hue"},
      {"RandomInvert", "keras.src.layers.preprocessing.image_preprocessing.random_invert"},
      {"RandomPerspective", "keras.src.layers.preprocessing.image_preprocessing.random_perspective"},
      {"RandomPosterization", "keras.src.layers.preprocessing.image_preprocessing.random_posterization"},
      {"RandomRotation", "keras.src.layers.preprocessing.image_preprocessing.random_rotation"},
      {"RandomSaturation", "keras.src.layers.preprocessing.image_preprocessing.random_saturation"},
      {"RandomSharpness", "keras.src.layers.preprocessing.image_preprocessing.random_sharpness"},
      {"RandomShear", "keras.src.layers.preprocessing.image_preprocessing.random_shear"},
      {"RandomTranslation", "keras.src.layers.preprocessing.image_preprocessing.random_translation"},
      {"RandomZoom", "keras.src.layers.preprocessing.image_preprocessing.random_zoom"},
      {"ReLU", "keras.src.layers.activations.relu"},
      {"RepeatVector", "keras.src.layers.reshaping.repeat_vector"},
      {"Rescaling", "keras.src.layers.preprocessing.rescaling"},
      {"Reshape", "keras.src.layers.reshaping.reshape"},
      {"Resizing", "keras.src.layers.preprocessing.image_preprocessing.resizing"},
      {"ReversibleEmbedding", "keras.src.layers.core.reversible_embedding"},
      {"STFTSpectrogram", "keras.src.layers.preprocessing.stft_spectrogram"},
      {"SeparableConv1D", "keras.src.layers.convolutional.separable_conv1d"},
      {"SeparableConv2D", "keras.src.layers.convolutional.separable_conv2d"},
      {"SimpleRNN", "keras.src.layers.rnn.simple_rnn"},
      {"SimpleRNNCell", "keras.src.layers.rnn.simple_rnn"},
      {"Softmax", "keras.src.layers.activations.softmax"},
      {"Solarization", "keras.src.layers.preprocessing.image_preprocessing.solarization"},
      {"SpatialDropout1D", "keras.src.layers.regularization.spatial_dropout"},
      {"SpatialDropout2D", "keras.src.layers.regularization.spatial_dropout"},
      {"SpatialDropout3D", "keras.src.layers.regularization.spatial_dropout"},
      {"SpectralNormalization", "keras.src.layers.normalization.spectral_normalization"},
      {"StackedRNNCells", "keras.src.layers.rnn.stacked_rnn_cells"},
      {"StringLookup", "keras.src.layers.preprocessing.string_lookup"},
      {"Subtract", "keras.src.layers.merging.subtract"},
      {"TFSMLayer", "keras.src.export.tfsm_layer"},
      {"TernaryDense", "keras.src.layers.core.ternary_dense"},
      {"TextVectorization", "keras.src.layers.preprocessing.text_vectorization"},
      {"TimeDistributed", "keras.src.layers.rnn.time_distributed"},
      {"TorchModuleWrapper", "keras.src.utils.torch_utils"},
      {"UnitNormalization", "keras.src.layers.normalization.unit_normalization"},
      {"UpSampling1D", "keras.src.layers.reshaping.up_sampling1d"},
      {"UpSampling2D", "keras.src.layers.reshaping.up_sampling2d"},
      {"UpSampling3D", "keras.src.layers.reshaping.up_sampling3d"},
      {"Wrapper", "keras.src.layers.core.wrapper"},
      {"ZeroPadding1D", "keras.src.layers.reshaping.zero_padding1d"},
      {"ZeroPadding2D", "keras.src.layers.reshaping.zero_padding2d"},
      {"ZeroPadding3D", "keras.src.layers.reshaping.zero_padding3d"},
  };
  return classes;
}

// Exports of keras.layers that are not layer classes a .keras file can hold.
const std::map<std::string, std::string>& not_serializable_exports() {
  static const std::map<std::string, std::string> exports = {
      {"Input", "a function returning a symbolic tensor; files hold the InputLayer it creates"},
      {"InputSpec", "an input specification object, not a layer"},
      {"Layer", "the abstract base class: its call() raises NotImplementedError"},
      {"Wrapper", "an abstract base class (Keras: 'Do not use this class as a layer')"},
  };
  return exports;
}

TEST(KerasLayersClasses, TheListIsKeras316sAndHasNoDuplicates) {
  const auto& classes = keras_3_16_layers_classes();
  std::set<std::string> names;
  for (const auto& c : classes) EXPECT_TRUE(names.insert(c.class_name).second) << c.class_name << " twice";
  EXPECT_EQ(classes.size(), 146U);
  for (const auto& [name, why] : not_serializable_exports()) EXPECT_TRUE(names.count(name)) << name;
}

TEST(KerasLayersClasses, EveryClassIsRegisteredOrRefusedWithAReason) {
  keras::saving::register_builtins();
  std::set<std::string> registered;
  for (const auto& c : keras::saving::registered_classes())
    if (c.kind == keras::saving::ObjectKind::layer && c.module == "keras.layers" && c.alias_of.empty())
      registered.insert(c.class_name);
  std::map<std::string, std::string> refused;
  for (const auto& r : keras::saving::refused_classes())
    if (r.kind == keras::saving::ObjectKind::layer) refused.emplace(r.class_name, r.reason);

  std::vector<std::string> missing;
  std::size_t n_registered = 0, n_refused = 0;
  for (const auto& c : keras_3_16_layers_classes()) {
    const std::string name = c.class_name;
    if (not_serializable_exports().count(name)) {
      EXPECT_FALSE(registered.count(name)) << name << " is registered but is not a layer class";
      continue;
    }
    if (registered.count(name)) {
      ++n_registered;
      EXPECT_FALSE(refused.count(name)) << name << " is both registered and refused";
    } else if (auto it = refused.find(name); it != refused.end()) {
      ++n_refused;
      EXPECT_FALSE(it->second.empty()) << name << " is refused without a reason";
    } else {
      missing.push_back(name + " (" + c.defined_in + ")");
    }
  }
  std::string list;
  for (const auto& m : missing) list += "\n  " + m;
  EXPECT_TRUE(missing.empty()) << "keras.layers classes neither registered nor refused:" << list;
  std::cout << "keras.layers in Keras 3.16: " << keras_3_16_layers_classes().size() << " classes, " << n_registered
            << " registered, " << n_refused << " refused, " << not_serializable_exports().size()
            << " not serializable\n";
}

}  // namespace
