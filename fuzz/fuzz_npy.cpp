// libFuzzer target: arbitrary bytes as a .npy file. keras::Error is the expected answer to bad
// input. An array that parses must survive serialize_npy -> parse_npy unchanged.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "keras/tensor.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  keras::Tensor parsed;
  try {
    parsed = keras::parse_npy(std::as_bytes(std::span<const std::uint8_t>(data, size)), "<fuzz>");
  } catch (const keras::Error&) {
    return 0;
  }
  const auto bytes = keras::serialize_npy(parsed);
  const keras::Tensor again = keras::parse_npy(bytes, "<fuzz round trip>");
  if (again.dtype() != parsed.dtype() || again.shape() != parsed.shape() || again.nbytes() != parsed.nbytes() ||
      (parsed.nbytes() > 0 && std::memcmp(again.raw_data(), parsed.raw_data(), parsed.nbytes()) != 0)) {
    __builtin_trap();  // serialize_npy wrote something parse_npy reads differently
  }
  return 0;
}
