// Inference fusion for the execution plan: a convolution (Conv*D with any groups, or
// DepthwiseConv*D) followed by the BatchNormalization and the activation that alone read its
// output runs as one oneDNN convolution: the normalization folded into the kernel and bias, the
// activation applied as a post-op, the weights reordered into oneDNN's layout once per input
// shape and rebuilt only when a variable changes.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "keras/layer.hpp"
#include "ops/conv.hpp"

namespace keras::detail {

class ConvLayerBase;
class BatchNormalizationImpl;

class FusedConv {
 public:
  // The chain's layers (`norm` and `activation` may be null) and the input channels.
  FusedConv(std::shared_ptr<Layer> conv, std::shared_ptr<Layer> norm, std::shared_ptr<Layer> activation,
            std::vector<kernels::PostOp> post_ops, std::int64_t channels);
  // The chain's output for x, as running its layers one after the other would give (up to rounding).
  Tensor run(const Tensor& x) const;

  // Whether `layer` can start a chain, and which post-op (if any) an activation layer or
  // activation name maps to.
  static bool starts_chain(const Layer& layer);
  static bool is_foldable_norm(const Layer& layer);
  static std::optional<kernels::PostOp> post_op_of(const Layer& layer);
  static std::optional<std::optional<kernels::PostOp>> post_op_of_name(const std::string& activation);

 private:
  struct Prepared {
    std::shared_ptr<const kernels::PreparedConv> conv;
    std::vector<std::uint64_t> versions;
  };
  std::vector<std::uint64_t> versions() const;
  std::shared_ptr<const kernels::PreparedConv> prepare(const Shape& input_shape) const;
  Tensor run_unfused(const Tensor& x) const;

  std::int64_t channels_;  // the input channels the graph was built for
  std::shared_ptr<Layer> conv_;
  std::shared_ptr<Layer> norm_;
  std::shared_ptr<Layer> activation_;
  std::vector<kernels::PostOp> post_ops_;
  std::vector<VariablePtr> variables_;  // everything the prepared weights derive from
  mutable std::mutex mutex_;
  mutable std::map<Shape, Prepared> prepared_;
};

}  // namespace keras::detail
