// Running a keras-cpp executable from a test: the command line quoted for
// the shell, stdout and stderr captured apart, stdin empty.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/test_support.hpp"

namespace keras_test {

struct CliRun {
  int status = -1;  // the exit status; -1 when killed by a signal
  std::string out;
  std::string err;
};

inline std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// `env` is prefixed to the command as is ("COLUMNS=100", or empty).
inline CliRun run_program(const std::string& program, const std::vector<std::string>& args,
                          const std::string& env = "") {
  TempDir tmp;
  std::string command = (env.empty() ? "" : env + " ") + shell_quote(program);
  for (const auto& a : args) command += " " + shell_quote(a);
  command += " 2>" + shell_quote((tmp / "stderr").string()) + " </dev/null";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("popen failed");
  CliRun r;
  std::array<char, 4096> buffer{};
  while (std::size_t n = fread(buffer.data(), 1, buffer.size(), pipe)) r.out.append(buffer.data(), n);
  const int status = pclose(pipe);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.err = read_text_file(tmp / "stderr");
  return r;
}

inline int count_lines(const std::string& text) { return static_cast<int>(std::count(text.begin(), text.end(), '\n')); }

// A usage error as the CLI reports one: exit status 2, one line on stderr
// pointing to --help, nothing on stdout.
inline void expect_usage_error(const CliRun& r, const std::vector<std::string>& args) {
  std::string joined;
  for (const auto& a : args) joined += a + " ";
  EXPECT_EQ(r.status, 2) << joined << "\n" << r.err;
  EXPECT_EQ(count_lines(r.err), 1) << joined << "\n" << r.err;
  EXPECT_NE(r.err.find("--help"), std::string::npos) << joined << "\n" << r.err;
  EXPECT_TRUE(r.out.empty()) << joined << "\n" << r.out;
}

}  // namespace keras_test
