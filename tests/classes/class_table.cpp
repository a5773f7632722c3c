// THE table: one row per class in keras-cpp's registry (see class_table.hpp
// for the columns and how to extend them). A row without `config` or
// `forward` relies on a Keras fixture in tests/data for that column; the
// tester finds it and fails when it is gone.
#include "classes/class_table.hpp"

#include <cmath>
#include <map>
#include <numbers>
#include <set>
#include <sstream>

#include "classes/references.hpp"
#include "support/gradient_cases.hpp"

namespace keras_test::classes {

namespace {

using K = ObjectKind;

Json parse(const char* text) { return Json::parse(text); }

// Keras 3.16's mask rule per layer class (see MaskColumn), from
// keras/src/layers/** at the commit of the per-class list: supports_masking,
// compute_mask and the call signature of each class.
MaskColumn passes_through() { return {{}, "input"}; }
MaskColumn computes() { return {{}, "computed"}; }
MaskColumn drops() { return {{}, "none"}; }
MaskColumn uses(std::vector<std::string> inputs, std::string output) { return {std::move(inputs), std::move(output)}; }

const std::map<std::string, MaskColumn>& mask_rules() {
  static const std::map<std::string, MaskColumn> rules = [] {
    std::map<std::string, MaskColumn> r;
    // supports_masking = True with the default compute_mask (the input's mask).
    for (const char* c : {"Dense",
                          "TernaryDense",
                          "Identity",
                          "Activation",
                          "ReLU",
                          "LeakyReLU",
                          "ELU",
                          "PReLU",
                          "LayerNormalization",
                          "GroupNormalization",
                          "UnitNormalization",
                          "Rescaling",
                          "Normalization",
                          "Dropout",
                          "AlphaDropout",
                          "SpatialDropout1D",
                          "SpatialDropout2D",
                          "SpatialDropout3D",
                          "GaussianNoise",
                          "GaussianDropout",
                          "ActivityRegularization"})
      r[c] = passes_through();
    r["Softmax"] = {{"mask"}, "input", 99};             // masked logits; the mask must broadcast to the inputs
    r["BatchNormalization"] = uses({"mask"}, "input");  // masked moments in training
    // query_mask from the query, value_mask from the value; the output carries the query's mask.
    r["MultiHeadAttention"] = uses({"query_mask", "value_mask"}, "input");
    r["GroupQueryAttention"] = uses({"query_mask", "value_mask"}, "input");
    // mask = [query_mask, value_mask]; compute_mask returns mask[0], the query's.
    r["Attention"] = uses({"mask"}, "input");
    r["AdditiveAttention"] = uses({"mask"}, "input");
    r["Embedding"] = computes();  // not_equal(inputs, 0) with mask_zero (probed with mask_zero=True)
    r["Embedding"].config_patch = {{"mask_zero", true}};
    r["Masking"] = computes();  // any(inputs != mask_value, axis=-1)
    for (const char* c : {"Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"})
      r[c] = computes();                 // logical_or of the inputs' masks (none if one input has none)
    r["Concatenate"] = computes();       // the masks brought to the inputs' ranks, concatenated, any(axis=-1)
    r["Dot"] = drops();                  // compute_mask returns None
    r["ReversibleEmbedding"] = drops();  // compute_mask returns None
    // Use the mask they receive; no output mask (supports_masking = False, or compute_mask None).
    for (const char* c : {"GlobalAveragePooling1D", "RNN", "SimpleRNN", "LSTM", "GRU", "ConvLSTM1D", "ConvLSTM2D",
                          "ConvLSTM3D", "Bidirectional", "TimeDistributed", "Pipeline"})
      r[c] = uses({"mask"}, "none");
    for (const char* c : {"ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D"}) r[c].mask_axes = 2;  // [batch, steps]
    // Even with return_sequences (Keras 3.16: RNN sets supports_masking = False).
    for (const char* c : {"RNN", "SimpleRNN", "LSTM", "GRU", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D"})
      r[c].config_patch = {{"return_sequences", true}};
    // Everything else: supports_masking = False (the mask is dropped, a warning in Keras).
    for (const char* c : {"EinsumDense",
                          "Conv1D",
                          "Conv2D",
                          "Conv3D",
                          "Conv1DTranspose",
                          "Conv2DTranspose",
                          "Conv3DTranspose",
                          "DepthwiseConv1D",
                          "DepthwiseConv2D",
                          "SeparableConv1D",
                          "SeparableConv2D",
                          "RMSNormalization",
                          "MaxPooling1D",
                          "MaxPooling2D",
                          "MaxPooling3D",
                          "AveragePooling1D",
                          "AveragePooling2D",
                          "AveragePooling3D",
                          "GlobalMaxPooling1D",
                          "GlobalMaxPooling2D",
                          "GlobalMaxPooling3D",
                          "GlobalAveragePooling2D",
                          "GlobalAveragePooling3D",
                          "AdaptiveMaxPooling1D",
                          "AdaptiveMaxPooling2D",
                          "AdaptiveMaxPooling3D",
                          "AdaptiveAveragePooling1D",
                          "AdaptiveAveragePooling2D",
                          "AdaptiveAveragePooling3D",
                          "CenterCrop",
                          "Resizing",
                          "Discretization",
                          "CategoryEncoding",
                          "Flatten",
                          "Reshape",
                          "Permute",
                          "RepeatVector",
                          "UpSampling1D",
                          "UpSampling2D",
                          "UpSampling3D",
                          "ZeroPadding1D",
                          "ZeroPadding2D",
                          "ZeroPadding3D",
                          "Cropping1D",
                          "Cropping2D",
                          "Cropping3D",
                          "SpectralNormalization",
                          "STFTSpectrogram",
                          "MelSpectrogram",
                          "RandomFlip",
                          "RandomRotation",
                          "RandomZoom",
                          "RandomTranslation",
                          "RandomShear",
                          "RandomPerspective",
                          "RandomElasticTransform",
                          "RandomContrast",
                          "RandomBrightness",
                          "RandomColorDegeneration",
                          "RandomInvert",
                          "RandomPosterization",
                          "RandomSharpness",
                          "RandomHue",
                          "RandomSaturation",
                          "Solarization",
                          "RandomGrayscale",
                          "RandomColorJitter",
                          "RandomErasing",
                          "RandomGaussianBlur",
                          "CutMix",
                          "MixUp",
                          "AutoContrast",
                          "Equalization",
                          "ContrastLimitedAdaptiveHistogramEqualization",
                          "AugMix",
                          "RandAugment",
                          "RandomCrop",
                          "MaxNumBoundingBoxes",
                          "LayerScale",
                          "StochasticDepth",
                          "CustomScaleLayer"})
      r[c] = drops();
    return r;
  }();
  return rules;
}

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

// A layer's gradient column: every case of support/gradient_cases.cpp for it.
std::optional<GradientColumn> layer_gradient(const std::string& class_name) {
  std::size_t count = 0;
  std::set<std::string> tolerances;  // each case's, as "rtol 0.01, atol 0.001, step 0.01"
  for (const auto& c : gradient_cases()) {
    if (c.class_name != class_name) continue;
    ++count;
    std::ostringstream t;
    t << "rtol " << c.tolerance.rtol << ", atol " << c.tolerance.atol << ", step " << c.tolerance.step;
    tolerances.insert(t.str());
  }
  if (count == 0) return std::nullopt;
  std::string stated;
  for (const auto& t : tolerances) stated += (stated.empty() ? "" : "; ") + t;
  return GradientColumn{"call_vjp() against central differences of call(), " + std::to_string(count) +
                            " case(s) of gradient_cases.cpp (" + stated + ")",
                        0.0, [class_name] {
                          double worst = -1.0;
                          for (const auto& c : gradient_cases())
                            if (c.class_name == class_name) worst = std::max(worst, gradient_case_excess(c));
                          return worst;
                        }};
}

// A model's backward pass: a layer called twice, a merge and a nested model.
GradientColumn model_gradient(bool sequential) {
  return GradientColumn{
      "call_vjp() of a small model against central differences of call()", 0.0, [sequential] {
        namespace layers = keras::layers;
        keras::Model model;
        if (sequential) {
          model = keras::Sequential({keras::Input({4}), layers::Dense(3, {.activation = "tanh"}),
                                     layers::LayerNormalization(), layers::Dense(2)});
        } else {
          keras::Model inner = keras::Sequential({keras::Input({4}), layers::Dense(3, {.activation = "tanh"})});
          keras::KerasTensor input = keras::Input({4});
          layers::Dense shared(4, {.activation = "sigmoid"});
          keras::KerasTensor a = shared(input);
          keras::KerasTensor b = shared(a);
          model = keras::Model(input, inner(layers::Add()({a, b})));
        }
        keras::CallArgs args;
        args.tensors = {keras::random::uniform({2, 4}, -1.0F, 1.0F, 3)};
        args.args = Json::array({Json{{"__tensor__", 0}}});
        args.training = true;
        return operation_gradient_excess(model.impl(), args, {.rtol = 2e-2, .atol = 2e-3},
                                         sequential ? "Sequential" : "Functional");
      }};
}

// The table with each layer's gradient column filled from its cases.
std::vector<ClassRow> with_gradients(std::vector<ClassRow> rows) {
  for (auto& row : rows) {
    if (row.kind == K::layer && !row.masks) {
      if (auto it = mask_rules().find(row.class_name); it != mask_rules().end()) row.masks = it->second;
    }
    if (row.kind == K::layer && !row.gradient) row.gradient = layer_gradient(row.class_name);
    if (row.kind == K::model && (row.class_name == "Functional" || row.class_name == "Sequential"))
      row.gradient = model_gradient(row.class_name == "Sequential");
  }
  return rows;
}

}  // namespace

const std::vector<ClassRow>& rows() {
  static const std::vector<ClassRow> table = with_gradients({
      // ------------------------------------------------------------ layers
      {K::layer, "InputLayer"},
      {K::layer, "Dense"},
      {K::layer, "EinsumDense"},
      {K::layer, "Embedding"},
      {K::layer, "Identity"},
      {K::layer, "Masking"},
      {K::layer, "Activation"},
      {K::layer, "Softmax"},
      {K::layer, "ReLU"},
      {K::layer, "LeakyReLU"},
      {K::layer, "ELU"},
      {K::layer, "PReLU"},
      {K::layer, "MultiHeadAttention"},
      {K::layer, "GroupQueryAttention"},
      {K::layer, "Attention"},
      {K::layer, "AdditiveAttention"},
      {K::layer, "Conv1D"},
      {K::layer, "Conv2D"},
      {K::layer, "Conv3D"},
      {K::layer, "Conv1DTranspose"},
      {K::layer, "Conv2DTranspose"},
      {K::layer, "Conv3DTranspose"},
      {K::layer, "DepthwiseConv1D"},
      {K::layer, "DepthwiseConv2D"},
      {K::layer, "SeparableConv1D"},
      {K::layer, "SeparableConv2D"},
      {K::layer, "Add"},
      {K::layer, "Subtract"},
      {K::layer, "Multiply"},
      {K::layer, "Average"},
      {K::layer, "Maximum"},
      {K::layer, "Minimum"},
      {K::layer, "Concatenate"},
      {K::layer, "Dot"},
      {K::layer, "BatchNormalization"},
      {K::layer, "LayerNormalization"},
      {K::layer, "GroupNormalization"},
      {K::layer, "UnitNormalization"},
      {K::layer, "RMSNormalization"},
      {K::layer, "MaxPooling1D"},
      {K::layer, "MaxPooling2D"},
      {K::layer, "MaxPooling3D"},
      {K::layer, "AveragePooling1D"},
      {K::layer, "AveragePooling2D"},
      {K::layer, "AveragePooling3D"},
      {K::layer, "GlobalMaxPooling1D"},
      {K::layer, "GlobalMaxPooling2D"},
      {K::layer, "GlobalMaxPooling3D"},
      {K::layer, "GlobalAveragePooling1D"},
      {K::layer, "GlobalAveragePooling2D"},
      {K::layer, "GlobalAveragePooling3D"},
      {K::layer, "AdaptiveMaxPooling1D"},
      {K::layer, "AdaptiveMaxPooling2D"},
      {K::layer, "AdaptiveMaxPooling3D"},
      {K::layer, "AdaptiveAveragePooling1D"},
      {K::layer, "AdaptiveAveragePooling2D"},
      {K::layer, "AdaptiveAveragePooling3D"},
      {K::layer, "Rescaling"},
      {K::layer, "Normalization"},
      {K::layer, "CenterCrop"},
      {K::layer, "Resizing"},
      {K::layer, "Discretization"},
      {K::layer, "CategoryEncoding"},
      {K::layer, "Dropout"},
      {K::layer, "AlphaDropout"},
      {K::layer, "SpatialDropout1D"},
      {K::layer, "SpatialDropout2D"},
      {K::layer, "SpatialDropout3D"},
      {K::layer, "GaussianNoise"},
      {K::layer, "GaussianDropout"},
      {K::layer, "ActivityRegularization"},
      {K::layer, "Flatten"},
      {K::layer, "Reshape"},
      {K::layer, "Permute"},
      {K::layer, "RepeatVector"},
      {K::layer, "UpSampling1D"},
      {K::layer, "UpSampling2D"},
      {K::layer, "UpSampling3D"},
      {K::layer, "ZeroPadding1D"},
      {K::layer, "ZeroPadding2D"},
      {K::layer, "ZeroPadding3D"},
      {K::layer, "Cropping1D"},
      {K::layer, "Cropping2D"},
      {K::layer, "Cropping3D"},
      {K::layer, "SimpleRNNCell",
       ConfigReference{
           "keras/src/layers/rnn/simple_rnn.py SimpleRNNCell.get_config (as RNN(SimpleRNNCell(4)) on [None, 5, 7] "
           "writes it; key layout of the fixtures' LSTMCell)",
           parse(R"({"module": "keras.layers", "class_name": "SimpleRNNCell", "config": {"name": "simple_rnn_cell",
               "trainable": true, "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"},
               "registered_name": null}, "units": 4, "activation": "tanh", "use_bias": true, "kernel_initializer":
               {"module": "keras.initializers", "class_name": "GlorotUniform", "config": {"seed": null, "input_axes": null,
               "output_axes": null}, "registered_name": null}, "recurrent_initializer": {"module": "keras.initializers",
               "class_name": "Orthogonal", "config": {"seed": null, "gain": 1.0}, "registered_name": null},
               "bias_initializer": {"module": "keras.initializers", "class_name": "Zeros", "config": {},
               "registered_name": null}, "kernel_regularizer": null, "recurrent_regularizer": null, "bias_regularizer":
               null, "kernel_constraint": null, "recurrent_constraint": null, "bias_constraint": null, "dropout": 0.0,
               "recurrent_dropout": 0.0, "seed": null}, "registered_name": null, "build_config": {"input_shape": [null,
               7]}})")}},
      {K::layer, "LSTMCell"},
      {K::layer, "GRUCell"},
      {K::layer, "RNN",
       ConfigReference{
           "keras/src/layers/rnn/rnn.py RNN.get_config (the fixture wrappers_and_embeddings' RNN, over a "
           "SimpleRNNCell instead of StackedRNNCells)",
           parse(R"({"module": "keras.layers", "class_name": "RNN", "config": {"name": "rnn", "trainable": true,
                           "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"},
                           "registered_name": null}, "return_sequences": false, "return_state": false, "go_backwards": false,
                           "stateful": false, "unroll": false, "zero_output_for_mask": false, "cell": {"module":
                           "keras.layers", "class_name": "SimpleRNNCell", "config": {"name": "simple_rnn_cell", "trainable":
                           true, "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"},
                           "registered_name": null}, "units": 4, "activation": "tanh", "use_bias": true,
                           "kernel_initializer": {"module": "keras.initializers", "class_name": "GlorotUniform", "config":
                           {"seed": null, "input_axes": null, "output_axes": null}, "registered_name": null},
                           "recurrent_initializer": {"module": "keras.initializers", "class_name": "Orthogonal", "config":
                           {"seed": null, "gain": 1.0}, "registered_name": null}, "bias_initializer": {"module":
                           "keras.initializers", "class_name": "Zeros", "config": {}, "registered_name": null},
                           "kernel_regularizer": null, "recurrent_regularizer": null, "bias_regularizer": null,
                           "kernel_constraint": null, "recurrent_constraint": null, "bias_constraint": null, "dropout": 0.0,
                           "recurrent_dropout": 0.0, "seed": null}, "registered_name": null, "build_config": {"input_shape":
                           [null, 7]}}}, "registered_name": null, "build_config": {"input_shape": [null, 5, 7]}})")},
       rnn_reference()},
      {K::layer, "SimpleRNN"},
      {K::layer, "LSTM"},
      {K::layer, "GRU"},
      {K::layer, "ConvLSTM1D"},
      {K::layer, "ConvLSTM2D"},
      {K::layer, "ConvLSTM3D",
       ConfigReference{"keras/src/layers/rnn/conv_lstm3d.py (the fixture conv_lstm's ConvLSTM2D config, one more "
                       "spatial dimension)",
                       parse(R"({"module": "keras.layers", "class_name": "ConvLSTM3D", "config": {"name": "conv_lstm3d",
                           "trainable": true, "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name":
                           "float32"}, "registered_name": null}, "return_sequences": true, "return_state": false,
                           "go_backwards": false, "stateful": false, "unroll": false, "zero_output_for_mask": false,
                           "filters": 3, "kernel_size": [3, 3, 3], "strides": [1, 1, 1], "padding": "same", "data_format":
                           "channels_last", "dilation_rate": [1, 1, 1], "activation": "tanh", "recurrent_activation":
                           "sigmoid", "use_bias": true, "kernel_initializer": {"module": "keras.initializers", "class_name":
                           "GlorotUniform", "config": {"seed": null, "input_axes": null, "output_axes": null},
                           "registered_name": null}, "recurrent_initializer": {"module": "keras.initializers", "class_name":
                           "Orthogonal", "config": {"seed": null, "gain": 1.0}, "registered_name": null},
                           "bias_initializer": {"module": "keras.initializers", "class_name": "Zeros", "config": {},
                           "registered_name": null}, "unit_forget_bias": true, "kernel_regularizer": null,
                           "recurrent_regularizer": null, "bias_regularizer": null, "activity_regularizer": null,
                           "kernel_constraint": null, "recurrent_constraint": null, "bias_constraint": null, "dropout": 0.0,
                           "recurrent_dropout": 0.0, "seed": null}, "registered_name": null, "build_config": {"input_shape":
                           [null, 3, 4, 4, 4, 2]}})")},
       conv_lstm3d_reference()},
      {K::layer, "Bidirectional"},
      {K::layer, "TimeDistributed"},

      // ---------------------------- issue 10: Keras fixtures of tests/data cover
      // these (augmentation_layers, augmentation_keras_cannot_reload,
      // image_preprocessing_inference, audio_spectrograms,
      // wrappers_and_embeddings, applications_layers) unless a row says otherwise.
      {K::layer, "StackedRNNCells"},
      {K::layer, "ReversibleEmbedding"},
      {K::layer, "SpectralNormalization"},
      {K::layer, "TernaryDense",
       ConfigReference{"keras/src/layers/core/ternary_dense.py TernaryDense.get_config (TernaryDense(3) on [None, 4])",
                       parse(R"({"module": "keras.layers", "class_name": "TernaryDense", "config": {"name":
                           "ternary_dense", "trainable": true, "dtype": {"module": "keras", "class_name": "DTypePolicy",
                           "config": {"name": "float32"}, "registered_name": null}, "units": 3, "threshold": null,
                           "activation": "linear", "use_bias": true, "kernel_initializer": {"module":
                           "keras.initializers", "class_name": "GlorotUniform", "config": {"seed": null, "input_axes":
                           null, "output_axes": null}, "registered_name": null}, "bias_initializer": {"module":
                           "keras.initializers", "class_name": "Zeros", "config": {}, "registered_name": null},
                           "kernel_regularizer": null, "bias_regularizer": null, "activity_regularizer": null,
                           "kernel_constraint": null, "bias_constraint": null}, "registered_name": null,
                           "build_config": {"input_shape": [null, 4]}})")},
       ternary_dense_reference()},
      {K::layer, "Pipeline"},
      {K::layer, "STFTSpectrogram"},
      {K::layer, "MelSpectrogram"},
      {K::layer, "RandomFlip"},
      {K::layer, "RandomRotation"},
      {K::layer, "RandomZoom"},
      {K::layer, "RandomTranslation"},
      {K::layer, "RandomShear"},
      {K::layer, "RandomPerspective"},
      {K::layer, "RandomElasticTransform"},
      {K::layer, "RandomContrast"},
      {K::layer, "RandomBrightness"},
      {K::layer, "RandomColorDegeneration"},
      {K::layer, "RandomInvert"},
      {K::layer, "RandomPosterization"},
      {K::layer, "RandomSharpness"},
      {K::layer, "RandomHue"},
      {K::layer, "RandomSaturation"},
      {K::layer, "Solarization"},
      {K::layer, "RandomGrayscale"},
      {K::layer, "RandomColorJitter"},
      {K::layer, "RandomErasing"},
      {K::layer, "RandomGaussianBlur"},
      {K::layer, "CutMix"},
      {K::layer, "MixUp"},
      {K::layer, "AutoContrast"},
      // Keras cannot place Equalization in a model (a cycle error in its graph
      // code), so no fixture holds it.
      {K::layer, "Equalization",
       ConfigReference{"keras/src/layers/preprocessing/image_preprocessing/equalization.py Equalization.get_config "
                       "(the base keys as the fixtures' AutoContrast writes them)",
                       parse(R"({"module": "keras.layers", "class_name": "Equalization", "config": {"name":
                           "equalization", "trainable": true, "dtype": {"module": "keras", "class_name": "DTypePolicy",
                           "config": {"name": "float32"}, "registered_name": null}, "data_format": "channels_last",
                           "bins": 256, "value_range": [0, 255]}, "registered_name": null, "build_config":
                           {"input_shape": [null, 8, 8, 3]}})")},
       equalization_reference()},
      {K::layer, "ContrastLimitedAdaptiveHistogramEqualization"},
      {K::layer, "AugMix"},
      {K::layer, "RandAugment"},
      {K::layer, "RandomCrop"},
      {K::layer, "MaxNumBoundingBoxes",
       ConfigReference{"keras/src/layers/preprocessing/image_preprocessing/max_num_bounding_box.py "
                       "MaxNumBoundingBoxes.get_config (it keeps fill_value but writes max_number only)",
                       parse(R"({"module": "keras.layers", "class_name": "MaxNumBoundingBoxes", "config": {"name":
                           "max_num_bounding_boxes", "trainable": true, "dtype": {"module": "keras", "class_name":
                           "DTypePolicy", "config": {"name": "float32"}, "registered_name": null}, "data_format":
                           "channels_last", "max_number": 5}, "registered_name": null, "build_config": {"input_shape":
                           [null, 8, 8, 3]}})")},
       max_num_bounding_boxes_reference()},
      {K::layer, "LayerScale"},
      {K::layer, "StochasticDepth"},
      {K::layer, "CustomScaleLayer"},

      // ------------------------------------------------------------ models
      {K::model, "Functional"},
      {K::model, "Sequential"},

      // ---------------------------------------------- raw operations (keras.ops)
      {K::operation, "Add"},
      {K::operation, "Subtract"},
      {K::operation, "Multiply"},
      {K::operation, "Divide", op_config("numpy.py", "Divide"),
       binary_op(
           "Divide", [](double a, double b) { return a / b; }, 0.5, 3.0)},
      {K::operation, "TrueDivide"},
      {K::operation, "FloorDivide", op_config("numpy.py", "FloorDivide"),
       binary_op(
           "FloorDivide", [](double a, double b) { return std::floor(a / b); }, 0.5, 3.0)},
      {K::operation, "Mod", op_config("numpy.py", "Mod"),
       binary_op(
           "Mod", [](double a, double b) { return a - std::floor(a / b) * b; }, 0.5, 3.0, 1e-5)},
      {K::operation, "Power"},
      {K::operation, "Maximum"},
      {K::operation, "Minimum", op_config("numpy.py", "Minimum"),
       binary_op("Minimum", [](double a, double b) { return std::min(a, b); })},
      {K::operation, "Equal", op_config("numpy.py", "Equal"),
       binary_op("Equal", [](double a, double b) { return a == b ? 1.0 : 0.0; })},
      {K::operation, "NotEqual"},
      {K::operation, "Less", op_config("numpy.py", "Less"),
       binary_op("Less", [](double a, double b) { return a < b ? 1.0 : 0.0; })},
      {K::operation, "LessEqual", op_config("numpy.py", "LessEqual"),
       binary_op("LessEqual", [](double a, double b) { return a <= b ? 1.0 : 0.0; })},
      {K::operation, "Greater"},
      {K::operation, "GreaterEqual", op_config("numpy.py", "GreaterEqual"),
       binary_op("GreaterEqual", [](double a, double b) { return a >= b ? 1.0 : 0.0; })},
      {K::operation, "LogicalAnd", op_config("numpy.py", "LogicalAnd"),
       logical_op("LogicalAnd", [](bool a, bool b) { return a && b; })},
      {K::operation, "LogicalOr", {}, logical_op("LogicalOr", [](bool a, bool b) { return a || b; })},
      {K::operation, "LogicalXor", op_config("numpy.py", "LogicalXor"),
       logical_op("LogicalXor", [](bool a, bool b) { return a != b; })},
      {K::operation, "Negative"},
      {K::operation, "Absolute"},
      {K::operation, "Abs", op_config("numpy.py", "Abs"), unary_op("Abs", [](double x) { return std::abs(x); })},
      {K::operation, "Square"},
      {K::operation, "Sqrt"},
      {K::operation, "Exp"},
      {K::operation, "Log"},
      {K::operation, "Log1p", op_config("numpy.py", "Log1p"),
       unary_op(
           "Log1p", [](double x) { return std::log1p(x); }, -0.5, 3.0)},
      {K::operation, "Expm1", op_config("numpy.py", "Expm1"),
       unary_op("Expm1", [](double x) { return std::expm1(x); })},
      {K::operation, "Tanh"},
      {K::operation, "Sin", op_config("numpy.py", "Sin"), unary_op("Sin", [](double x) { return std::sin(x); })},
      {K::operation, "Cos", op_config("numpy.py", "Cos"), unary_op("Cos", [](double x) { return std::cos(x); })},
      {K::operation, "Tan", op_config("numpy.py", "Tan"),
       unary_op(
           "Tan", [](double x) { return std::tan(x); }, -1.2, 1.2)},
      {K::operation, "Floor", op_config("numpy.py", "Floor"),
       unary_op("Floor", [](double x) { return std::floor(x); })},
      {K::operation, "Ceil", op_config("numpy.py", "Ceil"), unary_op("Ceil", [](double x) { return std::ceil(x); })},
      {K::operation, "Sign", op_config("numpy.py", "Sign"),
       unary_op("Sign", [](double x) { return x > 0 ? 1.0 : (x < 0 ? -1.0 : 0.0); })},
      {K::operation, "Reciprocal", op_config("numpy.py", "Reciprocal"),
       unary_op(
           "Reciprocal", [](double x) { return 1.0 / x; }, 0.5, 3.0)},
      {K::operation, "LogicalNot", op_config("numpy.py", "LogicalNot"), logical_not_reference()},
      {K::operation, "Rsqrt", op_config("math.py", "Rsqrt"),
       unary_op(
           "Rsqrt", [](double x) { return 1.0 / std::sqrt(x); }, 0.1, 3.0)},
      {K::operation, "Erf", op_config("math.py", "Erf"), unary_op("Erf", [](double x) { return std::erf(x); })},
      {K::operation, "Relu"},
      {K::operation, "Relu6", op_config("nn.py", "Relu6"),
       unary_op(
           "Relu6", [](double x) { return std::min(std::max(x, 0.0), 6.0); }, -3.0, 8.0)},
      {K::operation, "Sigmoid"},
      {K::operation, "Silu", op_config("nn.py", "Silu"), unary_op("Silu", [](double x) { return x * sigmoid(x); })},
      {K::operation, "Softplus", op_config("nn.py", "Softplus"),
       unary_op("Softplus", [](double x) { return std::log1p(std::exp(x)); })},
      {K::operation, "Softsign", op_config("nn.py", "Softsign"),
       unary_op("Softsign", [](double x) { return x / (1.0 + std::abs(x)); })},
      {K::operation, "HardSigmoid", op_config("nn.py", "HardSigmoid"),
       unary_op(
           "HardSigmoid", [](double x) { return std::clamp(x / 6.0 + 0.5, 0.0, 1.0); }, -5.0, 5.0)},
      {K::operation, "LogSigmoid", op_config("nn.py", "LogSigmoid"),
       unary_op("LogSigmoid", [](double x) { return -std::log1p(std::exp(-x)); })},
      {K::operation, "Selu", op_config("nn.py", "Selu"),
       unary_op("Selu",
                [](double x) {
                  const double alpha = 1.6732632423543772848170429916717;
                  const double scale = 1.0507009873554804934193349852946;
                  return scale * (x > 0 ? x : alpha * std::expm1(x));
                })},
      {K::operation, "Softmax"},
      {K::operation, "LogSoftmax", op_config("nn.py", "LogSoftmax", {{"axis", -1}}), log_softmax_reference()},
      {K::operation, "Gelu", op_config("nn.py", "Gelu", {{"approximate", true}}),
       unary_op("Gelu",
                [](double x) {
                  const double c = std::sqrt(2.0 / std::numbers::pi);
                  return 0.5 * x * (1.0 + std::tanh(c * (x + 0.044715 * x * x * x)));
                })},
      {K::operation, "LeakyRelu", op_config("nn.py", "LeakyRelu", {{"negative_slope", 0.2}}),
       unary_op("LeakyRelu", [](double x) { return x > 0 ? x : 0.2 * x; })},
      {K::operation, "Elu", op_config("nn.py", "Elu", {{"alpha", 1.0}}),
       unary_op("Elu", [](double x) { return x > 0 ? x : std::expm1(x); })},
      {K::operation, "Clip"},
      {K::operation, "Where"},
      {K::operation, "Cast"},
      {K::operation, "Matmul"},
      {K::operation, "Concatenate"},
      {K::operation, "Stack", op_config("numpy.py", "Stack", {{"axis", 0}}), stack_reference()},
      {K::operation, "GetItem"},
      {K::operation, "Mean"},
      {K::operation, "Sum"},
      {K::operation, "Max"},
      {K::operation, "Min",
       op_config("numpy.py", "Min", {{"axis", nullptr}, {"keepdims", false}, {"initial", nullptr}}),
       reduction_op("Min", [](const std::vector<double>& v) { return *std::min_element(v.begin(), v.end()); },
                    {{"keepdims", false}, {"initial", nullptr}})},
      {K::operation, "Any"},
      {K::operation, "All", op_config("numpy.py", "All", {{"axis", nullptr}, {"keepdims", false}}), all_reference()},
      {K::operation, "Var", op_config("numpy.py", "Var", {{"axis", nullptr}, {"keepdims", false}}),
       reduction_op("Var", population_variance, {{"keepdims", false}})},
      {K::operation, "Std", op_config("numpy.py", "Std", {{"axis", nullptr}, {"keepdims", false}}),
       reduction_op("Std", [](const std::vector<double>& v) { return std::sqrt(population_variance(v)); },
                    {{"keepdims", false}})},
      {K::operation, "Prod",
       op_config("numpy.py", "Prod", {{"axis", nullptr}, {"keepdims", false}, {"dtype", nullptr}}),
       reduction_op("Prod",
                    [](const std::vector<double>& v) {
                      double p = 1.0;
                      for (double x : v) p *= x;
                      return p;
                    },
                    {{"keepdims", false}, {"dtype", nullptr}})},
      {K::operation, "Argmax"},
      {K::operation, "Argmin", op_config("numpy.py", "Argmin", {{"axis", nullptr}, {"keepdims", false}}),
       reduction_op(
           "Argmin",
           [](const std::vector<double>&
                  v) { return static_cast<double>(std::min_element(v.begin(), v.end()) - v.begin()); },
           {{"keepdims", false}}, 0.0, 0.0)},
      {K::operation, "Transpose"},
      {K::operation, "Reshape"},
      {K::operation, "ExpandDims"},
      {K::operation, "ZerosLike"},
      {K::operation, "OnesLike", op_config("numpy.py", "OnesLike", {{"dtype", "bool"}}),
       full_like_reference("OnesLike", 1.0F)},
      {K::operation, "Squeeze"},

      // ------------------------------------------------------- activations
      {K::activation, "relu"},
      {K::activation, "leaky_relu"},
      {K::activation, "relu6"},
      {K::activation, "softmax"},
      {K::activation, "celu"},
      {K::activation, "elu"},
      {K::activation, "selu"},
      {K::activation, "softplus"},
      {K::activation, "softsign"},
      {K::activation, "squareplus"},
      {K::activation, "soft_shrink"},
      {K::activation, "sparse_plus"},
      {K::activation, "silu"},
      {K::activation, "gelu"},
      {K::activation, "glu"},
      {K::activation, "tanh"},
      {K::activation, "tanh_shrink"},
      {K::activation, "threshold",
       ConfigReference{"keras/src/activations/__init__.py ALL_OBJECTS (threshold)", Json("threshold")}},
      {K::activation, "sigmoid"},
      {K::activation, "sparse_sigmoid"},
      {K::activation, "exponential"},
      {K::activation, "hard_sigmoid"},
      {K::activation, "hard_silu"},
      {K::activation, "hard_tanh"},
      {K::activation, "hard_shrink"},
      {K::activation, "linear"},
      {K::activation, "mish"},
      {K::activation, "log_softmax"},
      {K::activation, "log_sigmoid"},
      {K::activation, "sparsemax"},

      // ------------------------------------------------------ initializers
      // ------------------------------------------------------------ losses
      // Config and forward: the losses_metrics fixture's cases (Keras' values).
      {K::loss, "MeanSquaredError"},
      {K::loss, "MeanAbsoluteError"},
      {K::loss, "MeanAbsolutePercentageError"},
      {K::loss, "MeanSquaredLogarithmicError"},
      {K::loss, "CosineSimilarity"},
      {K::loss, "Huber"},
      {K::loss, "LogCosh"},
      {K::loss, "Hinge"},
      {K::loss, "SquaredHinge"},
      {K::loss, "CategoricalHinge"},
      {K::loss, "KLDivergence"},
      {K::loss, "Poisson"},
      {K::loss, "BinaryCrossentropy"},
      {K::loss, "BinaryFocalCrossentropy"},
      {K::loss, "CategoricalCrossentropy"},
      {K::loss, "CategoricalFocalCrossentropy"},
      {K::loss, "SparseCategoricalCrossentropy"},
      {K::loss, "Dice"},
      {K::loss, "Tversky"},
      {K::loss, "Circle"},
      {K::loss, "CategoricalGeneralizedCrossEntropy"},
      {K::loss, "LossFunctionWrapper"},
      // ------------------------------------------------------------ metrics
      {K::metric, "Mean"},
      {K::metric, "Sum"},
      {K::metric, "MeanMetricWrapper"},
      {K::metric, "MeanSquaredError"},
      {K::metric, "RootMeanSquaredError"},
      {K::metric, "MeanAbsoluteError"},
      {K::metric, "MeanAbsolutePercentageError"},
      {K::metric, "MeanSquaredLogarithmicError"},
      {K::metric, "CosineSimilarity"},
      {K::metric, "LogCoshError"},
      {K::metric, "R2Score"},
      {K::metric, "AUC"},
      {K::metric, "FalseNegatives"},
      {K::metric, "FalsePositives"},
      {K::metric, "Precision"},
      {K::metric, "PrecisionAtRecall"},
      {K::metric, "Recall"},
      {K::metric, "RecallAtPrecision"},
      {K::metric, "SensitivityAtSpecificity"},
      {K::metric, "SpecificityAtSensitivity"},
      {K::metric, "TrueNegatives"},
      {K::metric, "TruePositives"},
      {K::metric, "ConcordanceCorrelation"},
      {K::metric, "PearsonCorrelation"},
      {K::metric, "Hinge"},
      {K::metric, "SquaredHinge"},
      {K::metric, "CategoricalHinge"},
      {K::metric, "KLDivergence"},
      {K::metric, "Poisson"},
      {K::metric, "BinaryCrossentropy"},
      {K::metric, "CategoricalCrossentropy"},
      {K::metric, "SparseCategoricalCrossentropy"},
      {K::metric, "Accuracy"},
      {K::metric, "BinaryAccuracy"},
      {K::metric, "CategoricalAccuracy"},
      {K::metric, "SparseCategoricalAccuracy"},
      {K::metric, "TopKCategoricalAccuracy"},
      {K::metric, "SparseTopKCategoricalAccuracy"},
      {K::metric, "F1Score"},
      {K::metric, "FBetaScore"},
      {K::metric, "IoU"},
      {K::metric, "BinaryIoU"},
      {K::metric, "MeanIoU"},
      {K::metric, "OneHotIoU"},
      {K::metric, "OneHotMeanIoU"},
      {K::initializer, "Zeros", {}, constant_initializer("Zeros", 0.0)},
      {K::initializer, "Ones", {}, constant_initializer("Ones", 1.0)},
      {K::initializer, "Constant", {}, constant_initializer("Constant", 0.25, {{"value", 0.25}})},
      {K::initializer, "RandomUniform", {}, moments("RandomUniform", {}, 0.0, 0.1 / std::sqrt(12.0), 0.05)},
      {K::initializer, "RandomNormal",
       public_config("keras/src/initializers/random_initializers.py RandomNormal.get_config", "keras.initializers",
                     "RandomNormal", {{"seed", nullptr}, {"mean", 0.0}, {"stddev", 0.05}}),
       moments("RandomNormal", {}, 0.0, 0.05, INFINITY)},
      {K::initializer, "TruncatedNormal",
       public_config("keras/src/initializers/random_initializers.py TruncatedNormal.get_config", "keras.initializers",
                     "TruncatedNormal", {{"seed", nullptr}, {"mean", 0.0}, {"stddev", 0.05}}),
       // A unit normal truncated to [-2, 2] has stddev 0.8796.
       moments("TruncatedNormal", {}, 0.0, 0.05 * 0.87962566103423978, 0.1)},
      {K::initializer, "VarianceScaling",
       public_config("keras/src/initializers/random_initializers.py VarianceScaling.get_config", "keras.initializers",
                     "VarianceScaling",
                     {{"seed", nullptr},
                      {"scale", 1.0},
                      {"mode", "fan_in"},
                      {"distribution", "truncated_normal"},
                      {"input_axes", nullptr},
                      {"output_axes", nullptr}}),
       moments("VarianceScaling", {}, 0.0, std::sqrt(1.0 / kFanIn),
               2.0 * std::sqrt(1.0 / kFanIn) / 0.87962566103423978)},
      {K::initializer,
       "GlorotUniform",
       {},
       moments("GlorotUniform", {}, 0.0, std::sqrt(1.0 / kFanAvg), std::sqrt(3.0 / kFanAvg))},
      {K::initializer, "GlorotNormal", preset_config("GlorotNormal"),
       moments("GlorotNormal", {}, 0.0, std::sqrt(1.0 / kFanAvg),
               2.0 * std::sqrt(1.0 / kFanAvg) / 0.87962566103423978)},
      {K::initializer, "HeUniform", preset_config("HeUniform"),
       moments("HeUniform", {}, 0.0, std::sqrt(2.0 / kFanIn), std::sqrt(6.0 / kFanIn))},
      {K::initializer,
       "HeNormal",
       {},
       moments("HeNormal", {}, 0.0, std::sqrt(2.0 / kFanIn), 2.0 * std::sqrt(2.0 / kFanIn) / 0.87962566103423978)},
      {K::initializer, "LecunUniform", preset_config("LecunUniform"),
       moments("LecunUniform", {}, 0.0, std::sqrt(1.0 / kFanIn), std::sqrt(3.0 / kFanIn))},
      {K::initializer, "LecunNormal", preset_config("LecunNormal"),
       moments("LecunNormal", {}, 0.0, std::sqrt(1.0 / kFanIn), 2.0 * std::sqrt(1.0 / kFanIn) / 0.87962566103423978)},
      {K::initializer, "Orthogonal", {}, orthogonal_reference()},
      {K::initializer, "Identity",
       public_config("keras/src/initializers/constant_initializers.py Identity.get_config", "keras.initializers",
                     "Identity", {{"gain", 1.0}}),
       identity_initializer_reference()},
      {K::initializer, "STFT",
       public_config("keras/src/initializers/constant_initializers.py STFT.get_config", "keras.initializers", "STFT",
                     {{"side", "real"}, {"window", "hann"}, {"periodic", false}, {"scaling", "density"}}),
       stft_initializer_reference()},

      // ---------------------------------------- regularizers and constraints
      {K::regularizer, "L1",
       public_config("keras/src/regularizers/regularizers.py L1.get_config", "keras.regularizers", "L1",
                     {{"l1", 0.01}})},
      {K::regularizer, "L2"},
      {K::regularizer, "L1L2"},
      {K::regularizer, "OrthogonalRegularizer",
       public_config("keras/src/regularizers/regularizers.py OrthogonalRegularizer.get_config", "keras.regularizers",
                     "OrthogonalRegularizer", {{"factor", 0.01}, {"mode", "rows"}})},
      {K::constraint, "MaxNorm"},
      {K::constraint, "NonNeg",
       public_config("keras/src/constraints/constraints.py NonNeg (no config)", "keras.constraints", "NonNeg",
                     Json::object())},
      {K::constraint, "UnitNorm",
       public_config("keras/src/constraints/constraints.py UnitNorm.get_config", "keras.constraints", "UnitNorm",
                     {{"axis", 0}})},
      {K::constraint, "MinMaxNorm",
       public_config("keras/src/constraints/constraints.py MinMaxNorm.get_config", "keras.constraints", "MinMaxNorm",
                     {{"min_value", 0.0}, {"max_value", 1.0}, {"rate", 1.0}, {"axis", 0}})},

      // -------------------------------------------------------- optimizers
      {K::optimizer, "SGD"},
      {K::optimizer, "Adam"},
      {K::optimizer, "AdamW"},
      {K::optimizer, "RMSprop"},
      {K::optimizer, "Adagrad"},
      {K::optimizer, "Nadam"},
      {K::optimizer, "Adamax",
       optimizer_config("keras/src/optimizers/adamax.py Adamax.get_config", "Adamax",
                        {{"beta_1", 0.9}, {"beta_2", 0.999}, {"epsilon", 1e-07}}),
       adamax_reference()},
      {K::optimizer, "Lion",
       optimizer_config("keras/src/optimizers/lion.py Lion.get_config", "Lion", {{"beta_1", 0.9}, {"beta_2", 0.99}}),
       lion_reference()},
      {K::optimizer, "Adadelta",
       optimizer_config("keras/src/optimizers/adadelta.py Adadelta.get_config", "Adadelta",
                        {{"rho", 0.95}, {"epsilon", 1e-07}}),
       adadelta_reference()},
      {K::optimizer, "Ftrl",
       optimizer_config("keras/src/optimizers/ftrl.py Ftrl.get_config", "Ftrl",
                        {{"learning_rate_power", -0.5},
                         {"initial_accumulator_value", 0.1},
                         {"l1_regularization_strength", 0.0},
                         {"l2_regularization_strength", 0.0},
                         {"l2_shrinkage_regularization_strength", 0.0},
                         {"beta", 0.0}}),
       ftrl_reference()},
      {K::optimizer, "LossScaleOptimizer",
       public_config(
           "keras/src/optimizers/loss_scale_optimizer.py LossScaleOptimizer.get_config", "keras.optimizers",
           "LossScaleOptimizer",
           {{"name", "loss_scale_optimizer"},
            {"inner_optimizer", optimizer_config("keras/src/optimizers/sgd.py", "SGD",
                                                 {{"momentum", 0.0}, {"nesterov", false}}, 0.009999999776482582)
                                    .envelope},
            {"initial_scale", 32768.0},
            {"dynamic_growth_steps", 2000}}),
       loss_scale_reference()},

      // ------------------------------------------ learning-rate schedules
      {K::learning_rate_schedule, "ExponentialDecay",
       schedule_config("ExponentialDecay", {{"initial_learning_rate", 0.1},
                                            {"decay_steps", 10},
                                            {"decay_rate", 0.5},
                                            {"staircase", false},
                                            {"name", "ExponentialDecay"}}),
       schedule_reference("ExponentialDecay",
                          {{"initial_learning_rate", 0.1}, {"decay_steps", 10}, {"decay_rate", 0.5}},
                          {{5, 0.1 * std::pow(0.5, 0.5)}, {15, 0.1 * std::pow(0.5, 1.5)}})},
      {K::learning_rate_schedule, "PiecewiseConstantDecay",
       schedule_config("PiecewiseConstantDecay",
                       {{"boundaries", {10, 20}}, {"values", {1.0, 0.5, 0.1}}, {"name", "PiecewiseConstant"}}),
       schedule_reference("PiecewiseConstantDecay", {{"boundaries", {10, 20}}, {"values", {1.0, 0.5, 0.1}}},
                          {{10, 1.0}, {11, 0.5}, {20, 0.5}, {21, 0.1}})},
      {K::learning_rate_schedule, "PolynomialDecay",
       schedule_config("PolynomialDecay", {{"initial_learning_rate", 0.1},
                                           {"decay_steps", 10},
                                           {"end_learning_rate", 0.0001},
                                           {"power", 1.0},
                                           {"cycle", false},
                                           {"name", "PolynomialDecay"}}),
       schedule_reference(
           "PolynomialDecay",
           {{"initial_learning_rate", 0.1}, {"decay_steps", 10}, {"end_learning_rate", 0.01}, {"power", 2.0}},
           {{5, 0.09 * 0.25 + 0.01}, {50, 0.01}})},
      {K::learning_rate_schedule, "InverseTimeDecay",
       schedule_config("InverseTimeDecay", {{"initial_learning_rate", 0.1},
                                            {"decay_steps", 2},
                                            {"decay_rate", 0.5},
                                            {"staircase", false},
                                            {"name", "InverseTimeDecay"}}),
       schedule_reference("InverseTimeDecay", {{"initial_learning_rate", 0.1}, {"decay_steps", 2}, {"decay_rate", 0.5}},
                          {{3, 0.1 / (1 + 0.5 * 1.5)}})},
      {K::learning_rate_schedule, "CosineDecay",
       schedule_config("CosineDecay", {{"initial_learning_rate", 0.1},
                                       {"decay_steps", 100},
                                       {"alpha", 0.0},
                                       {"name", "CosineDecay"},
                                       {"warmup_target", nullptr},
                                       {"warmup_steps", 0}}),
       schedule_reference("CosineDecay", {{"initial_learning_rate", 0.1}, {"decay_steps", 100}, {"alpha", 0.1}},
                          {{50, 0.1 * (0.9 * 0.5 * (1 + std::cos(std::numbers::pi * 0.5)) + 0.1)}, {500, 0.01}})},
      {K::learning_rate_schedule, "CosineDecayRestarts",
       schedule_config("CosineDecayRestarts", {{"initial_learning_rate", 0.1},
                                               {"first_decay_steps", 10},
                                               {"t_mul", 2.0},
                                               {"m_mul", 1.0},
                                               {"alpha", 0.0},
                                               {"name", "SGDRDecay"}}),
       // The second period is 20 steps long, starts at step 10 with half the rate.
       schedule_reference("CosineDecayRestarts",
                          {{"initial_learning_rate", 0.1}, {"first_decay_steps", 10}, {"m_mul", 0.5}},
                          {{5, 0.1 * 0.5 * (1 + std::cos(std::numbers::pi * 0.5))},
                           {20, 0.1 * 0.5 * 0.5 * (1 + std::cos(std::numbers::pi * 0.5))}})},
  });
  return table;
}

