// Backward passes of the matrix products (linalg.hpp), and the transposed
// matrix product they are made of. float32.
#pragma once

#include <utility>

#include "keras/tensor.hpp"

namespace keras::kernels {

// op(a) . op(b) for 2-D a and b, op = transpose when the flag is set; the
// transposition is a stride, never a copy.
Tensor gemm(const Tensor& a, const Tensor& b, bool transpose_a, bool transpose_b);

// matmul(a, b) with gradient g of its output: (d a, d b), each undefined
// when not wanted. Broadcast batch dimensions are summed back.
std::pair<Tensor, Tensor> matmul_backward(const Tensor& a, const Tensor& b, const Tensor& g, bool want_a = true,
                                          bool want_b = true);

struct DenseGrads {
  Tensor x, kernel, bias;
};
// dense(x, kernel, bias) with gradient g of its output.
DenseGrads dense_backward(const Tensor& x, const Tensor& kernel, const Tensor& g, bool want_x = true,
                          bool want_kernel = true, bool want_bias = true);

}  // namespace keras::kernels
