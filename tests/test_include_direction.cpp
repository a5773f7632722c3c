// Dependencies run one way: tensor <- ops <- graph <- layers <- models <-
// training <- saving <- tools. docs/levels.txt says which folder (or public
// header) is at which level; this test maps every file of src/,
// include/keras/ and tools/ to its level and fails, listing file:line, for
// every #include "..." that reaches a level above the including file, and for
// public headers that include internal ones.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "support/test_support.hpp"

namespace fs = std::filesystem;

namespace {

struct Level {
  std::string name;
  std::vector<std::string> prefixes;
};

// docs/levels.txt: "<level>: <prefix> <prefix> ...", lowest level first.
std::vector<Level> read_levels(const fs::path& file) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error("cannot read " + file.string());
  std::vector<Level> levels;
  std::string line;
  while (std::getline(in, line)) {
    if (auto hash = line.find('#'); hash != std::string::npos) line.erase(hash);
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    Level level;
    std::istringstream name(line.substr(0, colon));
    name >> level.name;
    std::istringstream prefixes(line.substr(colon + 1));
    for (std::string p; prefixes >> p;) level.prefixes.push_back(p);
    if (!level.name.empty()) levels.push_back(level);
  }
  return levels;
}

// The index of the level whose prefix matches `relative` longest.
std::optional<std::size_t> level_of(const std::vector<Level>& levels, const std::string& relative) {
  std::optional<std::size_t> best;
  std::size_t best_length = 0;
  for (std::size_t i = 0; i < levels.size(); ++i) {
    for (const auto& prefix : levels[i].prefixes) {
      if (relative.starts_with(prefix) && prefix.size() > best_length) {
        best = i;
        best_length = prefix.size();
      }
    }
  }
  return best;
}

bool is_source(const fs::path& p) {
  const auto ext = p.extension().string();
  return ext == ".cpp" || ext == ".hpp" || ext == ".h" || ext == ".cc";
}

// Every violation in the tree at `root`, as "file:line: message".
std::vector<std::string> include_violations(const fs::path& root) {
  const auto levels = read_levels(root / "docs" / "levels.txt");
  std::vector<std::string> findings;
  if (levels.empty()) findings.push_back("docs/levels.txt: no levels");
  const std::regex include_line(R"(^\s*#\s*include\s*"([^"]+)\")");
  for (const char* top : {"src", "include/keras", "tools"}) {
    if (!fs::exists(root / top)) continue;
    for (const auto& entry : fs::recursive_directory_iterator(root / top)) {
      if (!entry.is_regular_file() || !is_source(entry.path())) continue;
      const std::string file = fs::relative(entry.path(), root).generic_string();
      const auto own = level_of(levels, file);
      if (!own) {
        findings.push_back(file + ": no level in docs/levels.txt");
        continue;
      }
      const bool public_header = file.starts_with("include/");
      std::ifstream in(entry.path());
      std::string line;
      for (int number = 1; std::getline(in, line); ++number) {
        std::smatch match;
        if (!std::regex_search(line, match, include_line)) continue;
        const std::string target = match[1];
        std::optional<std::string> resolved;
        for (const fs::path& base : {root / "include", root / "src", entry.path().parent_path()}) {
          if (fs::is_regular_file(base / target)) {
            resolved = fs::relative(fs::weakly_canonical(base / target), fs::weakly_canonical(root)).generic_string();
            break;
          }
        }
        if (!resolved) continue;  // not ours (a dependency's header)
        const std::string where = file + ":" + std::to_string(number) + ": ";
        if (public_header && !resolved->starts_with("include/")) {
          findings.push_back(where + "public header includes the internal \"" + target + "\"");
          continue;
        }
        const auto theirs = level_of(levels, *resolved);
        if (theirs && *theirs > *own)
          findings.push_back(where + levels[*own].name + " includes \"" + target + "\" of the higher level " +
                             levels[*theirs].name);
      }
    }
  }
  return findings;
}

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

void write(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

TEST(IncludeDirection, EveryIncludeRunsDownTheLevels) {
  const auto findings = include_violations(KERAS_SOURCE_DIR);
  EXPECT_TRUE(findings.empty()) << findings.size() << " include(s) against docs/levels.txt:\n" << joined(findings);
}

TEST(IncludeDirection, TheCheckFindsUpwardAndUnmappedIncludes) {
  keras_test::TempDir tmp;
  write(tmp / "docs/levels.txt", "low: src/low/ include/keras/low.hpp\nhigh: src/high/ include/keras/high.hpp\n");
  write(tmp / "src/low/a.cpp", "#include \"high/b.hpp\"\n#include <vector>\n#include \"low/c.hpp\"\n");
  write(tmp / "src/low/c.hpp", "");
  write(tmp / "src/high/b.hpp", "#include \"low/c.hpp\"\n");
  write(tmp / "include/keras/low.hpp", "#include \"low/c.hpp\"\n");
  write(tmp / "include/keras/high.hpp", "#include \"keras/low.hpp\"\n");
  write(tmp / "src/stray/d.cpp", "");
  const auto findings = include_violations(tmp.path());
  ASSERT_EQ(findings.size(), 3U) << joined(findings);
  auto has = [&](const std::string& text) {
    return std::find(findings.begin(), findings.end(), text) != findings.end();
  };
  EXPECT_TRUE(has("src/low/a.cpp:1: low includes \"high/b.hpp\" of the higher level high")) << joined(findings);
  EXPECT_TRUE(has("include/keras/low.hpp:1: public header includes the internal \"low/c.hpp\"")) << joined(findings);
  EXPECT_TRUE(has("src/stray/d.cpp: no level in docs/levels.txt")) << joined(findings);
}

}  // namespace
