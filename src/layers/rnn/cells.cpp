// RNN cells (keras/src/layers/rnn/{simple_rnn,lstm,gru,conv_lstm}.py).
#include "layers/rnn/cells.hpp"

#include <algorithm>
#include <cstring>

#include "keras/regularizers.hpp"
#include "layers/config_utils.hpp"
#include "ops/activations.hpp"
#include "ops/linalg.hpp"
#include "ops/shape_ops.hpp"

namespace keras::detail {

namespace {

// LSTM's bias initializer with unit_forget_bias: [init(u), ones(u), init(2u)].
class UnitForgetBiasInitializer final : public initializers::InitializerImpl {
 public:
  UnitForgetBiasInitializer(initializers::Initializer base, std::int64_t units)
      : base_(std::move(base)), units_(units) {}
  std::string class_name() const override { return "UnitForgetBias"; }
  Json get_config() const override { return Json::object(); }
  Tensor generate(const Shape& /*shape*/, DType dtype) const override {
    Tensor a = base_({units_}, DType::float32);
    Tensor b = Tensor::full({units_}, 1.0F);
    Tensor c = base_({2 * units_}, DType::float32);
    return kernels::concatenate({a, b, c}, 0).astype(dtype);
  }

 private:
  initializers::Initializer base_;
  std::int64_t units_;
};

initializers::Initializer initializer_or(const Json& config, const std::string& key,
                                         const initializers::Initializer& fallback) {
  auto it = config.find(key);
  if (it == config.end() || it->is_null()) return fallback;
  return initializers::get(*it);
}

Json json_or_null(const Json& config, const std::string& key) {
  return detail::config_value(config, key, Json(nullptr));
}

std::int64_t positive_units(std::int64_t units, const std::string& what) {
  if (units <= 0)
    throw ValueError("Received an invalid value for argument `units` of " + what +
                     ", expected a positive integer, got " + std::to_string(units) + ".");
  return units;
}

// x_t + h @ recurrent_kernel as a fresh [B, N] tensor.
Tensor add_recurrent(const Tensor& x_t, const Tensor& h, const Tensor& recurrent_kernel) {
  Tensor z = kernels::matmul(h, recurrent_kernel);
  float* pz = z.data<float>();
  const float* px = x_t.data<float>();
  const std::int64_t n = z.size();
  for (std::int64_t i = 0; i < n; ++i) pz[i] += px[i];
  return z;
}

// sequence [B, T, F] -> (x . kernel + bias) laid out [T, B, N].
Tensor project_dense(const Tensor& sequence, const Tensor& kernel, const Tensor& bias) {
  Tensor x = sequence.dtype() == DType::float32 ? sequence : sequence.astype(DType::float32);
  Tensor projected = kernels::dense(x, kernel, bias);
  return kernels::transpose(projected, {1, 0, 2});
}

Json base_cell_keys_tail(const CellCommon& c, Json config) {
  config["kernel_regularizer"] = c.kernel_regularizer;
  config["recurrent_regularizer"] = c.recurrent_regularizer;
  config["bias_regularizer"] = c.bias_regularizer;
  config["kernel_constraint"] = c.kernel_constraint;
  config["recurrent_constraint"] = c.recurrent_constraint;
  config["bias_constraint"] = c.bias_constraint;
  config["dropout"] = c.dropout;
  config["recurrent_dropout"] = c.recurrent_dropout;
  return config;
}

// Options of a cell from its config: base options and CellCommon keys; the
// caller adds the cell's own keys.
template <typename Options>
Options cell_options_from_config(const Json& config) {
  Options o;
  auto base = Layer::base_options_from_config(config);
  o.name = base.name;
  o.dtype = base.dtype;
  o.trainable = base.trainable;
  CellCommon c = CellCommon::from_config(config);
  assign_cell_common(o, c);
  // A cell ignores a seed that is not an integer (the layers refuse it).
  if (c.seed.is_number_integer()) o.seed = c.seed.get<std::int64_t>();
  return o;
}

template <typename Options>
CellCommon normalized_common(const Options& o) {
  CellCommon c = cell_common_of(o);
  c.normalize();
  return c;
}

// LSTM-style bias initializer: with unit_forget_bias the forget-gate quarter starts at 1.
initializers::Initializer lstm_bias_initializer(const initializers::Initializer& base, bool unit_forget_bias,
                                                std::int64_t units) {
  if (!unit_forget_bias) return base;
  return initializers::Initializer(std::make_shared<UnitForgetBiasInitializer>(base, units));
}

void check_step_input(const Shape& shape, const std::string& layer) {
  if (shape.empty() || shape.back() < 0)
    throw ValueError("The cell '" + layer + "' needs a known last input dimension, got input shape " +
                     shape_to_string(shape));
}

}  // namespace

// ------------------------------------------------------------------ common

void CellCommon::normalize() {
  kernel_regularizer = regularizers::get(kernel_regularizer);
  recurrent_regularizer = regularizers::get(recurrent_regularizer);
  bias_regularizer = regularizers::get(bias_regularizer);
  kernel_constraint = constraints::get(kernel_constraint);
  recurrent_constraint = constraints::get(recurrent_constraint);
  bias_constraint = constraints::get(bias_constraint);
  dropout = std::min(1.0, std::max(0.0, dropout));
  recurrent_dropout = std::min(1.0, std::max(0.0, recurrent_dropout));
  if (!seed.is_null() && !seed.is_number_integer())
    throw ValueError("An RNN seed must be an integer or null, got " + seed.dump());
}

CellCommon CellCommon::from_config(const Json& config) {
  CellCommon c;
  c.kernel_initializer = initializer_or(config, "kernel_initializer", c.kernel_initializer);
  c.recurrent_initializer = initializer_or(config, "recurrent_initializer", c.recurrent_initializer);
  c.bias_initializer = initializer_or(config, "bias_initializer", c.bias_initializer);
  c.kernel_regularizer = json_or_null(config, "kernel_regularizer");
  c.recurrent_regularizer = json_or_null(config, "recurrent_regularizer");
  c.bias_regularizer = json_or_null(config, "bias_regularizer");
  c.kernel_constraint = json_or_null(config, "kernel_constraint");
  c.recurrent_constraint = json_or_null(config, "recurrent_constraint");
  c.bias_constraint = json_or_null(config, "bias_constraint");
  c.dropout = number_or(config, "dropout", 0.0);
  c.recurrent_dropout = number_or(config, "recurrent_dropout", 0.0);
  c.seed = json_or_null(config, "seed");
  return c;
}

std::string recurrent_activation_from_config(const Json& config) {
  return config.contains("recurrent_activation") ? activation_from_config(config, "recurrent_activation")
                                                 : std::string("sigmoid");
}

void write_cell_initializers(Json& config, const CellCommon& c) {
  config["kernel_initializer"] = c.kernel_initializer.serialize();
  config["recurrent_initializer"] = c.recurrent_initializer.serialize();
  config["bias_initializer"] = c.bias_initializer.serialize();
}

ad::Var RNNCellImpl::project_inputs_tape(const ad::Var& /*sequence*/, TapeVariables& /*variables*/) {
  throw NotImplementedError("keras-cpp has no backward pass for " + class_name() + " '" + name() +
                            "': a model cannot be trained through it");
}

std::vector<ad::Var> RNNCellImpl::step_tape(const ad::Var& /*x_t*/, const std::vector<ad::Var>& /*states*/,
                                            TapeVariables& /*variables*/) {
  throw NotImplementedError("keras-cpp has no backward pass for " + class_name() + " '" + name() +
                            "': a model cannot be trained through it");
}

std::optional<kernels::PreparedRecurrent::Result> RNNCellImpl::run_sequence_fused(const Tensor& /*sequence*/,
                                                                                  const std::vector<Tensor>& /*states*/,
                                                                                  bool /*reverse*/,
                                                                                  bool /*want_sequence*/) {
  return std::nullopt;
}

std::optional<kernels::PreparedRecurrent::Result> RNNCellImpl::run_fused(
    kernels::RecurrentCell cell, const std::string& activation, const std::string& recurrent_activation,
    const VariablePtr& kernel, const VariablePtr& recurrent_kernel, const VariablePtr& bias, std::int64_t units,
    const Tensor& sequence, const std::vector<Tensor>& states, bool reverse, bool want_sequence) {
  // Dropout masks and quantized or non-float32 variables stay on the step loop.
  if (!input_masks_.empty() || !recurrent_masks_.empty() || sequence.rank() != 3 || sequence.dim(0) == 0 ||
      sequence.dtype() != DType::float32 || !kernel || !recurrent_kernel || kernel->value().dtype() != DType::float32 ||
      recurrent_kernel->value().dtype() != DType::float32 || (bias && bias->value().dtype() != DType::float32) ||
      !kernels::recurrent_primitive_supports(cell, activation, recurrent_activation))
    return std::nullopt;
  kernels::RecurrentShape shape;
  shape.cell = cell;
  shape.units = units;
  shape.reverse = reverse;
  shape.simple_activation = activation;
  return fused_->run(shape, kernel, recurrent_kernel, bias, sequence, states, want_sequence);
}

// ----------------------------------------------------------------- dropout

namespace {

// Keras' backend.random.dropout of ones: 0 or 1 / (1 - rate) per entry.
Tensor dropout_mask(const Shape& shape, double rate, std::optional<std::uint64_t> seed) {
  const auto keep = static_cast<float>(1.0 - rate);
  Tensor kept = kernels::less(random::uniform(shape, 0.0F, 1.0F, seed), Tensor::scalar(keep));
  return kernels::where(kept, Tensor::scalar(1.0F / keep), Tensor::scalar(0.0F));
}

}  // namespace

void RNNCellImpl::begin_dropout(std::int64_t batch, const Shape& step_input) {
  end_dropout();
  auto next_seed = [&]() -> std::optional<std::uint64_t> {
    if (!common_.seed.is_number_integer()) return std::nullopt;
    return static_cast<std::uint64_t>(common_.seed.get<std::int64_t>()) * 1000003ULL + dropout_draws_++;
  };
  auto full = [&](const Shape& per_sample) {
    Shape shape = {batch};
    shape.insert(shape.end(), per_sample.begin(), per_sample.end());
    return shape;
  };
  // Keras applies them only for 0 < rate < 1: the inputs' masks, then the first state's.
  for (std::size_t i = 0; i < dropout_mask_count(); ++i) {
    if (common_.dropout > 0.0 && common_.dropout < 1.0)
      input_masks_.push_back(dropout_mask(full(step_input), common_.dropout, next_seed()));
  }
  for (std::size_t i = 0; i < dropout_mask_count(); ++i) {
    if (common_.recurrent_dropout > 0.0 && common_.recurrent_dropout < 1.0)
      recurrent_masks_.push_back(dropout_mask(full(state_shapes().at(0)), common_.recurrent_dropout, next_seed()));
  }
}

void RNNCellImpl::end_dropout() {
  input_masks_.clear();
  recurrent_masks_.clear();
}

ad::Var RNNCellImpl::masked_projection(const ad::Var& sequence, const ad::Var& kernel, const ad::Var& bias) const {
  auto masked = [&](std::size_t i) {
    return input_masks_.empty() ? sequence : sequence * ad::Var(kernels::expand_dims(input_masks_[i], 1));
  };
  if (input_masks_.size() <= 1) return ad::transpose(ad::dense(masked(0), kernel, bias), {1, 0, 2});
  const auto parts = static_cast<std::int64_t>(input_masks_.size());
  const std::int64_t width = kernel.dim(1) / parts;
  std::vector<ad::Var> gates;
  for (std::int64_t g = 0; g < parts; ++g) {
    ad::Var k = ad::slice(kernel, {0, g * width}, {kernel.dim(0), width});
    ad::Var b = bias.defined() ? ad::slice(bias, {g * width}, {width}) : ad::Var();
    gates.push_back(ad::dense(masked(static_cast<std::size_t>(g)), k, b));
  }
  return ad::transpose(ad::concatenate(gates, -1), {1, 0, 2});
}

ad::Var RNNCellImpl::masked_state(const ad::Var& h, std::size_t index) const {
  if (recurrent_masks_.empty()) return h;
  return h * ad::Var(recurrent_masks_.size() == 1 ? recurrent_masks_.front() : recurrent_masks_.at(index));
}

ad::Var RNNCellImpl::masked_recurrent(const ad::Var& h, const ad::Var& recurrent_kernel, std::size_t first_mask) const {
  if (recurrent_masks_.size() <= 1) return ad::matmul(masked_state(h, 0), recurrent_kernel);
  const std::int64_t units = recurrent_kernel.dim(0);
  const std::int64_t parts = recurrent_kernel.dim(1) / units;
  std::vector<ad::Var> gates;
  for (std::int64_t g = 0; g < parts; ++g)
    gates.push_back(ad::matmul(masked_state(h, first_mask + static_cast<std::size_t>(g)),
                               ad::slice(recurrent_kernel, {0, g * units}, {units, units})));
  return ad::concatenate(gates, -1);
}

// ------------------------------------------------------------ a cell alone

namespace {

void collect_refs(const Json& value, std::vector<std::size_t>& out) {
  if (CallArgs::is_ref(value)) {
    out.push_back(value.at("__tensor__").get<std::size_t>());
  } else if (value.is_array()) {
    for (const auto& item : value) collect_refs(item, out);
  } else if (!value.is_null()) {
    throw ValueError("Expected a tensor or a list of tensors as an RNN cell's states, got " + value.dump());
  }
}

Shape with_batch(std::int64_t batch, const Shape& per_sample) {
  Shape full = {batch};
  full.insert(full.end(), per_sample.begin(), per_sample.end());
  return full;
}

}  // namespace

std::vector<std::size_t> RNNCellImpl::state_indices(const Json& args, const Json& kwargs,
                                                    const std::vector<Shape>& shapes, std::int64_t batch) const {
  std::vector<std::size_t> refs;
  if (args.size() > 1)
    collect_refs(args[1], refs);
  else if (auto it = kwargs.find("states"); it != kwargs.end())
    collect_refs(*it, refs);
  const auto expected = state_shapes();
  if (refs.size() != expected.size())
    throw ValueError("The cell '" + name() + "' (" + class_name() + ") expects " + std::to_string(expected.size()) +
                     " state(s), got " + std::to_string(refs.size()));
  for (std::size_t i = 0; i < refs.size(); ++i) {
    const Shape& shape = shapes.at(refs[i]);
    const Shape want = with_batch(batch, expected[i]);
    bool same = shape.size() == want.size();
    for (std::size_t d = 0; same && d < shape.size(); ++d) same = shape[d] == want[d] || shape[d] < 0 || want[d] < 0;
    if (!same)
      throw ShapeMismatchError("The cell '" + name() + "': state " + std::to_string(i) + " has shape " +
                               shape_to_string(shape) + ", expected " + shape_to_string(want));
  }
  return refs;
}

std::vector<TensorSpec> RNNCellImpl::compute_output_spec(const SpecArgs& args) {
  const TensorSpec& input = args.tensor(0);
  if (input.shape.empty()) throw ValueError("The cell '" + name() + "' needs inputs [batch, ...], got a scalar");
  std::vector<Shape> shapes;
  for (const auto& t : args.tensors) shapes.push_back(t.shape);
  const std::int64_t batch = input.shape.front();
  state_indices(args.args, args.kwargs, shapes, batch);
  const auto states = state_shapes();
  std::vector<TensorSpec> specs = {TensorSpec{with_batch(batch, states.at(output_state())), compute_dtype()}};
  for (const auto& s : states) specs.push_back(TensorSpec{with_batch(batch, s), compute_dtype()});
  return specs;
}

std::vector<Tensor> RNNCellImpl::call(const CallArgs& args) {
  if (args.training && has_dropout()) {
    // Training with dropout: the tape's computation on constants (one implementation of the masks).
    std::vector<ad::Var> constants(args.tensors.begin(), args.tensors.end());
    TapeVariables none;
    std::vector<Tensor> out;
    for (const auto& v : call_tape(args, constants, none)) out.push_back(v.value());
    return out;
  }
  auto as_float = [](const Tensor& t) { return t.dtype() == DType::float32 ? t : t.astype(DType::float32); };
  const Tensor x = as_float(args.tensor(0));
  if (x.rank() < 2) throw ValueError("The cell '" + name() + "' needs inputs [batch, ...], got a scalar or vector");
  std::vector<Shape> shapes;
  for (const auto& t : args.tensors) shapes.push_back(t.shape());
  std::vector<Tensor> states;
  for (std::size_t i : state_indices(args.args, args.kwargs, shapes, x.dim(0)))
    states.push_back(as_float(args.tensors.at(i)));
  // One step: [B, *step] -> [B, 1, *step] -> [1, B, *projected] -> [B, *projected].
  Tensor projected = project_inputs(kernels::expand_dims(x, 1));
  Tensor step_input = projected.reshape(Shape(projected.shape().begin() + 1, projected.shape().end()));
  std::vector<Tensor> next = step(step_input, states);
  std::vector<Tensor> out = {next.at(output_state())};
  out.insert(out.end(), next.begin(), next.end());
  const DType dtype = compute_dtype();
  if (dtype != DType::float32)
    for (auto& t : out) t = t.astype(dtype);
  return out;
}

std::vector<ad::Var> RNNCellImpl::call_tape(const CallArgs& args, const std::vector<ad::Var>& tensors,
                                            TapeVariables& variables) {
  if (!has_tape())
    throw NotImplementedError("keras-cpp has no backward pass for " + class_name() + " '" + name() +
                              "': a model cannot be trained through it");
  auto as_float = [](const ad::Var& v) { return v.dtype() == DType::float32 ? v : ad::cast(v, DType::float32); };
  const ad::Var x = as_float(tape_arg(args, tensors, 0));
  if (x.rank() < 2) throw ValueError("The cell '" + name() + "' needs inputs [batch, ...], got a scalar or vector");
  std::vector<Shape> shapes;
  for (const auto& t : tensors) shapes.push_back(t.shape());
  std::vector<ad::Var> states;
  for (std::size_t i : state_indices(args.args, args.kwargs, shapes, x.dim(0)))
    states.push_back(as_float(tensors.at(i)));
  // In training the masks are drawn for this step, as a one-step sequence of an RNN draws them.
  struct DropoutScope {
    RNNCellImpl* cell;
    ~DropoutScope() {
      if (cell != nullptr) cell->end_dropout();
    }
  } scope{args.training && has_dropout() ? this : nullptr};
  if (scope.cell != nullptr) begin_dropout(x.dim(0), Shape(x.shape().begin() + 1, x.shape().end()));
  ad::Var projected = project_inputs_tape(ad::expand_dims(x, 1), variables);
  ad::Var step_input = ad::reshape(projected, Shape(projected.shape().begin() + 1, projected.shape().end()));
  std::vector<ad::Var> next = step_tape(step_input, states, variables);
  std::vector<ad::Var> out = {next.at(output_state())};
  out.insert(out.end(), next.begin(), next.end());
  const DType dtype = compute_dtype();
  if (dtype != DType::float32)
    for (auto& v : out) v = ad::cast(v, dtype);
  return out;
}

std::vector<Tensor> lstm_gates(const Tensor& z, const Tensor& c_prev, std::int64_t units, const std::string& activation,
                               const std::string& recurrent_activation) {
  const std::int64_t rows = c_prev.size() / units;
  Tensor gates = apply_activation(recurrent_activation, z);  // i, f and o are read from here
  Tensor candidates = apply_activation(activation, z);       // c is read from here
  Tensor c(c_prev.shape());
  const float* pg = gates.data<float>();
  const float* pa = candidates.data<float>();
  const float* pc = c_prev.data<float>();
  float* out_c = c.data<float>();
  for (std::int64_t r = 0; r < rows; ++r) {
    const float* g = pg + r * 4 * units;
    const float* a = pa + r * 4 * units;
    for (std::int64_t j = 0; j < units; ++j) {
      out_c[r * units + j] = g[units + j] * pc[r * units + j] + g[j] * a[2 * units + j];
    }
  }
  Tensor activated_c = apply_activation(activation, c);
  Tensor h(c_prev.shape());
  const float* pac = activated_c.data<float>();
  float* out_h = h.data<float>();
  for (std::int64_t r = 0; r < rows; ++r) {
    const float* g = pg + r * 4 * units;
    for (std::int64_t j = 0; j < units; ++j) out_h[r * units + j] = g[3 * units + j] * pac[r * units + j];
  }
  return {h, c};
}

// ------------------------------------------------------------- SimpleRNNCell

SimpleRNNCellImpl::SimpleRNNCellImpl(std::int64_t units, const layers::SimpleRNNCellOptions& o)
    : RNNCellImpl(LayerBaseOptions{o.name, o.dtype, o.trainable}, "simple_rnn_cell", normalized_common(o)),
      units_(positive_units(units, "SimpleRNNCell")),
      activation_(canonical_activation(o.activation)),
      use_bias_(o.use_bias) {}

LayerPtr SimpleRNNCellImpl::from_config(const Json& config) {
  auto o = cell_options_from_config<layers::SimpleRNNCellOptions>(config);
  o.activation = activation_from_config(config, "activation");
  o.use_bias = detail::config_value(config, "use_bias", true);
  return std::make_shared<SimpleRNNCellImpl>(required_int(config, "units", "SimpleRNNCell"), o);
}

Json SimpleRNNCellImpl::get_config() const {
  Json config = base_config();
  config["units"] = units_;
  config["activation"] = activation_to_config(activation_);
  config["use_bias"] = use_bias_;
  write_cell_initializers(config, common_);
  config = base_cell_keys_tail(common_, std::move(config));
  config["seed"] = common_.seed;
  return config;
}

void SimpleRNNCellImpl::build(const std::vector<Shape>& input_shapes) {
  const Shape& shape = input_shapes.at(0);
  check_step_input(shape, name());
  kernel_ = add_weight("kernel", {shape.back(), units_}, common_.kernel_initializer);
  recurrent_kernel_ = add_weight("recurrent_kernel", {units_, units_}, common_.recurrent_initializer);
  if (use_bias_) bias_ = add_weight("bias", {units_}, common_.bias_initializer);
}

Tensor SimpleRNNCellImpl::project_inputs(const Tensor& sequence) {
  return project_dense(sequence, kernel_->value(), bias_ ? bias_->value() : Tensor());
}

std::vector<Tensor> SimpleRNNCellImpl::step(const Tensor& x_t, const std::vector<Tensor>& states) {
  Tensor z = add_recurrent(x_t, states.at(0), recurrent_kernel_->value());
  return {apply_activation(activation_, z)};
}

std::optional<kernels::PreparedRecurrent::Result> SimpleRNNCellImpl::run_sequence_fused(
    const Tensor& sequence, const std::vector<Tensor>& states, bool reverse, bool want_sequence) {
  return run_fused(kernels::RecurrentCell::simple_rnn, activation_, "", kernel_, recurrent_kernel_, bias_, units_,
                   sequence, states, reverse, want_sequence);
}

ad::Var SimpleRNNCellImpl::project_inputs_tape(const ad::Var& sequence, TapeVariables& v) {
  return masked_projection(sequence, v(kernel_), bias_ ? v(bias_) : ad::Var());
}

std::vector<ad::Var> SimpleRNNCellImpl::step_tape(const ad::Var& x_t, const std::vector<ad::Var>& states,
                                                  TapeVariables& v) {
  return {ad::activation(activation_, x_t + masked_recurrent(states.at(0), v(recurrent_kernel_)))};
}

// ------------------------------------------------------------------ LSTMCell

LSTMCellImpl::LSTMCellImpl(std::int64_t units, const layers::LSTMCellOptions& o)
    : RNNCellImpl(LayerBaseOptions{o.name, o.dtype, o.trainable}, "lstm_cell", normalized_common(o)),
      units_(positive_units(units, "LSTMCell")),
      activation_(canonical_activation(o.activation)),
      recurrent_activation_(canonical_activation(o.recurrent_activation)),
      use_bias_(o.use_bias),
      unit_forget_bias_(o.unit_forget_bias),
      implementation_(common_.recurrent_dropout != 0.0 ? 1 : o.implementation) {}

LayerPtr LSTMCellImpl::from_config(const Json& config) {
  auto o = cell_options_from_config<layers::LSTMCellOptions>(config);
  o.activation = activation_from_config(config, "activation");
  o.recurrent_activation = recurrent_activation_from_config(config);
  o.use_bias = detail::config_value(config, "use_bias", true);
  o.unit_forget_bias = detail::config_value(config, "unit_forget_bias", true);
  o.implementation = detail::config_value(config, "implementation", 2);
  return std::make_shared<LSTMCellImpl>(required_int(config, "units", "LSTMCell"), o);
}

Json LSTMCellImpl::get_config() const {
  Json config = base_config();
  config["units"] = units_;
  config["activation"] = activation_to_config(activation_);
  config["recurrent_activation"] = activation_to_config(recurrent_activation_);
  config["use_bias"] = use_bias_;
  config["unit_forget_bias"] = unit_forget_bias_;
  write_cell_initializers(config, common_);
  config = base_cell_keys_tail(common_, std::move(config));
  config["seed"] = common_.seed;
  return config;
}

void LSTMCellImpl::build(const std::vector<Shape>& input_shapes) {
  const Shape& shape = input_shapes.at(0);
  check_step_input(shape, name());
  kernel_ = add_weight("kernel", {shape.back(), 4 * units_}, common_.kernel_initializer);
  recurrent_kernel_ = add_weight("recurrent_kernel", {units_, 4 * units_}, common_.recurrent_initializer);
  if (use_bias_) {
    bias_ =
        add_weight("bias", {4 * units_}, lstm_bias_initializer(common_.bias_initializer, unit_forget_bias_, units_));
  }
}

Tensor LSTMCellImpl::project_inputs(const Tensor& sequence) {
  return project_dense(sequence, kernel_->value(), bias_ ? bias_->value() : Tensor());
}

std::vector<Tensor> LSTMCellImpl::step(const Tensor& x_t, const std::vector<Tensor>& states) {
  Tensor z = add_recurrent(x_t, states.at(0), recurrent_kernel_->value());
  return lstm_gates(z, states.at(1), units_, activation_, recurrent_activation_);
}

std::optional<kernels::PreparedRecurrent::Result> LSTMCellImpl::run_sequence_fused(const Tensor& sequence,
                                                                                   const std::vector<Tensor>& states,
                                                                                   bool reverse, bool want_sequence) {
  return run_fused(kernels::RecurrentCell::lstm, activation_, recurrent_activation_, kernel_, recurrent_kernel_, bias_,
                   units_, sequence, states, reverse, want_sequence);
}

ad::Var LSTMCellImpl::project_inputs_tape(const ad::Var& sequence, TapeVariables& v) {
  return masked_projection(sequence, v(kernel_), bias_ ? v(bias_) : ad::Var());
}

// keras/src/layers/rnn/lstm.py: gates i, f, c, o in that order along the last axis.
std::vector<ad::Var> LSTMCellImpl::step_tape(const ad::Var& x_t, const std::vector<ad::Var>& states, TapeVariables& v) {
  const std::vector<ad::Var> z = ad::split(x_t + masked_recurrent(states.at(0), v(recurrent_kernel_)), 4, -1);
  const ad::Var i = ad::activation(recurrent_activation_, z[0]);
  const ad::Var f = ad::activation(recurrent_activation_, z[1]);
  const ad::Var c = f * states.at(1) + i * ad::activation(activation_, z[2]);
  const ad::Var o = ad::activation(recurrent_activation_, z[3]);
  return {o * ad::activation(activation_, c), c};
}

// ------------------------------------------------------------------- GRUCell

GRUCellImpl::GRUCellImpl(std::int64_t units, const layers::GRUCellOptions& o)
    : RNNCellImpl(LayerBaseOptions{o.name, o.dtype, o.trainable}, "gru_cell", normalized_common(o)),
      units_(positive_units(units, "GRUCell")),
      activation_(canonical_activation(o.activation)),
      recurrent_activation_(canonical_activation(o.recurrent_activation)),
      use_bias_(o.use_bias),
      reset_after_(o.reset_after),
      implementation_(common_.recurrent_dropout != 0.0 ? 1 : o.implementation) {}

LayerPtr GRUCellImpl::from_config(const Json& config) {
  auto o = cell_options_from_config<layers::GRUCellOptions>(config);
  o.activation = activation_from_config(config, "activation");
  o.recurrent_activation = recurrent_activation_from_config(config);
  o.use_bias = detail::config_value(config, "use_bias", true);
  o.reset_after = detail::config_value(config, "reset_after", true);
  o.implementation = detail::config_value(config, "implementation", 2);
  return std::make_shared<GRUCellImpl>(required_int(config, "units", "GRUCell"), o);
}

Json GRUCellImpl::get_config() const {
  Json config = base_config();
  config["units"] = units_;
  config["activation"] = activation_to_config(activation_);
  config["recurrent_activation"] = activation_to_config(recurrent_activation_);
  config["use_bias"] = use_bias_;
  write_cell_initializers(config, common_);
  config = base_cell_keys_tail(common_, std::move(config));
  config["reset_after"] = reset_after_;
  config["seed"] = common_.seed;
  return config;
}

void GRUCellImpl::build(const std::vector<Shape>& input_shapes) {
  const Shape& shape = input_shapes.at(0);
  check_step_input(shape, name());
  kernel_ = add_weight("kernel", {shape.back(), 3 * units_}, common_.kernel_initializer);
  recurrent_kernel_ = add_weight("recurrent_kernel", {units_, 3 * units_}, common_.recurrent_initializer);
  if (use_bias_) {
    Shape bias_shape = reset_after_ ? Shape{2, 3 * units_} : Shape{3 * units_};
    bias_ = add_weight("bias", bias_shape, common_.bias_initializer);
  }
}

Tensor GRUCellImpl::project_inputs(const Tensor& sequence) {
  Tensor input_bias;
  if (bias_) {
    const Tensor& b = bias_->value();
    // reset_after: row 0 is the input bias, row 1 the recurrent bias.
    input_bias =
        reset_after_ ? kernels::slice(b.astype(DType::float32), {0, 0}, {1, 3 * units_}).reshape({3 * units_}) : b;
  }
  return project_dense(sequence, kernel_->value(), input_bias);
}

std::vector<Tensor> GRUCellImpl::step(const Tensor& x_t, const std::vector<Tensor>& states) {
  const Tensor& h_prev = states.at(0);
  const std::int64_t u = units_;
  const std::int64_t rows = h_prev.size() / u;
  const Tensor& rk = recurrent_kernel_->value();
  Tensor inner;  // h_prev @ recurrent kernel (all three gates, or z and r only)
  if (reset_after_) {
    inner = kernels::matmul(h_prev, rk);
    if (bias_) {
      Tensor b = bias_->value().astype(DType::float32);
      const float* rb = b.data<float>() + 3 * u;
      float* pi = inner.data<float>();
      for (std::int64_t r = 0; r < rows; ++r)
        for (std::int64_t j = 0; j < 3 * u; ++j) pi[r * 3 * u + j] += rb[j];
    }
  } else {
    inner = kernels::matmul(h_prev, kernels::slice(rk, {0, 0}, {u, 2 * u}));
  }
  const std::int64_t inner_width = inner.dim(-1);
  // z and r pre-activations
  Tensor zr({rows, 2 * u});
  const float* px = x_t.data<float>();
  const float* pi = inner.data<float>();
  float* pzr = zr.data<float>();
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t j = 0; j < 2 * u; ++j) pzr[r * 2 * u + j] = px[r * 3 * u + j] + pi[r * inner_width + j];
  Tensor gates = apply_activation(recurrent_activation_, zr);
  const float* pg = gates.data<float>();
  const float* ph = h_prev.data<float>();
  Tensor candidate_in({rows, u});
  float* pc = candidate_in.data<float>();
  if (reset_after_) {
    for (std::int64_t r = 0; r < rows; ++r)
      for (std::int64_t j = 0; j < u; ++j)
        pc[r * u + j] = px[r * 3 * u + 2 * u + j] + pg[r * 2 * u + u + j] * pi[r * 3 * u + 2 * u + j];
  } else {
    Tensor reset_h({rows, u});
    float* prh = reset_h.data<float>();
    for (std::int64_t r = 0; r < rows; ++r)
      for (std::int64_t j = 0; j < u; ++j) prh[r * u + j] = pg[r * 2 * u + u + j] * ph[r * u + j];
    Tensor recurrent_h = kernels::matmul(reset_h, kernels::slice(rk, {0, 2 * u}, {u, u}));
    const float* prec = recurrent_h.data<float>();
    for (std::int64_t r = 0; r < rows; ++r)
      for (std::int64_t j = 0; j < u; ++j) pc[r * u + j] = px[r * 3 * u + 2 * u + j] + prec[r * u + j];
  }
  Tensor hh = apply_activation(activation_, candidate_in);
  const float* phh = hh.data<float>();
  Tensor h(h_prev.shape());
  float* out = h.data<float>();
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t j = 0; j < u; ++j) {
      const float z = pg[r * 2 * u + j];
      out[r * u + j] = z * ph[r * u + j] + (1.0F - z) * phh[r * u + j];
    }
  return {h};
}

