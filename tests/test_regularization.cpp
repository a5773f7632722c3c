// Regularizer penalties and constraint projections as Keras computes them.
#include <gtest/gtest.h>

#include <cmath>

#include "keras/keras.hpp"
#include "support/gradient_check.hpp"
#include "training/regularization.hpp"

namespace {

using keras::Tensor;
namespace ad = keras::ad;

TEST(Regularizers, PenaltiesAndGradients) {
  const Tensor w = Tensor::from_vector({2, 3}, {1.0F, -2.0F, 0.5F, 0.0F, 3.0F, -1.0F});
  using keras::training::regularization_penalty;
  EXPECT_FLOAT_EQ(regularization_penalty(keras::regularizers::L1(0.1), ad::Var(w)).value().item(), 0.75F);
  EXPECT_FLOAT_EQ(regularization_penalty(keras::regularizers::L2(0.1), ad::Var(w)).value().item(), 1.525F);
  EXPECT_FLOAT_EQ(regularization_penalty(keras::regularizers::L1L2(0.1, 0.1), ad::Var(w)).value().item(), 2.275F);
  EXPECT_FLOAT_EQ(regularization_penalty(keras::regularizers::get("l2"), ad::Var(w)).value().item(), 0.1525F);
  // Orthogonal rows: normalized rows r0, r1; penalty = factor / 2 * 2|r0.r1| / 1.
  const float n0 = std::sqrt(1.0F + 4.0F + 0.25F), n1 = std::sqrt(9.0F + 1.0F);
  const float dot = (1.0F * 0.0F - 2.0F * 3.0F - 0.5F * 1.0F) / (n0 * n1);
  EXPECT_NEAR(regularization_penalty(keras::regularizers::OrthogonalRegularizer(0.1), ad::Var(w)).value().item(),
              0.1F * 0.5F * 2.0F * std::abs(dot), 1e-6);
  const Tensor w_smooth = Tensor::from_vector({2, 3}, {1.0F, -2.0F, 0.5F, 0.3F, 3.0F, -1.0F});
  for (const auto& reg :
       {keras::regularizers::L1(0.1), keras::regularizers::L2(0.2), keras::regularizers::L1L2(0.1, 0.3),
        keras::regularizers::OrthogonalRegularizer(0.5, "columns")})
    keras_test::expect_gradient_matches([&](const ad::Var& v) { return regularization_penalty(reg, v); }, w_smooth,
                                        {.rtol = 1e-2, .atol = 1e-3, .step = 1e-3}, reg.dump());
  EXPECT_THROW(regularization_penalty(keras::regularizers::OrthogonalRegularizer(), ad::Var(Tensor::zeros({3}))),
               keras::ValueError);
}

TEST(Constraints, Projections) {
  using keras::training::apply_constraint;
  const Tensor w = Tensor::from_vector({2, 2}, {3.0F, -1.0F, 4.0F, 0.0F});  // column norms 5 and 1
  EXPECT_EQ(apply_constraint(keras::constraints::NonNeg(), w).to_vector(), (std::vector<float>{3, 0, 4, 0}));
  auto unit = apply_constraint(keras::constraints::UnitNorm(0), w).to_vector();
  EXPECT_NEAR(unit[0], 0.6F, 1e-6);
  EXPECT_NEAR(unit[2], 0.8F, 1e-6);
  EXPECT_NEAR(unit[1], -1.0F, 1e-6);
  auto max_norm = apply_constraint(keras::constraints::MaxNorm(2.0, 0), w).to_vector();
  EXPECT_NEAR(max_norm[0], 1.2F, 1e-6);   // column 0 scaled to norm 2
  EXPECT_NEAR(max_norm[1], -1.0F, 1e-6);  // column 1 within the limit
  auto min_max = apply_constraint(keras::constraints::MinMaxNorm(2.0, 3.0, 0.5, 0), w).to_vector();
  EXPECT_NEAR(min_max[0], 3.0F * (0.5F * 3.0F + 0.5F * 5.0F) / 5.0F, 1e-5);
  EXPECT_NEAR(min_max[1], -1.0F * (0.5F * 2.0F + 0.5F * 1.0F) / 1.0F, 1e-5);
}

}  // namespace
