// A config value of the wrong JSON type or range names the class, the layer,
// the key and what it got, whichever layer reads it: real fixture configs with
// one value changed, loaded whole.
#include <gtest/gtest.h>

#include <string>

#include "keras/keras.hpp"
#include "saving/bytes.hpp"
#include "saving/zip_archive.hpp"
#include "support/test_support.hpp"

namespace {

using keras::Json;

struct Case {
  std::string fixture, class_name, key;
  Json value;
  std::string expected;  // what the message says the key must be
};

// Loads `fixture` with the first `class_name` layer's `key` set to `value`; the error's what().
std::string load_mutated(const Case& c, std::string* layer_name) {
  auto zip = keras::saving::ZipReader::open(keras_test::fixture_dir(c.fixture) / "model.keras");
  Json config = Json::parse(keras::saving::to_text(zip.read("config.json")));
  bool found = false;
  for (auto& layer : config["config"]["layers"]) {
    if (layer["class_name"] != c.class_name) continue;
    layer["config"][c.key] = c.value;
    *layer_name = layer["config"]["name"];
    found = true;
    break;
  }
  EXPECT_TRUE(found) << "no " << c.class_name << " in " << c.fixture;
  keras::saving::ZipWriter out;
  out.add("metadata.json", zip.read("metadata.json"));
  out.add("config.json", keras::saving::to_bytes(config.dump()));
  out.add("model.weights.h5", zip.read("model.weights.h5"));
  try {
    keras::load_model(out.finish_to_memory());
  } catch (const keras::FormatError& e) {
    return e.what();
  } catch (const keras::Error& e) {
    ADD_FAILURE() << "not a FormatError: " << e.what();
    return e.what();
  }
  return "";
}

TEST(ConfigMessages, NameTheClassLayerKeyAndValue) {
  const std::vector<Case> cases = {
      {"dense_options", "Dense", "use_bias", "yes", "must be a boolean"},
      {"conv2d", "Conv2D", "strides", "two", "must be an integer or a list of 2 integers"},
      {"conv2d", "Conv2D", "padding", 3, "must be a string"},
      {"embedding", "Embedding", "mask_zero", 3, "must be a boolean"},
      {"recurrent", "LSTM", "units", 2.5, "must be a positive integer"},
      {"recurrent", "GRU", "use_bias", "no", "must be a boolean"},
      {"attention", "MultiHeadAttention", "use_bias", 1, "must be a boolean"},
      {"attention", "MultiHeadAttention", "num_heads", "8", "must be a positive integer"},
      {"normalization", "BatchNormalization", "epsilon", "small", "must be a number"},
      {"normalization", "GroupNormalization", "groups", 1.5, "must be an integer"},
      {"pooling", "MaxPooling2D", "pool_size", Json{2, "x"}, "must be a list of integers"},
  };
  for (const auto& c : cases) {
    std::string layer;
    const std::string message = load_mutated(c, &layer);
    SCOPED_TRACE(c.class_name + "." + c.key + ": " + message);
    EXPECT_NE(message.find("Invalid config for class '" + c.class_name + "'"), std::string::npos);
    EXPECT_NE(message.find("'" + c.key + "' " + c.expected), std::string::npos);
    EXPECT_NE(message.find("got " + c.value.dump()), std::string::npos);
    // The layer by its path in the model: "layer 'functional_4/no_bias'".
    EXPECT_NE(message.find("/" + layer + "' from"), std::string::npos);
    EXPECT_NE(message.find("config.json"), std::string::npos);
  }
}

}  // namespace
