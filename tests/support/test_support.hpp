// Helpers shared by the tests: where the data lives, temporary directories,
// and fixture cases as Keras wrote them.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "keras/tensor.hpp"

namespace keras_test {

// tests/data/<relative>; never ../shared (a test checks that).
std::filesystem::path data_path(const std::string& relative);
// A fixture case folder: tests/data/keras-3.16/<name>.
std::filesystem::path fixture_dir(const std::string& case_name);
nlohmann::json fixture_case(const std::string& case_name);
std::vector<keras::Tensor> fixture_inputs(const std::string& case_name);
std::vector<keras::Tensor> fixture_outputs(const std::string& case_name);

// A fresh empty directory, removed when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// Runs the keras-cpp CLI with the given arguments (shell-quoted), returns its
// exit status and captures stdout+stderr into *output.
int run_cli(const std::vector<std::string>& args, std::string* output = nullptr);

std::string read_text_file(const std::filesystem::path& path);

}  // namespace keras_test
