// Gradients of every layer keras-cpp can train through: call_vjp() against
// central finite differences of call(), for the inputs and every trainable
// variable, one test per case of support/gradient_cases.cpp (adding a class
// is adding a row there).
#include <gtest/gtest.h>

#include "support/gradient_cases.hpp"

namespace {

using keras_test::gradient_cases;

class LayerGradient : public ::testing::TestWithParam<std::size_t> {};

TEST_P(LayerGradient, MatchesFiniteDifferences) {
  std::vector<std::string> problems;
  const double excess = keras_test::gradient_case_excess(gradient_cases().at(GetParam()), &problems);
  for (const auto& p : problems) ADD_FAILURE() << p;
  EXPECT_LE(excess, 0.0);
}

INSTANTIATE_TEST_SUITE_P(Cases, LayerGradient, ::testing::Range<std::size_t>(0, gradient_cases().size()),
                         [](const auto& info) {
                           return gradient_cases().at(info.param).class_name + "_" + std::to_string(info.param);
                         });

}  // namespace
