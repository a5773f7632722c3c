// keras-cpp: build, run, train, save and load Keras 3 models in C++.
// The umbrella header; namespaces mirror Keras' Python modules.
#pragma once

#include "keras/autodiff.hpp"
#include "keras/error.hpp"
#include "keras/initializers.hpp"
#include "keras/json.hpp"
#include "keras/layer.hpp"
#include "keras/layers.hpp"
#include "keras/limits.hpp"
#include "keras/losses.hpp"
#include "keras/metrics.hpp"
#include "keras/models.hpp"
#include "keras/operation.hpp"
#include "keras/ops.hpp"
#include "keras/optimizers.hpp"
#include "keras/quantizers.hpp"
#include "keras/registry.hpp"
#include "keras/regularizers.hpp"
#include "keras/saving.hpp"
#include "keras/tensor.hpp"
#include "keras/utils.hpp"
#include "keras/variable.hpp"
