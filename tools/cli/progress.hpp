// A progress bar on stderr, drawn only when stderr is a terminal (and
// --quiet is not given): a filling bar for work counted in steps (batches),
// a moving one with the elapsed time for work of unknown length (loading or
// saving a model).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

namespace keras_cli {

class Progress {
 public:
  // total 0: unknown length. Nothing is drawn unless enabled(quiet).
  Progress(std::string label, std::int64_t total, bool quiet);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void update(std::int64_t done);
  // Draws the final state and ends the line.
  void finish();

  // Whether bars are drawn: stderr is a terminal and not quiet.
  static bool enabled(bool quiet);

 private:
  void draw(bool final);

  std::string label_;
  std::int64_t total_;
  std::atomic<std::int64_t> done_{0};
  bool active_;
  bool finished_ = false;
  std::chrono::steady_clock::time_point start_;
  std::mutex mutex_;
  std::atomic<bool> stop_{false};
  std::thread ticker_;  // redraws bars of unknown length
  int frame_ = 0;
};

}  // namespace keras_cli
