// Inputs the fuzzers once crashed on (fuzz/regressions/<target>/), replayed exactly as their
// target runs them (fuzz/targets.hpp): each must now end in a keras::Error or succeed with the
// target's properties holding, never a crash, a foreign exception or a broken round trip.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <map>

#include "keras/keras.hpp"
#include "support/test_support.hpp"
#include "targets.hpp"

// libhdf5 1.10.8 allocates some sizes it reads from the file before checking them against the
// file (fuzz_weights_h5/hdf5_object_header_malloc_*: an object header chunk of 280 TB, in
// H5C_protect) and copes with malloc returning NULL, as glibc's does for such a size. Under
// AddressSanitizer (the sanitizer pass of `make test`) malloc must return NULL too instead of
// stopping the process; an ASAN_OPTIONS that sets the flag still wins.
extern "C" const char* __asan_default_options() { return "allocator_may_return_null=1"; }
// libhdf5 1.10.8 leaks on some of its own error paths (fuzz/lsan.supp says which).
extern "C" const char* __lsan_default_suppressions() { return "leak:libhdf5_serial.so\n"; }

namespace {

namespace fs = std::filesystem;

using Runner = std::function<std::string(keras_fuzz::Bytes)>;

const std::map<std::string, Runner>& runners() {
  static const std::map<std::string, Runner> all = {
      {"fuzz_json", keras_fuzz::run_json},
      {"fuzz_npy", keras_fuzz::run_npy},
      {"fuzz_load_model", keras_fuzz::run_load_model},
      {"fuzz_config", keras_fuzz::run_config},
      {"fuzz_weights_h5", keras_fuzz::run_weights_h5},
      {"fuzz_archive", keras_fuzz::run_archive},
  };
  return all;
}

fs::path regressions_dir() { return fs::path(KERAS_SOURCE_DIR) / "fuzz" / "regressions"; }

std::vector<fs::path> reproducers(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const auto& entry : fs::directory_iterator(dir))
    if (entry.is_regular_file() && entry.path().extension() != ".md") out.push_back(entry.path());
  std::sort(out.begin(), out.end());
  return out;
}

// Every target with reproducers has a replay here, and every fuzz/fuzz_*.cpp target a runner.
TEST(FuzzRegressions, EveryTargetIsReplayed) {
  for (const auto& entry : fs::directory_iterator(regressions_dir())) {
    EXPECT_TRUE(runners().count(entry.path().filename().string())) << entry.path() << " has no replay";
  }
  for (const auto& entry : fs::directory_iterator(fs::path(KERAS_SOURCE_DIR) / "fuzz")) {
    const std::string name = entry.path().stem().string();
    if (entry.path().extension() == ".cpp" && name.starts_with("fuzz_")) {
      EXPECT_TRUE(runners().count(name)) << name << " has no runner in fuzz/targets.hpp";
    }
  }
}

class Replay : public testing::TestWithParam<std::string> {};

TEST_P(Replay, ReproducersEndInKerasErrorsOrPass) {
  const fs::path dir = regressions_dir() / GetParam();
  const auto files = reproducers(dir);
  ASSERT_FALSE(files.empty()) << dir;
  const Runner& run = runners().at(GetParam());
  for (const auto& file : files) {
    const std::string bytes = keras_test::read_text_file(file);
    const keras_fuzz::Bytes input(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
    try {
      const std::string broken = run(input);
      EXPECT_EQ(broken, "") << file.filename();
    } catch (const std::exception& e) {
      ADD_FAILURE() << file.filename() << ": foreign exception " << e.what();
    }
  }
}

// One test per directory of fuzz/regressions/ (EveryTargetIsReplayed checks the names).
std::vector<std::string> targets_with_reproducers() {
  std::vector<std::string> out;
  for (const auto& entry : fs::directory_iterator(regressions_dir()))
    if (entry.is_directory() && runners().count(entry.path().filename().string()))
      out.push_back(entry.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

INSTANTIATE_TEST_SUITE_P(Targets, Replay, testing::ValuesIn(targets_with_reproducers()),
                         [](const testing::TestParamInfo<std::string>& info) { return info.param; });

}  // namespace
