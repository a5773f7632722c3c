#include "saving/crc32.hpp"

#include <libdeflate.h>

namespace keras::saving {

std::uint32_t crc32(std::span<const std::byte> bytes, std::uint32_t crc) {
  return libdeflate_crc32(crc, bytes.data(), bytes.size());
}

}  // namespace keras::saving
