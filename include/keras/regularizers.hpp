// keras.regularizers and keras.constraints: configs carried by layers. They
// affect training only; keras-cpp stores and writes them as Keras does.
#pragma once

#include "keras/json.hpp"

namespace keras::regularizers {
Json L1(double l1 = 0.01);
Json L2(double l2 = 0.01);
Json L1L2(double l1 = 0.0, double l2 = 0.0);
Json OrthogonalRegularizer(double factor = 0.01, const std::string& mode = "rows");
// A string ("l2") or an envelope, validated and returned as an envelope.
Json get(const Json& identifier);
}  // namespace keras::regularizers

namespace keras::constraints {
Json MaxNorm(double max_value = 2.0, int axis = 0);
Json NonNeg();
Json UnitNorm(int axis = 0);
Json MinMaxNorm(double min_value = 0.0, double max_value = 1.0, double rate = 1.0, int axis = 0);
Json get(const Json& identifier);
}  // namespace keras::constraints
