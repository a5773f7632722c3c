// Classes Keras can write into a .keras file that keras-cpp cannot run are
// refused with a message naming the class and the reason.
#include <gtest/gtest.h>

#include <algorithm>

#include "keras/keras.hpp"

namespace {

using keras::Json;

bool is_refused(const std::string& class_name) {
  const auto refused = keras::saving::refused_classes();
  return std::any_of(refused.begin(), refused.end(), [&](const auto& r) { return r.class_name == class_name; });
}

TEST(RefusedLayers, EachRefusalNamesTheClassTheLayerAndWhy) {
  keras::saving::register_builtins();
  ASSERT_FALSE(keras::saving::refused_classes().empty());
  for (const auto& r : keras::saving::refused_classes()) {
    if (r.kind != keras::saving::ObjectKind::layer || r.refusal != keras::saving::Refusal::unknown) continue;
    Json envelope = {{"module", r.module},
                     {"class_name", r.class_name},
                     {"config", {{"name", "refused_layer"}}},
                     {"registered_name", nullptr}};
    try {
      (void)keras::saving::deserialize_layer(envelope);
      FAIL() << r.class_name << " was not refused";
    } catch (const keras::UnknownObjectError& e) {
      const std::string message = e.what();
      EXPECT_NE(message.find(r.class_name), std::string::npos) << message;
      EXPECT_NE(message.find(r.reason), std::string::npos) << message;
      EXPECT_NE(message.find("refused_layer"), std::string::npos) << message;
    }
  }
  for (const char* cls : {"StringLookup", "TextVectorization", "IntegerLookup", "Hashing", "HashedCrossing",
                          "TFSMLayer", "TorchModuleWrapper", "JaxLayer", "FlaxLayer"})
    EXPECT_TRUE(is_refused(cls)) << cls;
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
