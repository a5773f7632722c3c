#include "progress.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <iostream>

namespace keras_cli {

namespace {

int terminal_width() {
  winsize size{};
  if (ioctl(STDERR_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
  return 80;
}

std::string seconds_text(double seconds) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.1fs", seconds);
  return text;
}

}  // namespace

bool Progress::enabled(bool quiet) { return !quiet && isatty(STDERR_FILENO) != 0; }

Progress::Progress(std::string label, std::int64_t total, bool quiet)
    : label_(std::move(label)), total_(total), active_(enabled(quiet)), start_(std::chrono::steady_clock::now()) {
  if (!active_) return;
  draw(false);
  if (total_ == 0) {
    ticker_ = std::thread([this] {
      while (!stop_.load()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        if (!stop_.load()) draw(false);
      }
    });
  }
}

Progress::~Progress() {
  if (!finished_ && active_) {
    // Interrupted by an error: clear the line so that the message starts clean.
    stop_ = true;
    if (ticker_.joinable()) ticker_.join();
    std::lock_guard<std::mutex> lock(mutex_);
    std::cerr << "\r\033[K" << std::flush;
  }
  stop_ = true;
  if (ticker_.joinable()) ticker_.join();
}

void Progress::update(std::int64_t done) {
  done_ = done;
  if (active_) draw(false);
}

void Progress::finish() {
  if (finished_) return;
  stop_ = true;
  if (ticker_.joinable()) ticker_.join();
  if (active_) {
    if (total_ > 0) done_ = total_;
    draw(true);
    std::cerr << "\n" << std::flush;
  }
  finished_ = true;
}

void Progress::draw(bool final) {
  std::lock_guard<std::mutex> lock(mutex_);
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  std::string counter;
  if (total_ > 0) counter = " " + std::to_string(done_.load()) + "/" + std::to_string(total_);
  const std::string tail = counter + " " + seconds_text(elapsed);
  const int width = terminal_width();
  std::string label = label_;
  // The bar takes what the label and counters leave, between 10 and 30 cells.
  int bar = std::clamp(width - static_cast<int>(label.size() + tail.size()) - 4, 10, 30);
  if (static_cast<int>(label.size()) > width - bar - static_cast<int>(tail.size()) - 4)
    label =
        label.substr(0, static_cast<std::size_t>(std::max(0, width - bar - static_cast<int>(tail.size()) - 5))) + "…";
  std::string cells(static_cast<std::size_t>(bar), ' ');
  if (total_ > 0) {
    const auto filled = static_cast<std::size_t>(bar * std::min<std::int64_t>(done_, total_) / total_);
    for (std::size_t i = 0; i < filled; ++i) cells[i] = '=';
    if (filled < cells.size()) cells[filled] = '>';
  } else if (final) {
    cells.assign(cells.size(), '=');
  } else {
    // A block of three cells bouncing between the ends.
    const int span = bar - 3;
    const int step = span > 0 ? frame_++ % (2 * span) : 0;
    const int at = step <= span ? step : 2 * span - step;
    for (int i = 0; i < 3 && at + i < bar; ++i) cells[static_cast<std::size_t>(at) + static_cast<std::size_t>(i)] = '=';
  }
  std::cerr << "\r" << label << " [" << cells << "]" << tail << "\033[K" << std::flush;
}

}  // namespace keras_cli
