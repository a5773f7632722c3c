// Convolution layers: Keras' fixtures, configs equal to Keras', and hand-checked values.
#include <gtest/gtest.h>

#include "keras/keras.hpp"
#include "support/fixture_check.hpp"
#include "support/test_support.hpp"

namespace {
TEST(ConvFixtures, Conv1D) { keras_test::expect_fixture_matches("conv1d"); }
TEST(ConvFixtures, Conv2D) { keras_test::expect_fixture_matches("conv2d"); }
TEST(ConvFixtures, Conv2DChannelsFirst) { keras_test::expect_fixture_matches("conv2d_channels_first"); }
TEST(ConvFixtures, Conv3D) { keras_test::expect_fixture_matches("conv3d"); }
TEST(ConvFixtures, ConvTranspose) { keras_test::expect_fixture_matches("conv_transpose"); }
TEST(ConvFixtures, DepthwiseSeparable) { keras_test::expect_fixture_matches("depthwise_separable"); }
}  // namespace
