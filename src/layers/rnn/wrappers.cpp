// Bidirectional and TimeDistributed (keras/src/layers/rnn/bidirectional.py,
// time_distributed.py).
#include "layers/rnn/wrappers.hpp"

#include "layers/registrations.hpp"
#include "ops/elementwise.hpp"
#include "ops/shape_ops.hpp"

namespace keras::detail {

namespace {

std::string remove_prefix(const std::string& text, const std::string& prefix) {
  return text.starts_with(prefix) ? text.substr(prefix.size()) : text;
}

std::shared_ptr<RNNImpl> as_rnn(const LayerPtr& layer, const std::string& role) {
  auto rnn = std::dynamic_pointer_cast<RNNImpl>(layer);
  if (!rnn)
    throw NotImplementedError("Bidirectional " + role + " '" + (layer ? layer->name() : std::string("?")) + "' (" +
                              (layer ? layer->class_name() : std::string("null")) +
                              ") is not a recurrent layer keras-cpp supports (RNN, SimpleRNN, LSTM, GRU, ConvLSTM)");
  return rnn;
}

// A copy of `layer` made through its config, as Keras' serialize/deserialize round trip.
LayerPtr copy_with(const Layer& layer, const std::string& name, std::optional<bool> go_backwards) {
  Json envelope = envelope_of(layer);
  envelope["config"]["name"] = name;
  if (go_backwards) envelope["config"]["go_backwards"] = *go_backwards;
  return layer_from_envelope(envelope);
}

Json ref(std::size_t index) { return Json{{"__tensor__", index}}; }

// The tensors of one call argument (a tensor, a list of tensors or null).
std::vector<Tensor> tensors_of(const CallArgs& args, const Json& value) {
  std::vector<Tensor> out;
  if (CallArgs::is_ref(value)) return {args.ref(value)};
  if (value.is_array()) {
    for (const auto& item : value) {
      if (CallArgs::is_ref(item)) out.push_back(args.ref(item));
    }
  }
  return out;
}

}  // namespace

// ------------------------------------------------------------ Bidirectional

BidirectionalImpl::BidirectionalImpl(const LayerPtr& layer, std::optional<std::string> merge_mode,
                                     const LayerPtr& backward_layer, const LayerBaseOptions& base)
    : Layer(base, "bidirectional"), merge_mode_(std::move(merge_mode)) {
  if (!layer) throw ValueError("Please initialize `Bidirectional` layer with a `keras.layers.Layer` instance.");
  if (merge_mode_ && *merge_mode_ != "sum" && *merge_mode_ != "mul" && *merge_mode_ != "ave" &&
      *merge_mode_ != "concat")
    throw ValueError("Invalid merge mode. Received: " + *merge_mode_ +
                     ". Merge mode should be one of {\"sum\", \"mul\", \"ave\", \"concat\", None}");
  as_rnn(layer, "layer");
  forward_ = as_rnn(copy_with(*layer, "forward_" + remove_prefix(layer->name(), "forward_"), std::nullopt), "layer");
  if (backward_layer) {
    backward_ = as_rnn(backward_layer, "backward_layer");
  } else {
    backward_ = as_rnn(copy_with(*layer, "backward_" + remove_prefix(layer->name(), "backward_"), true), "layer");
  }
  const auto& f = forward_->settings();
  const auto& b = backward_->settings();
  if (f.go_backwards == b.go_backwards)
    throw ValueError(
        "Forward layer and backward layer should have different `go_backwards` value. Received: "
        "forward_layer.go_backwards " +
        std::string(f.go_backwards ? "True" : "False") +
        ", backward_layer.go_backwards=" + (b.go_backwards ? "True" : "False"));
  auto check = [&](const char* what, bool fv, bool bv) {
    if (fv != bv)
      throw ValueError(std::string("Forward layer and backward layer are expected to have the same value for "
                                   "attribute \"") +
                       what + "\"");
  };
  check("stateful", f.stateful, b.stateful);
  check("return_sequences", f.return_sequences, b.return_sequences);
  check("return_state", f.return_state, b.return_state);
  // Zero outputs at masked steps, so that the two directions merge cleanly.
  forward_->set_zero_output_for_mask(f.return_sequences);
  backward_->set_zero_output_for_mask(b.return_sequences);
  track("forward_layer", forward_);
  track("backward_layer", backward_);
}

LayerPtr BidirectionalImpl::from_config(const Json& config) {
  auto it = config.find("layer");
  if (it == config.end() || !it->is_object()) throw FormatError("Bidirectional config needs a 'layer' object");
  LayerPtr layer = layer_from_envelope(*it);
  LayerPtr backward;
  if (auto b = config.find("backward_layer"); b != config.end() && !b->is_null()) backward = layer_from_envelope(*b);
  std::optional<std::string> merge_mode = "concat";
  if (auto m = config.find("merge_mode"); m != config.end()) {
    if (m->is_null())
      merge_mode = std::nullopt;
    else if (m->is_string())
      merge_mode = m->get<std::string>();
    else
      throw FormatError("Bidirectional 'merge_mode' must be a string or null, got " + m->dump());
  }
  return std::make_shared<BidirectionalImpl>(layer, merge_mode, backward, base_options_from_config(config));
}

Json BidirectionalImpl::get_config() const {
  Json config = base_config();
  config["merge_mode"] = merge_mode_ ? Json(*merge_mode_) : Json(nullptr);
  config["layer"] = envelope_of(*forward_);
  config["backward_layer"] = envelope_of(*backward_);
  return config;
}

void BidirectionalImpl::before_symbolic_call(const SpecArgs& args) {
  if (built()) return;
  initial_state_shape_ = initial_state_shapes(args);
  build_for({args.tensor(0).shape});
}

void BidirectionalImpl::build_from_config(const Json& build_config) {
  if (built()) return;
  if (auto shape = read_recurrent_build_config(build_config, initial_state_shape_, name())) build_for({*shape});
}

void BidirectionalImpl::build(const std::vector<Shape>& input_shapes) {
  if (!forward_->built()) forward_->build_for({input_shapes.at(0)});
  if (!backward_->built()) backward_->build_for({input_shapes.at(0)});
}

std::vector<TensorSpec> BidirectionalImpl::compute_output_spec(const SpecArgs& args) {
  SpecArgs inner;
  inner.args = Json::array({ref(0)});
  inner.tensors = {args.tensor(0)};
  auto specs = forward_->compute_output_spec(inner);
  TensorSpec output = specs.front();
  output.dtype = compute_dtype();
  std::vector<TensorSpec> states(specs.begin() + 1, specs.end());
  std::vector<TensorSpec> out;
  if (merge_mode_ == "concat" && !output.shape.empty() && output.shape.back() >= 0) output.shape.back() *= 2;
  out.push_back(output);
  if (!merge_mode_) out.push_back(output);
  if (forward_->settings().return_state) {
    for (int pass = 0; pass < 2; ++pass) out.insert(out.end(), states.begin(), states.end());
  }
  return out;
}

std::vector<Tensor> BidirectionalImpl::call(const CallArgs& args) {
  CallArgs inner;
  inner.training = args.training;
  inner.tensors.push_back(args.tensor(0));
  inner.args = Json::array({ref(0)});
  Json kwargs = Json::object();
  if (const Json* m = args.kwarg("mask")) {
    auto masks = tensors_of(args, *m);
    if (!masks.empty()) {
      inner.tensors.push_back(masks.front());
      kwargs["mask"] = ref(inner.tensors.size() - 1);
    }
  }
  std::vector<Tensor> initial;
  if (const Json* s = args.kwarg("initial_state")) initial = tensors_of(args, *s);
  if (initial.empty() && args.num_args() > 1) initial = tensors_of(args, args.args[1]);
  if (!initial.empty() && initial.size() % 2 != 0)
    throw ValueError("Bidirectional '" + name() + "' needs an even number of initial states (forward, then backward)");

  CallArgs forward_args = inner;
  CallArgs backward_args = inner;
  forward_args.kwargs = kwargs;
  backward_args.kwargs = kwargs;
  const std::size_t half = initial.size() / 2;
  auto add_states = [&](CallArgs& a, std::size_t begin) {
    if (initial.empty()) return;
    Json list = Json::array();
    for (std::size_t i = begin; i < begin + half; ++i) {
      a.tensors.push_back(initial[i]);
      list.push_back(ref(a.tensors.size() - 1));
    }
    a.kwargs["initial_state"] = list;
  };
  add_states(forward_args, 0);
  add_states(backward_args, half);

  auto y = forward_->call(forward_args);
  auto y_rev = backward_->call(backward_args);
  std::vector<Tensor> states;
  states.insert(states.end(), y.begin() + 1, y.end());
  states.insert(states.end(), y_rev.begin() + 1, y_rev.end());
  Tensor a = y.front().astype(DType::float32);
  Tensor b = y_rev.front().astype(DType::float32);
  if (forward_->settings().return_sequences) b = kernels::flip(b, {1});

  std::vector<Tensor> out;
  if (!merge_mode_) {
    out = {a, b};
  } else if (*merge_mode_ == "concat") {
    out = {kernels::concatenate({a, b}, -1)};
  } else if (*merge_mode_ == "sum") {
    out = {kernels::add(a, b)};
  } else if (*merge_mode_ == "ave") {
    out = {kernels::divide(kernels::add(a, b), Tensor::scalar(2.0F))};
  } else {
    out = {kernels::multiply(a, b)};
  }
  const DType dtype = compute_dtype();
  if (dtype != DType::float32) {
    for (auto& t : out) t = t.astype(dtype);
  }
  if (forward_->settings().return_state) out.insert(out.end(), states.begin(), states.end());
  return out;
}

std::vector<ad::Var> BidirectionalImpl::call_tape(const CallArgs& args, const std::vector<ad::Var>& tensors,
                                                  TapeVariables& variables) {
  // call()'s argument plumbing, with each tensor's tape value beside it.
  struct Inner {
    CallArgs args;
    std::vector<ad::Var> vars;
    Json push(const ad::Var& v) {
      args.tensors.push_back(v.value());
      vars.push_back(v);
      return ref(args.tensors.size() - 1);
    }
  };
  auto var_of = [&](const Json& r) { return tensors.at(r.at("__tensor__").get<std::size_t>()); };
  auto vars_in = [&](const Json& value) {
    std::vector<ad::Var> out;
    if (CallArgs::is_ref(value)) return std::vector<ad::Var>{var_of(value)};
    if (value.is_array()) {
      for (const auto& item : value)
        if (CallArgs::is_ref(item)) out.push_back(var_of(item));
    }
    return out;
  };
  std::vector<ad::Var> mask;
  if (const Json* m = args.kwarg("mask")) mask = vars_in(*m);
  std::vector<ad::Var> initial;
  if (const Json* st = args.kwarg("initial_state")) initial = vars_in(*st);
  if (initial.empty() && args.num_args() > 1) initial = vars_in(args.args[1]);
  if (!initial.empty() && initial.size() % 2 != 0)
    throw ValueError("Bidirectional '" + name() + "' needs an even number of initial states (forward, then backward)");
  const std::size_t half = initial.size() / 2;
  auto make = [&](std::size_t first_state) {
    Inner inner;
    inner.args.training = args.training;
    inner.args.args = Json::array({inner.push(tape_arg(args, tensors, 0))});
    inner.args.kwargs = Json::object();
    if (!mask.empty()) inner.args.kwargs["mask"] = inner.push(mask.front());
    if (!initial.empty()) {
      Json list = Json::array();
      for (std::size_t i = first_state; i < first_state + half; ++i) list.push_back(inner.push(initial[i]));
      inner.args.kwargs["initial_state"] = list;
    }
    return inner;
  };
  Inner forward_call = make(0);
  Inner backward_call = make(half);
  auto y = forward_->call_tape(forward_call.args, forward_call.vars, variables);
  auto y_rev = backward_->call_tape(backward_call.args, backward_call.vars, variables);
  std::vector<ad::Var> states;
  states.insert(states.end(), y.begin() + 1, y.end());
  states.insert(states.end(), y_rev.begin() + 1, y_rev.end());
  ad::Var a = y.front().dtype() == DType::float32 ? y.front() : ad::cast(y.front(), DType::float32);
  ad::Var b = y_rev.front().dtype() == DType::float32 ? y_rev.front() : ad::cast(y_rev.front(), DType::float32);
  if (forward_->settings().return_sequences) b = ad::flip(b, {1});
  std::vector<ad::Var> out;
  if (!merge_mode_) {
    out = {a, b};
  } else if (*merge_mode_ == "concat") {
    out = {ad::concatenate({a, b}, -1)};
  } else if (*merge_mode_ == "sum") {
    out = {a + b};
  } else if (*merge_mode_ == "ave") {
    out = {(a + b) / 2.0F};
  } else {
    out = {a * b};
  }
  const DType dtype = compute_dtype();
  if (dtype != DType::float32) {
    for (auto& v : out) v = ad::cast(v, dtype);
  }
  if (forward_->settings().return_state) out.insert(out.end(), states.begin(), states.end());
  return out;
}

// ----------------------------------------------------------- TimeDistributed

TimeDistributedImpl::TimeDistributedImpl(LayerPtr layer, const LayerBaseOptions& base)
    : Layer(base, "time_distributed"), layer_(std::move(layer)) {
  if (!layer_) throw ValueError("Please initialize `TimeDistributed` layer with a `keras.layers.Layer` instance.");
  track("layer", layer_);
}

LayerPtr TimeDistributedImpl::from_config(const Json& config) {
  auto it = config.find("layer");
  if (it == config.end() || !it->is_object()) throw FormatError("TimeDistributed config needs a 'layer' object");
  return std::make_shared<TimeDistributedImpl>(layer_from_envelope(*it), base_options_from_config(config));
}

Json TimeDistributedImpl::get_config() const {
  Json config = base_config();
  config["layer"] = envelope_of(*layer_);
  return config;
}

namespace {
Shape child_shape(const Shape& shape, const std::string& name) {
  if (shape.size() < 3)
    throw ValueError("`TimeDistributed` Layer '" + name +
                     "' should be passed an `input_shape` with at least 3 "
                     "dimensions, received: " +
                     shape_to_string(shape));
  Shape child = {shape[0]};
  child.insert(child.end(), shape.begin() + 2, shape.end());
  return child;
}
}  // namespace

void TimeDistributedImpl::build(const std::vector<Shape>& input_shapes) {
  if (!layer_->built()) layer_->build_for({child_shape(input_shapes.at(0), name())});
}

std::vector<TensorSpec> TimeDistributedImpl::compute_output_spec(const SpecArgs& args) {
  const TensorSpec& in = args.tensor(0);
  SpecArgs inner;
  inner.args = Json::array({ref(0)});
  inner.tensors = {TensorSpec{child_shape(in.shape, name()), in.dtype}};
  auto specs = layer_->compute_output_spec(inner);
  if (specs.size() != 1)
    throw NotImplementedError("TimeDistributed '" + name() + "' wraps a layer with several outputs");
  Shape out = {specs.front().shape.empty() ? kUnknownDim : specs.front().shape.front(), in.shape[1]};
  out.insert(out.end(), specs.front().shape.begin() + (specs.front().shape.empty() ? 0 : 1), specs.front().shape.end());
  return {TensorSpec{out, specs.front().dtype}};
}

namespace {

// TimeDistributed's folding of [B, T, ...] into [B * T, ...] and back.
Shape folded_shape(const Shape& shape) {
  Shape folded = {shape.at(0) * shape.at(1)};
  folded.insert(folded.end(), shape.begin() + 2, shape.end());
  return folded;
}

Shape unfolded_shape(const Shape& inner, std::int64_t batch, std::int64_t steps) {
  Shape out = {batch, steps};
  out.insert(out.end(), inner.begin() + 1, inner.end());
  return out;
}

}  // namespace

std::optional<Tensor> TimeDistributedImpl::step_mask(const CallArgs& args, const Shape& input_shape) const {
  if (!layer_->call_accepts_mask()) return std::nullopt;
  auto mask = args.kwarg_tensor("mask");
  if (!mask) return std::nullopt;
  if (mask->rank() < 2 || mask->dim(0) != input_shape[0] || mask->dim(1) != input_shape[1])
    throw ShapeMismatchError("The `mask` passed to the `TimeDistributed` layer '" + name() + "' has shape " +
                             shape_to_string(mask->shape()) + ", incompatible with the input shape " +
                             shape_to_string(input_shape));
  return mask->reshape(folded_shape(mask->shape()));
}

void TimeDistributedImpl::check_input_rank(const Shape& shape) const {
  if (shape.size() < 3)
    throw ShapeMismatchError("TimeDistributed '" + name() + "' needs inputs of rank >= 3, got " +
                             shape_to_string(shape));
}

std::vector<Tensor> TimeDistributedImpl::call(const CallArgs& args) {
  const Tensor& x = args.tensor(0);
  check_input_rank(x.shape());
  // Folding time into the batch applies the layer to every step at once (per-sample layers only).
  CallArgs inner;
  inner.training = args.training;
  inner.tensors.push_back(x.reshape(folded_shape(x.shape())));
  inner.args = Json::array({ref(0)});
  if (auto mask = step_mask(args, x.shape())) {
    inner.tensors.push_back(*mask);
    inner.kwargs["mask"] = ref(1);
  }
  auto outputs = layer_->call(inner);
  if (outputs.size() != 1)
    throw NotImplementedError("TimeDistributed '" + name() + "' wraps a layer with several outputs");
  const Tensor& y = outputs.front();
  return {y.reshape(unfolded_shape(y.shape(), x.dim(0), x.dim(1)))};
}

std::vector<ad::Var> TimeDistributedImpl::call_tape(const CallArgs& args, const std::vector<ad::Var>& tensors,
                                                    TapeVariables& variables) {
  const ad::Var& x = tape_arg(args, tensors, 0);
  check_input_rank(x.shape());
  CallArgs inner;
  inner.training = args.training;
  std::vector<ad::Var> vars = {ad::reshape(x, folded_shape(x.shape()))};
  inner.tensors.push_back(vars.front().value());
  inner.args = Json::array({ref(0)});
  CallArgs with_values = args;  // step_mask() reads the mask from the call's tensors
  with_values.tensors.clear();
  for (const auto& v : tensors) with_values.tensors.push_back(v.value());
  if (auto mask = step_mask(with_values, x.shape())) {
    inner.tensors.push_back(*mask);
    vars.emplace_back(*mask);
    inner.kwargs["mask"] = ref(1);
  }
  auto outputs = layer_->call_tape(inner, vars, variables);
  if (outputs.size() != 1)
    throw NotImplementedError("TimeDistributed '" + name() + "' wraps a layer with several outputs");
  const ad::Var& y = outputs.front();
  return {ad::reshape(y, unfolded_shape(y.shape(), x.dim(0), x.dim(1)))};
}

}  // namespace keras::detail

namespace keras::layers {

Bidirectional::Bidirectional(const LayerRef& layer, const BidirectionalOptions& o)
    : LayerRef(std::make_shared<detail::BidirectionalImpl>(layer.ptr(), o.merge_mode, o.backward_layer.ptr(),
                                                           LayerBaseOptions{o.name, o.dtype, o.trainable})) {}

TimeDistributed::TimeDistributed(const LayerRef& layer, const TimeDistributedOptions& o)
    : LayerRef(
          std::make_shared<detail::TimeDistributedImpl>(layer.ptr(), LayerBaseOptions{o.name, o.dtype, o.trainable})) {}

}  // namespace keras::layers
