// Pooling layers: Keras' fixtures, configs equal to Keras', and hand-checked values.
#include <gtest/gtest.h>

#include "keras/keras.hpp"
#include "support/fixture_check.hpp"
#include "support/test_support.hpp"

namespace {
TEST(PoolingFixtures, Pooling) { keras_test::expect_fixture_matches("pooling"); }
TEST(PoolingFixtures, AdaptivePooling) { keras_test::expect_fixture_matches("adaptive_pooling"); }
}  // namespace
