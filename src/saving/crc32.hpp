// CRC-32 as zip stores it, through libdeflate (carry-less multiplication where the CPU has it,
// an order of magnitude faster than a table-driven loop): loading checks a STORED member's CRC
// itself when it reads the member in place, and the benchmarks time plain reads with it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace keras::saving {

// `crc` continues a running checksum (0 to start).
std::uint32_t crc32(std::span<const std::byte> bytes, std::uint32_t crc = 0);

}  // namespace keras::saving
