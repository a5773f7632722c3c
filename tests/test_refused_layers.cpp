// Classes Keras can write into a .keras file that keras-cpp cannot run are
// refused with a message naming the class and the reason.
#include <gtest/gtest.h>

#include "keras/keras.hpp"

namespace {

using keras::Json;

TEST(RefusedLayers, EachRefusalNamesTheClassAndWhy) {
  ASSERT_FALSE(keras::saving::refused_classes().empty());
  for (const auto& [class_name, reason] : keras::saving::refused_classes()) {
    Json envelope = {{"module", "keras.layers"},
                     {"class_name", class_name},
                     {"config", {{"name", "refused_layer"}}},
                     {"registered_name", nullptr}};
    try {
      (void)keras::saving::deserialize_layer(envelope);
      FAIL() << class_name << " was not refused";
    } catch (const keras::UnknownObjectError& e) {
      const std::string message = e.what();
      EXPECT_NE(message.find(class_name), std::string::npos) << message;
      EXPECT_NE(message.find(reason), std::string::npos) << message;
      EXPECT_NE(message.find("refused_layer"), std::string::npos) << message;
    }
  }
  for (const char* cls : {"StringLookup", "TextVectorization", "IntegerLookup", "Hashing", "HashedCrossing",
                          "TFSMLayer", "TorchModuleWrapper", "JaxLayer", "FlaxLayer"})
    EXPECT_EQ(keras::saving::refused_classes().count(cls), 1U) << cls;
}

TEST(RefusedLayers, ARefusedLayerInsideAModelFailsTheLoad) {
  Json model = {
      {"module", "keras"},
      {"class_name", "Sequential"},
      {"config",
       {{"name", "sequential"},
        {"layers",
         Json::array({Json{{"module", "keras.layers"},
                           {"class_name", "InputLayer"},
                           {"config", {{"batch_shape", Json::array({nullptr, 1})}, {"dtype", "int64"}, {"name", "in"}}},
                           {"registered_name", nullptr}},
                      Json{{"module", "keras.layers"},
                           {"class_name", "IntegerLookup"},
                           {"config", {{"name", "lookup"}, {"vocabulary", Json::array({3, 7})}}},
                           {"registered_name", nullptr}}})}}},
      {"registered_name", nullptr}};
  try {
    (void)keras::model_from_json(model.dump());
    FAIL() << "IntegerLookup model loaded";
  } catch (const keras::Error& e) {
    EXPECT_NE(std::string(e.what()).find("IntegerLookup"), std::string::npos) << e.what();
  }
}

}  // namespace
