// LoRA (low-rank adaptation) state shared by the layers Keras gives
// enable_lora(): Dense, EinsumDense, Embedding and BaseConv (Conv1D/2D/3D).
// Keras keeps lora_rank / lora_alpha from the constructor, calls
// enable_lora() at the end of build() when lora_rank is set, and from then
// on computes with kernel + (lora_alpha / lora_rank) * (a @ b), where
// a = [*kernel.shape[:-1], rank] and b = [rank, kernel.shape[-1]] (the
// matmul broadcasts over a's leading axes).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "keras/layer.hpp"

namespace keras::detail {

// Its implicit constructors run nlohmann::json's, which clang-tidy counts as throwing; a null
// json allocates nothing.
// NOLINTNEXTLINE(bugprone-exception-escape)
class LoraAdapter {
 public:
  // lora_rank / lora_alpha of a config (absent, null or 0: no LoRA).
  void read_config(const Json& config, const std::string& layer);
  // The constructor arguments (lora_alpha defaults to lora_rank).
  void set_requested(std::optional<std::int64_t> rank, std::optional<double> alpha, const std::string& layer);
  // Keras writes lora_rank and lora_alpha only when lora_rank is set.
  void write_config(Json& config) const;
  // lora_rank when set (build() then enables LoRA).
  std::optional<std::int64_t> requested_rank() const { return rank_; }
  std::optional<double> requested_alpha() const;

  bool enabled() const { return a_ != nullptr; }
  // Keras' checks before enable_lora() adds the variables.
  void check_can_enable(const Layer& layer, std::int64_t rank, const Json& constraint, const std::string& what) const;
  // Records the added variables and sets lora_rank / lora_alpha as Keras' enable_lora() does.
  void enabled_with(VariablePtr a, VariablePtr b, std::int64_t rank, std::optional<double> alpha);

  const VariablePtr& a() const { return a_; }
  const VariablePtr& b() const { return b_; }
  // lora_alpha / lora_rank (a Python float division).
  double scale() const;
  // (lora_alpha / lora_rank) * (a @ b) as float32, shaped `kernel_shape`.
  Tensor delta(const Shape& kernel_shape) const;
  // kernel + delta (float32): Keras' `kernel` property.
  Tensor merge(const Tensor& kernel) const;
  // The same on the tape (a and b leaves when trainable).
  ad::Var merge_tape(const ad::Var& kernel, TapeVariables& variables) const;
  // load_own_variables(): both matrices back to zeros.
  void reset() const;

  // What save_own_variables writes in place of `which` (a merged or
  // re-quantized kernel): replaces it in `variables` by a stand-in of the same
  // name and path holding `value`, as `dtype` (default: the variable's).
  // `variables` (a layer's own, in Keras' order) without a and b: Keras' save
  // spec of a LoRA layer leaves the matrices out.
  std::vector<VariablePtr> without_matrices(std::vector<VariablePtr> variables) const;
  static void substitute(std::vector<VariablePtr>& variables, const VariablePtr& which, const Tensor& value,
                         std::optional<DType> dtype = std::nullopt);

 private:
  std::optional<std::int64_t> rank_;
  Json alpha_;  // as given, null until set (Keras writes the value it was handed)
  VariablePtr a_;
  VariablePtr b_;
};

}  // namespace keras::detail
