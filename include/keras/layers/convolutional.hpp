// keras.layers: convolutional layers.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "keras/initializers.hpp"
#include "keras/layer.hpp"

namespace keras::layers {}  // namespace keras::layers
