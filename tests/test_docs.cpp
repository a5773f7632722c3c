// The docs name real files: every repository path in docs/adding-a-layer.md
// and docs/architecture.md exists (a path with <family> for every folder of
// src/layers/), and the registration step matches what the families do.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "support/test_support.hpp"

namespace fs = std::filesystem;

namespace {

const fs::path kRoot = KERAS_SOURCE_DIR;

std::vector<std::string> families() {
  std::vector<std::string> out;
  for (const auto& entry : fs::directory_iterator(kRoot / "src" / "layers"))
    if (entry.is_directory()) out.push_back(entry.path().filename().string());
  return out;
}

// Repository paths inside `code spans`: tokens starting with one of the top
// folders (not a suffix of another path such as keras/src/...).
std::set<std::string> named_paths(const fs::path& doc) {
  const std::string text = keras_test::read_text_file(doc);
  std::set<std::string> paths;
  const std::regex span("`([^`]+)`");
  const std::regex path(R"((^|[\s(])((src|include|tests|docs|tools|cmake|scripts)/[A-Za-z0-9_<>./-]*[A-Za-z0-9_>]))");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), span); it != std::sregex_iterator(); ++it) {
    const std::string code = (*it)[1];
    for (auto p = std::sregex_iterator(code.begin(), code.end(), path); p != std::sregex_iterator(); ++p)
      paths.insert((*p)[2]);
  }
  return paths;
}

std::vector<std::string> missing_paths(const fs::path& doc) {
  std::vector<std::string> missing;
  for (const auto& p : named_paths(doc)) {
    std::vector<std::string> concrete;
    if (p.find("<family>") != std::string::npos) {
      for (const auto& family : families()) concrete.push_back(std::regex_replace(p, std::regex("<family>"), family));
    } else {
      concrete.push_back(p);
    }
    for (const auto& c : concrete)
      if (!fs::exists(kRoot / c)) missing.push_back(c + " (named as " + p + ")");
  }
  return missing;
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += "\n  " + i;
  return out;
}

TEST(Docs, AddingALayerNamesFilesThatExist) {
  const fs::path doc = kRoot / "docs" / "adding-a-layer.md";
  EXPECT_GE(named_paths(doc).size(), 10U) << "the steps name the files they touch";
  const auto missing = missing_paths(doc);
  EXPECT_TRUE(missing.empty()) << "docs/adding-a-layer.md names files that do not exist:" << joined(missing);
}

TEST(Docs, ArchitectureNamesFilesThatExist) {
  const fs::path doc = kRoot / "docs" / "architecture.md";
  const auto missing = missing_paths(doc);
  EXPECT_TRUE(missing.empty()) << "docs/architecture.md names files that do not exist:" << joined(missing);
  EXPECT_TRUE(fs::exists(kRoot / "docs" / "architecture.dot"));
  EXPECT_TRUE(fs::exists(kRoot / "docs" / "architecture.svg"));
}

// Step 4: every family registers its classes with literal names through a
// Registrar of the module Keras writes for them ("keras.layers"; the
// module-private layers of keras.applications their Python module).
TEST(Docs, EveryFamilyRegistersItsClassesAsTheStepsSay) {
  const std::regex literal_add(R"([a-z_0-9]+\.add\("[A-Z][A-Za-z0-9]*")");
  const std::regex layer_registrar(
      R"re(Registrar<OperationPtr> [a-z_0-9]+\(saving::ObjectKind::layer,\s*"keras\.(layers|src\.applications\.[a-z_0-9]+)"\))re");
  for (const auto& family : families()) {
    const fs::path file = kRoot / "src" / "layers" / family / "register.cpp";
    ASSERT_TRUE(fs::exists(file)) << file;
    const std::string text = keras_test::read_text_file(file);
    EXPECT_TRUE(std::regex_search(text, literal_add)) << file << " has no r.add(\"ClassName\", ...)";
    EXPECT_TRUE(std::regex_search(text, layer_registrar)) << file;
  }
}

}  // namespace
