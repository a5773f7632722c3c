// Model::summary() against what Keras 3.16 printed for the same files, and
// the keras::utils helpers the command line builds on (npz archives, model
// files, plot_model's DOT).
#include <gtest/gtest.h>

#include "keras/keras.hpp"
#include "keras/utils.hpp"
#include "support/test_support.hpp"

namespace {

using keras_test::data_path;
using keras_test::fixture_dir;
using keras_test::TempDir;

std::string expected_summary(const std::string& file) {
  return keras_test::read_text_file(data_path("keras-summaries/" + file));
}

// Line by line, so that a failure shows the first line that differs.
void expect_same_lines(const std::string& actual, const std::string& expected, const std::string& what) {
  std::istringstream a(actual);
  std::istringstream e(expected);
  std::string la;
  std::string le;
  int line = 0;
  while (true) {
    const bool more_a = static_cast<bool>(std::getline(a, la));
    const bool more_e = static_cast<bool>(std::getline(e, le));
    ++line;
    if (!more_a && !more_e) break;
    ASSERT_EQ(more_a, more_e) << what << ": line " << line << " exists in only one of them";
    ASSERT_EQ(la, le) << what << ": line " << line << " differs\nactual:\n" << actual;
  }
}

keras::SummaryOptions at_width_100() {
  keras::SummaryOptions o;
  o.terminal_width = 100;
  return o;
}

TEST(Summary, MatchesKerasLineForLine) {
  for (const char* name : {"seed_dense_softmax", "residual_cnn", "nested_models", "optimizer_adam"}) {
    keras::Model model = keras::load_model(fixture_dir(name) / "model.keras");
    expect_same_lines(model.summary(at_width_100()), expected_summary(std::string(name) + ".txt"), name);
  }
}

TEST(Summary, ExpandNestedAndShowTrainable) {
  keras::Model model = keras::load_model(fixture_dir("nested_models") / "model.keras");
  auto o = at_width_100();
  o.expand_nested = true;
  o.show_trainable = true;
  expect_same_lines(model.summary(o), expected_summary("nested_models.expand_nested.show_trainable.txt"),
                    "nested_models expand_nested show_trainable");
}

TEST(Summary, ResidualCnnCounts) {
  keras::Model model = keras::load_model(fixture_dir("residual_cnn") / "model.keras");
  const auto s = model.summarize();
  EXPECT_FALSE(s.sequential_like);
  EXPECT_EQ(s.total.count, 940);
  EXPECT_EQ(s.trainable.count, 908);
  EXPECT_EQ(s.non_trainable.count, 32);
  EXPECT_FALSE(s.optimizer.has_value());
  ASSERT_FALSE(s.rows.empty());
  EXPECT_EQ(s.rows.front().class_name, "InputLayer");
  // The Add layer is connected to both branches.
  bool found_add = false;
  for (const auto& r : s.rows) {
    if (r.class_name == "Add") {
      found_add = true;
      EXPECT_EQ(r.connected_to.size(), 2U);
    }
  }
  EXPECT_TRUE(found_add);
}

TEST(Summary, NarrowTerminalsShrinkTheTable) {
  keras::Model model = keras::load_model(fixture_dir("residual_cnn") / "model.keras");
  keras::SummaryOptions o;
  o.terminal_width = 60;
  const std::string text = model.summary(o);
  std::istringstream lines(text);
  std::string line;
  std::getline(lines, line);  // Model: "..."
  std::getline(lines, line);  // the top rule: 56 cells of 3-byte box characters
  EXPECT_EQ(line.size(), 56U * 3);
  o.terminal_width = 20;
  EXPECT_THROW(model.summary(o), keras::ValueError);
  // An explicit line length wins over the terminal.
  o.line_length = 120;
  EXPECT_NO_THROW(model.summary(o));
}

TEST(Summary, UnbuiltLayersAndThousands) {
  keras::Sequential model({keras::Input({1000}), keras::layers::Dense(1000)});
  const std::string text = model.summary(at_width_100());
  EXPECT_NE(text.find("1,001,000"), std::string::npos) << text;
  EXPECT_NE(text.find(" Total params: 1,001,000 (3.82 MB)"), std::string::npos) << text;
  keras::Sequential empty;
  empty.add(keras::layers::Dense(3));
  EXPECT_NE(empty.summary(at_width_100()).find("0 (unbuilt)"), std::string::npos) << empty.summary(at_width_100());
}

TEST(Npz, ReadsNumpyArchivesAndRoundTrips) {
  // steps.npz was written by numpy.savez.
  auto arrays = keras::utils::load_npz(fixture_dir("optimizer_adam") / "steps.npz");
  ASSERT_FALSE(arrays.empty());
  TempDir tmp;
  keras::utils::save_npz(tmp / "copy.npz", arrays);
  auto again = keras::utils::load_npz(tmp / "copy.npz");
  ASSERT_EQ(again.size(), arrays.size());
  for (std::size_t i = 0; i < arrays.size(); ++i) {
    EXPECT_EQ(again[i].first, arrays[i].first);
    EXPECT_EQ(again[i].second.shape(), arrays[i].second.shape());
    EXPECT_EQ(again[i].second.dtype(), arrays[i].second.dtype());
    EXPECT_TRUE(keras::allclose(again[i].second, arrays[i].second, 0, 0));
  }
  EXPECT_THROW(keras::utils::load_npz(tmp / "missing.npz"), keras::FileNotFoundError);
  EXPECT_THROW(keras::utils::load_npz(data_path("malformed/not_a_zip.keras")), keras::FormatError);
  EXPECT_THROW(keras::utils::save_npz(tmp / "bad.npz", {{"", keras::Tensor::scalar(1)}}), keras::ValueError);
  EXPECT_FALSE(std::filesystem::exists(tmp / "bad.npz"));
}

TEST(ModelFile, InspectsEveryForm) {
  auto zip = keras::utils::inspect_model_file(fixture_dir("residual_cnn") / "model.keras");
  EXPECT_EQ(zip.format, "keras");
  ASSERT_EQ(zip.members.size(), 3U);
  EXPECT_EQ(zip.members[0].name, "metadata.json");
  EXPECT_EQ(zip.metadata.at("keras_version"), "3.16.0");
  EXPECT_TRUE(zip.config.is_object());
  auto dir = keras::utils::inspect_model_file(fixture_dir("unzipped_dir") / "model_dir");
  EXPECT_EQ(dir.format, "directory");
  EXPECT_TRUE(dir.config.is_object());
  auto h5 = keras::utils::inspect_model_file(fixture_dir("legacy_h5") / "model.h5");
  EXPECT_EQ(h5.format, "h5");
  EXPECT_TRUE(h5.config.is_object());
  EXPECT_THROW(keras::utils::inspect_model_file(data_path("nope.keras")), keras::FileNotFoundError);
}

TEST(ModelFile, CheckReportsEveryMalformedFile) {
  EXPECT_TRUE(keras::utils::check_model_file(fixture_dir("residual_cnn") / "model.keras").empty());
  for (const auto& entry : std::filesystem::directory_iterator(data_path("malformed"))) {
    if (entry.path().extension() != ".keras") continue;
    const auto problems = keras::utils::check_model_file(entry.path());
    EXPECT_FALSE(problems.empty()) << entry.path();
    for (const auto& p : problems) EXPECT_NE(p.find(entry.path().filename().string()), std::string::npos) << p;
  }
}

TEST(PlotModel, DotHasEveryLayerAndEdge) {
  keras::Model model = keras::load_model(fixture_dir("residual_cnn") / "model.keras");
  keras::utils::PlotModelOptions o;
  o.show_layer_names = true;
  o.show_shapes = true;
  o.rankdir = "LR";
  const std::string dot = keras::utils::model_to_dot(model, o);
  EXPECT_NE(dot.find("rankdir=LR"), std::string::npos);
  for (const auto& layer : model.layers()) EXPECT_NE(dot.find("<b>" + layer->name() + "</b>"), std::string::npos);
  // 12 layers, 12 connections (the Add layer has two).
  std::size_t edges = 0;
  for (std::size_t at = dot.find(" -> "); at != std::string::npos; at = dot.find(" -> ", at + 1)) ++edges;
  EXPECT_EQ(edges, 12U);
  EXPECT_NE(dot.find("Output shape: <b>(None, 10, 10, 8)</b>"), std::string::npos);
  o.rankdir = "XY";
  EXPECT_THROW(keras::utils::model_to_dot(model, o), keras::ValueError);
}

TEST(PlotModel, NestedModelsAsClusters) {
  keras::Model model = keras::load_model(fixture_dir("nested_models") / "model.keras");
  keras::utils::PlotModelOptions o;
  o.expand_nested = true;
  const std::string dot = keras::utils::model_to_dot(model, o);
  EXPECT_NE(dot.find("cluster_mid_func"), std::string::npos) << dot;
  EXPECT_NE(dot.find("cluster_inner_seq"), std::string::npos) << dot;
  o.expand_nested = false;
  EXPECT_EQ(keras::utils::model_to_dot(model, o).find("cluster_"), std::string::npos);
}

TEST(PlotModel, WritesPicturesAtomically) {
  keras::Model model = keras::load_model(fixture_dir("seed_dense_softmax") / "model.keras");
  TempDir tmp;
  keras::utils::plot_model(model, tmp / "m.svg");
  EXPECT_NE(keras_test::read_text_file(tmp / "m.svg").find("<svg"), std::string::npos);
  EXPECT_THROW(keras::utils::plot_model(model, tmp / "m.nosuchformat"), keras::ValueError);
  EXPECT_FALSE(std::filesystem::exists(tmp / "m.nosuchformat"));
}

}  // namespace
