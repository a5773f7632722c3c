#include "layers/core/quantization.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include "keras/error.hpp"
#include "keras/initializers.hpp"
#include "layers/lora.hpp"
#include "ops/elementwise.hpp"
#include "ops/reduce.hpp"
#include "ops/shape_ops.hpp"

namespace keras::detail::quant {

void QuantizedKernelLayer::add_int4_scales(std::int64_t rows, std::int64_t columns,
                                           std::optional<std::int64_t> block_size) {
  const Shape scale_shape = block_size ? Shape{(rows + *block_size - 1) / *block_size, columns} : Shape{columns};
  kernel_scale_ = add_weight("kernel_scale", scale_shape, initializers::Ones(), false);
  if (block_size) {
    kernel_zero_ = add_weight("kernel_zero", scale_shape, initializers::Zeros(), false, DType::int8);
    g_idx_ = add_weight("g_idx", {rows}, initializers::Zeros(), false, DType::float32);
    g_idx_->assign(group_indices(rows, *block_size));
  }
}

void QuantizedKernelLayer::add_float8_variables() {
  const std::int64_t history = dtype_policy().amax_history_length();
  const auto zeros = initializers::Zeros();
  const auto ones = initializers::Ones();
  inputs_scale_ = add_weight("inputs_scale", {}, ones, true, DType::float32);
  inputs_amax_history_ = add_weight("inputs_amax_history", {history}, zeros, true, DType::float32);
  kernel_scale_ = add_weight("kernel_scale", {}, ones, true, DType::float32);
  kernel_amax_history_ = add_weight("kernel_amax_history", {history}, zeros, true, DType::float32);
  outputs_grad_scale_ = add_weight("outputs_grad_scale", {}, ones, true, DType::float32);
  outputs_grad_amax_history_ = add_weight("outputs_grad_amax_history", {history}, zeros, true, DType::float32);
}

void QuantizedKernelLayer::save_int4_merged_with_lora(std::vector<VariablePtr>& saved, const VariablePtr& kernel,
                                                      std::int64_t columns, std::optional<std::int64_t> block_size,
                                                      const Tensor& delta, const std::string& where) const {
  const Tensor stored = unpack_int4(kernel->value(), columns, -1);
  const Tensor float_kernel = block_size ? dequantize_with_sz_map(stored, kernel_scale_->value(), kernel_zero_->value(),
                                                                  g_idx_->value(), 0, where)
                                         : kernels::divide(stored.astype(DType::float32), kernel_scale_->value());
  const Tensor merged = kernels::add(float_kernel, delta.reshape(float_kernel.shape()));
  Tensor values, scale, zero;
  if (block_size) {
    auto g = grouped_quantize_with_zero_point(merged, *block_size);
    values = g.values;
    scale = g.scale;
    zero = g.zero;
  } else {
    auto a = abs_max_quantize(merged, {0}, {-8, 7}, 1e-7);
    values = a.values;
    scale = kernels::squeeze(a.scale, {0});
  }
  LoraAdapter::substitute(saved, kernel, pack_int4(values, -1));
  LoraAdapter::substitute(saved, kernel_scale_, scale);
  if (kernel_zero_ && zero.defined()) LoraAdapter::substitute(saved, kernel_zero_, zero);
}

std::vector<VariablePtr> QuantizedKernelLayer::quantized_own_variables(const VariablePtr& kernel,
                                                                       const VariablePtr& bias) const {
  std::vector<VariablePtr> spec{kernel, bias};
  if (dtype_policy().quantization_mode() == "float8")
    spec.insert(spec.end(), {inputs_scale_, inputs_amax_history_, kernel_scale_, kernel_amax_history_,
                             outputs_grad_scale_, outputs_grad_amax_history_});
  else
    spec.insert(spec.end(), {kernel_scale_, kernel_zero_, g_idx_});
  std::vector<VariablePtr> out;
  for (const auto& v : spec)
    if (v) out.push_back(v);
  return out;
}

namespace {

Tensor as_float32(const Tensor& x) { return x.dtype() == DType::float32 ? x : x.astype(DType::float32); }

// numpy's round (half to even) then clip, as an int8 value; NaN becomes 0.
std::int8_t round_clip(float v, float lo, float hi) {
  float r = std::nearbyint(v);  // the default rounding mode rounds half to even
  if (std::isnan(r)) return 0;
  r = std::min(std::max(r, lo), hi);
  return static_cast<std::int8_t>(r);
}

// Python's list.insert(index, value).
void python_insert(std::vector<int>& list, int index, int value) {
  const int n = static_cast<int>(list.size());
  if (index < 0) index = std::max(0, index + n);
  index = std::min(index, n);
  list.insert(list.begin() + index, value);
}

int find_label(const std::string& spec, char label) {
  const auto pos = spec.find(label);
  return pos == std::string::npos ? -1 : static_cast<int>(pos);
}

}  // namespace

AbsMax abs_max_quantize(const Tensor& x_in, const std::vector<int>& axes, std::pair<std::int64_t, std::int64_t> range,
                        double epsilon) {
  const Tensor x = as_float32(x_in);
  std::vector<int> reduce;
  for (int a : axes) reduce.push_back(normalize_axis(a, x.rank()));
  // float32 throughout: max|x| + float32(epsilon), then float32(hi) / that.
  Tensor m = kernels::max(kernels::abs(x), reduce, true);
  Tensor scale(m.shape(), DType::float32);
  const float eps = static_cast<float>(epsilon);
  const auto hi = static_cast<float>(range.second);
  const auto lo = static_cast<float>(range.first);
  const float* pm = m.data<float>();
  float* ps = scale.data<float>();
  for (std::int64_t i = 0; i < m.size(); ++i) ps[i] = hi / (pm[i] + eps);
  Tensor product = kernels::multiply(x, scale);
  Tensor values(x.shape(), DType::int8);
  const float* pp = product.data<float>();
  auto* pv = values.data<std::int8_t>();
  for (std::int64_t i = 0; i < product.size(); ++i) pv[i] = round_clip(pp[i], lo, hi);
  return {values, scale};
}

AbsMax abs_max_quantize(const Tensor& x, const std::vector<int>& axes, const quantizers::AbsMaxQuantizer& q) {
  return abs_max_quantize(x, axes, q.value_range, q.epsilon);
}

Grouped grouped_quantize_with_zero_point(const Tensor& x_in, std::int64_t block_size,
                                         std::pair<std::int64_t, std::int64_t> range, double epsilon) {
  const Tensor x = as_float32(x_in);
  if (x.rank() != 2)
    throw ValueError("grouped int4 quantization needs a 2-D tensor, got " + shape_to_string(x.shape()));
  if (block_size <= 0) throw ValueError("grouped int4 quantization needs a positive block_size");
  const std::int64_t rows = x.dim(0);
  const std::int64_t cols = x.dim(1);
  const std::int64_t groups = (rows + block_size - 1) / block_size;
  const auto lo = static_cast<float>(range.first);
  const auto hi = static_cast<float>(range.second);
  const float eps = static_cast<float>(epsilon);
  const auto levels = static_cast<float>(range.second - range.first);
  Grouped out{Tensor({rows, cols}, DType::int8), Tensor({groups, cols}, DType::float32),
              Tensor({groups, cols}, DType::int8)};
  const float* px = x.data<float>();
  auto* pq = out.values.data<std::int8_t>();
  float* ps = out.scale.data<float>();
  auto* pz = out.zero.data<std::int8_t>();
  for (std::int64_t g = 0; g < groups; ++g) {
    const std::int64_t begin = g * block_size;
    const std::int64_t end = std::min(rows, begin + block_size);
    const bool padded = end - begin < block_size;  // zero rows complete the last group
    for (std::int64_t c = 0; c < cols; ++c) {
      float mn = padded ? 0.0F : px[begin * cols + c];
      float mx = mn;
      for (std::int64_t r = begin; r < end; ++r) {
        const float v = px[r * cols + c];
        mn = std::min(mn, v);
        mx = std::max(mx, v);
      }
      const float scale = ((mx - mn) + eps) / levels;
      const float zero = std::min(std::max(std::nearbyint(-mn / scale) + lo, lo), hi);
      ps[g * cols + c] = scale;
      pz[g * cols + c] = static_cast<std::int8_t>(zero);
      for (std::int64_t r = begin; r < end; ++r) {
        const float q = std::nearbyint(px[r * cols + c] / scale) + zero;
        pq[r * cols + c] = std::isnan(q) ? 0 : static_cast<std::int8_t>(std::min(std::max(q, lo), hi));
      }
    }
  }
  return out;
}

Tensor pack_int4(const Tensor& values, int axis_in) {
  if (values.dtype() != DType::int8)
    throw ValueError("pack_int4 expects an int8 tensor, got " + dtype_name(values.dtype()));
  const int axis = normalize_axis(axis_in, values.rank());
  // Move the axis to the front, pack pairs of rows, move it back.
  std::vector<int> perm{axis};
  for (int i = 0; i < values.rank(); ++i)
    if (i != axis) perm.push_back(i);
  Tensor front = kernels::transpose(values, perm).clone();
  const std::int64_t n = front.dim(0);
  const std::int64_t inner = n == 0 ? 0 : front.size() / n;
  const std::int64_t packed_rows = (n + 1) / 2;
  Shape packed_shape = front.shape();
  packed_shape[0] = packed_rows;
  Tensor packed(packed_shape, DType::int8);
  const auto* src = front.data<std::int8_t>();
  auto* dst = packed.data<std::int8_t>();
  for (std::int64_t r = 0; r < packed_rows; ++r) {
    for (std::int64_t j = 0; j < inner; ++j) {
      const auto low = static_cast<std::uint8_t>(src[(2 * r) * inner + j]) & 0x0FU;
      const auto high = 2 * r + 1 < n ? static_cast<std::uint8_t>(src[(2 * r + 1) * inner + j]) & 0x0FU : 0U;
      dst[r * inner + j] = static_cast<std::int8_t>(static_cast<std::uint8_t>(low | (high << 4U)));
    }
  }
  std::vector<int> inverse(perm.size());
  for (std::size_t i = 0; i < perm.size(); ++i) inverse[static_cast<std::size_t>(perm[i])] = static_cast<int>(i);
  return kernels::transpose(packed, inverse).clone();
}

Tensor unpack_int4(const Tensor& packed, std::int64_t orig_len, int axis_in) {
  if (packed.dtype() != DType::int8)
    throw ValueError("unpack_int4 expects an int8 tensor, got " + dtype_name(packed.dtype()));
  const int axis = normalize_axis(axis_in, packed.rank());
  if (orig_len < 0 || (orig_len + 1) / 2 != packed.dim(axis))
    throw ShapeMismatchError("unpack_int4: " + std::to_string(orig_len) + " values do not fit a packed axis of " +
                             std::to_string(packed.dim(axis)));
  std::vector<int> perm{axis};
  for (int i = 0; i < packed.rank(); ++i)
    if (i != axis) perm.push_back(i);
  Tensor front = kernels::transpose(packed, perm).clone();
  const std::int64_t rows = front.dim(0);
  const std::int64_t inner = rows == 0 ? 0 : front.size() / rows;
  Shape shape = front.shape();
  shape[0] = orig_len;
  Tensor out(shape, DType::int8);
  const auto* src = front.data<std::int8_t>();
  auto* dst = out.data<std::int8_t>();
  auto to_signed = [](unsigned nibble) { return static_cast<std::int8_t>(static_cast<int>(nibble ^ 8U) - 8); };
  for (std::int64_t i = 0; i < orig_len; ++i) {
    for (std::int64_t j = 0; j < inner; ++j) {
      const auto byte = static_cast<std::uint8_t>(src[(i / 2) * inner + j]);
      dst[i * inner + j] = to_signed(i % 2 == 0 ? byte & 0x0FU : (byte >> 4U) & 0x0FU);
    }
  }
  std::vector<int> inverse(perm.size());
  for (std::size_t i = 0; i < perm.size(); ++i) inverse[static_cast<std::size_t>(perm[i])] = static_cast<int>(i);
  return kernels::transpose(out, inverse).clone();
}

Tensor dequantize_with_sz_map(const Tensor& q, const Tensor& scale, const Tensor& zero, const Tensor& g_idx,
                              int group_axis, const std::string& where) {
  const int axis = normalize_axis(group_axis, scale.rank());
  const std::int64_t groups = scale.dim(axis);
  if (zero.shape() != scale.shape())
    throw ShapeMismatchError(where + ": zero point " + shape_to_string(zero.shape()) + " and scale " +
                             shape_to_string(scale.shape()) + " differ");
  Tensor idx(g_idx.shape(), DType::int32);
  auto* pi = idx.data<std::int32_t>();
  for (std::int64_t i = 0; i < g_idx.size(); ++i) {
    const double v = g_idx.at(i);
    // ops.cast(g_idx, "int32") truncates toward zero.
    if (!(v > -1.0 && v < static_cast<double>(groups)))
      throw FormatError(where + ": g_idx[" + std::to_string(i) + "] = " + std::to_string(v) +
                        " is not a group in [0, " + std::to_string(groups) + ")");
    pi[i] = static_cast<std::int32_t>(v);
  }
  Tensor scales = kernels::take(as_float32(scale), idx, axis);
  Tensor zeros = kernels::take(as_float32(zero), idx, axis);
  return kernels::multiply(kernels::subtract(as_float32(q), zeros), scales);
}

Tensor group_indices(std::int64_t n, std::int64_t block_size) {
  Tensor out({n}, DType::float32);
  float* p = out.data<float>();
  for (std::int64_t i = 0; i < n; ++i) {
    const std::int64_t group = i / block_size;  // floor, as Keras' integer division
    p[i] = static_cast<float>(group);
  }
  return out;
}

float round_to_float8_e4m3fn(float x) {
  if (std::isnan(x)) return x;
  const float a = std::fabs(x);
  if (a == 0.0F) return x;
  // e4m3fn: 3 mantissa bits, exponent bias 7, smallest normal 2^-6,
  // subnormals in steps of 2^-9, largest finite 448 (no infinities).
  int e = 0;
  (void)std::frexp(a, &e);  // a = f * 2^e with f in [0.5, 1)
  const int exponent = std::max(e - 1, -6);
  const float step = std::ldexp(1.0F, exponent - 3);
  float r = std::nearbyint(a / step) * step;
  if (r > kFloat8E4M3Max) r = std::numeric_limits<float>::quiet_NaN();  // beyond 464 rounds to NaN
  return std::copysign(r, x);
}

std::optional<quantizers::AbsMaxQuantizer> inputs_quantizer(const std::optional<quantizers::QuantizationConfig>& config,
                                                            const std::string& mode) {
  if (config) return config->activation_quantizer;
  if (mode == "int8") return quantizers::AbsMaxQuantizer{};
  return std::nullopt;
}

std::optional<std::int64_t> int4_block_size(const std::optional<quantizers::QuantizationConfig>& config,
                                            const DTypePolicy& policy) {
  std::optional<std::int64_t> block;
  if (config && config->mode == "int4")
    block = config->block_size;
  else
    block = policy.int4_block_size();
  if (block && *block == -1) return std::nullopt;
  return block;
}

DTypePolicy quantized_policy(const quantizers::QuantizationConfig& config, const DTypePolicy& policy) {
  std::string mode = config.mode;
  if (mode == "int4") mode = "int4/" + std::to_string(config.block_size ? *config.block_size : -1);
  return DTypePolicy(mode + "_from_" + policy.name());
}

Tensor quantize_dequantize_float8(const Tensor& x_in, float scale) {
  Tensor x = as_float32(x_in);
  Tensor out(x.shape(), DType::float32);
  const float* px = x.data<float>();
  float* po = out.data<float>();
  for (std::int64_t i = 0; i < x.size(); ++i) {
    const float v = std::min(std::max(px[i] / scale, -kFloat8E4M3Max), kFloat8E4M3Max);
    po[i] = round_to_float8_e4m3fn(v) * scale;
  }
  return out;
}

// ------------------------------------------------------------- EinsumDense

EinsumQuantInfo analyze_einsum_quantization(const std::string& equation, int input_rank) {
  std::string replaced;
  for (std::size_t i = 0; i < equation.size();) {
    if (equation.compare(i, 3, "...") == 0) {
      replaced += '0';
      i += 3;
    } else {
      replaced += equation[i++];
    }
  }
  auto letters = [](const std::string& s) {
    return !s.empty() &&
           std::all_of(s.begin(), s.end(), [](char c) { return std::isalpha(static_cast<unsigned char>(c)); });
  };
  const auto comma = replaced.find(',');
  const auto arrow = replaced.find("->");
  if (comma == std::string::npos || arrow == std::string::npos || arrow < comma)
    throw ValueError("Invalid einsum equation '" + equation +
                     "'. Equations must be in the form [X],[Y]->[Z], ...[X],[Y]->...[Z], or [X]...,[Y]->[Z]....");
  std::string in = replaced.substr(0, comma);
  std::string weight = replaced.substr(comma + 1, arrow - comma - 1);
  std::string out = replaced.substr(arrow + 2);
  int side = 0;  // 0 none, -1 left ellipsis, 1 right ellipsis
  if (!in.empty() && in.front() == '0' && !out.empty() && out.front() == '0') {
    side = -1;
    in.erase(0, 1);
    out.erase(0, 1);
  } else if (in.size() > 2 && in.back() == '0' && !out.empty() && out.back() == '0') {
    side = 1;
    in.pop_back();
    out.pop_back();
  }
  if (!letters(in) || !letters(weight) || !letters(out))
    throw ValueError("Invalid einsum equation '" + equation +
                     "'. Equations must be in the form [X],[Y]->[Z], ...[X],[Y]->...[Z], or [X]...,[Y]->[Z]....");
  if (side != 0) {
    // Keras labels the elided axes with the unused letters in sorted order
    // (uppercase first), prepending (which reverses them) or appending.
    std::set<char> used(in.begin(), in.end());
    used.insert(weight.begin(), weight.end());
    used.insert(out.begin(), out.end());
    std::vector<char> free;
    for (char c = 'A'; c <= 'Z'; ++c)
      if (used.count(c) == 0) free.push_back(c);
    for (char c = 'a'; c <= 'z'; ++c)
      if (used.count(c) == 0) free.push_back(c);
    const int elided = input_rank - static_cast<int>(in.size());
    for (int i = 0; i < elided && i < static_cast<int>(free.size()); ++i) {
      if (side < 0) {
        in.insert(in.begin(), free[static_cast<std::size_t>(i)]);
        out.insert(out.begin(), free[static_cast<std::size_t>(i)]);
      } else {
        in.push_back(free[static_cast<std::size_t>(i)]);
        out.push_back(free[static_cast<std::size_t>(i)]);
      }
    }
  }

  EinsumQuantInfo info;
  int index = 0;  // Keras reuses this variable across the loops below
  for (int i = 0; i < static_cast<int>(in.size()); ++i) {
    index = find_label(out, in[static_cast<std::size_t>(i)]);
    if (index == -1) info.input_reduced_axes.push_back(i);
  }
  for (int i = 0; i < static_cast<int>(weight.size()); ++i) {
    index = find_label(out, weight[static_cast<std::size_t>(i)]);
    if (index == -1) info.kernel_reduced_axes.push_back(i);
  }
  for (int i = 0; i < static_cast<int>(out.size()); ++i) {
    const char label = out[static_cast<std::size_t>(i)];
    if (find_label(in, label) == -1) info.input_expand_axes.push_back(i);
    if (find_label(weight, label) == -1) info.kernel_expand_axes.push_back(i);
  }
  for (char label : out) {
    if (int p = find_label(in, label); p != -1) info.input_transpose_axes.push_back(p);
    if (int p = find_label(weight, label); p != -1) info.kernel_transpose_axes.push_back(p);
  }
  auto place_reduced = [&](const std::vector<int>& reduced, std::vector<int>& expand, std::vector<int>& squeeze,
                           std::vector<int>& transpose) {
    for (int original : reduced) {
      if (!expand.empty()) {
        index = expand.front();
        expand.erase(expand.begin());
      } else {
        squeeze.push_back(original);
      }
      python_insert(transpose, index, original);
    }
  };
  place_reduced(info.input_reduced_axes, info.input_expand_axes, info.input_squeeze_axes, info.input_transpose_axes);
  place_reduced(info.kernel_reduced_axes, info.kernel_expand_axes, info.kernel_squeeze_axes,
                info.kernel_transpose_axes);
  return info;
}

Tensor adjust_scale_for_quant(const Tensor& scale_in, const std::vector<int>& transpose_axes,
                              const std::vector<int>& expand_axes, const std::vector<int>& squeeze_axes) {
  Tensor scale = scale_in;
  if (!transpose_axes.empty()) scale = kernels::transpose(scale, transpose_axes).clone();
  if (!expand_axes.empty()) {
    const int rank = scale.rank() + static_cast<int>(expand_axes.size());
    std::vector<bool> inserted(static_cast<std::size_t>(rank), false);
    for (int a : expand_axes) {
      const int p = normalize_axis(a, rank);
      if (inserted[static_cast<std::size_t>(p)]) throw ValueError("expand_dims: repeated axis");
      inserted[static_cast<std::size_t>(p)] = true;
    }
    Shape shape;
    std::size_t next = 0;
    for (int i = 0; i < rank; ++i) shape.push_back(inserted[static_cast<std::size_t>(i)] ? 1 : scale.shape()[next++]);
    scale = scale.reshape(shape);
  }
  if (!squeeze_axes.empty()) {
    std::vector<int> axes;
    for (int a : squeeze_axes) axes.push_back(normalize_axis(a, scale.rank()));
    scale = kernels::squeeze(scale, axes);
  }
  return scale;
}

Shape kernel_scale_shape(const Shape& kernel_shape, const EinsumQuantInfo& info) {
  Shape reduced = kernel_shape;
  for (int a : info.kernel_reduced_axes) reduced.at(static_cast<std::size_t>(a)) = 1;
  Shape shape;
  for (int a : info.kernel_transpose_axes) shape.push_back(reduced.at(static_cast<std::size_t>(a)));
  std::vector<int> expand = info.kernel_expand_axes;
  std::sort(expand.begin(), expand.end());
  for (int a : expand) {
    const int n = static_cast<int>(shape.size());
    int p = a < 0 ? std::max(0, a + n) : std::min(a, n);
    shape.insert(shape.begin() + p, 1);
  }
  std::vector<int> squeeze = info.kernel_squeeze_axes;
  std::sort(squeeze.rbegin(), squeeze.rend());
  for (int a : squeeze) shape.erase(shape.begin() + normalize_axis(a, static_cast<int>(shape.size())));
  return shape;
}

}  // namespace keras::detail::quant
