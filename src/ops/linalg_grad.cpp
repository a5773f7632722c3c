#include "ops/linalg_grad.hpp"

#include <string>

#include "ops/common.hpp"
#include "ops/dnnl_context.hpp"
#include "ops/linalg.hpp"
#include "ops/reduce.hpp"
#include "ops/shape_ops.hpp"

namespace keras::kernels {

using dnnl::memory;

Tensor gemm(const Tensor& a_in, const Tensor& b_in, bool transpose_a, bool transpose_b) {
  Tensor a = detail::to_float(a_in);
  Tensor b = detail::to_float(b_in);
  if (a.rank() != 2 || b.rank() != 2)
    throw ShapeMismatchError("gemm: operands must be 2-D, got " + shape_to_string(a.shape()) + " and " +
                             shape_to_string(b.shape()));
  const std::int64_t m = transpose_a ? a.dim(1) : a.dim(0);
  const std::int64_t k = transpose_a ? a.dim(0) : a.dim(1);
  const std::int64_t kb = transpose_b ? b.dim(1) : b.dim(0);
  const std::int64_t n = transpose_b ? b.dim(0) : b.dim(1);
  if (k != kb)
    throw ShapeMismatchError("gemm: inner dimensions " + std::to_string(k) + " and " + std::to_string(kb) + " differ");
  Tensor out({m, n});
  if (m == 0 || n == 0 || k == 0) return out;
  // A transposed operand is the stored matrix read with swapped strides.
  memory::desc a_md({m, k}, memory::data_type::f32, transpose_a ? memory::dims{1, m} : memory::dims{k, 1});
  memory::desc b_md({k, n}, memory::data_type::f32, transpose_b ? memory::dims{1, k} : memory::dims{n, 1});
  memory::desc c_md({m, n}, memory::data_type::f32, memory::format_tag::ab);
  const std::string key = "gemm:" + std::to_string(m) + "," + std::to_string(k) + "," + std::to_string(n) + "," +
                          (transpose_a ? "t" : "n") + (transpose_b ? "t" : "n");
  auto prim = detail::cached_primitive(key, [&] {
    dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(a_md, b_md, c_md), detail::default_attr(), detail::cpu_engine());
    return detail::make_primitive<dnnl::matmul::primitive_desc, dnnl::matmul>(pd);
  });
  detail::execute(*prim, {{DNNL_ARG_SRC, detail::wrap_memory(a_md, a.data<float>())},
                          {DNNL_ARG_WEIGHTS, detail::wrap_memory(b_md, b.data<float>())},
                          {DNNL_ARG_DST, detail::wrap_memory(c_md, out.data<float>())}});
  return out;
}

namespace {

// Swaps the last two axes.
Tensor swap_last(const Tensor& x) {
  std::vector<int> perm;
  for (int i = 0; i < x.rank(); ++i) perm.push_back(i);
  std::swap(perm[perm.size() - 1], perm[perm.size() - 2]);
  return transpose(x, perm);
}

// Sums a broadcast gradient back to `shape` (leading and size-1 axes).
Tensor sum_to(const Tensor& g, const Shape& shape) {
  if (g.shape() == shape) return g;
  std::vector<int> axes;
  const int lead = g.rank() - static_cast<int>(shape.size());
  for (int i = 0; i < g.rank(); ++i)
    if (i < lead || (shape[static_cast<std::size_t>(i - lead)] == 1 && g.shape()[static_cast<std::size_t>(i)] != 1))
      axes.push_back(i);
  return sum(g, axes, true).reshape(shape);
}

}  // namespace

std::pair<Tensor, Tensor> matmul_backward(const Tensor& a_in, const Tensor& b_in, const Tensor& g_in, bool want_a,
                                          bool want_b) {
  Tensor a = detail::to_float(a_in);
  Tensor b = detail::to_float(b_in);
  Tensor g = detail::to_float(g_in);
  const Shape a_shape = a.shape();
  const Shape b_shape = b.shape();
  if (a.rank() == 1) a = a.reshape({1, a.dim(0)});
  if (b.rank() == 1) b = b.reshape({b.dim(0), 1});
  // The gradient with the vector axes matmul removed put back.
  Shape g_full(g.shape().begin(), g.shape().end() - (a_shape.size() == 1 ? 0 : 1) - (b_shape.size() == 1 ? 0 : 1));
  g_full.push_back(a.dim(-2));
  g_full.push_back(b.dim(-1));
  g = g.reshape(g_full);
  Tensor ga, gb;
  if (a.rank() == 2 && b.rank() == 2) {
    if (want_a) ga = gemm(g, b, false, true);
    if (want_b) gb = gemm(a, g, true, false);
  } else {
    if (want_a) ga = sum_to(matmul(g, swap_last(b)), a.shape());
    if (want_b) gb = sum_to(matmul(swap_last(a), g), b.shape());
  }
  if (ga.defined()) ga = ga.reshape(a_shape);
  if (gb.defined()) gb = gb.reshape(b_shape);
  return {ga, gb};
}

DenseGrads dense_backward(const Tensor& x_in, const Tensor& kernel_in, const Tensor& g_in, bool want_x,
                          bool want_kernel, bool want_bias) {
  Tensor kernel = detail::to_float(kernel_in);
  const std::int64_t k = kernel.dim(0);
  const std::int64_t n = kernel.dim(1);
  Tensor g = detail::to_float(g_in);
  const std::int64_t rows = n == 0 ? 0 : g.size() / n;
  Tensor g2 = g.reshape({rows, n});
  DenseGrads out;
  if (want_x) {
    Shape x_shape = x_in.shape();
    out.x = gemm(g2, kernel, false, true).reshape(x_shape);
  }
  if (want_kernel) out.kernel = gemm(detail::to_float(x_in).reshape({rows, k}), g2, true, false);
  if (want_bias) out.bias = sum(g2, {0}, false);
  return out;
}

}  // namespace keras::kernels
