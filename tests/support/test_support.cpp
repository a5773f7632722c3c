#include "support/test_support.hpp"

#include <sys/wait.h>
#include <array>
#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

#include "saving/zip_archive.hpp"

namespace keras_test {

std::filesystem::path data_path(const std::string& relative) {
  return std::filesystem::path(KERAS_TEST_DATA_DIR) / relative;
}

std::filesystem::path fixture_dir(const std::string& case_name) { return data_path("keras-3.16/" + case_name); }

nlohmann::json fixture_case(const std::string& case_name) {
  std::ifstream in(fixture_dir(case_name) / "case.json");
  if (!in) throw std::runtime_error("missing fixture case " + case_name);
  return nlohmann::json::parse(in);
}

std::vector<keras::Tensor> fixture_inputs(const std::string& case_name) {
  std::vector<keras::Tensor> out;
  const auto c = fixture_case(case_name);
  for (const auto& name : c.at("inputs"))
    out.push_back(keras::load_npy(fixture_dir(case_name) / name.get<std::string>()));
  return out;
}

std::vector<keras::Tensor> fixture_outputs(const std::string& case_name) {
  std::vector<keras::Tensor> out;
  const auto c = fixture_case(case_name);
  for (const auto& name : c.at("outputs"))
    out.push_back(keras::load_npy(fixture_dir(case_name) / name.get<std::string>()));
  return out;
}

TempDir::TempDir() {
  std::random_device rd;
  auto base = std::filesystem::temp_directory_path();
  for (int attempt = 0; attempt < 100; ++attempt) {
    auto candidate = base / ("keras-cpp-test-" + std::to_string(rd()));
    if (std::filesystem::create_directory(candidate)) {
      path_ = candidate;
      return;
    }
  }
  throw std::runtime_error("cannot create a temporary directory");
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

namespace {
std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}
}  // namespace

int run_cli(const std::vector<std::string>& args, std::string* output) {
  std::string command = shell_quote(KERAS_CLI_PATH);
  for (const auto& a : args) command += " " + shell_quote(a);
  command += " 2>&1 </dev/null";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("popen failed");
  std::string captured;
  std::array<char, 4096> buffer{};
  while (std::size_t n = fread(buffer.data(), 1, buffer.size(), pipe)) captured.append(buffer.data(), n);
  int status = pclose(pipe);
  if (output != nullptr) *output = captured;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string read_text_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace keras_test
