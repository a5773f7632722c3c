// Small conversions shared by the save/load entry points.
#pragma once

#include <cstddef>
#include <cstring>
#include <string>
#include <vector>

namespace keras::saving {

inline std::vector<std::byte> to_bytes(const std::string& text) {
  std::vector<std::byte> out(text.size());
  if (!text.empty()) std::memcpy(out.data(), text.data(), text.size());
  return out;
}

inline std::string to_text(const std::vector<std::byte>& bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

}  // namespace keras::saving
