#include "support/fixture_check.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "saving/compare.hpp"
#include "saving/h5_file.hpp"
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

std::map<std::string, keras::Tensor> read_npz(const std::filesystem::path& path) {
  auto zip = keras::saving::ZipReader::open(path);
  std::map<std::string, keras::Tensor> out;
  for (const auto& member : zip.members()) {
    std::string key = member.substr(0, member.size() - 4);  // drop ".npy"
    out[key] = keras::parse_npy(zip.read(member), member);
  }
  return out;
}

std::vector<keras::Tensor> fixture_optimizer_vars(const std::string& case_name, const std::string& group) {
  auto zip = keras::saving::ZipReader::open(fixture_dir(case_name) / "model.keras");
  auto file = keras::saving::H5File::open_image(zip.read("model.weights.h5"), case_name);
  auto vars = file.root().group(group);
  std::vector<keras::Tensor> out;
  for (std::size_t i = 0; i < vars.children().size(); ++i) out.push_back(vars.read_dataset(std::to_string(i)));
  return out;
}

std::vector<std::string> optimizer_step_mismatches(const std::string& case_name) {
  std::vector<std::string> problems;
  auto differs = [&](const keras::Tensor& actual, const keras::Tensor& expected, const std::string& what) {
    if (actual.shape() != expected.shape()) {
      problems.push_back(what + ": shape " + keras::shape_to_string(actual.shape()) + ", Keras has " +
                         keras::shape_to_string(expected.shape()));
      return;
    }
    for (std::int64_t i = 0; i < expected.size(); ++i) {
      const double e = expected.at(i);
      if (!(std::abs(actual.at(i) - e) <= 1e-6 + 1e-5 * std::abs(e))) {
        problems.push_back(what + " element " + std::to_string(i) + ": " + std::to_string(actual.at(i)) +
                           ", Keras has " + std::to_string(e));
        return;
      }
    }
  };
  const keras::Json c = keras::parse_json(read_text_file(fixture_dir(case_name) / "case.json"), case_name);
  auto steps = read_npz(fixture_dir(case_name) / "steps.npz");
  keras::Model model = keras::load_model(fixture_dir(case_name) / "model.keras", {.compile = false});
  if (model.optimizer() != nullptr) problems.emplace_back("compile=false left an optimizer");
  auto vars = model.trainable_variables();
  if (vars.size() != 4) problems.push_back(std::to_string(vars.size()) + " trainable variables, the case has 4");
  std::vector<keras::Tensor> saved;  // what Keras saved: the weights after step 3
  for (const auto& v : vars) saved.push_back(v->value().clone());
  for (std::size_t i = 0; i < vars.size(); ++i) vars[i]->assign(steps.at("w" + std::to_string(i) + "_0"));
  auto optimizer = keras::optimizers::deserialize(keras::Json{{"module", "keras.optimizers"},
                                                              {"class_name", c.at("optimizer")},
                                                              {"config", c.at("optimizer_config")},
                                                              {"registered_name", nullptr}});
  for (int s = 1; s <= 3; ++s) {
    std::vector<keras::Tensor> grads;
    for (std::size_t i = 0; i < vars.size(); ++i)
      grads.push_back(steps.at("g" + std::to_string(i) + "_" + std::to_string(s)));
    optimizer->apply_gradients(grads, vars);
    for (std::size_t i = 0; i < vars.size(); ++i) {
      const std::string key = "w" + std::to_string(i) + "_" + std::to_string(s);
      differs(vars[i]->value(), steps.at(key), key);
    }
  }
  if (optimizer->iterations() != 3) problems.push_back(std::to_string(optimizer->iterations()) + " iterations");
  auto expected = fixture_optimizer_vars(case_name);
  auto actual = optimizer->variables();
  if (actual.size() != expected.size()) {
    problems.push_back(std::to_string(actual.size()) + " optimizer variables, Keras has " +
                       std::to_string(expected.size()));
    return problems;
  }
  for (std::size_t i = 0; i < expected.size(); ++i) {
    if (actual[i]->dtype() != expected[i].dtype())
      problems.push_back("optimizer variable " + std::to_string(i) + " has dtype " +
                         keras::dtype_name(actual[i]->dtype()));
    differs(actual[i]->value(), expected[i], "optimizer variable " + std::to_string(i));
  }
  // The model's own weights in the file are the values after step 3 too.
  for (std::size_t i = 0; i < vars.size(); ++i)
    differs(vars[i]->value(), saved[i], "saved weight " + std::to_string(i));
  return problems;
}

const keras::Json& losses_metrics_cases() {
  static const keras::Json cases =
      keras::parse_json(read_text_file(fixture_dir("losses_metrics") / "cases.json"), "losses_metrics/cases.json");
  return cases;
}

const std::map<std::string, keras::Tensor>& losses_metrics_arrays() {
  static const auto arrays = read_npz(fixture_dir("losses_metrics") / "arrays.npz");
  return arrays;
}

keras::Tensor first_axis_rows(const keras::Tensor& t, std::int64_t start, std::int64_t end) {
  keras::Shape shape = t.shape();
  shape[0] = end - start;
  keras::Tensor out(shape, t.dtype());
  const std::size_t row_bytes = t.nbytes() / static_cast<std::size_t>(t.dim(0));
  std::memcpy(out.raw_data(), static_cast<const std::byte*>(t.raw_data()) + static_cast<std::size_t>(start) * row_bytes,
              row_bytes * static_cast<std::size_t>(end - start));
  return out;
}

keras::Tensor losses_metrics_value(const std::string& list, std::size_t index) {
  const keras::Json& c = losses_metrics_cases().at(list).at(index);
  auto array = [](const keras::Json& key) { return losses_metrics_arrays().at(key.get<std::string>()); };
  const keras::Tensor y_true = array(c.at("y_true"));
  const keras::Tensor y_pred = array(c.at("y_pred"));
  if (list == "losses") {
    keras::LossPtr loss = keras::losses::deserialize(c.at("config"));
    const keras::Tensor weights = c.at("sample_weight").is_null() ? keras::Tensor() : array(c.at("sample_weight"));
    return (*loss)(y_true, y_pred, weights);
  }
  keras::MetricPtr metric = keras::metrics::deserialize(c.at("config"));
  for (const auto& batch : c.at("batches")) {
    const auto start = batch.at(0).get<std::int64_t>();
    const auto end = batch.at(1).get<std::int64_t>();
    metric->update_state(first_axis_rows(y_true, start, end), first_axis_rows(y_pred, start, end));
  }
  return metric->result();
}

double losses_metrics_excess(const std::string& list, std::size_t index) {
  const keras::Json& c = losses_metrics_cases().at(list).at(index);
  const keras::Tensor actual = losses_metrics_value(list, index);
  const keras::Tensor& expected = losses_metrics_arrays().at(c.at("value").get<std::string>());
  if (actual.size() != expected.size()) return std::numeric_limits<double>::infinity();
  double worst = -1.0;
  for (std::int64_t i = 0; i < expected.size(); ++i) {
    const double e = expected.at(i);
    const double a = actual.at(i);
    if (std::isnan(a)) return std::numeric_limits<double>::infinity();
    worst = std::max(worst, std::abs(a - e) - std::max(1e-6 * std::abs(e), 1e-7));
  }
  return worst;
}

}  // namespace keras_test
