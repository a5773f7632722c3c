// The tests must pass on a fresh clone, where the folder of shared project material that
// sits beside the repository on developer machines does not exist: they read data from
// tests/data only. These checks look for paths into that folder in the test sources, the
// build's test binaries and the test data itself.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "support/test_support.hpp"

namespace fs = std::filesystem;

namespace {

// Assembled at run time so that this file does not itself contain what it forbids.
std::string shared_folder_name() { return std::string("sha") + "red"; }

// Path fragments that lead into the shared folder however a test would spell them.
std::vector<std::string> forbidden_fragments() {
  const std::string name = shared_folder_name();
  std::vector<std::string> fragments = {"../" + name, "..\\" + name, "/work/" + name};
  const std::string sibling = fs::weakly_canonical(fs::path(KERAS_SOURCE_DIR) / "..").string() + "/" + name;
  if (sibling != fragments.back()) fragments.push_back(sibling);
  return fragments;
}

bool contains_forbidden_fragment(const std::string& text) {
  for (const auto& fragment : forbidden_fragments())
    if (text.find(fragment) != std::string::npos) return true;
  return false;
}

// A string literal that names the folder as a path component ("shared/x", "a/shared") or
// contains one of the fragments above. A bare "shared" is a fine layer name (fixture
// shared_layer has one); scan_cpp_source flags it only beside a ".." on the same line.
bool is_forbidden_literal(const std::string& literal) {
  const std::string name = shared_folder_name();
  return contains_forbidden_fragment(literal) || literal.starts_with(name + "/") || literal.ends_with("/" + name);
}

struct Finding {
  int line;
  std::string text;
};

int line_of(const std::string& source, std::size_t offset) {
  return 1 + static_cast<int>(std::count(source.begin(), source.begin() + static_cast<std::ptrdiff_t>(offset), '\n'));
}

bool is_identifier_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; }

// Forbidden string literals in C++ source. Comments are skipped (they may well mention the
// folder), as are character literals and digit separators, so only text the program could
// use as a path is judged. Raw strings are understood.
std::vector<Finding> scan_cpp_source(const std::string& source) {
  std::vector<Finding> findings;
  const std::size_t n = source.size();
  auto judge = [&](std::size_t start, std::size_t end) {
    const std::string literal = source.substr(start, end - start);
    // A bare "shared" counts only on a line that also climbs out of the tree with "..".
    const std::size_t line_start = source.rfind('\n', start) == std::string::npos ? 0 : source.rfind('\n', start);
    const std::size_t line_end = std::min(source.find('\n', start), n);
    const bool climbs = source.substr(line_start, line_end - line_start).find("..") != std::string::npos;
    if (is_forbidden_literal(literal) || (climbs && literal == shared_folder_name()))
      findings.push_back({line_of(source, start), literal});
  };
  std::size_t i = 0;
  while (i < n) {
    const char c = source[i];
    if (source.compare(i, 2, "//") == 0) {
      i = source.find('\n', i);
      if (i == std::string::npos) break;
    } else if (source.compare(i, 2, "/*") == 0) {
      const std::size_t end = source.find("*/", i + 2);
      if (end == std::string::npos) break;
      i = end + 2;
    } else if (std::isdigit(static_cast<unsigned char>(c)) != 0) {
      // A pp-number, which may hold digit separators (1'000) and exponents (1e+3).
      ++i;
      while (i < n && (is_identifier_char(source[i]) || source[i] == '.' || source[i] == '\'' ||
                       ((source[i] == '+' || source[i] == '-') && std::strchr("eEpP", source[i - 1]) != nullptr)))
        ++i;
    } else if (is_identifier_char(c)) {
      std::size_t end = i;
      while (end < n && is_identifier_char(source[end])) ++end;
      const std::string word = source.substr(i, end - i);
      const bool raw_prefix = word == "R" || word == "LR" || word == "uR" || word == "UR" || word == "u8R";
      if (raw_prefix && end < n && source[end] == '"') {
        const std::size_t open = source.find('(', end);
        if (open == std::string::npos) break;
        const std::string closing = ")" + source.substr(end + 1, open - end - 1) + "\"";
        const std::size_t close = source.find(closing, open + 1);
        if (close == std::string::npos) break;
        judge(open + 1, close);
        i = close + closing.size();
      } else {
        i = end;  // an encoding prefix (L, u8, ...) leaves the quote to the next round
      }
    } else if (c == '"' || c == '\'') {
      std::size_t end = i + 1;
      while (end < n && source[end] != c && source[end] != '\n') end += source[end] == '\\' ? 2 : 1;
      if (c == '"') judge(i + 1, std::min(end, n));
      i = end + 1;
    } else {
      ++i;
    }
  }
  return findings;
}

