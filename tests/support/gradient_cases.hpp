// The gradient cases of the layers keras-cpp trains through: one row per
// configuration worth checking, run by call_vjp() against central finite
// differences of call(). test_gradients.cpp runs each case; the per-class
// tester (tests/test_every_class.cpp) gives every class with cases its
// gradient column from them.
#pragma once

#include <string>
#include <vector>

#include "keras/keras.hpp"
#include "support/gradient_check.hpp"

namespace keras_test {

// What a test input holds.
// mask: a boolean tensor, about one entry in four false (a mask argument).
enum class Values { real, positive, ids, distinct, mask };

struct GradientInput {
  keras::Shape shape;
  Values values = Values::real;
  std::int64_t vocabulary = 5;  // ids: values in [0, vocabulary)
};

struct GradientCase {
  std::string class_name;
  keras::Json config;
  std::vector<GradientInput> inputs;
  // How the inputs are passed: one positional tensor each, or one list.
  bool list_input = false;
  GradientTolerance tolerance{};
  bool training = false;
  // Keyword arguments: tensors (masks, attention's value) and plain values
  // (use_causal_mask, return_attention_scores); a key ending in "[]" appends
  // its tensor to a list argument of that name.
  std::vector<std::pair<std::string, GradientInput>> kwarg_tensors = {};
  keras::Json kwargs = keras::Json::object();
  // A training call with seeded random draws (dropout; the config gives the
  // seed), checked on fresh same-seed copies (gradient_case_excess).
  bool seeded_training = false;
};

const std::vector<GradientCase>& gradient_cases();

// Builds the layer of a case, draws its inputs and variables, and checks its
// gradients (operation_gradient_excess: <= 0 passes).
double gradient_case_excess(const GradientCase& c, std::vector<std::string>* problems = nullptr);

}  // namespace keras_test
