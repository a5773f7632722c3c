// Reading object configs: typed accessors whose errors name the class being
// built (set by instantiate() for every factory), the key and the value found,
// so every layer, operation and optimizer reports a bad config the same way:
//   Invalid config for class 'Dense': 'use_bias' must be a boolean, got "yes"
//   (while loading layer 'dense_1' from model.keras config.json)
// They replace nlohmann's json.value(key, default), whose type errors name no key.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <type_traits>

#include "keras/error.hpp"
#include "keras/json.hpp"
#include "keras/limits.hpp"

namespace keras::detail {

// While it lives, configs read on this thread belong to `class_name`.
class ConfigClassScope {
 public:
  explicit ConfigClassScope(const std::string& class_name);
  ~ConfigClassScope();
  ConfigClassScope(const ConfigClassScope&) = delete;
  ConfigClassScope& operator=(const ConfigClassScope&) = delete;

 private:
  const std::string* previous_;
};
// The innermost class being built on this thread ("" outside a factory).
const std::string& current_config_class();

// FormatError: "Invalid config for class '<cls>': '<key>' must be <expected>, got <value>".
// `class_name` empty: the current config class.
[[noreturn]] void throw_bad_config_value(const std::string& key, const std::string& expected, const Json& got,
                                         const std::string& class_name = "");

// config[key] as T; `fallback` when the key is absent or null. A value of
// another JSON type (or an integer that does not fit T) throws FormatError
// naming the class, the key and the value. T = Json returns the value as is.
template <typename T>
T config_value(const Json& config, const std::string& key, const T& fallback) {
  auto it = config.find(key);
  if (it == config.end()) return fallback;
  if constexpr (std::is_same_v<T, Json>) {
    return *it;
  } else {
    if (it->is_null()) return fallback;
    if constexpr (std::is_same_v<T, bool>) {
      if (!it->is_boolean()) throw_bad_config_value(key, "a boolean", *it);
      return it->template get<bool>();
    } else if constexpr (std::is_same_v<T, std::string>) {
      if (!it->is_string()) throw_bad_config_value(key, "a string", *it);
      return it->template get<std::string>();
    } else if constexpr (std::is_integral_v<T>) {
      if (!it->is_number_integer()) throw_bad_config_value(key, "an integer", *it);
      if (it->is_number_unsigned()) {
        const auto v = it->template get<std::uint64_t>();
        if (v > static_cast<std::uint64_t>(std::numeric_limits<T>::max()))
          throw_bad_config_value(key, "an integer that fits " + std::to_string(sizeof(T) * 8) + " bits", *it);
        return static_cast<T>(v);
      }
      const auto v = it->template get<std::int64_t>();
      if (v < static_cast<std::int64_t>(std::numeric_limits<T>::min()) ||
          (v > 0 && static_cast<std::uint64_t>(v) > static_cast<std::uint64_t>(std::numeric_limits<T>::max())))
        throw_bad_config_value(key, "an integer that fits " + std::to_string(sizeof(T) * 8) + " bits", *it);
      return static_cast<T>(v);
    } else if constexpr (std::is_floating_point_v<T>) {
      if (!it->is_number()) throw_bad_config_value(key, "a number", *it);
      return it->template get<T>();
    } else {
      static_assert(std::is_same_v<T, Json>, "config_value: unsupported type");
    }
  }
}
inline std::string config_value(const Json& config, const std::string& key, const char* fallback) {
  return config_value<std::string>(config, key, std::string(fallback));
}

// A size (units, filters, heads, vocabulary): a positive integer of at most
// LoadLimits::max_units; `fallback` when absent or null, required without one.
std::int64_t config_size(const Json& config, const std::string& key, const std::string& class_name = "",
                         std::optional<std::int64_t> fallback = std::nullopt);
// Checks one kernel size, stride, dilation rate or pool size: positive and at
// most LoadLimits::max_window.
void check_window_value(std::int64_t value, const std::string& key, const Json& got,
                        const std::string& class_name = "");

}  // namespace keras::detail