// CMake and shell files: forbidden fragments outside '#' comments.
std::vector<Finding> scan_hash_commented_source(const std::string& source) {
  std::vector<Finding> findings;
  std::istringstream lines(source);
  std::string line;
  for (int number = 1; std::getline(lines, line); ++number) {
    bool quoted = false;
    for (std::size_t k = 0; k < line.size(); ++k) {
      if (line[k] == '"' && (k == 0 || line[k - 1] != '\\')) quoted = !quoted;
      if (line[k] == '#' && !quoted) {
        line.resize(k);
        break;
      }
    }
    if (contains_forbidden_fragment(line)) findings.push_back({number, line});
  }
  return findings;
}

bool is_cpp_file(const fs::path& path) {
  static const std::set<std::string> extensions = {".cpp", ".hpp", ".h", ".cc", ".cxx", ".inc", ".ipp"};
  return extensions.contains(path.extension().string());
}

bool is_hash_commented_file(const fs::path& path) {
  return path.filename() == "CMakeLists.txt" || path.extension() == ".cmake" || path.extension() == ".sh";
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

bool is_within(const fs::path& path, const fs::path& root) {
  const auto [root_end, path_end] = std::mismatch(root.begin(), root.end(), path.begin(), path.end());
  return root_end == root.end();
}

fs::path source_dir() { return fs::canonical(KERAS_SOURCE_DIR); }
fs::path data_dir() { return source_dir() / "tests" / "data"; }

}  // namespace

TEST(HygieneScanner, FindsSharedPathsInLiteralsButNotInComments) {
  const std::string name = shared_folder_name();
  const std::string up = "../" + name;
  auto flagged = [](const std::string& source) { return !scan_cpp_source(source).empty(); };

  EXPECT_TRUE(flagged("auto p = \"" + up + "/fixtures/a.npy\";"));
  EXPECT_TRUE(flagged("auto p = std::string(\"/work/" + name + "/docs\");"));
  EXPECT_TRUE(flagged("auto p = fs::path(KERAS_SOURCE_DIR) / \"..\" / \"" + name + "\";"));
  EXPECT_TRUE(flagged("auto p = \"" + name + "/fixtures\";"));
  EXPECT_TRUE(flagged("auto p = R\"x(" + up + ")x\";"));
  EXPECT_TRUE(flagged("auto url = \"a//b\"; auto p = \"" + up + "\";"));
  EXPECT_TRUE(flagged("int big = 1'000; auto p = \"" + up + "\";"));
  EXPECT_TRUE(flagged("auto p = u8\"" + up + "\";"));

  EXPECT_FALSE(flagged("// never read " + up + "\nint x = 0;"));
  EXPECT_FALSE(flagged("/* data lives in tests/data, not " + up + " */"));
  EXPECT_FALSE(flagged("char q = '\"'; // " + up));
  EXPECT_FALSE(flagged("auto s = \"" + name + "_storage\"; auto t = \"views are " + name + "\";"));
  EXPECT_FALSE(flagged("auto p = \"tests/data/keras-3.16\";"));

  const auto findings = scan_cpp_source("int a;\n\nauto p = \"" + up + "\";\n");
  ASSERT_EQ(findings.size(), 1U);
  EXPECT_EQ(findings[0].line, 3);

  EXPECT_TRUE(scan_hash_commented_source("# not from " + up + "\nset(X 1)\n").empty());
  EXPECT_EQ(scan_hash_commented_source("set(DATA \"${CMAKE_SOURCE_DIR}/" + up + "\")\n").size(), 1U);
}

