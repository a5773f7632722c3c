// Matrix products: numpy matmul, Dense and two-operand einsum. float32.
#pragma once

#include <string_view>

#include "keras/tensor.hpp"

namespace keras::kernels {

// numpy.matmul: a [..., M, K] x b [..., K, N] with broadcast batch dims; a 1-D
// operand is promoted to a row (a) or column (b) vector and that axis removed.
Tensor matmul(const Tensor& a, const Tensor& b);

// x [..., K] . kernel [K, N] (+ bias [N]) -> [..., N]. Bias optional (undefined = none).
Tensor dense(const Tensor& x, const Tensor& kernel, const Tensor& bias = {});

// Two-operand einsum ("abc,cde->abde", "...b,bc->...c", implicit output
// when "->" is missing). Letters that appear in one operand only and not in
// the output are summed out first. Repeated letters within one operand
// (diagonals) throw NotImplementedError.
Tensor einsum(std::string_view equation, const Tensor& a, const Tensor& b);

}  // namespace keras::kernels
