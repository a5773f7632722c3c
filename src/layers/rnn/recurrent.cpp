// Recurrent layers (keras/src/layers/rnn/rnn.py and the layers built on it).
#include "layers/rnn/recurrent.hpp"

#include <algorithm>
#include <cstring>
#include <functional>

#include "keras/regularizers.hpp"
#include "layers/config_utils.hpp"
#include "layers/registrations.hpp"
#include "ops/shape_ops.hpp"

namespace keras::detail {

namespace {

Tensor as_float(const Tensor& t) { return t.dtype() == DType::float32 ? t : t.astype(DType::float32); }

// A positional/keyword argument holding one tensor or a list of tensors.
std::vector<Tensor> tensors_of(const CallArgs& args, const Json& value) {
  std::vector<Tensor> out;
  if (value.is_null()) return out;
  if (CallArgs::is_ref(value)) return {args.ref(value)};
  if (value.is_array()) {
    for (const auto& item : value) {
      if (item.is_null()) continue;
      if (!CallArgs::is_ref(item)) throw ValueError("Expected tensors in an RNN call argument, got " + value.dump());
      out.push_back(args.ref(item));
    }
    return out;
  }
  throw ValueError("Expected a tensor or a list of tensors in an RNN call argument, got " + value.dump());
}

std::int64_t per_sample_size(const Shape& shape) { return shape_size(shape); }

// keep[b * steps + t]: whether step t of sample b is used (empty without a mask).
std::vector<std::uint8_t> kept_steps(const Tensor& mask, std::int64_t batch, std::int64_t steps,
                                     const std::string& layer) {
  std::vector<std::uint8_t> keep;
  if (!mask.defined()) return keep;
  if (mask.rank() < 2 || mask.dim(0) != batch || mask.dim(1) != steps)
    throw ShapeMismatchError("Layer '" + layer + "': the mask has shape " + shape_to_string(mask.shape()) +
                             ", expected (" + std::to_string(batch) + ", " + std::to_string(steps) + ")");
  auto values = mask.to_vector();
  const std::int64_t inner = mask.size() / (batch * steps);
  keep.assign(static_cast<std::size_t>(batch * steps), 0);
  // A step is skipped when every entry of its mask is false (numpy backend: all(logical_not(mask))).
  for (std::int64_t i = 0; i < batch * steps; ++i)
    for (std::int64_t k = 0; k < inner; ++k)
      if (values[static_cast<std::size_t>(i * inner + k)] != 0.0F) keep[static_cast<std::size_t>(i)] = 1;
  return keep;
}

// The tape values of a call argument holding one tensor or a list (as tensors_of).
std::vector<ad::Var> vars_of(const Json& value, const std::vector<ad::Var>& tensors) {
  std::vector<ad::Var> out;
  if (value.is_null()) return out;
  if (CallArgs::is_ref(value)) return {tensors.at(value.at("__tensor__").get<std::size_t>())};
  if (value.is_array()) {
    for (const auto& item : value) {
      if (item.is_null()) continue;
      if (!CallArgs::is_ref(item)) throw ValueError("Expected tensors in an RNN call argument, got " + value.dump());
      out.push_back(tensors.at(item.at("__tensor__").get<std::size_t>()));
    }
    return out;
  }
  throw ValueError("Expected a tensor or a list of tensors in an RNN call argument, got " + value.dump());
}

void refuse_stateful(bool stateful, const std::string& name) {
  if (stateful)
    throw NotImplementedError("Layer '" + name +
                              "': stateful=True recurrent layers are not supported by keras-cpp "
                              "(only stateless inference).");
}

std::optional<std::int64_t> seed_from(const Json& config) {
  auto it = config.find("seed");
  if (it == config.end() || it->is_null()) return std::nullopt;
  if (!it->is_number_integer()) throw FormatError("RNN config 'seed' must be an integer or null, got " + it->dump());
  return it->get<std::int64_t>();
}

void set_activity_regularizer(std::optional<Json>& slot, const Json& value) {
  if (!value.is_null()) slot = regularizers::get(value);
}

// The keys every recurrent layer writes after its activation/use_bias keys.
void write_cell_tail(Json& config, const CellCommon& c, const std::optional<Json>& activity_regularizer) {
  config["kernel_regularizer"] = c.kernel_regularizer;
  config["recurrent_regularizer"] = c.recurrent_regularizer;
  config["bias_regularizer"] = c.bias_regularizer;
  config["activity_regularizer"] = activity_regularizer ? *activity_regularizer : Json(nullptr);
  config["kernel_constraint"] = c.kernel_constraint;
  config["recurrent_constraint"] = c.recurrent_constraint;
  config["bias_constraint"] = c.bias_constraint;
  config["dropout"] = c.dropout;
  config["recurrent_dropout"] = c.recurrent_dropout;
}

// Fills the fields shared by every recurrent layer's options struct from a config.
template <typename Options>
void read_common_options(const Json& config, Options& o) {
  auto base = Layer::base_options_from_config(config);
  o.name = base.name;
  o.dtype = base.dtype;
  o.trainable = base.trainable;
  assign_cell_common(o, CellCommon::from_config(config));
  o.activity_regularizer = detail::config_value(config, "activity_regularizer", Json(nullptr));
  o.seed = seed_from(config);
  RNNSettings s = RNNSettings::from_config(config);
  o.return_sequences = s.return_sequences;
  o.return_state = s.return_state;
  o.go_backwards = s.go_backwards;
  o.stateful = s.stateful;
  o.unroll = s.unroll;
  o.zero_output_for_mask = s.zero_output_for_mask;
}

template <typename Options>
RNNSettings settings_of(const Options& o) {
  return RNNSettings{o.return_sequences, o.return_state, o.go_backwards, o.stateful, o.unroll, o.zero_output_for_mask};
}

template <typename Options>
LayerBaseOptions base_of(const Options& o) {
  return LayerBaseOptions{o.name, o.dtype, o.trainable};
}

// The options of the cell a SimpleRNN/LSTM/GRU layer creates: the fields both
// structs share; the caller copies the cell type's own fields.
template <typename CellOptions, typename LayerOptions>
CellOptions cell_options_of(const LayerOptions& o, const char* cell_name) {
  CellOptions c;
  c.activation = o.activation;
  c.use_bias = o.use_bias;
  c.kernel_initializer = o.kernel_initializer;
  c.recurrent_initializer = o.recurrent_initializer;
  c.bias_initializer = o.bias_initializer;
  c.kernel_regularizer = o.kernel_regularizer;
  c.recurrent_regularizer = o.recurrent_regularizer;
  c.bias_regularizer = o.bias_regularizer;
  c.kernel_constraint = o.kernel_constraint;
  c.recurrent_constraint = o.recurrent_constraint;
  c.bias_constraint = o.bias_constraint;
  c.dropout = o.dropout;
  c.recurrent_dropout = o.recurrent_dropout;
  c.seed = o.seed;
  c.name = cell_name;
  c.dtype = o.dtype;
  c.trainable = o.trainable;
  return c;
}

}  // namespace

RNNSettings RNNSettings::from_config(const Json& config) {
  RNNSettings s;
  s.return_sequences = detail::config_value(config, "return_sequences", false);
  s.return_state = detail::config_value(config, "return_state", false);
  s.go_backwards = detail::config_value(config, "go_backwards", false);
  s.stateful = detail::config_value(config, "stateful", false);
  s.unroll = detail::config_value(config, "unroll", false);
  s.zero_output_for_mask = detail::config_value(config, "zero_output_for_mask", false);
  return s;
}

std::optional<Json> initial_state_shapes(const SpecArgs& args) {
  const Json* value = args.kwarg("initial_state");
  if ((value == nullptr || value->is_null()) && args.num_args() > 1) value = &args.args[1];
  if (value == nullptr || value->is_null()) return std::nullopt;
  std::function<Json(const Json&)> shapes = [&](const Json& v) -> Json {
    if (SpecArgs::is_ref(v)) return shape_to_json(args.ref(v).shape);
    if (v.is_array()) {
      Json out = Json::array();
      for (const auto& item : v) out.push_back(shapes(item));
      return out;
    }
    return Json(nullptr);
  };
  return shapes(*value);
}

std::optional<Json> recurrent_build_config(const Layer& layer, const std::optional<Json>& initial_state_shape) {
  if (!layer.built() || layer.build_input_shapes().empty()) return std::nullopt;
  Json sequences = shape_to_json(layer.build_input_shapes().front());
  if (!initial_state_shape) return Json{{"input_shape", sequences}};
  return Json{{"shapes_dict", Json{{"sequences_shape", sequences}, {"initial_state_shape", *initial_state_shape}}}};
}

std::optional<Shape> read_recurrent_build_config(const Json& build_config, std::optional<Json>& initial_state_shape,
                                                 const std::string& layer) {
  if (auto it = build_config.find("shapes_dict"); it != build_config.end() && it->is_object()) {
    if (auto s = it->find("initial_state_shape"); s != it->end() && !s->is_null()) initial_state_shape = *s;
    auto seq = it->find("sequences_shape");
    if (seq == it->end() || seq->is_null()) return std::nullopt;
    return shape_from_json(*seq, layer + " build_config sequences_shape");
  }
  auto it = build_config.find("input_shape");
  if (it == build_config.end() || it->is_null()) return std::nullopt;
  return shape_from_json(*it, layer + " build_config input_shape");
}

// ------------------------------------------------------------------ RNNImpl

RNNImpl::RNNImpl(std::shared_ptr<RNNCellImpl> cell, const RNNSettings& settings, const LayerBaseOptions& base,
                 const std::string& auto_name_prefix)
    : Layer(base, auto_name_prefix), cell_(std::move(cell)), settings_(settings) {
  if (!cell_) throw ValueError("An RNN layer needs a cell");
  refuse_stateful(settings_.stateful, name());
  track("cell", cell_);
}

LayerPtr RNNImpl::from_config(const Json& config) {
  auto it = config.find("cell");
  if (it == config.end() || !it->is_object()) throw FormatError("RNN config needs a 'cell' object");
  LayerPtr layer = layer_from_envelope(*it);
  auto cell = std::dynamic_pointer_cast<RNNCellImpl>(layer);
  if (!cell)
    throw NotImplementedError("RNN cell class '" + it->value("class_name", std::string("?")) +
                              "' is not supported by keras-cpp (built-in cells only)");
  return std::make_shared<RNNImpl>(cell, RNNSettings::from_config(config), base_options_from_config(config), "rnn");
}

Json RNNImpl::rnn_base_config() const {
  Json config = base_config();
  config["return_sequences"] = settings_.return_sequences;
  config["return_state"] = settings_.return_state;
  config["go_backwards"] = settings_.go_backwards;
  config["stateful"] = settings_.stateful;
  config["unroll"] = settings_.unroll;
  config["zero_output_for_mask"] = settings_.zero_output_for_mask;
  return config;
}

Json RNNImpl::get_config() const {
  Json config = rnn_base_config();
  config["cell"] = envelope_of(*cell_);
  return config;
}

void RNNImpl::before_symbolic_call(const SpecArgs& args) {
  if (built()) return;
  initial_state_shape_ = initial_state_shapes(args);
  build_for({args.tensor(0).shape});
}

void RNNImpl::build_from_config(const Json& build_config) {
  if (built()) return;
  if (auto shape = read_recurrent_build_config(build_config, initial_state_shape_, name())) build_for({*shape});
}

void RNNImpl::build(const std::vector<Shape>& input_shapes) {
  const Shape& shape = input_shapes.at(0);
  if (shape.size() < 3)
    throw ValueError("Layer '" + name() + "' expects inputs of rank >= 3 (batch, timesteps, features), got " +
                     shape_to_string(shape));
  Shape step = {shape[0]};
  step.insert(step.end(), shape.begin() + 2, shape.end());
  if (!cell_->built()) cell_->build_for({step});
}

std::vector<TensorSpec> RNNImpl::compute_output_spec(const SpecArgs& args) {
  const Shape& in = args.tensor(0).shape;
  if (in.size() < 3) throw ValueError("Layer '" + name() + "' expects inputs of rank >= 3, got " + shape_to_string(in));
  if (!cell_->built()) {
    Shape step = {in[0]};
    step.insert(step.end(), in.begin() + 2, in.end());
    cell_->build_for({step});
  }
  const DType dtype = compute_dtype();
  auto states = cell_->state_shapes();
  Shape out_sample = external_state_shape(states.at(cell_->output_state()));
  Shape output = {in[0]};
  if (settings_.return_sequences) output.push_back(in[1]);
  output.insert(output.end(), out_sample.begin(), out_sample.end());
  std::vector<TensorSpec> specs = {TensorSpec{output, dtype}};
  if (settings_.return_state) {
    for (const auto& s : states) {
      Shape state = {in[0]};
      Shape ext = external_state_shape(s);
      state.insert(state.end(), ext.begin(), ext.end());
      specs.push_back(TensorSpec{state, dtype});
    }
  }
  return specs;
}

void RNNImpl::check_sequence_shape(const Shape& shape) const {
  if (shape.size() < 3)
    throw ShapeMismatchError("Layer '" + name() + "' expects inputs of rank >= 3, got shape " + shape_to_string(shape));
  if (shape[1] <= 0) throw ValueError("Layer '" + name() + "' received a sequence with no timesteps");
}

RNNImpl::Result RNNImpl::run(const Tensor& sequence, const Tensor& mask_in, std::vector<Tensor> initial_states) {
  check_sequence_shape(sequence.shape());
  const std::int64_t batch = sequence.dim(0);
  const std::int64_t steps = sequence.dim(1);
  const auto state_shapes = cell_->state_shapes();

  // States: [B, *state]; zeros unless given.
  std::vector<Tensor> states;
  if (initial_states.empty()) {
    for (const auto& s : state_shapes) {
      Shape full = {batch};
      full.insert(full.end(), s.begin(), s.end());
      states.emplace_back(full);
    }
  } else {
    if (initial_states.size() != state_shapes.size())
      throw ValueError("Layer '" + name() + "' expects " + std::to_string(state_shapes.size()) +
                       " initial state(s), got " + std::to_string(initial_states.size()));
    for (std::size_t i = 0; i < initial_states.size(); ++i) {
      Tensor s = as_float(to_internal(initial_states[i]));
      Shape full = {batch};
      full.insert(full.end(), state_shapes[i].begin(), state_shapes[i].end());
      if (s.shape() != full)
        throw ShapeMismatchError("Layer '" + name() + "': initial state " + std::to_string(i) + " has shape " +
                                 shape_to_string(s.shape()) + ", expected " + shape_to_string(full));
      states.push_back(s);
    }
  }

  const std::vector<std::uint8_t> keep = kept_steps(mask_in, batch, steps, name());
  // Without a mask (or with one that keeps every step) the whole sequence can run as one oneDNN
  // primitive, where the cell's math allows.
  if (std::all_of(keep.begin(), keep.end(), [](std::uint8_t k) { return k != 0; })) {
    if (auto fused = cell_->run_sequence_fused(sequence, states, settings_.go_backwards, settings_.return_sequences))
      return Result{fused->states.at(cell_->output_state()), std::move(fused->sequence), std::move(fused->states)};
  }

  Tensor projected = cell_->project_inputs(sequence);  // [T, B, *proj]
  Shape step_shape(projected.shape().begin() + 1, projected.shape().end());
  const std::int64_t step_size = shape_size(step_shape);
  const std::size_t out_state = cell_->output_state();
  const std::int64_t out_sample = per_sample_size(state_shapes.at(out_state));
  Tensor outputs;
  if (settings_.return_sequences) {
    Shape out_shape = {batch, steps};
    out_shape.insert(out_shape.end(), state_shapes[out_state].begin(), state_shapes[out_state].end());
    outputs = Tensor(out_shape);
  }
  Tensor last_output;
  for (std::int64_t k = 0; k < steps; ++k) {
    const std::int64_t t = settings_.go_backwards ? steps - 1 - k : k;
    Tensor x_t(step_shape);
    std::memcpy(x_t.data<float>(), projected.data<float>() + t * step_size,
                static_cast<std::size_t>(step_size) * sizeof(float));
    std::vector<Tensor> next = cell_->step(x_t, states);
    Tensor output = next.at(out_state);
    if (!keep.empty()) {
      bool any_masked = false;
      for (std::int64_t b = 0; b < batch; ++b) any_masked |= keep[static_cast<std::size_t>(b * steps + t)] == 0;
      if (any_masked) {
        // Masked samples keep their states; their output is the previous output (held by the output state) or zeros.
        output = output.clone();
        for (auto& s : next) s = s.clone();
        for (std::int64_t b = 0; b < batch; ++b) {
          if (keep[static_cast<std::size_t>(b * steps + t)] != 0) continue;
          float* out_row = output.data<float>() + b * out_sample;
          if (settings_.zero_output_for_mask) {
            std::memset(out_row, 0, static_cast<std::size_t>(out_sample) * sizeof(float));
          } else {
            std::memcpy(out_row, states[out_state].data<float>() + b * out_sample,
                        static_cast<std::size_t>(out_sample) * sizeof(float));
          }
          for (std::size_t i = 0; i < next.size(); ++i) {
            const std::int64_t n = per_sample_size(state_shapes[i]);
            std::memcpy(next[i].data<float>() + b * n, states[i].data<float>() + b * n,
                        static_cast<std::size_t>(n) * sizeof(float));
          }
        }
      }
    }
    states = std::move(next);
    if (settings_.return_sequences) {
      // Outputs stay in processing order: with go_backwards the sequence comes out reversed.
      for (std::int64_t b = 0; b < batch; ++b)
        std::memcpy(outputs.data<float>() + (b * steps + k) * out_sample, output.data<float>() + b * out_sample,
                    static_cast<std::size_t>(out_sample) * sizeof(float));
    }
    last_output = output;
  }
  return Result{last_output, outputs, states};
}

std::vector<Tensor> RNNImpl::call(const CallArgs& args) {
  if (args.training && cell_->has_dropout()) {
    // Training with the cell's dropout: the tape's computation on constants (one implementation of the masks).
    std::vector<ad::Var> constants(args.tensors.begin(), args.tensors.end());
    TapeVariables none;
    std::vector<Tensor> out;
    for (const auto& v : call_tape(args, constants, none)) out.push_back(v.value());
    return out;
  }
  Tensor sequence = as_float(args.tensor(0));
  Tensor mask;
  if (const Json* m = args.kwarg("mask")) {
    auto masks = tensors_of(args, *m);  // Keras takes the first of a nested mask
    if (!masks.empty()) mask = masks.front();
  }
  std::vector<Tensor> initial;
  if (const Json* s = args.kwarg("initial_state")) initial = tensors_of(args, *s);
  if (initial.empty() && args.num_args() > 1) initial = tensors_of(args, args.args[1]);

  Result r = run(sequence, mask, std::move(initial));
  const DType dtype = compute_dtype();
  auto finish = [&](const Tensor& t, bool is_sequence) {
    Tensor out = to_external(t, is_sequence);
    return dtype == DType::float32 ? out : out.astype(dtype);
  };
  std::vector<Tensor> out;
  out.push_back(settings_.return_sequences ? finish(r.outputs, true) : finish(r.last_output, false));
  if (settings_.return_state) {
    for (const auto& s : r.states) out.push_back(finish(s, false));
  }
  return out;
}

std::vector<ad::Var> RNNImpl::call_tape(const CallArgs& args, const std::vector<ad::Var>& tensors,
                                        TapeVariables& variables) {
  if (!cell_->has_tape())
    throw NotImplementedError("keras-cpp has no backward pass for " + class_name() + " '" + name() + "' (its " +
                              cell_->class_name() + "): a model cannot be trained through it");
  const bool dropout = args.training && cell_->has_dropout();
  ad::Var sequence = tape_arg(args, tensors, 0);
  if (sequence.dtype() != DType::float32) sequence = ad::cast(sequence, DType::float32);
  check_sequence_shape(sequence.shape());
  const std::int64_t batch = sequence.dim(0);
  const std::int64_t steps = sequence.dim(1);
  Tensor mask;
  if (const Json* m = args.kwarg("mask")) {
    auto masks = tensors_of(args, *m);
    if (!masks.empty()) mask = masks.front();
  }
  std::vector<ad::Var> initial;
  if (const Json* st = args.kwarg("initial_state")) initial = vars_of(*st, tensors);
  if (initial.empty() && args.num_args() > 1) initial = vars_of(args.args[1], tensors);

  const auto state_shapes = cell_->state_shapes();
  auto full_shape = [&](const Shape& per_sample) {
    Shape full = {batch};
    full.insert(full.end(), per_sample.begin(), per_sample.end());
    return full;
  };
  std::vector<ad::Var> states;
  if (initial.empty()) {
    for (const auto& shape : state_shapes) states.emplace_back(Tensor::zeros(full_shape(shape)));
  } else {
    if (initial.size() != state_shapes.size())
      throw ValueError("Layer '" + name() + "' expects " + std::to_string(state_shapes.size()) +
                       " initial state(s), got " + std::to_string(initial.size()));
    for (std::size_t i = 0; i < initial.size(); ++i) {
      ad::Var state =
          to_internal_tape(initial[i].dtype() == DType::float32 ? initial[i] : ad::cast(initial[i], DType::float32));
      if (state.shape() != full_shape(state_shapes[i]))
        throw ShapeMismatchError("Layer '" + name() + "': initial state " + std::to_string(i) + " has shape " +
                                 shape_to_string(state.shape()) + ", expected " +
                                 shape_to_string(full_shape(state_shapes[i])));
      states.push_back(state);
    }
  }
  const std::vector<std::uint8_t> keep = kept_steps(mask, batch, steps, name());

  // The cell's dropout masks live for this call only (every step shares them).
  struct DropoutScope {
    RNNCellImpl* cell;
    ~DropoutScope() {
      if (cell != nullptr) cell->end_dropout();
    }
  } scope{dropout ? cell_.get() : nullptr};
  if (dropout) cell_->begin_dropout(batch, Shape(sequence.shape().begin() + 2, sequence.shape().end()));
  ad::Var projected = cell_->project_inputs_tape(sequence, variables);  // [T, B, *proj]
  const Shape step_shape(projected.shape().begin() + 1, projected.shape().end());
  const std::vector<ad::Var> inputs = ad::split(projected, steps, 0);
  const std::size_t out_state = cell_->output_state();
  std::vector<ad::Var> outputs;
  ad::Var last_output;
  for (std::int64_t k = 0; k < steps; ++k) {
    const std::int64_t t = settings_.go_backwards ? steps - 1 - k : k;
    std::vector<ad::Var> next =
        cell_->step_tape(ad::reshape(inputs[static_cast<std::size_t>(t)], step_shape), states, variables);
    ad::Var output = next.at(out_state);
    if (!keep.empty()) {
      std::vector<float> kept(static_cast<std::size_t>(batch));
      bool any_masked = false;
      for (std::int64_t b = 0; b < batch; ++b) {
        kept[static_cast<std::size_t>(b)] = keep[static_cast<std::size_t>(b * steps + t)];
        any_masked |= kept[static_cast<std::size_t>(b)] == 0.0F;
      }
      if (any_masked) {
        // As run(): masked samples keep their states; their output is the previous one or zeros.
        auto condition = [&](int rank) {
          Shape shape(static_cast<std::size_t>(rank), 1);
          shape[0] = batch;
          return Tensor::from_vector(shape, kept);
        };
        const ad::Var held =
            settings_.zero_output_for_mask ? ad::Var(Tensor::zeros(output.shape())) : states[out_state];
        output = ad::where(condition(output.rank()), output, held);
        for (std::size_t i = 0; i < next.size(); ++i)
          next[i] = ad::where(condition(next[i].rank()), next[i], states[i]);
      }
    }
    states = std::move(next);
    if (settings_.return_sequences) outputs.push_back(output);  // processing order, as run()
    last_output = output;
  }
  const DType dtype = compute_dtype();
  auto finish = [&](const ad::Var& v, bool is_sequence) {
    ad::Var out = to_external_tape(v, is_sequence);
    return dtype == DType::float32 ? out : ad::cast(out, dtype);
  };
  std::vector<ad::Var> out;
  out.push_back(settings_.return_sequences ? finish(ad::stack(outputs, 1), true) : finish(last_output, false));
  if (settings_.return_state) {
    for (const auto& state : states) out.push_back(finish(state, false));
  }
  return out;
}

// ---------------------------------------------------------------- SimpleRNN

namespace {
layers::SimpleRNNCellOptions simple_cell_options(const layers::SimpleRNNOptions& o) {
  return cell_options_of<layers::SimpleRNNCellOptions>(o, "simple_rnn_cell");
}
}  // namespace

SimpleRNNImpl::SimpleRNNImpl(std::int64_t units, const layers::SimpleRNNOptions& o)
    : RNNImpl(std::make_shared<SimpleRNNCellImpl>(units, simple_cell_options(o)), settings_of(o), base_of(o),
              "simple_rnn") {
  // Keras 3.16's SimpleRNN accepts activity_regularizer but never passes it on.
}

LayerPtr SimpleRNNImpl::from_config(const Json& config) {
  layers::SimpleRNNOptions o;
  read_common_options(config, o);
  o.activation = activation_from_config(config, "activation");
  o.use_bias = detail::config_value(config, "use_bias", true);
  return std::make_shared<SimpleRNNImpl>(required_int(config, "units", "SimpleRNN"), o);
}

Json SimpleRNNImpl::get_config() const {
  const auto& cell = static_cast<const SimpleRNNCellImpl&>(*cell_);
  Json config = rnn_base_config();
  config["units"] = cell.state_shapes().front().front();
  config["activation"] = activation_to_config(cell.activation());
  config["use_bias"] = cell.use_bias();
  write_cell_initializers(config, cell.common());
  write_cell_tail(config, cell.common(), activity_regularizer_);
  return config;
}

// --------------------------------------------------------------------- LSTM

namespace {
layers::LSTMCellOptions lstm_cell_options(const layers::LSTMOptions& o) {
  auto c = cell_options_of<layers::LSTMCellOptions>(o, "lstm_cell");
  c.recurrent_activation = o.recurrent_activation;
  c.unit_forget_bias = o.unit_forget_bias;
  c.implementation = o.implementation;
  return c;
}
}  // namespace

LSTMImpl::LSTMImpl(std::int64_t units, const layers::LSTMOptions& o)
    : RNNImpl(std::make_shared<LSTMCellImpl>(units, lstm_cell_options(o)), settings_of(o), base_of(o), "lstm") {
  set_activity_regularizer(activity_regularizer_, o.activity_regularizer);
}

LayerPtr LSTMImpl::from_config(const Json& config) {
  layers::LSTMOptions o;
  read_common_options(config, o);
  o.activation = activation_from_config(config, "activation");
  o.recurrent_activation = recurrent_activation_from_config(config);
  o.use_bias = detail::config_value(config, "use_bias", true);
  o.unit_forget_bias = detail::config_value(config, "unit_forget_bias", true);
  o.implementation = detail::config_value(config, "implementation", 2);  // Keras 2 configs carry it
  return std::make_shared<LSTMImpl>(required_int(config, "units", "LSTM"), o);
}

Json LSTMImpl::get_config() const {
  const auto& cell = static_cast<const LSTMCellImpl&>(*cell_);
  Json config = rnn_base_config();
  config["units"] = cell.state_shapes().front().front();
  config["activation"] = activation_to_config(cell.activation());
  config["recurrent_activation"] = activation_to_config(cell.recurrent_activation());
  config["use_bias"] = cell.use_bias();
  write_cell_initializers(config, cell.common());
  config["unit_forget_bias"] = cell.unit_forget_bias();
  write_cell_tail(config, cell.common(), activity_regularizer_);
  config["seed"] = cell.common().seed;
  return config;
}

// ---------------------------------------------------------------------- GRU

namespace {
layers::GRUCellOptions gru_cell_options(const layers::GRUOptions& o) {
  auto c = cell_options_of<layers::GRUCellOptions>(o, "gru_cell");
  c.recurrent_activation = o.recurrent_activation;
  c.reset_after = o.reset_after;
  c.implementation = o.implementation;
  return c;
}
}  // namespace

GRUImpl::GRUImpl(std::int64_t units, const layers::GRUOptions& o)
    : RNNImpl(std::make_shared<GRUCellImpl>(units, gru_cell_options(o)), settings_of(o), base_of(o), "gru") {
  set_activity_regularizer(activity_regularizer_, o.activity_regularizer);
}

LayerPtr GRUImpl::from_config(const Json& config) {
  layers::GRUOptions o;
  read_common_options(config, o);
  o.activation = activation_from_config(config, "activation");
  o.recurrent_activation = recurrent_activation_from_config(config);
  o.use_bias = detail::config_value(config, "use_bias", true);
  o.reset_after = detail::config_value(config, "reset_after", true);
  o.implementation = detail::config_value(config, "implementation", 2);  // Keras 2 configs carry it
  return std::make_shared<GRUImpl>(required_int(config, "units", "GRU"), o);
}

Json GRUImpl::get_config() const {
  const auto& cell = static_cast<const GRUCellImpl&>(*cell_);
  Json config = rnn_base_config();
  config["units"] = cell.state_shapes().front().front();
  config["activation"] = activation_to_config(cell.activation());
  config["recurrent_activation"] = activation_to_config(cell.recurrent_activation());
  config["use_bias"] = cell.use_bias();
  write_cell_initializers(config, cell.common());
  write_cell_tail(config, cell.common(), activity_regularizer_);
  config["reset_after"] = cell.reset_after();
  config["seed"] = cell.common().seed;
  return config;
}

// ----------------------------------------------------------------- ConvLSTM

namespace {
std::shared_ptr<ConvLSTMCellImpl> make_conv_lstm_cell(int rank, std::int64_t filters,
                                                      std::vector<std::int64_t> kernel_size,
                                                      const layers::ConvLSTMOptions& o) {
  ConvLSTMCellSettings s;
  s.rank = rank;
  s.filters = filters;
  s.kernel_size = std::move(kernel_size);
  s.strides = o.strides;
  s.padding = o.padding;
  s.data_format = o.data_format.value_or("channels_last");
  s.dilation_rate = o.dilation_rate;
  s.activation = o.activation;
  s.recurrent_activation = o.recurrent_activation;
  s.use_bias = o.use_bias;
  s.unit_forget_bias = o.unit_forget_bias;
  // Keras passes only the dtype on to the ConvLSTM cell (not `trainable`).
  return std::make_shared<ConvLSTMCellImpl>(std::move(s), cell_common_of(o),
                                            LayerBaseOptions{"conv_lstm_cell", o.dtype, true});
}
}  // namespace

ConvLSTMImpl::ConvLSTMImpl(int rank, std::int64_t filters, std::vector<std::int64_t> kernel_size,
                           const layers::ConvLSTMOptions& o)
    : RNNImpl(make_conv_lstm_cell(rank, filters, std::move(kernel_size), o), settings_of(o), base_of(o),
              "conv_lstm" + std::to_string(rank) + "d"),
      rank_(rank) {
  set_activity_regularizer(activity_regularizer_, o.activity_regularizer);
}

LayerPtr ConvLSTMImpl::from_config(int rank, const Json& config) {
  const std::string what = "ConvLSTM" + std::to_string(rank) + "D";
  const auto n = static_cast<std::size_t>(rank);
  layers::ConvLSTMOptions o;
  read_common_options(config, o);
  o.strides = int_tuple(config, "strides", n, what, 1);
  o.padding = detail::config_value(config, "padding", std::string("valid"));
  if (auto it = config.find("data_format"); it != config.end() && it->is_string())
    o.data_format = it->get<std::string>();
  o.dilation_rate = int_tuple(config, "dilation_rate", n, what, 1);
  o.activation = activation_from_config(config, "activation");
  o.recurrent_activation = recurrent_activation_from_config(config);
  o.use_bias = detail::config_value(config, "use_bias", true);
  o.unit_forget_bias = detail::config_value(config, "unit_forget_bias", true);
  return std::make_shared<ConvLSTMImpl>(rank, required_int(config, "filters", what),
                                        int_tuple(config, "kernel_size", n, what), o);
}

Json ConvLSTMImpl::get_config() const {
  const auto& cell = static_cast<const ConvLSTMCellImpl&>(*cell_);
  const auto& s = cell.settings();
  Json config = rnn_base_config();
  config["filters"] = s.filters;
  config["kernel_size"] = ints_to_json(s.kernel_size);
  config["strides"] = ints_to_json(s.strides);
  config["padding"] = s.padding;
  config["data_format"] = s.data_format;
  config["dilation_rate"] = ints_to_json(s.dilation_rate);
  config["activation"] = activation_to_config(s.activation);
  config["recurrent_activation"] = activation_to_config(s.recurrent_activation);
  config["use_bias"] = s.use_bias;
  write_cell_initializers(config, cell.common());
  config["unit_forget_bias"] = s.unit_forget_bias;
  write_cell_tail(config, cell.common(), activity_regularizer_);
  config["seed"] = cell.common().seed;
  return config;
}

bool ConvLSTMImpl::channels_first() const {
  return static_cast<const ConvLSTMCellImpl&>(*cell_).settings().data_format == "channels_first";
}

Shape ConvLSTMImpl::external_state_shape(const Shape& internal) const {
  if (!channels_first()) return internal;
  Shape out = {internal.back()};
  out.insert(out.end(), internal.begin(), internal.end() - 1);
  return out;
}

namespace {

// channels_first layouts: the cell's last (channel) axis moves to just after
// the `lead` batch (and time) axes, and back.
std::vector<int> channels_to_front(int rank, int lead) {
  std::vector<int> perm;
  for (int i = 0; i < lead; ++i) perm.push_back(i);
  perm.push_back(rank - 1);
  for (int i = lead; i < rank - 1; ++i) perm.push_back(i);
  return perm;
}

std::vector<int> channels_to_back(int rank) {
  std::vector<int> perm = {0};
  for (int i = 2; i < rank; ++i) perm.push_back(i);
  perm.push_back(1);
  return perm;
}

}  // namespace

Tensor ConvLSTMImpl::to_external(const Tensor& value, bool is_sequence) const {
  if (!channels_first()) return value;
  return kernels::transpose(value, channels_to_front(value.rank(), is_sequence ? 2 : 1));
}

Tensor ConvLSTMImpl::to_internal(const Tensor& state) const {
  if (!channels_first()) return state;
  return kernels::transpose(state, channels_to_back(state.rank()));
}

ad::Var ConvLSTMImpl::to_external_tape(const ad::Var& value, bool is_sequence) const {
  if (!channels_first()) return value;
  return ad::transpose(value, channels_to_front(value.rank(), is_sequence ? 2 : 1));
}

ad::Var ConvLSTMImpl::to_internal_tape(const ad::Var& state) const {
  if (!channels_first()) return state;
  return ad::transpose(state, channels_to_back(state.rank()));
}

}  // namespace keras::detail

