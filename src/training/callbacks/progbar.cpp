// keras.callbacks.ProgbarLogger and keras.utils.Progbar: Keras' progress bar,
// character for character (keras/src/utils/progbar.py). The bar redraws
// itself only on a terminal; elsewhere verbose 1 prints the final line of
// each epoch without escape codes.
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>

#include "keras/callbacks.hpp"

namespace keras::callbacks {

namespace {

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::string printf_string(const char* format, double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), format, value);
  return buffer;
}

// Progbar._format_time
std::string format_time(double time_per_unit, const std::string& unit) {
  if (time_per_unit >= 1 || time_per_unit == 0) return printf_string(" %.0fs/", time_per_unit) + unit;
  if (time_per_unit >= 1e-3) return printf_string(" %.0fms/", time_per_unit * 1000.0) + unit;
  return printf_string(" %.0fus/", time_per_unit * 1000000.0) + unit;
}

// Python's f"{v:.4f}" / f"{v:.4e}" of a metric value.
std::string metric_value(double v, bool use_abs) {
  const double magnitude = use_abs ? std::abs(v) : v;
  return magnitude > 1e-3 ? printf_string(" %.4f", v) : printf_string(" %.4e", v);
}

}  // namespace

struct ProgbarLogger::Bar {
  std::optional<std::int64_t> target;
  int verbose = 1;
  bool dynamic = true;
  int width = 20;
  double interval = 0.05;
  std::vector<std::pair<std::string, double>> values;
  std::int64_t seen_so_far = 0;
  double start = now_seconds();
  double last_update = 0.0;
  std::optional<double> time_after_first_step;
  std::size_t prev_total_width = 0;
  std::FILE* out = stdout;

  double step_duration(std::int64_t current, double now) {
    if (current == 0) return 0.0;
    double per_unit = 0.0;
    if (time_after_first_step && current > 1)
      per_unit = (now - *time_after_first_step) / static_cast<double>(current - 1);
    else
      per_unit = (now - start) / static_cast<double>(current);
    if (current == 1) time_after_first_step = now;
    return per_unit;
  }

  void update(std::int64_t current, const Logs& logs, bool finalize) {
    for (const auto& [key, value] : logs.entries()) {
      auto it = std::find_if(values.begin(), values.end(), [&name = key](const auto& e) { return e.first == name; });
      if (it == values.end())
        values.emplace_back(key, value);
      else
        it->second = value;  // stateful: the latest value
    }
    seen_so_far = current;
    const double now = now_seconds();
    const double per_unit = step_duration(current, now);
    const bool has_target = target && *target > 0;
    if (verbose == 1 && dynamic) {
      if (now - last_update < interval && !finalize) return;
      std::string message(prev_total_width, '\b');
      message += "\r";
      std::string bar;
      std::size_t special = 0;
      if (has_target) {
        const int digits = static_cast<int>(std::log10(static_cast<double>(*target))) + 1;
        char count[64];
        std::snprintf(count, sizeof(count), "%*lld/%lld", digits, static_cast<long long>(current),
                      static_cast<long long>(*target));
        bar = std::string("\x1b[1m") + count + "\x1b[0m ";
        special += 8;
        const double progress = static_cast<double>(current) / static_cast<double>(*target);
        const int filled = static_cast<int>(width * progress);
        std::string line;
        for (int i = 0; i < filled; ++i) line += "\u2501";
        if (filled > 0) {
          bar += "\x1b[32m" + line + "\x1b[0m";
          special += 9;
        }
        std::string rest;
        for (int i = filled; i < width; ++i) rest += "\u2501";
        bar += "\x1b[37m" + rest + "\x1b[0m";
        special += 9;
      } else {
        char count[64];
        std::snprintf(count, sizeof(count), "%7lld/Unknown", static_cast<long long>(current));
        bar = count;
      }
      std::string info;
      if (has_target && !finalize) {
        const double eta = per_unit * static_cast<double>(*target - current);
        char buffer[64];
        if (eta > 3600)
          std::snprintf(buffer, sizeof(buffer), "%d:%02d:%02d", static_cast<int>(eta / 3600),
                        static_cast<int>(std::fmod(eta, 3600) / 60), static_cast<int>(std::fmod(eta, 60)));
        else if (eta > 60)
          std::snprintf(buffer, sizeof(buffer), "%d:%02d", static_cast<int>(eta / 60),
                        static_cast<int>(std::fmod(eta, 60)));
        else
          std::snprintf(buffer, sizeof(buffer), "%ds", static_cast<int>(eta));
        info = std::string(" \x1b[1m") + buffer + "\x1b[0m";
      } else {
        info = " \x1b[1m" + printf_string("%.0fs", now - start) + "\x1b[0m";
      }
      special += 8;
      info += format_time(per_unit, "step");
      for (const auto& [key, value] : values) info += " - " + key + ":" + metric_value(value, true);
      message += bar + info;
      // Visible width: the bar's box characters are 3 bytes, 1 column.
      auto columns = [](const std::string& s) {
        std::size_t n = 0;
        for (unsigned char c : s) n += (c & 0xC0) != 0x80 ? 1 : 0;
        return n;
      };
      const std::size_t total = columns(bar) + columns(info) - special;
      if (prev_total_width > total) message += std::string(prev_total_width - total, ' ');
      if (finalize) message += "\n";
      std::fputs(message.c_str(), out);
      std::fflush(out);
      prev_total_width = total;
    } else if (verbose == 2 || (verbose == 1 && finalize)) {
      if (finalize && has_target) {
        const int digits = static_cast<int>(std::log10(static_cast<double>(*target))) + 1;
        char count[64];
        std::snprintf(count, sizeof(count), "%*lld/%lld", digits, static_cast<long long>(current),
                      static_cast<long long>(*target));
        std::string info = std::string(count) + " - " + printf_string("%.0fs", now - start);
        info += " -" + format_time(per_unit, "step");
        for (const auto& [key, value] : values) info += " - " + key + ":" + metric_value(value, false);
        info += "\n";
        std::fputs(info.c_str(), out);
        std::fflush(out);
      }
    }
    last_update = now;
  }
};

