// keras.layers: every built-in layer handle.
#pragma once

#include "keras/layers/activations.hpp"
#include "keras/layers/core.hpp"