// ------------------------------------------------------------------ handles

namespace keras::layers {

SimpleRNNCell::SimpleRNNCell(std::int64_t units, const SimpleRNNCellOptions& options)
    : LayerRef(std::make_shared<detail::SimpleRNNCellImpl>(units, options)) {}
LSTMCell::LSTMCell(std::int64_t units, const LSTMCellOptions& options)
    : LayerRef(std::make_shared<detail::LSTMCellImpl>(units, options)) {}
GRUCell::GRUCell(std::int64_t units, const GRUCellOptions& options)
    : LayerRef(std::make_shared<detail::GRUCellImpl>(units, options)) {}

RNN::RNN(const LayerRef& cell, const RNNOptions& o) {
  auto impl = std::dynamic_pointer_cast<detail::RNNCellImpl>(cell.ptr());
  if (!impl) throw ValueError("keras::layers::RNN needs a built-in cell (SimpleRNNCell, LSTMCell or GRUCell)");
  layer_ = std::make_shared<detail::RNNImpl>(impl,
                                             detail::RNNSettings{o.return_sequences, o.return_state, o.go_backwards,
                                                                 o.stateful, o.unroll, o.zero_output_for_mask},
                                             LayerBaseOptions{o.name, o.dtype, o.trainable}, "rnn");
}

RNN::RNN(const std::vector<LayerRef>& cells, const RNNOptions& options)
    : RNN(StackedRNNCells(cells), options) {}  // Keras stacks any list, even of one cell

SimpleRNN::SimpleRNN(std::int64_t units, const SimpleRNNOptions& options)
    : LayerRef(std::make_shared<detail::SimpleRNNImpl>(units, options)) {}
LSTM::LSTM(std::int64_t units, const LSTMOptions& options)
    : LayerRef(std::make_shared<detail::LSTMImpl>(units, options)) {}
GRU::GRU(std::int64_t units, const GRUOptions& options) : LayerRef(std::make_shared<detail::GRUImpl>(units, options)) {}

ConvLSTM1D::ConvLSTM1D(std::int64_t filters, std::vector<std::int64_t> kernel_size, const ConvLSTMOptions& options)
    : LayerRef(std::make_shared<detail::ConvLSTMImpl>(1, filters, std::move(kernel_size), options)) {}
ConvLSTM2D::ConvLSTM2D(std::int64_t filters, std::vector<std::int64_t> kernel_size, const ConvLSTMOptions& options)
    : LayerRef(std::make_shared<detail::ConvLSTMImpl>(2, filters, std::move(kernel_size), options)) {}
ConvLSTM3D::ConvLSTM3D(std::int64_t filters, std::vector<std::int64_t> kernel_size, const ConvLSTMOptions& options)
    : LayerRef(std::make_shared<detail::ConvLSTMImpl>(3, filters, std::move(kernel_size), options)) {}

}  // namespace keras::layers