ProgbarLogger::ProgbarLogger(std::FILE* out, std::optional<bool> terminal)
    : out_(out == nullptr ? stdout : out), terminal_(terminal) {}

ProgbarLogger::~ProgbarLogger() = default;

void ProgbarLogger::set_params(const CallbackParams& params) { Callback::set_params(params); }

void ProgbarLogger::reset() {
  seen_ = 0;
  bar_.reset();
}

void ProgbarLogger::update(std::int64_t batch, const Logs& logs) {
  if (!bar_) {
    bar_ = std::make_unique<Bar>();
    bar_->target = params().steps;
    bar_->verbose = params().verbose;
    bar_->out = out_;
    bar_->dynamic = terminal_.value_or(isatty(fileno(out_)) != 0);
  }
  seen_ = batch + 1;
  if (params().verbose == 1) bar_->update(seen_, logs, false);
}

void ProgbarLogger::finalize(const Logs& logs) {
  if (!bar_) update(seen_ - 1, {});
  if (!bar_->target) bar_->target = seen_;
  bar_->update(*bar_->target, logs, true);
}

void ProgbarLogger::on_train_begin(const Logs& /*logs*/) { in_fit_ = true; }
void ProgbarLogger::on_test_begin(const Logs& /*logs*/) {
  if (!in_fit_) reset();
}
void ProgbarLogger::on_predict_begin(const Logs& /*logs*/) { reset(); }
void ProgbarLogger::on_epoch_begin(std::int64_t epoch, const Logs& /*logs*/) {
  reset();
  if (params().verbose != 0 && params().epochs > 1) {
    std::fprintf(out_, "Epoch %lld/%lld\n", static_cast<long long>(epoch + 1), static_cast<long long>(params().epochs));
    std::fflush(out_);
  }
}
void ProgbarLogger::on_train_batch_end(std::int64_t batch, const Logs& logs) { update(batch, logs); }
void ProgbarLogger::on_test_batch_end(std::int64_t batch, const Logs& logs) {
  if (!in_fit_) update(batch, logs);
}
void ProgbarLogger::on_predict_batch_end(std::int64_t batch, const Logs& /*logs*/) { update(batch, {}); }
void ProgbarLogger::on_epoch_end(std::int64_t /*epoch*/, Logs& logs) { finalize(logs); }
void ProgbarLogger::on_test_end(const Logs& logs) {
  if (!in_fit_) finalize(logs);
}
void ProgbarLogger::on_predict_end(const Logs& logs) { finalize(logs); }

}  // namespace keras::callbacks