TEST(Hygiene, TestSourcesDoNotReadFromTheSharedFolder) {
  const fs::path tests = source_dir() / "tests";
  std::vector<std::string> problems;
  // __FILE__ may be relative to the build directory (Ninja, ccache), so this file is named here.
  const fs::path this_file = tests / "test_hygiene.cpp";
  bool scanned_this_file = false;
  for (auto it = fs::recursive_directory_iterator(tests); it != fs::recursive_directory_iterator(); ++it) {
    if (it->is_directory() && fs::equivalent(it->path(), data_dir())) {
      it.disable_recursion_pending();  // the data's own notes may say where it came from
      continue;
    }
    if (!it->is_regular_file()) continue;
    const fs::path& path = it->path();
    std::vector<Finding> findings;
    if (is_cpp_file(path)) {
      findings = scan_cpp_source(read_file(path));
      if (fs::equivalent(path, this_file)) scanned_this_file = true;
    } else if (is_hash_commented_file(path)) {
      findings = scan_hash_commented_source(read_file(path));
    }
    for (const auto& finding : findings)
      problems.push_back(fs::relative(path, source_dir()).string() + ":" + std::to_string(finding.line) + ": " +
                         finding.text);
  }
  EXPECT_TRUE(scanned_this_file) << "the scan of " << tests << " missed " << this_file;
  EXPECT_TRUE(problems.empty()) << "tests must read data from tests/data only; found:\n"
                                << testing::PrintToString(problems);
}

TEST(Hygiene, TestDataDirectoryIsTheRepositoryCopy) {
  EXPECT_EQ(fs::canonical(KERAS_TEST_DATA_DIR), data_dir());
  EXPECT_TRUE(is_within(fs::weakly_canonical(keras_test::data_path("malformed")), data_dir()));
  EXPECT_TRUE(is_within(fs::weakly_canonical(keras_test::fixture_dir("multi_io")), data_dir()));
}

TEST(Hygiene, TestDataHasNoLinksLeavingIt) {
  // A symlink into the shared folder would work on a developer machine and break on a fresh clone.
  std::vector<std::string> escaping;
  int entries = 0;
  for (const auto& entry : fs::recursive_directory_iterator(data_dir())) {
    ++entries;
    std::error_code error;
    const fs::path target = fs::canonical(entry.path(), error);
    if (error || !is_within(target, data_dir())) escaping.push_back(entry.path().string());
  }
  EXPECT_GT(entries, 0);
  EXPECT_TRUE(escaping.empty()) << testing::PrintToString(escaping);
}

TEST(Hygiene, TestBinariesEmbedNoSharedFolderPath) {
  // Catches paths that reach the tests through compile definitions or macros, which a
  // source scan cannot see. This binary builds the fragments from pieces; it is skipped.
  const fs::path self = fs::canonical("/proc/self/exe");
  int scanned = 0;
  std::vector<std::pair<std::string, std::string>> problems;  // binary, fragment found in it
  for (const auto& entry : fs::directory_iterator(self.parent_path())) {
    const std::string name = entry.path().filename().string();
    if (!entry.is_regular_file() || fs::equivalent(entry.path(), self)) continue;
    if (!name.starts_with("test_") && name != "keras-cpp") continue;
    const std::string bytes = read_file(entry.path());
    ++scanned;
    for (const auto& fragment : forbidden_fragments())
      if (memmem(bytes.data(), bytes.size(), fragment.data(), fragment.size()) != nullptr)
        problems.emplace_back(name, fragment);
  }
  EXPECT_GT(scanned, 0) << "no other test binary beside " << self;
  EXPECT_TRUE(problems.empty()) << testing::PrintToString(problems);
}

TEST(Hygiene, TestDataProvenanceCoversEveryFolder) {
  const fs::path provenance = data_dir() / "PROVENANCE.md";
  ASSERT_TRUE(fs::is_regular_file(provenance)) << provenance;
  const std::string text = read_file(provenance);
  for (const auto& entry : fs::directory_iterator(data_dir())) {
    if (!entry.is_directory()) continue;
    const std::string folder = entry.path().filename().string() + "/";
    EXPECT_NE(text.find(folder), std::string::npos) << "PROVENANCE.md does not say where " << folder << " comes from";
  }
}