std::optional<kernels::PreparedRecurrent::Result> GRUCellImpl::run_sequence_fused(const Tensor& sequence,
                                                                                  const std::vector<Tensor>& states,
                                                                                  bool reverse, bool want_sequence) {
  return run_fused(reset_after_ ? kernels::RecurrentCell::gru_reset_after : kernels::RecurrentCell::gru, activation_,
                   recurrent_activation_, kernel_, recurrent_kernel_, bias_, units_, sequence, states, reverse,
                   want_sequence);
}

ad::Var GRUCellImpl::project_inputs_tape(const ad::Var& sequence, TapeVariables& v) {
  ad::Var input_bias;
  if (bias_) {
    // reset_after: row 0 is the input bias, row 1 the recurrent bias.
    input_bias = reset_after_ ? ad::reshape(ad::slice(v(bias_), {0, 0}, {1, 3 * units_}), {3 * units_}) : v(bias_);
  }
  return masked_projection(sequence, v(kernel_), input_bias);
}

// keras/src/layers/rnn/gru.py: gates z, r and the candidate h along the last axis.
std::vector<ad::Var> GRUCellImpl::step_tape(const ad::Var& x_t, const std::vector<ad::Var>& states, TapeVariables& v) {
  const ad::Var& h_prev = states.at(0);
  const std::int64_t u = units_;
  const ad::Var rk = v(recurrent_kernel_);
  const std::vector<ad::Var> x = ad::split(x_t, 3, -1);
  ad::Var candidate;
  std::vector<ad::Var> inner;
  if (reset_after_) {
    ad::Var product = masked_recurrent(h_prev, rk);
    if (bias_) product = product + ad::reshape(ad::slice(v(bias_), {1, 0}, {1, 3 * u}), {3 * u});
    inner = ad::split(product, 3, -1);
  } else {
    inner = ad::split(masked_recurrent(h_prev, ad::slice(rk, {0, 0}, {u, 2 * u})), 2, -1);
  }
  const ad::Var z = ad::activation(recurrent_activation_, x[0] + inner[0]);
  const ad::Var r = ad::activation(recurrent_activation_, x[1] + inner[1]);
  if (reset_after_)
    candidate = x[2] + r * inner[2];
  else
    candidate = x[2] + ad::matmul(r * masked_state(h_prev, 2), ad::slice(rk, {0, 2 * u}, {u, u}));
  const ad::Var hh = ad::activation(activation_, candidate);
  return {z * h_prev + (1.0F - z) * hh};
}

