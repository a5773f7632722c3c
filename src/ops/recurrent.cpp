#include "ops/recurrent.hpp"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <optional>
#include <unordered_map>

#include "ops/common.hpp"
#include "ops/dnnl_context.hpp"
#include "ops/lstm_single_sample.hpp"

namespace keras::kernels {

using dnnl::memory;
using tag = memory::format_tag;

namespace {

memory::dim gate_count(RecurrentCell cell) {
  switch (cell) {
    case RecurrentCell::simple_rnn:
      return 1;
    case RecurrentCell::lstm:
      return 4;
    case RecurrentCell::gru:
    case RecurrentCell::gru_reset_after:
      return 3;
  }
  return 1;
}

dnnl::algorithm simple_activation(const std::string& name) {
  if (name == "tanh") return dnnl::algorithm::eltwise_tanh;
  if (name == "relu") return dnnl::algorithm::eltwise_relu;
  if (name == "sigmoid") return dnnl::algorithm::eltwise_logistic;
  throw ValueError("recurrent primitive: no oneDNN activation for '" + name + "'");
}

}  // namespace

bool recurrent_primitive_supports(RecurrentCell cell, const std::string& activation,
                                  const std::string& recurrent_activation) {
  if (cell == RecurrentCell::simple_rnn) return activation == "tanh" || activation == "relu" || activation == "sigmoid";
  return activation == "tanh" && recurrent_activation == "sigmoid";
}

// One primitive over `steps` consecutive time steps, its weights in the layout it chose.
struct RecurrentPass {
  memory::dim steps = 0;
  memory::desc src_layer_md, src_iter_md, dst_layer_md, dst_iter_md;
  detail::DnnlPrimitive primitive;
  memory weights_layer, weights_iter;
};

struct PreparedRecurrent::State {
  RecurrentShape shape;
  // The whole sequence in one primitive, or chunks of chunk.steps steps and a shorter tail:
  // oneDNN's scratchpad holds every step's gates and states, 27 MB for lstm_text at batch 64.
  RecurrentPass chunk;
  std::optional<RecurrentPass> tail;
  memory bias;
  std::unique_ptr<detail::SingleSampleLstm> single_sample;  // instead of the primitive, when set
};

namespace {

// The scratchpad a pass may use before the sequence is cut into chunks of steps.
constexpr std::size_t kScratchpadBudget = std::size_t{1} << 20;

std::atomic<std::int64_t> chunk_steps_for_testing{0};

}  // namespace

void set_recurrent_chunk_steps_for_testing(std::int64_t steps) { chunk_steps_for_testing.store(steps); }

PreparedRecurrent::PreparedRecurrent(const RecurrentShape& shape, const Tensor& kernel_in,
                                     const Tensor& recurrent_kernel_in, const Tensor& bias_in) {
  const memory::dim t = shape.steps, n = shape.batch, c = shape.input_dim, u = shape.units;
  const memory::dim g = gate_count(shape.cell);
  if (t <= 0 || n <= 0 || c <= 0 || u <= 0)
    throw ValueError("recurrent primitive: empty shape (" + std::to_string(n) + " samples, " + std::to_string(t) +
                     " steps, " + std::to_string(c) + " features, " + std::to_string(u) + " units)");
  const Tensor kernel = detail::to_float(kernel_in);
  const Tensor recurrent_kernel = detail::to_float(recurrent_kernel_in);
  if (kernel.size() != c * g * u || recurrent_kernel.size() != u * g * u)
    throw ShapeMismatchError("recurrent primitive: kernel " + shape_to_string(kernel.shape()) +
                             " or recurrent kernel " + shape_to_string(recurrent_kernel.shape()) + " do not match " +
                             std::to_string(c) + " features and " + std::to_string(u) + " units");
  // oneDNN's linear-before-reset GRU has a fourth bias: the recurrent candidate's, kept apart.
  const memory::dim bias_gates = shape.cell == RecurrentCell::gru_reset_after ? 4 : g;
  Tensor bias = Tensor::zeros({bias_gates * u});
  if (bias_in.defined()) {
    const Tensor given = detail::to_float(bias_in);
    const float* b = given.data<float>();
    float* out = bias.data<float>();
    if (shape.cell == RecurrentCell::gru_reset_after) {
      if (given.size() != 2 * 3 * u)
        throw ShapeMismatchError("recurrent primitive: GRU bias " + shape_to_string(given.shape()) + " is not (2, " +
                                 std::to_string(3 * u) + ")");
      // Keras: row 0 the input biases (z, r, h), row 1 the recurrent ones.
      for (memory::dim j = 0; j < 2 * u; ++j) out[j] = b[j] + b[3 * u + j];
      std::memcpy(out + 2 * u, b + 2 * u, static_cast<std::size_t>(u) * sizeof(float));
      std::memcpy(out + 3 * u, b + 5 * u, static_cast<std::size_t>(u) * sizeof(float));
    } else {
      if (given.size() != g * u)
        throw ShapeMismatchError("recurrent primitive: bias " + shape_to_string(given.shape()) + " does not have " +
                                 std::to_string(g * u) + " values");
      std::memcpy(out, b, static_cast<std::size_t>(g * u) * sizeof(float));
    }
  }

  auto state = std::make_shared<State>();
  state->shape = shape;
  if (shape.cell == RecurrentCell::lstm && n == 1 && detail::single_sample_lstm_supported()) {
    state->single_sample = std::make_unique<detail::SingleSampleLstm>(
        c, u, kernel.data<float>(), recurrent_kernel.data<float>(), bias.data<float>());
    state_ = std::move(state);
    return;
  }
  const auto f32 = memory::data_type::f32;
  const memory::desc bias_md({1, 1, bias_gates, u}, f32, tag::ldgo);
  // Keras' [C, G*U] and [U, G*U] kernels are ldigo as they are.
  memory keras_layer = detail::wrap_memory(memory::desc({1, 1, c, g, u}, f32, tag::ldigo), kernel.data<float>());
  memory keras_iter =
      detail::wrap_memory(memory::desc({1, 1, u, g, u}, f32, tag::ldigo), recurrent_kernel.data<float>());
  // A primitive over `steps` steps; the sequence's layouts are those of a chunk: the whole
  // sequence as Keras lays it out (batch-major), else a copied chunk (time-major). The weights
  // of `share` are reused where the primitive wants the same layout.
  auto make_pass = [&](memory::dim steps, bool whole, const RecurrentPass* share) {
    RecurrentPass pass;
    pass.steps = steps;
    pass.src_layer_md = memory::desc({steps, n, c}, f32, whole ? tag::ntc : tag::tnc);
    pass.dst_layer_md = memory::desc({steps, n, u}, f32, whole ? tag::ntc : tag::tnc);
    pass.src_iter_md = memory::desc({1, 1, n, u}, f32, tag::ldnc);
    pass.dst_iter_md = pass.src_iter_md;
    const memory::desc weights_layer_any({1, 1, c, g, u}, f32, tag::any);
    const memory::desc weights_iter_any({1, 1, u, g, u}, f32, tag::any);
    const auto direction =
        shape.reverse ? dnnl::rnn_direction::unidirectional_right2left : dnnl::rnn_direction::unidirectional_left2right;
    const auto inference = dnnl::prop_kind::forward_inference;
    memory::desc weights_layer_md, weights_iter_md;
    auto finish = [&](const auto& pd, auto primitive) {
      pass.primitive.primitive = primitive;
      pass.primitive.scratchpad_desc = pd.scratchpad_desc();
      weights_layer_md = pd.weights_layer_desc();
      weights_iter_md = pd.weights_iter_desc();
    };
    const auto attr = detail::default_attr();
    const auto& engine = detail::cpu_engine();
    switch (shape.cell) {
      case RecurrentCell::simple_rnn: {
        dnnl::vanilla_rnn_forward::desc desc(inference, simple_activation(shape.simple_activation), direction,
                                             pass.src_layer_md, pass.src_iter_md, weights_layer_any, weights_iter_any,
                                             bias_md, pass.dst_layer_md, pass.dst_iter_md);
        dnnl::vanilla_rnn_forward::primitive_desc pd(desc, attr, engine);
        finish(pd, dnnl::vanilla_rnn_forward(pd));
        break;
      }
      case RecurrentCell::lstm: {
        dnnl::lstm_forward::desc desc(inference, direction, pass.src_layer_md, pass.src_iter_md, pass.src_iter_md,
                                      weights_layer_any, weights_iter_any, bias_md, pass.dst_layer_md, pass.dst_iter_md,
                                      pass.dst_iter_md);
        dnnl::lstm_forward::primitive_desc pd(desc, attr, engine);
        finish(pd, dnnl::lstm_forward(pd));
        break;
      }
      case RecurrentCell::gru: {
        dnnl::gru_forward::desc desc(inference, direction, pass.src_layer_md, pass.src_iter_md, weights_layer_any,
                                     weights_iter_any, bias_md, pass.dst_layer_md, pass.dst_iter_md);
        dnnl::gru_forward::primitive_desc pd(desc, attr, engine);
        finish(pd, dnnl::gru_forward(pd));
        break;
      }
      case RecurrentCell::gru_reset_after: {
        dnnl::lbr_gru_forward::desc desc(inference, direction, pass.src_layer_md, pass.src_iter_md, weights_layer_any,
                                         weights_iter_any, bias_md, pass.dst_layer_md, pass.dst_iter_md);
        dnnl::lbr_gru_forward::primitive_desc pd(desc, attr, engine);
        finish(pd, dnnl::lbr_gru_forward(pd));
        break;
      }
    }
    if (share != nullptr && share->weights_layer.get_desc() == weights_layer_md &&
        share->weights_iter.get_desc() == weights_iter_md) {
      pass.weights_layer = share->weights_layer;
      pass.weights_iter = share->weights_iter;
      return pass;
    }
    pass.weights_layer = memory(weights_layer_md, engine);
    pass.weights_iter = memory(weights_iter_md, engine);
    detail::run_reorder(keras_layer, pass.weights_layer);
    detail::run_reorder(keras_iter, pass.weights_iter);
    return pass;
  };
  try {
    state->chunk = make_pass(t, true, nullptr);
    const std::size_t scratchpad = state->chunk.primitive.scratchpad_desc.get_size();
    const std::int64_t forced = chunk_steps_for_testing.load();
    if (t > 1 && (scratchpad > kScratchpadBudget || (forced > 0 && forced < t))) {
      // The scratchpad grows with the steps: chunks that keep it near the budget.
      memory::dim steps = std::clamp<memory::dim>(
          static_cast<memory::dim>(static_cast<double>(t) * static_cast<double>(kScratchpadBudget) /
                                   static_cast<double>(scratchpad)),
          1, t - 1);
      if (forced > 0) steps = std::min<memory::dim>(steps, forced);
      const RecurrentPass whole = std::move(state->chunk);
      state->chunk = make_pass(steps, false, &whole);
      if (t % steps != 0) state->tail = make_pass(t % steps, false, &state->chunk);
    }
    state->bias = memory(bias_md, detail::cpu_engine());
    std::memcpy(state->bias.get_data_handle(), bias.data<float>(),
                static_cast<std::size_t>(bias.size()) * sizeof(float));
  } catch (const dnnl::error& e) {
    throw ValueError("oneDNN cannot create a recurrent primitive for " + std::to_string(n) + " samples of " +
                     std::to_string(t) + " steps, " + std::to_string(c) + " features and " + std::to_string(u) +
                     " units: " + e.what());
  }
  state_ = std::move(state);
}

namespace {

// The sequence in Keras' order from dst_layer, where step t's output is at row t.
PreparedRecurrent::Result finish_sequence(const RecurrentShape& shape, PreparedRecurrent::Result result,
                                          Tensor dst_layer, bool want_sequence) {
  if (!want_sequence) return result;
  if (!shape.reverse) {
    result.sequence = std::move(dst_layer);
    return result;
  }
  // oneDNN writes step t's output at t; Keras' go_backwards returns them in processing order.
  result.sequence = Tensor::uninitialized(dst_layer.shape());
  const std::size_t row = static_cast<std::size_t>(shape.units) * sizeof(float);
  for (std::int64_t b = 0; b < shape.batch; ++b) {
    for (std::int64_t k = 0; k < shape.steps; ++k) {
      std::memcpy(result.sequence.data<float>() + (b * shape.steps + k) * shape.units,
                  dst_layer.data<float>() + (b * shape.steps + shape.steps - 1 - k) * shape.units, row);
    }
  }
  return result;
}

}  // namespace

PreparedRecurrent::Result PreparedRecurrent::run(const Tensor& sequence, const std::vector<Tensor>& initial_states,
                                                 bool want_sequence) const {
  const State& s = *state_;
  const RecurrentShape& shape = s.shape;
  const bool lstm = shape.cell == RecurrentCell::lstm;
  const std::size_t state_count = lstm ? 2 : 1;
  if (sequence.dtype() != DType::float32 || sequence.shape() != Shape{shape.batch, shape.steps, shape.input_dim})
    throw ShapeMismatchError("recurrent primitive: prepared for " +
                             shape_to_string({shape.batch, shape.steps, shape.input_dim}) + " float32, got " +
                             shape_to_string(sequence.shape()) + " " + dtype_name(sequence.dtype()));
  const Shape state_shape{shape.batch, shape.units};
  if (!initial_states.empty()) {
    if (initial_states.size() != state_count)
      throw ValueError("recurrent primitive: expected " + std::to_string(state_count) + " initial states, got " +
                       std::to_string(initial_states.size()));
    for (const auto& st : initial_states) {
      if (st.dtype() != DType::float32 || st.shape() != state_shape)
        throw ShapeMismatchError("recurrent primitive: initial state " + shape_to_string(st.shape()) + ", expected " +
                                 shape_to_string(state_shape));
    }
  }
  // Chunked passes write their outputs through a chunk buffer: the whole sequence only if asked.
  const bool chunked = !s.single_sample && s.chunk.steps != shape.steps;
  Tensor dst_layer =
      want_sequence || !chunked ? Tensor::uninitialized({shape.batch, shape.steps, shape.units}) : Tensor();
  Result result;
  if (s.single_sample) {
    for (std::size_t i = 0; i < state_count; ++i)
      result.states.push_back(initial_states.empty() ? Tensor::zeros(state_shape) : initial_states[i].clone());
    s.single_sample->run(sequence.data<float>(), shape.steps, shape.reverse, result.states[0].data<float>(),
                         result.states[1].data<float>(), want_sequence ? dst_layer.data<float>() : nullptr);
    return finish_sequence(shape, std::move(result), std::move(dst_layer), want_sequence);
  }
  for (std::size_t i = 0; i < state_count; ++i) result.states.push_back(Tensor::uninitialized(state_shape));
  // Without initial states the primitive starts from zeros.
  std::vector<Tensor> zeros;
  for (std::size_t i = 0; i < state_count; ++i)
    zeros.push_back(initial_states.empty() ? Tensor::zeros(state_shape) : initial_states[i]);
  auto execute_pass = [&](const RecurrentPass& pass, const float* src_layer, float* dst_layer_data, const float* src_h,
                          const float* src_c) {
    std::unordered_map<int, memory> args{
        {DNNL_ARG_SRC_LAYER, detail::wrap_memory(pass.src_layer_md, src_layer)},
        {DNNL_ARG_WEIGHTS_LAYER, pass.weights_layer},
        {DNNL_ARG_WEIGHTS_ITER, pass.weights_iter},
        {DNNL_ARG_BIAS, s.bias},
        {DNNL_ARG_DST_LAYER, detail::wrap_memory(pass.dst_layer_md, dst_layer_data)},
        {DNNL_ARG_SRC_ITER, detail::wrap_memory(pass.src_iter_md, src_h)},
        {DNNL_ARG_DST_ITER, detail::wrap_memory(pass.dst_iter_md, result.states[0].data<float>())}};
    if (lstm) {
      args.emplace(DNNL_ARG_SRC_ITER_C, detail::wrap_memory(pass.src_iter_md, src_c));
      args.emplace(DNNL_ARG_DST_ITER_C, detail::wrap_memory(pass.dst_iter_md, result.states[1].data<float>()));
    }
    detail::execute(pass.primitive, std::move(args));
  };
  const float* initial_c = lstm ? zeros[1].data<float>() : nullptr;
  if (!chunked) {
    execute_pass(s.chunk, sequence.data<float>(), dst_layer.data<float>(), zeros[0].data<float>(), initial_c);
    return finish_sequence(shape, std::move(result), std::move(dst_layer), want_sequence);
  }
  // Chunks in processing order (from the last step with go_backwards), each copied time-major
  // from Keras' [B, T, C] and its outputs copied back to their steps. Each pass starts from the
  // states the previous one ended with: its input and output states are distinct buffers.
  const std::int64_t b = shape.batch, c = shape.input_dim, u = shape.units, steps = shape.steps;
  Tensor src_chunk = Tensor::uninitialized({s.chunk.steps, b, c});
  Tensor dst_chunk = Tensor::uninitialized({s.chunk.steps, b, u});
  std::vector<Tensor> carried;
  for (std::size_t i = 0; i < state_count; ++i) carried.push_back(Tensor::uninitialized(state_shape));
  const std::size_t input_row = static_cast<std::size_t>(c) * sizeof(float);
  const std::size_t output_row = static_cast<std::size_t>(u) * sizeof(float);
  bool first = true;
  for (std::int64_t done = 0; done < steps;) {
    const RecurrentPass& pass = (steps - done >= s.chunk.steps || !s.tail) ? s.chunk : *s.tail;
    const std::int64_t count = pass.steps;
    const std::int64_t begin = shape.reverse ? steps - done - count : done;  // first step of the chunk
    for (std::int64_t k = 0; k < count; ++k) {
      for (std::int64_t i = 0; i < b; ++i)
        std::memcpy(src_chunk.data<float>() + (k * b + i) * c, sequence.data<float>() + (i * steps + begin + k) * c,
                    input_row);
    }
    if (!first) {
      for (std::size_t i = 0; i < state_count; ++i)
        std::memcpy(carried[i].data<float>(), result.states[i].data<float>(), result.states[i].nbytes());
    }
    const std::vector<Tensor>& from = first ? zeros : carried;
    execute_pass(pass, src_chunk.data<float>(), dst_chunk.data<float>(), from[0].data<float>(),
                 lstm ? from[1].data<float>() : nullptr);
    if (want_sequence) {
      for (std::int64_t k = 0; k < count; ++k) {
        for (std::int64_t i = 0; i < b; ++i)
          std::memcpy(dst_layer.data<float>() + (i * steps + begin + k) * u, dst_chunk.data<float>() + (k * b + i) * u,
                      output_row);
      }
    }
    first = false;
    done += count;
  }
  return finish_sequence(shape, std::move(result), std::move(dst_layer), want_sequence);
}

}  // namespace keras::kernels
