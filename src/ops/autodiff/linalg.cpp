// Differentiable matrix products: matmul, dense and two-operand einsum.
#include <algorithm>
#include <string>

#include "keras/autodiff.hpp"
#include "ops/common.hpp"
#include "ops/elementwise.hpp"
#include "ops/linalg.hpp"
#include "ops/linalg_grad.hpp"
#include "ops/reduce.hpp"
#include "ops/shape_ops.hpp"

namespace keras::ad {

namespace k = keras::kernels;

Var matmul(const Var& a, const Var& b) {
  Tensor av = a.value();
  Tensor bv = b.value();
  return record(k::matmul(av, bv), {a, b}, [av, bv](const Tensor& g, const std::vector<bool>& needs) {
    auto [ga, gb] = k::matmul_backward(av, bv, g, needs[0], needs[1]);
    return std::vector<Tensor>{ga, gb};
  });
}

Var dense(const Var& x, const Var& kernel, const Var& bias) {
  Tensor xv = x.value();
  Tensor kv = kernel.value();
  Tensor y = k::dense(xv, kv, bias.defined() ? bias.value() : Tensor());
  std::vector<Var> inputs{x, kernel};
  if (bias.defined()) inputs.push_back(bias);
  return record(y, inputs, [xv, kv](const Tensor& g, const std::vector<bool>& needs) {
    auto grads = k::dense_backward(xv, kv, g, needs[0], needs[1], needs.size() > 2 && needs[2]);
    return std::vector<Tensor>{grads.x, grads.kernel, grads.bias};
  });
}

namespace {

// An einsum equation with every "..." replaced by explicit letters and the
// output term spelled out.
struct Equation {
  std::string a, b, out;
};

std::string strip_spaces(std::string_view s) {
  std::string out;
  for (char c : s)
    if (c != ' ') out += c;
  return out;
}

Equation explicit_equation(std::string_view equation_in, int rank_a, int rank_b) {
  const std::string equation = strip_spaces(equation_in);
  const auto arrow = equation.find("->");
  const std::string inputs = equation.substr(0, arrow);
  const auto comma = inputs.find(',');
  if (comma == std::string::npos) throw ValueError("einsum: expected two operands in '" + equation + "'");
  Equation eq{inputs.substr(0, comma), inputs.substr(comma + 1),
              arrow == std::string::npos ? std::string() : equation.substr(arrow + 2)};
  // Letters no term uses name the ellipsis dimensions.
  std::string unused;
  for (char c = 'A'; c <= 'Z'; ++c)
    if (equation.find(c) == std::string::npos) unused += c;
  auto letters_in = [](const std::string& term) {
    return static_cast<int>(std::count_if(term.begin(), term.end(), [](char c) { return c != '.'; }));
  };
  const int ellipsis_rank = std::max(eq.a.find("...") != std::string::npos ? rank_a - letters_in(eq.a) : 0,
                                     eq.b.find("...") != std::string::npos ? rank_b - letters_in(eq.b) : 0);
  if (static_cast<int>(unused.size()) < ellipsis_rank)
    throw NotImplementedError("einsum gradient: too many ellipsis dimensions");
  const std::string ellipsis = unused.substr(0, static_cast<std::size_t>(std::max(ellipsis_rank, 0)));
  auto expand = [&](std::string& term, int rank) {
    const auto at = term.find("...");
    if (at == std::string::npos) return;
    const int n = rank - letters_in(term);
    term.replace(at, 3, ellipsis.substr(ellipsis.size() - static_cast<std::size_t>(n)));
  };
  expand(eq.a, rank_a);
  expand(eq.b, rank_b);
  if (arrow == std::string::npos) {
    // numpy's implicit output: the ellipsis, then the letters used once, sorted.
    std::string once;
    for (char c : eq.a + eq.b)
      if (ellipsis.find(c) == std::string::npos &&
          std::count(eq.a.begin(), eq.a.end(), c) + std::count(eq.b.begin(), eq.b.end(), c) == 1)
        once += c;
    std::sort(once.begin(), once.end());
    eq.out = ellipsis + once;
  } else {
    expand(eq.out, static_cast<int>(ellipsis.size()) + letters_in(eq.out));
  }
  return eq;
}

// The gradient of einsum(x, other -> out) with respect to x: einsum(g, other
// -> x's letters that g or other carry), then broadcast along x's letters
// that were summed out on their own.
Tensor einsum_operand_grad(const Tensor& g, const std::string& out, const Tensor& other, const std::string& other_term,
                           const std::string& x_term, const Shape& x_shape) {
  std::string kept;
  for (char c : x_term)
    if (out.find(c) != std::string::npos || other_term.find(c) != std::string::npos) kept += c;
  Tensor grad = k::einsum(out + "," + other_term + "->" + kept, g, other);
  if (kept == x_term) return grad;
  Shape with_ones;
  std::size_t next = 0;
  for (std::size_t i = 0; i < x_term.size(); ++i) {
    if (next < kept.size() && kept[next] == x_term[i]) {
      with_ones.push_back(grad.shape()[next++]);
    } else {
      with_ones.push_back(1);
    }
  }
  return k::broadcast_to(grad.reshape(with_ones), x_shape);
}

}  // namespace

Var einsum(std::string_view equation, const Var& a, const Var& b) {
  Tensor av = a.value();
  Tensor bv = b.value();
  Tensor y = k::einsum(equation, av, bv);
  const Equation eq = explicit_equation(equation, av.rank(), bv.rank());
  return record(y, {a, b}, [av, bv, eq](const Tensor& g, const std::vector<bool>& needs) {
    Tensor ga, gb;
    if (needs[0]) ga = einsum_operand_grad(g, eq.out, bv, eq.b, eq.a, av.shape());
    if (needs[1]) gb = einsum_operand_grad(g, eq.out, av, eq.a, eq.b, bv.shape());
    return std::vector<Tensor>{ga, gb};
  });
}

}  // namespace keras::ad
