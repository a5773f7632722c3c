// Inputs the fuzzers once crashed on (fuzz/regressions/): each must now end in
// a keras::Error or succeed, never a crash or a foreign exception.
#include <gtest/gtest.h>

#include <filesystem>

#include "keras/keras.hpp"
#include "support/test_support.hpp"

namespace {

std::vector<std::filesystem::path> reproducers(const std::string& target) {
  std::vector<std::filesystem::path> out;
  auto dir = std::filesystem::path(KERAS_SOURCE_DIR) / "fuzz" / "regressions" / target;
  if (!std::filesystem::is_directory(dir)) return out;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.is_regular_file() && entry.path().extension() != ".md") out.push_back(entry.path());
  }
  return out;
}

std::span<const std::byte> as_bytes(const std::string& s) {
  return std::as_bytes(std::span<const char>(s.data(), s.size()));
}

TEST(FuzzRegressions, JsonReproducersEndInKerasErrors) {
  auto files = reproducers("fuzz_json");
  ASSERT_FALSE(files.empty());
  for (const auto& f : files) {
    std::string text = keras_test::read_text_file(f);
    try {
      (void)keras::model_from_json(text);
    } catch (const keras::Error&) {
    } catch (const std::exception& e) {
      ADD_FAILURE() << f.filename() << ": foreign exception " << e.what();
    }
  }
}

TEST(FuzzRegressions, NpyReproducersEndInKerasErrors) {
  auto files = reproducers("fuzz_npy");
  ASSERT_FALSE(files.empty());
  for (const auto& f : files) {
    std::string bytes = keras_test::read_text_file(f);
    try {
      (void)keras::parse_npy(as_bytes(bytes), f.filename().string());
    } catch (const keras::Error&) {
    } catch (const std::exception& e) {
      ADD_FAILURE() << f.filename() << ": foreign exception " << e.what();
    }
  }
}

}  // namespace
