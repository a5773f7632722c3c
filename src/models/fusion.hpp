// Inference fusion for the execution plan. A Dense layer (and the activation layer that alone
// reads its output) runs as one prepared oneDNN matmul: the kernel reordered once, bias and
// activation as post-ops. A convolution (Conv*D with any groups, or
// DepthwiseConv*D), preceded by the ZeroPadding whose output only it reads and followed by the
// BatchNormalization and the activation that alone read its output, runs as one oneDNN
// convolution: the zeros added as the primitive's own padding, the normalization folded into
// the kernel and bias, the activation applied as a post-op, the weights reordered into oneDNN's
// layout once per input shape and rebuilt only when a variable changes.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "keras/layer.hpp"
#include "ops/conv.hpp"
#include "ops/linalg.hpp"

namespace keras::detail {

class ConvLayerBase;
class PreparedMatmulCache;
class BatchNormalizationImpl;

// A chain of layers the plan runs as one step at inference.
class FusedStep {
 public:
  virtual ~FusedStep() = default;
  // The chain's output for x, as running its layers one after the other would give (up to rounding).
  virtual Tensor run(const Tensor& x) const = 0;
};

class FusedConv final : public FusedStep {
 public:
  // The chain's layers (`pad`, `norm` and `activation` may be null) and the input channels.
  FusedConv(std::shared_ptr<Layer> pad, std::shared_ptr<Layer> conv, std::shared_ptr<Layer> norm,
            std::shared_ptr<Layer> activation, std::vector<kernels::PostOp> post_ops, std::int64_t channels);
  Tensor run(const Tensor& x) const override;

  // Whether `layer` can start a chain, and which post-op (if any) an activation layer or
  // activation name maps to.
  static bool starts_chain(const Layer& layer);
  // Whether `pad` is a ZeroPadding the convolution `conv` (which starts a chain) can apply as
  // its own padding: channels_last, float32, no side padded by a kernel's extent or more.
  static bool absorbs_padding(const Layer& pad, const Layer& conv);
  static bool is_foldable_norm(const Layer& layer, int input_rank);
  static std::optional<kernels::PostOp> post_op_of(const Layer& layer);
  static std::optional<std::optional<kernels::PostOp>> post_op_of_name(const std::string& activation);

 private:
  struct Prepared {
    std::shared_ptr<const kernels::PreparedConv> conv;
    std::vector<std::uint64_t> versions;
  };
  std::vector<std::uint64_t> versions() const;
  bool current(const std::vector<std::uint64_t>& versions) const;
  std::shared_ptr<const kernels::PreparedConv> prepare(const Shape& input_shape) const;
  Tensor run_unfused(const Tensor& x) const;

  std::int64_t channels_;  // the input channels the graph was built for
  std::shared_ptr<Layer> pad_;
  std::vector<std::pair<std::int64_t, std::int64_t>> zero_padding_;  // pad_'s amounts, or empty
  std::shared_ptr<Layer> conv_;
  std::shared_ptr<Layer> norm_;
  std::shared_ptr<Layer> activation_;
  std::vector<kernels::PostOp> post_ops_;
  std::vector<VariablePtr> variables_;  // everything the prepared weights derive from
  mutable std::mutex mutex_;
  mutable std::map<Shape, Prepared> prepared_;
};

// A float32 Dense, then (optionally) the activation layer that alone reads its output. The
// Dense's own activation and the activation layer's become post-ops when oneDNN computes them
// (FusedConv::post_op_of_name); another Dense activation (softmax, a custom function) runs after
// the prepared matmul, and then no activation layer is absorbed.
class FusedDense final : public FusedStep {
 public:
  FusedDense(std::shared_ptr<Layer> dense, std::shared_ptr<Layer> activation);
  Tensor run(const Tensor& x) const override;

  // Whether `layer` is a Dense this class runs (float32, built, not quantized).
  static bool starts_chain(const Layer& layer);
  // Whether the Dense's own activation is a post-op, so that an activation layer after it can
  // be absorbed too.
  static bool activation_fuses(const Layer& dense);

 private:
  Tensor run_unfused(const Tensor& x) const;
  Tensor finish(const Tensor& y) const;  // applies after_

  std::shared_ptr<Layer> dense_;
  std::shared_ptr<Layer> activation_;
  std::vector<kernels::PostOp> post_ops_;
  std::string after_;  // the Dense's activation when it is no post-op ("linear": none)
  std::shared_ptr<const PreparedMatmulCache> prepared_;
};

}  // namespace keras::detail
