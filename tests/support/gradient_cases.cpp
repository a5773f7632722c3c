#include "support/gradient_cases.hpp"

#include <algorithm>
#include <limits>
#include <random>

namespace keras_test {

using keras::Json;
using keras::Shape;
using keras::Tensor;

namespace {

Tensor make_input(const GradientInput& in, std::uint64_t seed) {
  switch (in.values) {
    case Values::positive:
      return keras::random::uniform(in.shape, 0.5F, 2.0F, seed);
    case Values::ids: {
      Tensor u = keras::random::uniform(in.shape, 0.0F, static_cast<float>(in.vocabulary), seed);
      std::vector<std::int64_t> ids;
      for (float v : u.to_vector()) ids.push_back(static_cast<std::int64_t>(v));
      return Tensor::from_vector_i64(in.shape, ids, keras::DType::int32);
    }
    case Values::distinct: {
      const std::int64_t n = keras::shape_size(in.shape);
      std::vector<float> v(static_cast<std::size_t>(n));
      for (std::int64_t i = 0; i < n; ++i) v[static_cast<std::size_t>(i)] = -1.0F + (2.0F * float(i) + 0.5F) / float(n);
      std::mt19937 rng(static_cast<unsigned>(seed));
      std::shuffle(v.begin(), v.end(), rng);
      return Tensor::from_vector(in.shape, v);
    }
    case Values::mask: {
      const auto u = keras::random::uniform(in.shape, 0.0F, 1.0F, seed).to_vector();
      Tensor m(in.shape, keras::DType::bool_);
      auto* p = m.data<std::uint8_t>();
      for (std::size_t i = 0; i < u.size(); ++i) p[i] = u[i] < 0.25F ? 0 : 1;
      return m;
    }
    case Values::real:
      break;
  }
  return keras::random::uniform(in.shape, -1.5F, 1.5F, seed);
}

// A layer envelope inside a case's config (wrapped layers, cells).
Json envelope(const std::string& class_name, Json config) {
  return Json{{"module", "keras.layers"},
              {"class_name", class_name},
              {"config", std::move(config)},
              {"registered_name", nullptr}};
}

}  // namespace

namespace {

keras::LayerPtr make_layer(const GradientCase& c) {
  return keras::saving::deserialize_layer(Json{
      {"module", "keras.layers"}, {"class_name", c.class_name}, {"config", c.config}, {"registered_name", nullptr}});
}

// A case's call arguments; `shapes` gets the shapes the layer is built for.
keras::CallArgs case_args(const GradientCase& c, std::vector<Shape>& shapes) {
  keras::CallArgs args;
  Json list = Json::array();
  for (std::size_t i = 0; i < c.inputs.size(); ++i) {
    args.tensors.push_back(make_input(c.inputs[i], 100 + i));
    shapes.push_back(c.inputs[i].shape);
    Json ref{{"__tensor__", i}};
    if (c.list_input)
      list.push_back(ref);
    else
      args.args.push_back(ref);
  }
  if (c.list_input) args.args.push_back(list);
  args.kwargs = c.kwargs;
  for (const auto& [key, in] : c.kwarg_tensors) {
    const Json ref{{"__tensor__", args.tensors.size()}};
    if (key.ends_with("[]"))  // one entry of a list argument (Attention's mask list)
      args.kwargs[key.substr(0, key.size() - 2)].push_back(ref);
    else
      args.kwargs[key] = ref;
    args.tensors.push_back(make_input(in, 100 + args.tensors.size()));
    // A keyword `value`/`key` is part of the build shapes (attention layers).
    if (keras::is_floating(args.tensors.back().dtype())) shapes.push_back(in.shape);
  }
  args.training = c.training || c.seeded_training;
  return args;
}

// A training call that draws random numbers from the layer's seed (dropout):
// every evaluation runs on a fresh copy (same config, weights and seed, so
// the same draws). call_vjp() on one copy must give call() on another, differ
// from inference (something is dropped), and its pullback of the first
// output must match central differences over fresh copies.
double seeded_training_excess(const GradientCase& c, const std::string& what, std::vector<std::string>* problems) {
  constexpr double kFailed = std::numeric_limits<double>::infinity();
  auto fail = [&](const std::string& message) {
    if (problems != nullptr) problems->push_back(what + ": " + message);
    return kFailed;
  };
  std::vector<Shape> shapes;
  const keras::CallArgs args = case_args(c, shapes);
  std::vector<Tensor> weights;  // drawn once, given to every copy
  // Copies with variable `changed` (if any) set to `value`.
  auto copy = [&](std::size_t changed = SIZE_MAX, const Tensor& value = Tensor()) {
    keras::LayerPtr layer = make_layer(c);
    layer->build_for(shapes, c.list_input);
    auto variables = layer->trainable_variables();
    for (std::size_t i = 0; i < variables.size(); ++i) {
      if (weights.size() == i) weights.push_back(keras::random::uniform(variables[i]->shape(), -1.0F, 1.0F, 7 + i));
      variables[i]->assign(i == changed ? value : weights[i]);
    }
    return layer;
  };
  keras::LayerPtr traced = copy();
  keras::VjpResult vjp = traced->call_vjp(args);
  const std::vector<Tensor> expected = copy()->call(args);
  if (vjp.outputs.size() != expected.size()) return fail("call_vjp and call() return different output counts");
  for (std::size_t i = 0; i < expected.size(); ++i)
    if (!keras::allclose(vjp.outputs[i], expected[i], 1e-4, 1e-5))
      return fail("call_vjp output " + std::to_string(i) + " differs from call() on a same-seed copy by " +
                  std::to_string(keras::max_abs_diff(vjp.outputs[i], expected[i])));
  keras::CallArgs inference = args;
  inference.training = false;
  if (keras::max_abs_diff(copy()->call(inference).at(0), expected.at(0)) < 1e-3)
    return fail("the training call drops nothing");
  const Tensor r = random_projection(expected.at(0).shape());
  const keras::Gradients grads = vjp.pullback({r});
  double worst = -1.0;
  for (std::size_t t = 0; t < args.tensors.size(); ++t) {
    if (!keras::is_floating(args.tensors[t].dtype()) || !grads.inputs.at(t).defined()) continue;
    auto f = [&](const Tensor& x) {
      keras::CallArgs work = args;
      work.tensors[t] = x;
      return copy()->call(work).at(0);
    };
    const Tensor numeric = numeric_gradient(f, args.tensors[t], r, c.tolerance.step);
    worst = std::max(
        worst, gradient_excess(grads.inputs[t], numeric, c.tolerance, what + " input " + std::to_string(t), problems));
  }
  const auto variables = traced->trainable_variables();
  for (std::size_t i = 0; i < variables.size(); ++i) {
    Tensor analytic;
    for (const auto& [v, g] : grads.variables)
      if (v == variables[i]) analytic = g;
    if (!analytic.defined()) return fail("no gradient for variable " + variables[i]->path());
    auto f = [&](const Tensor& value) { return copy(i, value)->call(args).at(0); };
    const Tensor numeric = numeric_gradient(f, weights[i], r, c.tolerance.step);
    worst = std::max(
        worst, gradient_excess(analytic, numeric, c.tolerance, what + " variable " + variables[i]->path(), problems));
  }
  return worst;
}

}  // namespace

double gradient_case_excess(const GradientCase& c, std::vector<std::string>* problems) {
  keras::LayerPtr layer = make_layer(c);
  const std::string what = c.class_name + " " + c.config.dump();
  if (layer->differentiability() != keras::Differentiability::differentiable) {
    if (problems != nullptr) problems->push_back(what + ": not differentiable");
    return std::numeric_limits<double>::infinity();
  }
  if (c.seeded_training) return seeded_training_excess(c, what, problems);
  std::vector<Shape> shapes;
  const keras::CallArgs args = case_args(c, shapes);
  layer->build_for(shapes, c.list_input);
  // Variables drawn away from zero so that no kink sits at the test point.
  for (const auto& v : layer->trainable_variables())
    if (keras::is_floating(v->dtype())) v->assign(keras::random::uniform(v->shape(), -1.0F, 1.0F, 7));
  return operation_gradient_excess(*layer, args, c.tolerance, what, problems);
}

namespace {

// A training case whose call draws seeded random numbers (dropout), checked on same-seed copies.
GradientCase seeded_case(std::string class_name, Json config, std::vector<GradientInput> inputs,
                         bool list_input = false) {
  GradientCase c{std::move(class_name), std::move(config), std::move(inputs), list_input};
  c.seeded_training = true;
  return c;
}

// As seeded_case(), with keyword tensors (a cell's `states[]`).
GradientCase seeded_case(std::string class_name, Json config, std::vector<GradientInput> inputs,
                         std::vector<std::pair<std::string, GradientInput>> kwarg_tensors) {
  GradientCase c = seeded_case(std::move(class_name), std::move(config), std::move(inputs));
  c.kwarg_tensors = std::move(kwarg_tensors);
  return c;
}

}  // namespace

// The cases, one row per configuration worth checking.
const std::vector<GradientCase>& gradient_cases() {
  static const std::vector<GradientCase> all = {
      {"Dense", {{"units", 3}, {"activation", "tanh"}}, {{{2, 4}}}},
      {"Dense", {{"units", 2}, {"use_bias", false}}, {{{2, 3, 4}}}},
      {"EinsumDense",
       {{"equation", "abc,cd->abd"},
        {"output_shape", Json::array({nullptr, 3})},
        {"bias_axes", "d"},
        {"activation", "sigmoid"}},
       {{{2, 4, 5}}}},
      {"EinsumDense", {{"equation", "ab,bcd->acd"}, {"output_shape", Json::array({2, 3})}}, {{{2, 4}}}},
      {"Embedding", {{"input_dim", 5}, {"output_dim", 3}}, {{{2, 4}, Values::ids}}},
      // LoRA: the kernel frozen (a constant), lora_kernel_a / _b and the bias the leaves.
      {"Dense", {{"units", 3}, {"activation", "tanh"}, {"lora_rank", 2}}, {{{2, 4}}}},
      {"EinsumDense",
       {{"equation", "abc,cd->abd"},
        {"output_shape", Json::array({nullptr, 3})},
        {"bias_axes", "d"},
        {"lora_rank", 2},
        {"lora_alpha", 3}},
       {{{2, 4, 5}}}},
      {"EinsumDense",
       {{"equation", "ab,bcd->acd"}, {"output_shape", Json::array({2, 3})}, {"lora_rank", 1}, {"lora_alpha", 2}},
       {{{2, 4}}}},
      {"Embedding", {{"input_dim", 5}, {"output_dim", 3}, {"lora_rank", 2}}, {{{2, 4}, Values::ids}}},
      {"Conv2D",
       {{"filters", 4}, {"kernel_size", 2}, {"groups", 2}, {"lora_rank", 2}, {"lora_alpha", 5}},
       {{{1, 3, 3, 4}}}},
      {"Conv1D", {{"filters", 3}, {"kernel_size", 3}, {"padding", "causal"}, {"lora_rank", 2}}, {{{2, 5, 2}}}},
      {"Identity", Json::object(), {{{2, 3}}}},
      {"Masking", {{"mask_value", 0.0}}, {{{2, 3, 4}}}},
      {"Add", Json::object(), {{{2, 3}}, {{2, 3}}, {{2, 3}}}, true},
      {"Subtract", Json::object(), {{{2, 3}}, {{2, 3}}}, true},
      {"Multiply", Json::object(), {{{2, 3}}, {{2, 3}}}, true},
      {"Average", Json::object(), {{{2, 3}}, {{2, 3}}}, true},
      {"Maximum", Json::object(), {{{2, 3}}, {{2, 3}}}, true},
      {"Minimum", Json::object(), {{{2, 3}}, {{2, 3}}}, true},
      {"Concatenate", {{"axis", 1}}, {{{2, 3, 2}}, {{2, 1, 2}}}, true},
      {"Dot", {{"axes", Json::array({2, 1})}}, {{{2, 3, 4}}, {{2, 4, 2}}}, true},
      {"Dot", {{"axes", 1}, {"normalize", true}}, {{{2, 4}}, {{2, 4}}}, true},
      {"Flatten", Json::object(), {{{2, 3, 2}}}},
      {"Flatten", {{"data_format", "channels_first"}}, {{{2, 3, 2, 2}}}},
      {"Reshape", {{"target_shape", Json::array({3, -1})}}, {{{2, 6}}}},
      {"Permute", {{"dims", Json::array({2, 1})}}, {{{2, 3, 4}}}},
      {"RepeatVector", {{"n", 3}}, {{{2, 4}}}},
      {"UpSampling1D", {{"size", 2}}, {{{2, 3, 2}}}},
      {"UpSampling2D", {{"size", Json::array({2, 3})}}, {{{1, 2, 2, 3}}}},
      {"UpSampling3D", {{"size", Json::array({1, 2, 2})}, {"data_format", "channels_first"}}, {{{1, 2, 2, 1, 2}}}},
      {"ZeroPadding1D", {{"padding", Json::array({1, 2})}}, {{{2, 3, 2}}}},
      {"ZeroPadding2D", {{"padding", Json::array({Json::array({1, 0}), Json::array({0, 2})})}}, {{{1, 2, 3, 2}}}},
      {"Cropping1D", {{"cropping", Json::array({1, 1})}}, {{{2, 5, 2}}}},
      {"Cropping2D",
       {{"cropping", Json::array({Json::array({1, 0}), Json::array({0, 2})})}, {"data_format", "channels_first"}},
       {{{1, 2, 4, 5}}}},
      {"Cropping3D", {{"cropping", Json::array({1, 0, 1})}}, {{{1, 3, 2, 3, 2}}}},
      {"MaxPooling1D", {{"pool_size", 2}}, {{{2, 6, 3}, Values::distinct}}, false, {.step = 1e-3}},
      {"MaxPooling2D",
       {{"pool_size", Json::array({2, 2})}, {"strides", 1}, {"padding", "same"}},
       {{{1, 4, 3, 2}, Values::distinct}},
       false,
       {.step = 1e-3}},
      {"AveragePooling2D", {{"pool_size", 3}, {"strides", 2}, {"padding", "same"}}, {{{1, 5, 4, 2}}}},
      {"AveragePooling3D", {{"pool_size", 2}, {"data_format", "channels_first"}}, {{{1, 2, 4, 2, 2}}}},
      {"MaxPooling3D", {{"pool_size", 2}}, {{{1, 4, 2, 2, 2}, Values::distinct}}, false, {.step = 1e-3}},
      {"AveragePooling1D", {{"pool_size", 3}, {"padding", "valid"}}, {{{2, 7, 2}}}},
      {"GlobalAveragePooling1D", Json::object(), {{{2, 5, 3}}}},
      {"GlobalMaxPooling2D", {{"keepdims", true}}, {{{2, 3, 3, 2}, Values::distinct}}, false, {.step = 1e-3}},
      {"GlobalAveragePooling3D", {{"data_format", "channels_first"}}, {{{1, 2, 2, 3, 2}}}},
      {"AdaptiveAveragePooling2D", {{"output_size", Json::array({2, 3})}}, {{{1, 5, 7, 2}}}},
      {"AdaptiveMaxPooling1D", {{"output_size", 3}}, {{{2, 7, 2}, Values::distinct}}, false, {.step = 1e-3}},
      {"Dropout", {{"rate", 0.5}}, {{{2, 4}}}},
      {"AlphaDropout", {{"rate", 0.3}}, {{{2, 4}}}},
      {"SpatialDropout2D", {{"rate", 0.5}}, {{{1, 2, 2, 3}}}},
      {"GaussianNoise", {{"stddev", 0.5}}, {{{2, 4}}}},
      {"GaussianDropout", {{"rate", 0.5}}, {{{2, 4}}}},
      {"ActivityRegularization", {{"l1", 0.1}}, {{{2, 4}}}},
      {"Conv1D",
       {{"filters", 3}, {"kernel_size", 3}, {"padding", "causal"}, {"dilation_rate", 2}, {"activation", "tanh"}},
       {{{2, 7, 2}}}},
      {"Conv2D",
       {{"filters", 4}, {"kernel_size", Json::array({3, 2})}, {"strides", 2}, {"padding", "same"}},
       {{{2, 5, 4, 2}}}},
      {"Conv2D",
       {{"filters", 4}, {"kernel_size", 2}, {"groups", 2}, {"data_format", "channels_first"}},
       {{{1, 4, 3, 3}}}},
      {"Conv3D", {{"filters", 2}, {"kernel_size", 2}, {"use_bias", false}}, {{{1, 3, 3, 3, 2}}}},
      {"Conv1DTranspose", {{"filters", 2}, {"kernel_size", 3}, {"strides", 2}}, {{{2, 4, 3}}}},
      {"Conv2DTranspose",
       {{"filters", 3}, {"kernel_size", 3}, {"strides", 2}, {"padding", "same"}, {"output_padding", 1}},
       {{{1, 3, 3, 2}}}},
      {"Conv3DTranspose", {{"filters", 2}, {"kernel_size", 2}, {"data_format", "channels_first"}}, {{{1, 2, 2, 2, 2}}}},
      {"DepthwiseConv1D", {{"kernel_size", 3}, {"depth_multiplier", 2}}, {{{2, 6, 2}}}},
      {"DepthwiseConv2D",
       {{"kernel_size", 3}, {"padding", "same"}, {"activation", "relu"}},
       {{{1, 4, 4, 2}, Values::distinct}},
       false,
       {.step = 1e-3}},
      {"SeparableConv1D", {{"filters", 3}, {"kernel_size", 3}, {"depth_multiplier", 2}}, {{{2, 6, 2}}}},
      {"SeparableConv2D", {{"filters", 3}, {"kernel_size", 2}, {"strides", 2}}, {{{1, 4, 4, 2}}}},
      {"BatchNormalization", Json::object(), {{{4, 3}}}},
      {"BatchNormalization", {{"axis", 1}, {"momentum", 0.9}}, {{{4, 3, 2}}}, false, {}, true},
      {"BatchNormalization", {{"center", false}, {"renorm", true}}, {{{4, 3}}}},
      {"LayerNormalization", Json::object(), {{{2, 5}}}},
      {"LayerNormalization", {{"axis", Json::array({1, 2})}, {"rms_scaling", true}}, {{{2, 3, 2}}}},
      {"GroupNormalization", {{"groups", 2}}, {{{2, 3, 4}}}},
      {"RMSNormalization", Json::object(), {{{2, 4}}}},
      {"UnitNormalization", {{"axis", 1}}, {{{2, 4}}}},
      {"Activation", {{"activation", "gelu"}}, {{{2, 5}}}},
      {"Activation", {{"activation", "softmax"}}, {{{3, 4}}}},
      {"Softmax", {{"axis", Json::array({1, 2})}}, {{{2, 3, 2}}}},
      {"ReLU", {{"max_value", 1.2}, {"negative_slope", 0.1}, {"threshold", 0.2}}, {{{3, 5}, Values::distinct}}},
      {"LeakyReLU", {{"negative_slope", 0.3}}, {{{3, 5}, Values::distinct}}},
      {"ELU", {{"alpha", 0.7}}, {{{3, 5}, Values::distinct}}},
      {"PReLU", {{"shared_axes", Json::array({1})}}, {{{2, 3, 4}, Values::distinct}}},
      {"GlobalMaxPooling1D", Json::object(), {{{2, 5, 3}, Values::distinct}}, false, {.step = 1e-3}},
      {"GlobalMaxPooling3D", Json::object(), {{{1, 2, 3, 2, 2}, Values::distinct}}, false, {.step = 1e-3}},
      {"GlobalAveragePooling2D", {{"keepdims", true}}, {{{2, 3, 2, 2}}}},
      {"AdaptiveMaxPooling2D",
       {{"output_size", Json::array({2, 2})}},
       {{{1, 5, 4, 2}, Values::distinct}},
       false,
       {.step = 1e-3}},
      {"AdaptiveMaxPooling3D", {{"output_size", 2}}, {{{1, 3, 4, 3, 1}, Values::distinct}}, false, {.step = 1e-3}},
      {"AdaptiveAveragePooling1D", {{"output_size", 3}}, {{{2, 7, 2}}}},
      {"AdaptiveAveragePooling3D", {{"output_size", Json::array({1, 2, 2})}}, {{{1, 3, 4, 3, 2}}}},
      {"SpatialDropout1D", {{"rate", 0.5}}, {{{2, 3, 4}}}},
      {"SpatialDropout3D", {{"rate", 0.5}}, {{{1, 2, 2, 2, 3}}}},
      {"ZeroPadding3D", {{"padding", 1}}, {{{1, 2, 1, 2, 2}}}},
      // Recurrent layers: the time loop on the tape (backpropagation through time).
      {"SimpleRNN", {{"units", 3}, {"return_sequences", true}}, {{{2, 4, 3}}}},
      {"SimpleRNN", {{"units", 2}, {"go_backwards", true}, {"activation", "sigmoid"}}, {{{2, 3, 2}}}},
      {"LSTM", {{"units", 3}}, {{{2, 4, 2}}}},
      {"LSTM",
       {{"units", 2}, {"return_sequences", true}, {"return_state", true}, {"unit_forget_bias", false}},
       {{{2, 3, 2}}}},
      {"GRU", {{"units", 3}, {"return_sequences", true}}, {{{2, 4, 2}}}},
      {"GRU", {{"units", 2}, {"reset_after", false}, {"go_backwards", true}, {"return_state", true}}, {{{2, 3, 3}}}},
      {"RNN", {{"cell", envelope("LSTMCell", {{"units", 2}})}, {"return_sequences", true}}, {{{2, 3, 2}}}},
      {"RNN",
       {{"cell", envelope("StackedRNNCells", {{"cells", Json::array({envelope("SimpleRNNCell", {{"units", 3}}),
                                                                     envelope("GRUCell", {{"units", 2}})})}})}},
       {{{2, 3, 2}}}},
      // ConvLSTM: the convolutions of every step on the tape.
      {"ConvLSTM1D", {{"filters", 2}, {"kernel_size", 2}, {"return_sequences", true}}, {{{2, 3, 4, 2}}}},
      {"ConvLSTM2D",
       {{"filters", 2},
        {"kernel_size", 2},
        {"padding", "same"},
        {"data_format", "channels_first"},
        {"return_state", true}},
       {{{1, 2, 2, 3, 3}}}},
      {"ConvLSTM3D", {{"filters", 1}, {"kernel_size", 2}, {"go_backwards", true}}, {{{1, 2, 2, 3, 2, 1}}}},
      // Training with dropout (seeded: fresh copies draw the same masks).
      seeded_case("SimpleRNN",
                  {{"units", 3}, {"dropout", 0.3}, {"recurrent_dropout", 0.3}, {"seed", 3}, {"return_sequences", true}},
                  {{{2, 3, 4}}}),
      seeded_case("LSTM", {{"units", 3}, {"dropout", 0.4}, {"seed", 3}}, {{{2, 3, 4}}}),
      seeded_case("LSTM",
                  {{"units", 2}, {"dropout", 0.3}, {"recurrent_dropout", 0.4}, {"seed", 4}, {"return_state", true}},
                  {{{2, 3, 3}}}),
      seeded_case("GRU", {{"units", 3}, {"dropout", 0.3}, {"recurrent_dropout", 0.3}, {"seed", 5}}, {{{2, 3, 4}}}),
      seeded_case(
          "GRU",
          {{"units", 2}, {"reset_after", false}, {"recurrent_dropout", 0.4}, {"seed", 6}, {"return_sequences", true}},
          {{{2, 3, 3}}}),
      seeded_case("Bidirectional", {{"layer", envelope("GRU", {{"units", 2}, {"dropout", 0.3}, {"seed", 7}})}},
                  {{{2, 3, 3}}}),
      // Keras' implementation 1 without recurrent_dropout: one input mask per gate.
      seeded_case("LSTM", {{"units", 2}, {"dropout", 0.4}, {"implementation", 1}, {"seed", 8}}, {{{2, 3, 3}}}),
      seeded_case("GRU", {{"units", 2}, {"dropout", 0.4}, {"implementation", 1}, {"reset_after", false}, {"seed", 9}},
                  {{{2, 3, 3}}}),
      // ConvLSTM: a mask per gate for the inputs and for h, every gate convolving its own.
      seeded_case("ConvLSTM1D",
                  {{"filters", 2},
                   {"kernel_size", 2},
                   {"dropout", 0.3},
                   {"recurrent_dropout", 0.3},
                   {"seed", 3},
                   {"return_sequences", true}},
                  {{{2, 3, 4, 2}}}),
      seeded_case("ConvLSTM2D",
                  {{"filters", 2},
                   {"kernel_size", 2},
                   {"padding", "same"},
                   {"data_format", "channels_first"},
                   {"dropout", 0.4},
                   {"seed", 4},
                   {"return_state", true}},
                  {{{1, 2, 2, 3, 3}}}),
      seeded_case("ConvLSTM3D",
                  {{"filters", 1}, {"kernel_size", 2}, {"recurrent_dropout", 0.4}, {"seed", 5}, {"go_backwards", true}},
                  {{{2, 2, 2, 3, 2, 1}}}),
      // StackedRNNCells in an RNN: each cell's masks for its own input (the previous cell's output).
      seeded_case(
          "RNN",
          {{"cell",
            envelope("StackedRNNCells",
                     {{"cells",
                       Json::array(
                           {envelope("SimpleRNNCell",
                                     {{"units", 3}, {"dropout", 0.3}, {"recurrent_dropout", 0.3}, {"seed", 3}}),
                            envelope("GRUCell", {{"units", 2}}),
                            envelope("LSTMCell",
                                     {{"units", 2}, {"dropout", 0.4}, {"recurrent_dropout", 0.3}, {"seed", 4}})})}})},
           {"return_sequences", true}},
          {{{2, 3, 2}}}),
      seeded_case("MultiHeadAttention", {{"num_heads", 2}, {"key_dim", 3}, {"dropout", 0.5}, {"seed", 3}},
                  {{{2, 3, 4}}, {{2, 4, 4}}}),
      seeded_case("GroupQueryAttention",
                  {{"head_dim", 2}, {"num_query_heads", 2}, {"num_key_value_heads", 1}, {"dropout", 0.5}, {"seed", 3}},
                  {{{2, 3, 4}}, {{2, 4, 4}}}),
      seeded_case("Attention", {{"use_scale", true}, {"dropout", 0.5}, {"seed", 3}}, {{{2, 3, 4}}, {{2, 4, 4}}}, true),
      seeded_case("AdditiveAttention", {{"dropout", 0.5}, {"seed", 3}}, {{{2, 3, 4}}, {{2, 4, 4}}}, true),
      // Cells called alone: one step from the inputs and the states.
      {"SimpleRNNCell", {{"units", 4}}, {{{2, 3}}, {{2, 4}}}},
      {"LSTMCell",
       {{"units", 3}, {"unit_forget_bias", false}},
       {{{2, 2}}},
       false,
       {},
       false,
       {{"states[]", {{2, 3}}}, {"states[]", {{2, 3}}}}},
      {"GRUCell", {{"units", 3}}, {{{2, 2}}, {{2, 3}}}},
      {"GRUCell",
       {{"units", 2}, {"reset_after", false}, {"activation", "relu"}},
       {{{2, 3}, Values::distinct}, {{2, 2}}}},
      {"StackedRNNCells",
       {{"cells", Json::array({envelope("SimpleRNNCell", {{"units", 3}}), envelope("LSTMCell", {{"units", 2}})})}},
       {{{2, 2}}},
       false,
       {},
       false,
       {{"states[]", {{2, 3}}}, {"states[]", {{2, 2}}}, {"states[]", {{2, 2}}}}},
      // Cells called alone in training: their masks drawn for the one step.
      seeded_case("SimpleRNNCell", {{"units", 3}, {"dropout", 0.4}, {"recurrent_dropout", 0.4}, {"seed", 3}},
                  {{{2, 3}}, {{2, 3}}}),
      seeded_case("LSTMCell", {{"units", 3}, {"dropout", 0.3}, {"recurrent_dropout", 0.4}, {"seed", 4}}, {{{2, 2}}},
                  {{"states[]", {{2, 3}}}, {"states[]", {{2, 3}}}}),
      seeded_case("GRUCell", {{"units", 2}, {"dropout", 0.4}, {"implementation", 1}, {"seed", 5}},
                  {{{2, 3}}, {{2, 2}}}),
      seeded_case("StackedRNNCells",
                  {{"cells", Json::array({envelope("GRUCell", {{"units", 3}, {"recurrent_dropout", 0.4}, {"seed", 6}}),
                                          envelope("LSTMCell", {{"units", 2}, {"dropout", 0.4}, {"seed", 7}})})}},
                  {{{2, 2}}}, {{"states[]", {{2, 3}}}, {"states[]", {{2, 2}}}, {"states[]", {{2, 2}}}}),
      {"Bidirectional", {{"layer", envelope("LSTM", {{"units", 2}, {"return_sequences", true}})}}, {{{2, 3, 2}}}},
      {"Bidirectional", {{"layer", envelope("GRU", {{"units", 2}})}, {"merge_mode", "ave"}}, {{{2, 4, 3}}}},
      // keras.applications' layers.
      {"LayerScale", {{"init_values", 0.1}, {"projection_dim", 4}}, {{{2, 3, 4}}}},
      {"StochasticDepth", {{"drop_path_rate", 0.5}}, {{{2, 3}}}},
      {"CustomScaleLayer", {{"scale", 0.17}}, {{{2, 3}}, {{2, 3}}}, true},
      // TimeDistributed: the wrapped layer's tape over the folded batch (and mask).
      {"TimeDistributed", {{"layer", envelope("Dense", {{"units", 3}, {"activation", "tanh"}})}}, {{{2, 3, 4}}}},
      {"TimeDistributed",
       {{"layer", envelope("Conv1D", {{"filters", 2}, {"kernel_size", 2}, {"padding", "same"}})}},
       {{{2, 3, 4, 2}}}},
      {"TimeDistributed",
       {{"layer", envelope("LSTM", {{"units", 2}})}},
       {{{2, 3, 4, 2}}},
       false,
       {},
       false,
       {{"mask", {{2, 3, 4}, Values::mask}}}},
      // Attention: projections, masked softmax and output projection on the tape.
      {"MultiHeadAttention", {{"num_heads", 2}, {"key_dim", 3}}, {{{2, 3, 4}}, {{2, 4, 4}}}},
      {"MultiHeadAttention",
       {{"num_heads", 2}, {"key_dim", 2}, {"value_dim", 3}, {"use_gate", true}, {"output_shape", 5}},
       {{{2, 3, 4}}, {{2, 4, 3}}, {{2, 4, 2}}},
       false,
       {},
       false,
       {{"query_mask", {{2, 3}, Values::mask}},
        {"value_mask", {{2, 4}, Values::mask}},
        {"attention_mask", {{2, 3, 4}, Values::mask}}},
       {{"use_causal_mask", true}}},
      {"MultiHeadAttention",
       {{"num_heads", 2}, {"key_dim", 2}, {"dropout", 0.3}},
       {{{2, 3, 4}}, {{2, 3, 4}}},
       false,
       {},
       false,
       {{"value_mask", {{2, 3}, Values::mask}}},
       {{"return_attention_scores", true}}},
      {"MultiHeadAttention",
       {{"num_heads", 1}, {"key_dim", 2}, {"attention_axes", Json::array({1, 2})}},
       {{{1, 2, 3, 3}}, {{1, 2, 3, 3}}}},
      {"GroupQueryAttention",
       {{"head_dim", 2}, {"num_query_heads", 4}, {"num_key_value_heads", 2}},
       {{{2, 3, 4}}, {{2, 4, 4}}},
       false,
       {},
       false,
       {{"value_mask", {{2, 4}, Values::mask}}}},
      {"GroupQueryAttention",
       {{"head_dim", 2}, {"num_query_heads", 2}, {"num_key_value_heads", 1}, {"use_gate", true}},
       {{{2, 3, 4}}, {{2, 3, 4}}, {{2, 3, 5}}},
       false,
       {},
       false,
       {},
       {{"use_causal_mask", true}, {"return_attention_scores", true}}},
      {"Attention", {{"use_scale", true}}, {{{2, 3, 4}}, {{2, 4, 4}}}, true},
      {"Attention",
       {{"score_mode", "concat"}, {"use_scale", true}},
       {{{2, 3, 4}}, {{2, 4, 4}}, {{2, 4, 4}}},
       true,
       {},
       false,
       {{"mask[]", {{2, 3}, Values::mask}}, {"mask[]", {{2, 4}, Values::mask}}},
       {{"return_attention_scores", true}}},
      {"AdditiveAttention", Json::object(), {{{2, 3, 4}}, {{2, 4, 4}}}, true},
      {"AdditiveAttention",
       {{"use_scale", false}},
       {{{2, 3, 4}}, {{2, 3, 4}}},
       true,
       {},
       false,
       {{"mask[]", {{2, 3}, Values::mask}}, {"mask[]", {{2, 3}, Values::mask}}},
       {{"use_causal_mask", true}}},
  };
  return all;
}

}  // namespace keras_test
