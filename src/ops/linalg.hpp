// Matrix products: numpy matmul, Dense and two-operand einsum. float32
// (int32 for the int8 variants).
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

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

// Keras' matmul / einsum of two int8 operands, which its backends return as
// exact int32 sums (quantized Dense and EinsumDense). matmul_int8 takes
// a [..., K] and b [K, N].
Tensor matmul_int8(const Tensor& a, const Tensor& b);
Tensor einsum_int8(std::string_view equation, const Tensor& a, const Tensor& b);

enum class PostOp;  // ops/conv.hpp

// dense() prepared for inputs of `rows` rows (the product of all but the last axis): a oneDNN
// matmul created once, the kernel [K, N] copied into the layout it prefers once, the bias and
// `post_ops` applied inside the primitive, the output never zero-filled. `share` is an earlier
// preparation of the same kernel and bias whose copied weights are reused when the layout
// matches (one copy of the weights for many batch sizes). run() is thread-safe.
class PreparedDense {
 public:
  PreparedDense(std::int64_t rows, const Tensor& kernel, const Tensor& bias, const std::vector<PostOp>& post_ops,
                const PreparedDense* share = nullptr);
  // The same from a float32 kernel whose buffer nothing else will read again (a variable giving
  // it up, Variable::release_into): the copy is made a block of rows at a time and each block's
  // pages are given back to the system once copied, so that the kernel is in memory about once
  // while it is prepared, not twice. Every step that can fail comes before the first page goes.
  struct ConsumeKernel {};
  PreparedDense(ConsumeKernel, std::int64_t rows, Tensor& kernel, const Tensor& bias,
                const std::vector<PostOp>& post_ops, const PreparedDense* share = nullptr);
  // x [..., K] float32 with `rows` rows -> [..., N].
  Tensor run(const Tensor& x) const;
  // The same into `out`: rows x N contiguous floats.
  void run_into(const Tensor& x, float* out) const;
  std::int64_t rows() const;
  std::int64_t columns() const;  // N
  // The kernel [K, N] back in Keras' layout, bit for bit, from the prepared copy.
  Tensor kernel() const;

  struct State;

 private:
  PreparedDense(std::int64_t rows, const Tensor& kernel, const Tensor& bias, const std::vector<PostOp>& post_ops,
                const PreparedDense* share, bool consume);
  std::shared_ptr<const State> state_;
};

}  // namespace keras::kernels
