#include "support/fixture_check.hpp"

#include <gtest/gtest.h>

#include "saving/compare.hpp"
#include "saving/zip_archive.hpp"
#include "support/test_support.hpp"

namespace keras_test {

namespace {

std::filesystem::path artifact_path(const std::string& case_name) {
  return fixture_dir(case_name) / fixture_case(case_name).at("artifact").get<std::string>();
}

keras::Json fixture_config(const std::string& case_name) {
  auto artifact = artifact_path(case_name);
  std::string text;
  if (std::filesystem::is_directory(artifact)) {
    text = read_text_file(artifact / "config.json");
  } else {
    auto zip = keras::saving::ZipReader::open(artifact);
    auto bytes = zip.read("config.json");
    text.assign(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  }
  return keras::parse_json(text, case_name + " config.json");
}

const keras::Json* find_layer(const keras::Json& node, const std::string& name) {
  if (node.is_object()) {
    if (node.contains("class_name") && node.contains("config") && node.at("config").is_object() &&
        node.at("config").value("name", std::string()) == name && node.contains("module"))
      return &node;
    for (const auto& [key, item] : node.items()) {
      if (const auto* found = find_layer(item, name)) return found;
    }
  } else if (node.is_array()) {
    for (const auto& item : node) {
      if (const auto* found = find_layer(item, name)) return found;
    }
  }
  return nullptr;
}

}  // namespace

void expect_close(const keras::Tensor& actual, const keras::Tensor& expected, double atol, double rtol,
                  const std::string& what) {
  ASSERT_EQ(keras::shape_to_string(actual.shape()), keras::shape_to_string(expected.shape())) << what;
  std::int64_t bad = 0;
  std::int64_t first_bad = -1;
  for (std::int64_t i = 0; i < expected.size(); ++i) {
    double a = actual.at(i);
    double e = expected.at(i);
    if (!(std::abs(a - e) <= atol + rtol * std::abs(e))) {
      if (first_bad < 0) first_bad = i;
      ++bad;
    }
  }
  EXPECT_EQ(bad, 0) << what << ": " << bad << " of " << expected.size() << " values out of tolerance (atol " << atol
                    << ", rtol " << rtol << "); first at flat index " << first_bad << ": got "
                    << (first_bad >= 0 ? actual.at(first_bad) : 0.0) << ", expected "
                    << (first_bad >= 0 ? expected.at(first_bad) : 0.0)
                    << "; max |diff| = " << keras::max_abs_diff(actual, expected);
}

void expect_fixture_predicts(const std::string& case_name) {
  SCOPED_TRACE("fixture " + case_name);
  auto c = fixture_case(case_name);
  const double atol = c.at("atol").get<double>();
  const double rtol = c.at("rtol").get<double>();
  auto inputs = fixture_inputs(case_name);
  auto expected = fixture_outputs(case_name);
  keras::Model model = keras::load_model(artifact_path(case_name));
  auto outputs = model.predict(inputs);
  ASSERT_EQ(outputs.size(), expected.size());
  for (std::size_t i = 0; i < outputs.size(); ++i)
    expect_close(outputs[i], expected[i], atol, rtol, case_name + " output " + std::to_string(i));

  TempDir dir;
  std::vector<std::string> args = {"predict", artifact_path(case_name).string()};
  for (const auto& name : c.at("inputs")) {
    args.emplace_back("--input");
    args.push_back((fixture_dir(case_name) / name.get<std::string>()).string());
  }
  args.emplace_back("--output-dir");
  args.push_back(dir.path().string());
  std::string output;
  ASSERT_EQ(run_cli(args, &output), 0) << output;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    auto cli = keras::load_npy(dir / ("y" + std::to_string(i) + ".npy"));
    expect_close(cli, expected[i], atol, rtol, case_name + " CLI output " + std::to_string(i));
  }
}

void expect_fixture_converts_identically(const std::string& case_name) {
  SCOPED_TRACE("fixture " + case_name);
  TempDir dir;
  auto src = artifact_path(case_name);
  auto dst = std::filesystem::is_directory(src) ? dir / "converted_dir" : dir / "converted.keras";
  std::string output;
  ASSERT_EQ(run_cli({"convert", src.string(), dst.string()}, &output), 0) << output;
  auto differences = keras::saving::compare_saved_models(src, dst);
  std::string joined;
  for (const auto& d : differences) joined += "\n  " + d;
  EXPECT_TRUE(differences.empty()) << case_name << " converted differs from Keras' file:" << joined;
}

void expect_fixture_matches(const std::string& case_name) {
  expect_fixture_predicts(case_name);
  expect_fixture_converts_identically(case_name);
}

keras::Json fixture_layer_entry(const std::string& case_name, const std::string& layer_name) {
  keras::Json config = fixture_config(case_name);
  const keras::Json* entry = find_layer(config, layer_name);
  if (entry == nullptr) throw std::runtime_error("no layer named " + layer_name + " in fixture " + case_name);
  keras::Json out = keras::saving::strip_shared_object_ids(*entry);
  out.erase("name");
  out.erase("inbound_nodes");
  return out;
}

void expect_config_matches_fixture(const keras::LayerRef& layer, const std::string& case_name,
                                   const std::string& layer_name) {
  keras::Json expected = fixture_layer_entry(case_name, layer_name);
  keras::Json actual = keras::saving::strip_shared_object_ids(keras::saving::serialize_operation(*layer));
  EXPECT_EQ(keras::dump_json_like_python(actual), keras::dump_json_like_python(expected))
      << "layer " << layer_name << " of fixture " << case_name;
}

void expect_model_config_matches_fixture(const keras::Model& model, const std::string& case_name) {
  keras::Json expected = keras::saving::strip_shared_object_ids(fixture_config(case_name));
  keras::Json actual = keras::saving::strip_shared_object_ids(keras::saving::serialize_operation(model.impl()));
  EXPECT_EQ(keras::dump_json_like_python(actual), keras::dump_json_like_python(expected)) << "model of " << case_name;
}

}  // namespace keras_test
