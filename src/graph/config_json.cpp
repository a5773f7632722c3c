#include "graph/config_json.hpp"

namespace keras::detail {

namespace {
thread_local const std::string* current_class = nullptr;
const std::string kNoClass;

// Long values (a whole sub-config) are cut: the message stays one readable line.
std::string shown(const Json& value) {
  std::string text = value.dump();
  constexpr std::size_t kMaxShown = 120;
  if (text.size() > kMaxShown) text = text.substr(0, kMaxShown) + "...";
  return text;
}
}  // namespace

ConfigClassScope::ConfigClassScope(const std::string& class_name) : previous_(current_class) {
  current_class = &class_name;
}
ConfigClassScope::~ConfigClassScope() { current_class = previous_; }

const std::string& current_config_class() { return current_class != nullptr ? *current_class : kNoClass; }

void throw_bad_config_value(const std::string& key, const std::string& expected, const Json& got,
                            const std::string& class_name) {
  const std::string& cls = class_name.empty() ? current_config_class() : class_name;
  throw FormatError((cls.empty() ? std::string("Invalid config") : "Invalid config for class '" + cls + "'") + ": '" +
                    key + "' must be " + expected + ", got " + shown(got));
}

std::int64_t config_size(const Json& config, const std::string& key, const std::string& class_name,
                         std::optional<std::int64_t> fallback) {
  const std::int64_t limit = current_load_limits().max_units;
  const std::string expected = "a positive integer of at most " + std::to_string(limit) + " (LoadLimits::max_units)";
  auto it = config.find(key);
  if (it == config.end() || it->is_null()) {
    if (fallback) return *fallback;
    const std::string& cls = class_name.empty() ? current_config_class() : class_name;
    throw FormatError("Invalid config for class '" + cls + "': '" + key + "' is missing; it must be " + expected);
  }
  bool fits = it->is_number_integer();
  if (fits && it->is_number_unsigned()) fits = it->get<std::uint64_t>() <= static_cast<std::uint64_t>(limit);
  if (fits) fits = it->get<std::int64_t>() > 0 && it->get<std::int64_t>() <= limit;
  if (!fits) throw_bad_config_value(key, expected, *it, class_name);
  const auto v = it->get<std::int64_t>();
  return v;
}

void check_window_value(std::int64_t value, const std::string& key, const Json& got, const std::string& class_name) {
  const std::int64_t limit = current_load_limits().max_window;
  if (value <= 0 || value > limit)
    throw_bad_config_value(key, "positive and at most " + std::to_string(limit) + " (LoadLimits::max_window)", got,
                           class_name);
}

}  // namespace keras::detail
