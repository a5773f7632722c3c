// Issue 14's training data set: x ~ N(0, 1) of shape (n, 8) with a fixed
// seed, y = 1 where the sum of the first three features is positive, else 0.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "keras/keras.hpp"

namespace keras_test {

inline std::pair<keras::Tensor, keras::Tensor> sum_of_three(std::int64_t n = 512) {
  keras::Tensor x = keras::random::normal({n, 8}, 0.0F, 1.0F, 2024);
  std::vector<float> y(static_cast<std::size_t>(n));
  const auto values = x.to_vector();
  for (std::int64_t i = 0; i < n; ++i) {
    const auto row = static_cast<std::size_t>(i * 8);
    y[static_cast<std::size_t>(i)] = values[row] + values[row + 1] + values[row + 2] > 0.0F ? 1.0F : 0.0F;
  }
  return {x, keras::Tensor::from_vector({n, 1}, y)};
}

}  // namespace keras_test
