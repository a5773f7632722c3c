// keras.layers: every built-in layer handle.
#pragma once

#include "keras/layers/activations.hpp"
#include "keras/layers/applications.hpp"
#include "keras/layers/attention.hpp"
#include "keras/layers/convolutional.hpp"
#include "keras/layers/core.hpp"
#include "keras/layers/image_augmentation.hpp"
#include "keras/layers/merging.hpp"
#include "keras/layers/normalization.hpp"
#include "keras/layers/pooling.hpp"
#include "keras/layers/preprocessing.hpp"
#include "keras/layers/regularization.hpp"
#include "keras/layers/reshaping.hpp"
#include "keras/layers/rnn.hpp"
