// A save that fails or is killed part way never damages the existing target
// and leaves nothing behind in its directory: a full disk (RLIMIT_FSIZE) and
// SIGKILL of a child process at many points of a large save. No privileges.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <random>
#include <set>
#include <thread>

#include "keras/keras.hpp"
#include "support/test_support.hpp"

namespace {

using keras_test::TempDir;

std::string file_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::set<std::string> names_in(const std::filesystem::path& dir) {
  std::set<std::string> out;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) out.insert(entry.path().filename().string());
  return out;
}

// 16 MiB of kernel: a save takes long enough to be killed in the middle.
keras::Sequential large_model() {
  keras::Sequential model({keras::Input({1024}), keras::layers::Dense(4096)});
  model.get_weights();  // initialize the variables before any fork
  return model;
}

enum ChildStatus { kSaved = 10, kIOError = 11, kOtherError = 12 };

// Runs `save` in a child process with `setup` applied first; its ChildStatus.
int in_child(const std::function<void()>& setup, const std::function<void()>& save) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    setup();
    try {
      save();
      ::_exit(kSaved);
    } catch (const keras::IOError&) {
      ::_exit(kIOError);
    } catch (...) {
      ::_exit(kOtherError);
    }
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void full_disk() {
  ::signal(SIGXFSZ, SIG_IGN);  // a write beyond the limit fails with EFBIG instead of killing
  const rlimit limit{1 << 20, 1 << 20};
  ::setrlimit(RLIMIT_FSIZE, &limit);
}

struct Target {
  const char* name;
  std::function<void(const keras::Model&, const std::filesystem::path&)> save;
};

const std::vector<Target>& targets() {
  static const std::vector<Target> all = {
      {"m.keras", [](const keras::Model& m, const auto& p) { keras::save_model(m, p, {.overwrite = true}); }},
      {"m.weights.h5", [](const keras::Model& m, const auto& p) { keras::save_weights(m, p, {.overwrite = true}); }},
  };
  return all;
}

TEST(SaveFaults, FullDiskLeavesTheOldFileAndNothingElse) {
  const keras::Sequential small({keras::Input({3}), keras::layers::Dense(2)});
  const keras::Sequential large = large_model();
  for (const auto& target : targets()) {
    SCOPED_TRACE(target.name);
    TempDir dir;
    const auto path = dir / target.name;
    target.save(small, path);
    const std::string before = file_bytes(path);
    EXPECT_EQ(in_child(full_disk, [&] { target.save(large, path); }), kIOError);
    EXPECT_EQ(file_bytes(path), before);
    EXPECT_EQ(names_in(dir.path()), std::set<std::string>{target.name});
    // Without the limit the same save succeeds (the test exercises a real save).
    EXPECT_EQ(in_child([] {}, [&] { target.save(large, path); }), kSaved);
    EXPECT_NE(file_bytes(path), before);
  }
}

TEST(SaveFaults, SigkillAtAnyPointLeavesAWholeFileAndNothingElse) {
  const keras::Sequential small({keras::Input({3}), keras::layers::Dense(2)});
  const keras::Sequential large = large_model();
  std::mt19937 random(13);
  for (const auto& target : targets()) {
    SCOPED_TRACE(target.name);
    TempDir dir;
    const auto path = dir / target.name;
    target.save(small, path);
    const std::string before = file_bytes(path);
    int replaced = 0;
    for (int round = 0; round < 12; ++round) {
      const auto delay = std::chrono::microseconds(round < 4 ? round * 500 : random() % 60000);
      const pid_t pid = ::fork();
      if (pid == 0) {
        for (;;) target.save(large, path);  // saves until killed
      }
      std::this_thread::sleep_for(delay);
      ::kill(pid, SIGKILL);
      int status = 0;
      ::waitpid(pid, &status, 0);
      ASSERT_TRUE(WIFSIGNALED(status));
      EXPECT_EQ(names_in(dir.path()), std::set<std::string>{target.name}) << "after " << delay.count() << " us";
      // The target is the old file or a complete new one, never a mix.
      const std::string now = file_bytes(path);
      if (now != before) {
        ++replaced;
        keras::Sequential copy = large_model();
        if (std::string(target.name).ends_with(".keras")) {
          EXPECT_NO_THROW(keras::load_model(path));
        } else {
          EXPECT_NO_THROW(keras::load_weights(copy, path));
        }
      }
    }
    RecordProperty(std::string(target.name) + "_replaced", replaced);
  }
}

// The child is killed while it has a file in the target's directory open,
// i.e. in the middle of writing the new content (seen in /proc/<pid>/fd).
TEST(SaveFaults, SigkillWhileWritingLeavesNothingBehind) {
  const keras::Sequential small({keras::Input({3}), keras::layers::Dense(2)});
  const keras::Sequential large = large_model();
  for (const auto& target : targets()) {
    SCOPED_TRACE(target.name);
    TempDir dir;
    const auto path = dir / target.name;
    target.save(small, path);
    const std::string before = file_bytes(path);
    for (int round = 0; round < 3; ++round) {
      const pid_t pid = ::fork();
      if (pid == 0) {
        for (;;) target.save(large, path);
      }
      const std::filesystem::path fds = "/proc/" + std::to_string(pid) + "/fd";
      const std::string prefix = dir.path().string() + "/";
      bool seen = false;
      const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
      while (!seen && std::chrono::steady_clock::now() < give_up) {
        std::error_code ec;
        for (const auto& fd : std::filesystem::directory_iterator(fds, ec)) {
          const auto link = std::filesystem::read_symlink(fd.path(), ec);
          if (!ec && link.string().starts_with(prefix)) seen = true;
        }
      }
      ::kill(pid, SIGKILL);
      int status = 0;
      ::waitpid(pid, &status, 0);
      EXPECT_TRUE(seen) << "the child never had a file open in " << dir.path();
      EXPECT_EQ(names_in(dir.path()), std::set<std::string>{target.name});
      const std::string now = file_bytes(path);
      if (now != before && std::string(target.name).ends_with(".keras")) {
        EXPECT_NO_THROW(keras::load_model(path));
      }
    }
  }
}

}  // namespace
