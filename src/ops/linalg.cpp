#include "ops/linalg.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "ops/common.hpp"
#include "ops/conv.hpp"
#include "ops/dnnl_context.hpp"
#include "ops/reduce.hpp"
#include "ops/shape_ops.hpp"

namespace keras::kernels {

namespace {

using dnnl::memory;

// [batch, M, K] x [batch, K, N] (+ bias [N]) -> [batch, M, N], all contiguous float32.
void matmul_3d(const float* a, const float* b, const float* bias, float* out, std::int64_t batch, std::int64_t m,
               std::int64_t k, std::int64_t n) {
  if (batch == 0 || m == 0 || n == 0) return;
  if (k == 0) {  // empty sum: only the bias remains
    for (std::int64_t row = 0; row < batch * m; ++row)
      for (std::int64_t j = 0; j < n; ++j) out[row * n + j] = bias != nullptr ? bias[j] : 0.0F;
    return;
  }
  const bool batched = batch > 1;
  memory::dims a_dims = batched ? memory::dims{batch, m, k} : memory::dims{m, k};
  memory::dims b_dims = batched ? memory::dims{batch, k, n} : memory::dims{k, n};
  memory::dims c_dims = batched ? memory::dims{batch, m, n} : memory::dims{m, n};
  memory::dims bias_dims = batched ? memory::dims{1, 1, n} : memory::dims{1, n};
  const auto tag = batched ? memory::format_tag::abc : memory::format_tag::ab;
  memory::desc a_md(a_dims, memory::data_type::f32, tag);
  memory::desc b_md(b_dims, memory::data_type::f32, tag);
  memory::desc c_md(c_dims, memory::data_type::f32, tag);
  memory::desc bias_md(bias_dims, memory::data_type::f32, tag);

  std::string key = "matmul:" + std::to_string(batch) + "," + std::to_string(m) + "," + std::to_string(k) + "," +
                    std::to_string(n) + (bias != nullptr ? ",bias" : "");
  auto prim = detail::cached_primitive(key, [&] {
    auto desc = bias != nullptr ? dnnl::matmul::desc(a_md, b_md, bias_md, c_md) : dnnl::matmul::desc(a_md, b_md, c_md);
    dnnl::matmul::primitive_desc pd(desc, detail::default_attr(), detail::cpu_engine());
    return detail::make_primitive<dnnl::matmul::primitive_desc, dnnl::matmul>(pd);
  });
  std::unordered_map<int, memory> args{{DNNL_ARG_SRC, detail::wrap_memory(a_md, a)},
                                       {DNNL_ARG_WEIGHTS, detail::wrap_memory(b_md, b)},
                                       {DNNL_ARG_DST, detail::wrap_memory(c_md, out)}};
  if (bias != nullptr) args.emplace(DNNL_ARG_BIAS, detail::wrap_memory(bias_md, bias));
  detail::execute(*prim, std::move(args));
}

Shape concat_shapes(Shape a, const Shape& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

}  // namespace

Tensor matmul(const Tensor& a_in, const Tensor& b_in) {
  Tensor a = detail::to_float(a_in);
  Tensor b = detail::to_float(b_in);
  if (a.rank() == 0 || b.rank() == 0) throw ValueError("matmul: operands must not be scalars");
  const bool a_vector = a.rank() == 1;
  const bool b_vector = b.rank() == 1;
  if (a_vector) a = a.reshape({1, a.dim(0)});
  if (b_vector) b = b.reshape({b.dim(0), 1});
  const std::int64_t m = a.dim(-2);
  const std::int64_t k = a.dim(-1);
  const std::int64_t n = b.dim(-1);
  if (b.dim(-2) != k)
    throw ShapeMismatchError("matmul: shapes " + shape_to_string(a_in.shape()) + " and " +
                             shape_to_string(b_in.shape()) + " are incompatible (inner dimensions " +
                             std::to_string(k) + " and " + std::to_string(b.dim(-2)) + ")");
  Shape a_batch(a.shape().begin(), a.shape().end() - 2);
  Shape b_batch(b.shape().begin(), b.shape().end() - 2);
  Shape batch = broadcast_shapes(a_batch, b_batch, "matmul");
  Shape out_shape = concat_shapes(batch, {m, n});

  Tensor out(out_shape);
  const std::int64_t b_batch_size = shape_size(b_batch);
  if (b_batch_size == 1) {
    // b is one matrix: fold a's batch into its rows (Dense-style fast path).
    Tensor a_full = shape_size(a_batch) == shape_size(batch) ? a : broadcast_to(a, concat_shapes(batch, {m, k}));
    matmul_3d(a_full.data<float>(), b.data<float>(), nullptr, out.data<float>(), 1, shape_size(batch) * m, k, n);
  } else {
    Tensor a_full = a_batch == batch ? a : broadcast_to(a, concat_shapes(batch, {m, k}));
    Tensor b_full = b_batch == batch ? b : broadcast_to(b, concat_shapes(batch, {k, n}));
    matmul_3d(a_full.data<float>(), b_full.data<float>(), nullptr, out.data<float>(), shape_size(batch), m, k, n);
  }
  if (a_vector && b_vector) return out.reshape(batch);
  if (a_vector) return out.reshape(concat_shapes(batch, {n}));
  if (b_vector) return out.reshape(concat_shapes(batch, {m}));
  return out;
}

Tensor dense(const Tensor& x_in, const Tensor& kernel_in, const Tensor& bias_in) {
  Tensor x = detail::to_float(x_in);
  Tensor kernel = detail::to_float(kernel_in);
  if (kernel.rank() != 2) throw ShapeMismatchError("dense: kernel must be 2-D, got " + shape_to_string(kernel.shape()));
  if (x.rank() == 0) throw ShapeMismatchError("dense: input must have at least one axis");
  const std::int64_t k = kernel.dim(0);
  const std::int64_t n = kernel.dim(1);
  if (x.dim(-1) != k)
    throw ShapeMismatchError("dense: input shape " + shape_to_string(x.shape()) + " does not match kernel shape " +
                             shape_to_string(kernel.shape()));
  Tensor bias;
  if (bias_in.defined()) {
    bias = detail::to_float(bias_in);
    if (bias.size() != n)
      throw ShapeMismatchError("dense: bias shape " + shape_to_string(bias.shape()) + " does not match " +
                               std::to_string(n) + " units");
  }
  Shape out_shape = x.shape();
  out_shape.back() = n;
  Tensor out(out_shape);
  const std::int64_t rows = k == 0 ? shape_size(out_shape) / std::max<std::int64_t>(n, 1) : x.size() / k;
  matmul_3d(x.data<float>(), kernel.data<float>(), bias.defined() ? bias.data<float>() : nullptr, out.data<float>(), 1,
            rows, k, n);
  return out;
}

struct PreparedDense::State {
  std::int64_t rows = 0;
  std::int64_t k = 0;
  std::int64_t n = 0;
  memory::desc src_md;
  memory::desc dst_md;
  detail::DnnlPrimitive primitive;
  std::shared_ptr<const memory> weights;  // owned, in the primitive's layout
  Tensor bias;
  std::unique_ptr<const detail::BoundArguments> args;  // source and destination per call; weights, bias
};

namespace {

// plain [k, n] (row-major floats) into `packed` (the same dims in a layout of oneDNN's), a block
// of rows at a time, giving each block's whole pages back (MADV_DONTNEED) once it is copied:
// the pages then read as zeros, which nobody reads. false, with nothing copied or given back,
// when `packed` cannot be cut into blocks of rows (a padded layout, blocks that do not divide).
bool reorder_consuming_rows(float* plain, std::int64_t k, std::int64_t n, memory& packed) {
  const memory::desc packed_md = packed.get_desc();
  if (packed_md.get_size() != static_cast<std::size_t>(k * n) * sizeof(float)) return false;  // padded
  // 64 rows: a multiple of every row blocking of oneDNN's matmul weights; about 256 KiB a block.
  constexpr std::int64_t kRowMultiple = 64;
  const std::int64_t block =
      std::max<std::int64_t>(kRowMultiple, (std::int64_t{256} << 10) / (n * 4) / kRowMultiple * kRowMultiple);
  if (k <= block) return false;  // one block: nothing to gain
  struct Step {
    float* rows_data;  // the block's first row in `plain`
    std::int64_t rows;
    memory source;
    memory target;
    dnnl::reorder reorder;
  };
  std::vector<Step> steps;
  const auto f32 = memory::data_type::f32;
  // Every block's memories and reorder first: whatever oneDNN refuses fails here, while the
  // plain kernel is still whole.
  try {
    for (std::int64_t begin = 0; begin < k; begin += block) {
      const std::int64_t rows = std::min(block, k - begin);
      float* rows_data = plain + begin * n;
      memory source = detail::wrap_memory(memory::desc({rows, n}, f32, memory::format_tag::ab), rows_data);
      memory target(packed_md.submemory_desc({rows, n}, {begin, 0}), detail::cpu_engine(), packed.get_data_handle());
      dnnl::reorder reorder(source, target);
      steps.push_back({rows_data, rows, std::move(source), std::move(target), std::move(reorder)});
    }
  } catch (const dnnl::error&) {
    return false;
  }
  dnnl::stream stream(detail::cpu_engine());
  const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
  for (Step& step : steps) {
    step.reorder.execute(stream, step.source, step.target);
    stream.wait();
    // The whole pages inside the block's bytes.
    auto* first = reinterpret_cast<std::byte*>(step.rows_data);
    const auto bytes = static_cast<std::uintptr_t>(step.rows * n) * sizeof(float);
    const std::uintptr_t skip = (page - reinterpret_cast<std::uintptr_t>(first) % page) % page;
    if (bytes > skip && (bytes - skip) / page > 0) ::madvise(first + skip, (bytes - skip) / page * page, MADV_DONTNEED);
  }
  return true;
}

}  // namespace

PreparedDense::PreparedDense(std::int64_t rows, const Tensor& kernel, const Tensor& bias,
                             const std::vector<PostOp>& post_ops, const PreparedDense* share)
    : PreparedDense(rows, kernel, bias, post_ops, share, false) {}

PreparedDense::PreparedDense(ConsumeKernel /*unused*/, std::int64_t rows, Tensor& kernel, const Tensor& bias,
                             const std::vector<PostOp>& post_ops, const PreparedDense* share)
    : PreparedDense(rows, kernel, bias, post_ops, share, kernel.dtype() == DType::float32) {}

PreparedDense::PreparedDense(std::int64_t rows, const Tensor& kernel_in, const Tensor& bias_in,
                             const std::vector<PostOp>& post_ops, const PreparedDense* share, bool consume) {
  Tensor kernel = detail::to_float(kernel_in);
  if (kernel.rank() != 2) throw ShapeMismatchError("dense: kernel must be 2-D, got " + shape_to_string(kernel.shape()));
  auto state = std::make_shared<State>();
  state->rows = rows;
  state->k = kernel.dim(0);
  state->n = kernel.dim(1);
  if (rows <= 0 || state->k <= 0 || state->n <= 0)
    throw ValueError("dense: cannot prepare an empty product (" + std::to_string(rows) + " rows, kernel " +
                     shape_to_string(kernel.shape()) + ")");
  if (bias_in.defined()) {
    state->bias = detail::to_float(bias_in);
    if (state->bias.size() != state->n)
      throw ShapeMismatchError("dense: bias shape " + shape_to_string(state->bias.shape()) + " does not match " +
                               std::to_string(state->n) + " units");
  }
  const auto f32 = memory::data_type::f32;
  state->src_md = memory::desc({rows, state->k}, f32, memory::format_tag::ab);
  state->dst_md = memory::desc({rows, state->n}, f32, memory::format_tag::ab);
  const memory::desc keras_w_md({state->k, state->n}, f32, memory::format_tag::ab);
  const memory::desc any_w_md({state->k, state->n}, f32, memory::format_tag::any);
  const memory::desc bias_md({1, state->n}, f32, memory::format_tag::ab);
  try {
    auto desc = state->bias.defined() ? dnnl::matmul::desc(state->src_md, any_w_md, bias_md, state->dst_md)
                                      : dnnl::matmul::desc(state->src_md, any_w_md, state->dst_md);
    dnnl::matmul::primitive_desc pd(desc, detail::attr_with_post_ops(post_ops), detail::cpu_engine());
    state->primitive = detail::make_primitive<dnnl::matmul::primitive_desc, dnnl::matmul>(pd);
    state->primitive.weights_desc = pd.weights_desc();
  } catch (const dnnl::error& e) {
    throw ValueError("oneDNN cannot create a matmul for " + std::to_string(rows) + " rows and kernel " +
                     shape_to_string(kernel.shape()) + ": " + e.what());
  }
  const bool shared = share != nullptr && share->state_->k == state->k && share->state_->n == state->n &&
                      share->state_->primitive.weights_desc == state->primitive.weights_desc;
  // A copy even when the layouts agree: the preparation must not depend on the variable's
  // buffer staying as it is.
  std::shared_ptr<memory> copy =
      shared ? nullptr : std::make_shared<memory>(state->primitive.weights_desc, detail::cpu_engine());
  state->weights = shared ? share->state_->weights : copy;
  std::vector<std::pair<int, memory>> fixed{{DNNL_ARG_WEIGHTS, *state->weights}};
  if (state->bias.defined()) fixed.emplace_back(DNNL_ARG_BIAS, detail::wrap_memory(bias_md, state->bias.data<float>()));
  state->args = std::make_unique<const detail::BoundArguments>(
      std::vector<std::pair<int, memory::desc>>{{DNNL_ARG_SRC, state->src_md}, {DNNL_ARG_DST, state->dst_md}},
      std::move(fixed));
  // The weights' values last: a consumed kernel's pages go there, after everything that can fail.
  if (copy && (!consume || !reorder_consuming_rows(kernel.data<float>(), state->k, state->n, *copy))) {
    memory source = detail::wrap_memory(keras_w_md, kernel.data<float>());
    detail::run_reorder(source, *copy);
  }
  state_ = std::move(state);
}

std::int64_t PreparedDense::rows() const { return state_->rows; }
std::int64_t PreparedDense::columns() const { return state_->n; }

Tensor PreparedDense::kernel() const {
  const State& s = *state_;
  Tensor out = Tensor::uninitialized({s.k, s.n});
  memory target =
      detail::wrap_memory(memory::desc({s.k, s.n}, memory::data_type::f32, memory::format_tag::ab), out.data<float>());
  memory source = *s.weights;  // a handle to the same buffer
  detail::run_reorder(source, target);
  return out;
}

Tensor PreparedDense::run(const Tensor& x) const {
  Shape out_shape = x.shape();
  if (!out_shape.empty()) out_shape.back() = state_->n;
  Tensor out = Tensor::uninitialized(out_shape);
  run_into(x, out.data<float>());
  return out;
}

void PreparedDense::run_into(const Tensor& x, float* out) const {
  const State& s = *state_;
  if (x.dtype() != DType::float32 || x.rank() == 0 || x.dim(-1) != s.k || x.size() != s.rows * s.k)
    throw ShapeMismatchError("dense: prepared for " + std::to_string(s.rows) + " rows of " + std::to_string(s.k) +
                             " float32 values, got " + shape_to_string(x.shape()) + " " + dtype_name(x.dtype()));
  const std::array<const void*, 2> data{x.data<float>(), out};
  s.args->execute(s.primitive, data);
}

namespace {

// Labels: letters keep their character code; ellipsis axes get 256 + position
// counted from the right, so that ellipsis axes of both operands align like numpy broadcasting.
constexpr int kEllipsisBase = 256;

std::vector<int> parse_term(std::string_view term, int rank, int* ellipsis_rank, std::string_view equation) {
  std::vector<int> labels;
  std::size_t dots = term.find("...");
  std::size_t letters = 0;
  for (char c : term)
    if (c != '.') ++letters;
  if (dots != std::string_view::npos) {
    if (term.find("...", dots + 3) != std::string_view::npos)
      throw ValueError("einsum: more than one ellipsis in '" + std::string(equation) + "'");
    const int extra = rank - static_cast<int>(letters);
    if (extra < 0)
      throw ShapeMismatchError("einsum: operand of rank " + std::to_string(rank) + " has too few axes for '" +
                               std::string(term) + "'");
    *ellipsis_rank = std::max(*ellipsis_rank, extra);
    for (std::size_t i = 0; i < term.size();) {
      if (i == dots) {
        for (int e = extra; e-- > 0;) labels.push_back(kEllipsisBase + e);
        i += 3;
        continue;
      }
      labels.push_back(static_cast<unsigned char>(term[i]));
      ++i;
    }
  } else {
    for (char c : term) {
      if (c == '.') throw ValueError("einsum: malformed ellipsis in '" + std::string(equation) + "'");
      labels.push_back(static_cast<unsigned char>(c));
    }
    if (static_cast<int>(labels.size()) != rank)
      throw ShapeMismatchError("einsum: operand of rank " + std::to_string(rank) + " does not match '" +
                               std::string(term) + "' in '" + std::string(equation) + "'");
  }
  for (int label : labels) {
    if (label < kEllipsisBase && !std::isalpha(label))
      throw ValueError("einsum: invalid subscript '" + std::string(1, static_cast<char>(label)) + "' in '" +
                       std::string(equation) + "'");
    if (std::count(labels.begin(), labels.end(), label) > 1)
      throw NotImplementedError("einsum: repeated subscript within one operand ('" + std::string(equation) +
                                "') is not supported");
  }
  return labels;
}

// The output term: its ellipsis stands for the broadcast ellipsis axes of the inputs.
std::vector<int> parse_output_term(std::string_view term, int ellipsis_rank, std::string_view equation) {
  std::size_t letters = 0;
  for (char c : term)
    if (c != '.') ++letters;
  const bool has_ellipsis = term.find("...") != std::string_view::npos;
  int unused = 0;
  return parse_term(term, static_cast<int>(letters) + (has_ellipsis ? ellipsis_rank : 0), &unused, equation);
}

std::string trim_spaces(std::string_view s) {
  std::string out;
  for (char c : s)
    if (c != ' ') out += c;
  return out;
}

int index_of(const std::vector<int>& labels, int label) {
  auto it = std::find(labels.begin(), labels.end(), label);
  return it == labels.end() ? -1 : static_cast<int>(it - labels.begin());
}

// Sums out the axes whose labels are not in `keep`.
Tensor sum_out(const Tensor& x, std::vector<int>* labels, const std::vector<int>& keep_a,
               const std::vector<int>& keep_b) {
  std::vector<int> axes;
  std::vector<int> kept;
  for (std::size_t i = 0; i < labels->size(); ++i) {
    int label = (*labels)[i];
    if (index_of(keep_a, label) < 0 && index_of(keep_b, label) < 0)
      axes.push_back(static_cast<int>(i));
    else
      kept.push_back(label);
  }
  if (axes.empty()) return x;
  *labels = kept;
  return sum(x, axes, false);
}

}  // namespace

namespace {

// [batch, M, K] x [batch, K, N] -> [batch, M, N] of int32 values, accumulated
// in int32 as numpy's int32 matmul does.
void int_matmul_3d(const std::int32_t* a, const std::int32_t* b, std::int32_t* out, std::int64_t batch, std::int64_t m,
                   std::int64_t k, std::int64_t n) {
  for (std::int64_t p = 0; p < batch; ++p) {
    const std::int32_t* ap = a + p * m * k;
    const std::int32_t* bp = b + p * k * n;
    std::int32_t* op = out + p * m * n;
    for (std::int64_t i = 0; i < m; ++i) {
      std::int32_t* row = op + i * n;
      std::fill(row, row + n, 0);
      for (std::int64_t q = 0; q < k; ++q) {
        const std::int32_t v = ap[i * k + q];
        if (v == 0) continue;
        const std::int32_t* brow = bp + q * n;
        // Wrapping like numpy's int32 (the sum of K products of int8 values
        // stays exact up to K = 133144).
        for (std::int64_t j = 0; j < n; ++j)
          row[j] =
              static_cast<std::int32_t>(static_cast<std::uint32_t>(row[j]) + static_cast<std::uint32_t>(v * brow[j]));
      }
    }
  }
}

Tensor einsum_impl(std::string_view equation_in, const Tensor& a_in, const Tensor& b_in, bool integer);

}  // namespace

Tensor einsum(std::string_view equation, const Tensor& a, const Tensor& b) {
  return einsum_impl(equation, a, b, false);
}

Tensor einsum_int8(std::string_view equation, const Tensor& a, const Tensor& b) {
  if (a.dtype() != DType::int8 || b.dtype() != DType::int8)
    throw ValueError("einsum_int8: both operands must be int8, got " + dtype_name(a.dtype()) + " and " +
                     dtype_name(b.dtype()));
  return einsum_impl(equation, a, b, true);
}

Tensor matmul_int8(const Tensor& a, const Tensor& b) {
  if (a.dtype() != DType::int8 || b.dtype() != DType::int8)
    throw ValueError("matmul_int8: both operands must be int8, got " + dtype_name(a.dtype()) + " and " +
                     dtype_name(b.dtype()));
  if (a.rank() < 1 || b.rank() != 2 || a.dim(-1) != b.dim(0))
    throw ShapeMismatchError("matmul_int8: shapes " + shape_to_string(a.shape()) + " and " +
                             shape_to_string(b.shape()) + " are incompatible");
  const std::int64_t k = b.dim(0);
  const std::int64_t n = b.dim(1);
  const std::int64_t m = k == 0 ? 0 : a.size() / k;
  Tensor a32 = a.astype(DType::int32);
  Tensor b32 = b.astype(DType::int32);
  Shape out_shape = a.shape();
  out_shape.back() = n;
  Tensor out(out_shape, DType::int32);
  if (k == 0) return out;
  int_matmul_3d(a32.data<std::int32_t>(), b32.data<std::int32_t>(), out.data<std::int32_t>(), 1, m, k, n);
  return out;
}

namespace {

Tensor einsum_impl(std::string_view equation_in, const Tensor& a_in, const Tensor& b_in, bool integer) {
  const std::string equation = trim_spaces(equation_in);
  const std::size_t arrow = equation.find("->");
  const std::string inputs = equation.substr(0, arrow);
  const std::size_t comma = inputs.find(',');
  if (comma == std::string::npos || inputs.find(',', comma + 1) != std::string::npos)
    throw ValueError("einsum: expected two operands in '" + equation + "'");
  Tensor a = integer ? a_in.astype(DType::int32) : detail::to_float(a_in);
  Tensor b = integer ? b_in.astype(DType::int32) : detail::to_float(b_in);
  int ellipsis_rank = 0;
  std::vector<int> la = parse_term(std::string_view(inputs).substr(0, comma), a.rank(), &ellipsis_rank, equation);
  std::vector<int> lb = parse_term(std::string_view(inputs).substr(comma + 1), b.rank(), &ellipsis_rank, equation);

  std::vector<int> lout;
  if (arrow != std::string::npos) {
    lout = parse_output_term(std::string_view(equation).substr(arrow + 2), ellipsis_rank, equation);
  } else {
    // Implicit output: ellipsis axes, then letters that appear once, alphabetically.
    for (int e = ellipsis_rank; e-- > 0;) lout.push_back(kEllipsisBase + e);
    std::vector<int> once;
    for (const auto* labels : {&la, &lb})
      for (int label : *labels)
        if (label < kEllipsisBase &&
            std::count(la.begin(), la.end(), label) + std::count(lb.begin(), lb.end(), label) == 1)
          once.push_back(label);
    std::sort(once.begin(), once.end());
    once.erase(std::unique(once.begin(), once.end()), once.end());
    lout.insert(lout.end(), once.begin(), once.end());
  }
  for (int label : lout)
    if (index_of(la, label) < 0 && index_of(lb, label) < 0)
      throw ValueError("einsum: output subscript '" + std::string(1, static_cast<char>(label)) +
                       "' does not appear in an input of '" + equation + "'");

  // Labels that only one operand has and the output lacks are plain sums.
  if (integer) {
    for (const auto* labels : {&la, &lb})
      for (int label : *labels)
        if (index_of(la, label) < 0 || index_of(lb, label) < 0)
          if (index_of(lout, label) < 0)
            throw NotImplementedError("einsum of int8 operands: '" + equation +
                                      "' sums an axis of one operand only, which keras-cpp does not run in integers");
  }
  a = sum_out(a, &la, lb, lout);
  b = sum_out(b, &lb, la, lout);

  // Sizes per label, with numpy broadcasting of size-1 axes.
  std::map<int, std::int64_t> size;
  for (std::size_t i = 0; i < la.size(); ++i) size[la[i]] = a.shape()[i];
  for (std::size_t i = 0; i < lb.size(); ++i) {
    auto [it, inserted] = size.emplace(lb[i], b.shape()[i]);
    if (!inserted && it->second != b.shape()[i]) {
      if (it->second == 1)
        it->second = b.shape()[i];
      else if (b.shape()[i] != 1)
        throw ShapeMismatchError("einsum: size mismatch for a subscript in '" + equation +
                                 "': " + std::to_string(it->second) + " vs " + std::to_string(b.shape()[i]));
    }
  }

  std::vector<int> batch, contracted, free_a, free_b;
  for (int label : la) {
    const bool in_b = index_of(lb, label) >= 0;
    const bool in_out = index_of(lout, label) >= 0;
    if (in_b && in_out)
      batch.push_back(label);
    else if (in_b)
      contracted.push_back(label);
    else
      free_a.push_back(label);
  }
  for (int label : lb)
    if (index_of(la, label) < 0) free_b.push_back(label);

  auto arrange = [&](const Tensor& x, const std::vector<int>& labels, const std::vector<int>& order) {
    std::vector<int> perm;
    Shape target;
    for (int label : order) {
      perm.push_back(index_of(labels, label));
      target.push_back(size[label]);
    }
    Tensor permuted = transpose(x, perm);
    return permuted.shape() == target ? permuted : broadcast_to(permuted, target);
  };
  auto concat = [](std::vector<int> x, const std::vector<int>& y, const std::vector<int>& z) {
    x.insert(x.end(), y.begin(), y.end());
    x.insert(x.end(), z.begin(), z.end());
    return x;
  };
  auto product = [&](const std::vector<int>& labels) {
    std::int64_t p = 1;
    for (int label : labels) p *= size[label];
    return p;
  };
  Tensor a3 = arrange(a, la, concat(batch, free_a, contracted));
  Tensor b3 = arrange(b, lb, concat(batch, contracted, free_b));
  const std::int64_t nb = product(batch), m = product(free_a), k = product(contracted), n = product(free_b);
  Tensor c;
  if (integer) {
    c = Tensor({nb, m, n}, DType::int32);
    if (k > 0 && nb * m * n > 0) {
      Tensor a_c = a3.reshape({nb, m, k}).clone();
      Tensor b_c = b3.reshape({nb, k, n}).clone();
      int_matmul_3d(a_c.data<std::int32_t>(), b_c.data<std::int32_t>(), c.data<std::int32_t>(), nb, m, k, n);
    }
  } else {
    c = matmul(a3.reshape({nb, m, k}), b3.reshape({nb, k, n}));
  }

  std::vector<int> c_labels = concat(batch, free_a, free_b);
  Shape c_shape;
  for (int label : c_labels) c_shape.push_back(size[label]);
  c = c.reshape(c_shape);
  std::vector<int> perm;
  for (int label : lout) perm.push_back(index_of(c_labels, label));
  return transpose(c, perm);
}

}  // namespace

}  // namespace keras::kernels