const std::vector<Allowance>& allow_list() {
  // Losses and metrics no Keras fixture holds: nothing Keras computed checks
  // them yet (the losses_metrics fixture has none of their cases).
  static const std::string kUncoveredLoss = "not in the losses_metrics fixture (48 Keras loss cases)";
  static const std::string kUncoveredMetric = "not in the losses_metrics fixture (19 Keras metric cases)";
  static const std::string kNoBackward = "no backward pass yet: training through it throws NotImplementedError";
  static const std::vector<Allowance> allowances = {
      {K::operation, "*", "gradient", "raw operations have no backward pass yet (training through one throws)"},
      {K::layer, "InputLayer", "gradient", "a graph's source: it computes nothing"},
      {K::layer, "InputLayer", "masks", "a graph's source: no call hands it a mask"},
      {K::layer, "SimpleRNNCell", "masks",
       "a cell: its RNN calls it on one step with its states, masking the step itself"},
      {K::layer, "LSTMCell", "masks", "a cell: its RNN calls it on one step with its states, masking the step itself"},
      {K::layer, "GRUCell", "masks", "a cell: its RNN calls it on one step with its states, masking the step itself"},
      {K::layer, "StackedRNNCells", "masks",
       "a cell: its RNN calls it on one step with its states, masking the step itself"},
      // Issue 10's layers arrived before their backward passes (training through one throws).
      {K::layer, "ReversibleEmbedding", "gradient", kNoBackward},
      {K::layer, "SpectralNormalization", "gradient", kNoBackward},
      {K::layer, "TernaryDense", "gradient", kNoBackward},
      {K::layer, "Pipeline", "gradient", kNoBackward},
      {K::layer, "STFTSpectrogram", "gradient", kNoBackward},
      {K::layer, "MelSpectrogram", "gradient", kNoBackward},
      {K::layer, "RandomFlip", "gradient", kNoBackward},
      {K::layer, "RandomRotation", "gradient", kNoBackward},
      {K::layer, "RandomZoom", "gradient", kNoBackward},
      {K::layer, "RandomTranslation", "gradient", kNoBackward},
      {K::layer, "RandomShear", "gradient", kNoBackward},
      {K::layer, "RandomPerspective", "gradient", kNoBackward},
      {K::layer, "RandomElasticTransform", "gradient", kNoBackward},
      {K::layer, "RandomContrast", "gradient", kNoBackward},
      {K::layer, "RandomBrightness", "gradient", kNoBackward},
      {K::layer, "RandomColorDegeneration", "gradient", kNoBackward},
      {K::layer, "RandomInvert", "gradient", kNoBackward},
      {K::layer, "RandomPosterization", "gradient", kNoBackward},
      {K::layer, "RandomSharpness", "gradient", kNoBackward},
      {K::layer, "RandomHue", "gradient", kNoBackward},
      {K::layer, "RandomSaturation", "gradient", kNoBackward},
      {K::layer, "Solarization", "gradient", kNoBackward},
      {K::layer, "RandomGrayscale", "gradient", kNoBackward},
      {K::layer, "RandomColorJitter", "gradient", kNoBackward},
      {K::layer, "RandomErasing", "gradient", kNoBackward},
      {K::layer, "RandomGaussianBlur", "gradient", kNoBackward},
      {K::layer, "CutMix", "gradient", kNoBackward},
      {K::layer, "MixUp", "gradient", kNoBackward},
      {K::layer, "AutoContrast", "gradient", kNoBackward},
      {K::layer, "Equalization", "gradient", kNoBackward},
      {K::layer, "ContrastLimitedAdaptiveHistogramEqualization", "gradient", kNoBackward},
      {K::layer, "AugMix", "gradient", kNoBackward},
      {K::layer, "RandAugment", "gradient", kNoBackward},
      {K::layer, "RandomCrop", "gradient", kNoBackward},
      {K::layer, "MaxNumBoundingBoxes", "gradient", kNoBackward},
      {K::layer, "Discretization", "gradient", "integer bin indices carry no gradient"},
      {K::layer, "CategoryEncoding", "gradient", "one-hot / count outputs carry no gradient"},
      {K::layer, "Rescaling", "gradient", kNoBackward},
      {K::layer, "Normalization", "gradient", kNoBackward},
      {K::layer, "CenterCrop", "gradient", kNoBackward},
      {K::layer, "Resizing", "gradient", kNoBackward},
      {K::loss, "Circle", "config", kUncoveredLoss},
      {K::loss, "Circle", "forward", kUncoveredLoss},
      {K::loss, "CategoricalGeneralizedCrossEntropy", "config", kUncoveredLoss},
      {K::loss, "CategoricalGeneralizedCrossEntropy", "forward", kUncoveredLoss},
      {K::loss, "LossFunctionWrapper", "config", kUncoveredLoss},
      {K::loss, "LossFunctionWrapper", "forward", kUncoveredLoss},
      {K::metric, "Mean", "config", kUncoveredMetric},
      {K::metric, "Mean", "forward", kUncoveredMetric},
      {K::metric, "Sum", "config", kUncoveredMetric},
      {K::metric, "Sum", "forward", kUncoveredMetric},
      {K::metric, "MeanMetricWrapper", "config", kUncoveredMetric},
      {K::metric, "MeanMetricWrapper", "forward", kUncoveredMetric},
      {K::metric, "MeanAbsolutePercentageError", "config", kUncoveredMetric},
      {K::metric, "MeanAbsolutePercentageError", "forward", kUncoveredMetric},
      {K::metric, "MeanSquaredLogarithmicError", "config", kUncoveredMetric},
      {K::metric, "MeanSquaredLogarithmicError", "forward", kUncoveredMetric},
      {K::metric, "CosineSimilarity", "config", kUncoveredMetric},
      {K::metric, "CosineSimilarity", "forward", kUncoveredMetric},
      {K::metric, "LogCoshError", "config", kUncoveredMetric},
      {K::metric, "LogCoshError", "forward", kUncoveredMetric},
      {K::metric, "FalseNegatives", "config", kUncoveredMetric},
      {K::metric, "FalseNegatives", "forward", kUncoveredMetric},
      {K::metric, "FalsePositives", "config", kUncoveredMetric},
      {K::metric, "FalsePositives", "forward", kUncoveredMetric},
      {K::metric, "PrecisionAtRecall", "config", kUncoveredMetric},
      {K::metric, "PrecisionAtRecall", "forward", kUncoveredMetric},
      {K::metric, "RecallAtPrecision", "config", kUncoveredMetric},
      {K::metric, "RecallAtPrecision", "forward", kUncoveredMetric},
      {K::metric, "SensitivityAtSpecificity", "config", kUncoveredMetric},
      {K::metric, "SensitivityAtSpecificity", "forward", kUncoveredMetric},
      {K::metric, "SpecificityAtSensitivity", "config", kUncoveredMetric},
      {K::metric, "SpecificityAtSensitivity", "forward", kUncoveredMetric},
      {K::metric, "TrueNegatives", "config", kUncoveredMetric},
      {K::metric, "TrueNegatives", "forward", kUncoveredMetric},
      {K::metric, "TruePositives", "config", kUncoveredMetric},
      {K::metric, "TruePositives", "forward", kUncoveredMetric},
      {K::metric, "ConcordanceCorrelation", "config", kUncoveredMetric},
      {K::metric, "ConcordanceCorrelation", "forward", kUncoveredMetric},
      {K::metric, "PearsonCorrelation", "config", kUncoveredMetric},
      {K::metric, "PearsonCorrelation", "forward", kUncoveredMetric},
      {K::metric, "Hinge", "config", kUncoveredMetric},
      {K::metric, "Hinge", "forward", kUncoveredMetric},
      {K::metric, "SquaredHinge", "config", kUncoveredMetric},
      {K::metric, "SquaredHinge", "forward", kUncoveredMetric},
      {K::metric, "CategoricalHinge", "config", kUncoveredMetric},
      {K::metric, "CategoricalHinge", "forward", kUncoveredMetric},
      {K::metric, "Poisson", "config", kUncoveredMetric},
      {K::metric, "Poisson", "forward", kUncoveredMetric},
      {K::metric, "SparseCategoricalCrossentropy", "config", kUncoveredMetric},
      {K::metric, "SparseCategoricalCrossentropy", "forward", kUncoveredMetric},
      {K::metric, "FBetaScore", "config", kUncoveredMetric},
      {K::metric, "FBetaScore", "forward", kUncoveredMetric},
      {K::metric, "IoU", "config", kUncoveredMetric},
      {K::metric, "IoU", "forward", kUncoveredMetric},
      {K::metric, "BinaryIoU", "config", kUncoveredMetric},
      {K::metric, "BinaryIoU", "forward", kUncoveredMetric},
      {K::metric, "OneHotIoU", "config", kUncoveredMetric},
      {K::metric, "OneHotIoU", "forward", kUncoveredMetric},
      {K::metric, "OneHotMeanIoU", "config", kUncoveredMetric},
      {K::metric, "OneHotMeanIoU", "forward", kUncoveredMetric},
      {K::regularizer, "*", "forward",
       "keras-cpp keeps regularizer configs only; penalties are computed by the training code (issue 14)"},
      {K::constraint, "*", "forward",
       "keras-cpp keeps constraint configs only; they are applied by the training code (issue 14)"},
      {K::activation, "threshold", "forward",
       "Keras' threshold has no defaults for its arguments: a layer naming it cannot call it, in Keras either"},
  };
  return allowances;
}

}  // namespace keras_test::classes