// -------------------------------------------------------------- ConvLSTMCell

ConvLSTMCellImpl::ConvLSTMCellImpl(ConvLSTMCellSettings settings, CellCommon common, const LayerBaseOptions& base)
    : RNNCellImpl(base, "conv_lstm_cell", std::move(common)),
      settings_(std::move(settings)),
      padding_(kernels::parse_padding(settings_.padding)) {
  common_.normalize();
  if (settings_.rank < 1 || settings_.rank > 3)
    throw ValueError("Rank " + std::to_string(settings_.rank) + " convolutions are not currently implemented.");
  if (settings_.filters <= 0) throw ValueError("ConvLSTM needs a positive number of filters");
  const auto n = static_cast<std::size_t>(settings_.rank);
  auto expand = [&](std::vector<std::int64_t>& v, const char* what) {
    if (v.size() == 1 && n > 1) v.assign(n, v.front());
    if (v.size() != n)
      throw ValueError(std::string("The `") + what + "` argument must be a tuple of " + std::to_string(n) +
                       " integers.");
  };
  expand(settings_.kernel_size, "kernel_size");
  expand(settings_.strides, "strides");
  expand(settings_.dilation_rate, "dilation_rate");
  const bool strided = std::any_of(settings_.strides.begin(), settings_.strides.end(), [](auto s) { return s > 1; });
  const bool dilated =
      std::any_of(settings_.dilation_rate.begin(), settings_.dilation_rate.end(), [](auto d) { return d > 1; });
  if (strided && dilated) throw ValueError("Specifying `strides > 1` is not compatible with `dilation_rate > 1`.");
  if (settings_.data_format != "channels_last" && settings_.data_format != "channels_first")
    throw ValueError("The `data_format` argument must be one of {'channels_first', 'channels_last'}. Received: " +
                     settings_.data_format);
  std::transform(settings_.padding.begin(), settings_.padding.end(), settings_.padding.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  settings_.activation = canonical_activation(settings_.activation);
  settings_.recurrent_activation = canonical_activation(settings_.recurrent_activation);
}

Json ConvLSTMCellImpl::get_config() const {
  Json config = base_config();
  config["filters"] = settings_.filters;
  config["kernel_size"] = ints_to_json(settings_.kernel_size);
  config["strides"] = ints_to_json(settings_.strides);
  config["padding"] = settings_.padding;
  config["data_format"] = settings_.data_format;
  config["dilation_rate"] = ints_to_json(settings_.dilation_rate);
  config["activation"] = activation_to_config(settings_.activation);
  config["recurrent_activation"] = activation_to_config(settings_.recurrent_activation);
  config["use_bias"] = settings_.use_bias;
  write_cell_initializers(config, common_);
  config["unit_forget_bias"] = settings_.unit_forget_bias;
  config = base_cell_keys_tail(common_, std::move(config));
  config["seed"] = common_.seed;
  return config;
}

Shape ConvLSTMCellImpl::step_output_shape(const Shape& step_shape) const {
  const auto n = static_cast<std::size_t>(settings_.rank);
  if (step_shape.size() != n + 1)
    throw ValueError("ConvLSTM" + std::to_string(n) + "D expects steps of rank " + std::to_string(n + 1) +
                     ", got step shape " + shape_to_string(step_shape));
  const bool first = settings_.data_format == "channels_first";
  Shape out;
  for (std::size_t i = 0; i < n; ++i) {
    const std::int64_t dim = step_shape[first ? i + 1 : i];
    if (dim < 0) {
      out.push_back(kUnknownDim);
      continue;
    }
    out.push_back(kernels::conv_output_length(dim, settings_.kernel_size[i], settings_.strides[i], padding_,
                                              settings_.dilation_rate[i]));
  }
  out.push_back(settings_.filters);
  return out;
}

std::vector<Shape> ConvLSTMCellImpl::state_shapes() const { return {state_shape_, state_shape_}; }

void ConvLSTMCellImpl::build(const std::vector<Shape>& input_shapes) {
  Shape step = input_shapes.at(0);  // [B, *spatial, C] or [B, C, *spatial]
  if (step.size() != static_cast<std::size_t>(settings_.rank) + 2)
    throw ValueError("ConvLSTM cell '" + name() + "' got an input of unexpected rank: " + shape_to_string(step));
  Shape per_sample(step.begin() + 1, step.end());
  const bool first = settings_.data_format == "channels_first";
  const std::int64_t channels = first ? per_sample.front() : per_sample.back();
  for (auto d : per_sample) {
    if (d < 0)
      throw ValueError(
          "ConvLSTM layers only support static input shapes for the spatial dimension and the "
          "channels. Received invalid input shape: input_shape=" +
          shape_to_string(step));
  }
  state_shape_ = step_output_shape(per_sample);
  for (auto d : state_shape_) {
    if (d <= 0) throw ValueError("ConvLSTM cell '" + name() + "': the input is too small for the kernel");
  }
  Shape kernel_shape = settings_.kernel_size;
  kernel_shape.push_back(channels);
  kernel_shape.push_back(4 * settings_.filters);
  Shape recurrent_shape = settings_.kernel_size;
  recurrent_shape.push_back(settings_.filters);
  recurrent_shape.push_back(4 * settings_.filters);
  kernel_ = add_weight("kernel", kernel_shape, common_.kernel_initializer);
  recurrent_kernel_ = add_weight("recurrent_kernel", recurrent_shape, common_.recurrent_initializer);
  if (settings_.use_bias) {
    bias_ = add_weight("bias", {4 * settings_.filters},
                       lstm_bias_initializer(common_.bias_initializer, settings_.unit_forget_bias, settings_.filters));
  }
}

Tensor ConvLSTMCellImpl::project_inputs(const Tensor& sequence_in) {
  Tensor sequence = sequence_in.dtype() == DType::float32 ? sequence_in : sequence_in.astype(DType::float32);
  const int rank = settings_.rank;
  if (settings_.data_format == "channels_first") {  // [B, T, C, *S] -> [B, T, *S, C]
    std::vector<int> perm = {0, 1};
    for (int i = 0; i < rank; ++i) perm.push_back(3 + i);
    perm.push_back(2);
    sequence = kernels::transpose(sequence, perm);
  }
  const std::int64_t batch = sequence.dim(0);
  const std::int64_t steps = sequence.dim(1);
  Shape folded = {batch * steps};
  folded.insert(folded.end(), sequence.shape().begin() + 2, sequence.shape().end());
  Tensor y = kernels::conv(sequence.reshape(folded), kernel_->value(), bias_ ? bias_->value() : Tensor(),
                           settings_.strides, padding_, settings_.dilation_rate);
  Shape unfolded = {batch, steps};
  unfolded.insert(unfolded.end(), y.shape().begin() + 1, y.shape().end());
  std::vector<int> perm = {1, 0};
  for (int i = 2; i < static_cast<int>(unfolded.size()); ++i) perm.push_back(i);
  return kernels::transpose(y.reshape(unfolded), perm);
}

std::vector<Tensor> ConvLSTMCellImpl::step(const Tensor& x_t, const std::vector<Tensor>& states) {
  const std::vector<std::int64_t> ones(static_cast<std::size_t>(settings_.rank), 1);
  Tensor z = kernels::conv(states.at(0), recurrent_kernel_->value(), Tensor(), ones, kernels::Padding::same);
  float* pz = z.data<float>();
  const float* px = x_t.data<float>();
  for (std::int64_t i = 0; i < z.size(); ++i) pz[i] += px[i];
  return lstm_gates(z, states.at(1), settings_.filters, settings_.activation, settings_.recurrent_activation);
}

namespace {

// Gate g's quarter of a kernel [*k, C, 4F] (or of a bias [4F]) along its last axis.
ad::Var gate_slice(const ad::Var& kernel, std::int64_t g, std::int64_t filters) {
  std::vector<std::int64_t> begin(static_cast<std::size_t>(kernel.rank()), 0);
  std::vector<std::int64_t> size(kernel.shape().begin(), kernel.shape().end());
  begin.back() = g * filters;
  size.back() = filters;
  return ad::slice(kernel, begin, size);
}

}  // namespace

// project_inputs() on the tape: the convolution over the folded [B * T] batch;
// with input dropout, one convolution per gate of the inputs under its mask
// (Keras' ConvLSTMCell), the four concatenated as the one convolution's channels.
ad::Var ConvLSTMCellImpl::project_inputs_tape(const ad::Var& sequence_in, TapeVariables& v) {
  const ad::Var raw = sequence_in.dtype() == DType::float32 ? sequence_in : ad::cast(sequence_in, DType::float32);
  const int rank = settings_.rank;
  const std::int64_t batch = raw.dim(0);
  const std::int64_t steps = raw.dim(1);
  // [B, T, *step] -> the convolution's [B * T, *out, channels] of `kernel` (and `bias`).
  auto convolve = [&](ad::Var sequence, const ad::Var& kernel, const ad::Var& bias) {
    if (settings_.data_format == "channels_first") {  // [B, T, C, *S] -> [B, T, *S, C]
      std::vector<int> perm = {0, 1};
      for (int i = 0; i < rank; ++i) perm.push_back(3 + i);
      perm.push_back(2);
      sequence = ad::transpose(sequence, perm);
    }
    Shape folded = {batch * steps};
    folded.insert(folded.end(), sequence.shape().begin() + 2, sequence.shape().end());
    return ad::conv(ad::reshape(sequence, folded), kernel, bias, settings_.strides, settings_.padding,
                    settings_.dilation_rate);
  };
  const ad::Var kernel = v(kernel_);
  const ad::Var bias = bias_ ? v(bias_) : ad::Var();
  ad::Var y;
  if (input_masks_.empty()) {
    y = convolve(raw, kernel, bias);
  } else {
    std::vector<ad::Var> gates;
    for (std::int64_t g = 0; g < 4; ++g) {
      const ad::Var masked = raw * ad::Var(kernels::expand_dims(input_masks_.at(static_cast<std::size_t>(g)), 1));
      gates.push_back(convolve(masked, gate_slice(kernel, g, settings_.filters),
                               bias.defined() ? gate_slice(bias, g, settings_.filters) : ad::Var()));
    }
    y = ad::concatenate(gates, -1);
  }
  Shape unfolded = {batch, steps};
  unfolded.insert(unfolded.end(), y.shape().begin() + 1, y.shape().end());
  std::vector<int> perm = {1, 0};
  for (int i = 2; i < static_cast<int>(unfolded.size()); ++i) perm.push_back(i);
  return ad::transpose(ad::reshape(y, unfolded), perm);
}

// step() on the tape: the recurrent convolution ("same", stride 1), then the LSTM gates i, f, c, o;
// with recurrent dropout, each gate convolves h under its own mask.
std::vector<ad::Var> ConvLSTMCellImpl::step_tape(const ad::Var& x_t, const std::vector<ad::Var>& states,
                                                 TapeVariables& v) {
  const std::vector<std::int64_t> ones(static_cast<std::size_t>(settings_.rank), 1);
  const ad::Var recurrent_kernel = v(recurrent_kernel_);
  ad::Var recurrent;
  if (recurrent_masks_.empty()) {
    recurrent = ad::conv(states.at(0), recurrent_kernel, ad::Var(), ones, "same");
  } else {
    std::vector<ad::Var> gates;
    for (std::int64_t g = 0; g < 4; ++g)
      gates.push_back(ad::conv(masked_state(states.at(0), static_cast<std::size_t>(g)),
                               gate_slice(recurrent_kernel, g, settings_.filters), ad::Var(), ones, "same"));
    recurrent = ad::concatenate(gates, -1);
  }
  const std::vector<ad::Var> z = ad::split(x_t + recurrent, 4, -1);
  const std::string& act = settings_.activation;
  const std::string& rec = settings_.recurrent_activation;
  const ad::Var i = ad::activation(rec, z[0]);
  const ad::Var f = ad::activation(rec, z[1]);
  const ad::Var c = f * states.at(1) + i * ad::activation(act, z[2]);
  const ad::Var o = ad::activation(rec, z[3]);
  return {o * ad::activation(act, c), c};
}

}  // namespace keras::detail
