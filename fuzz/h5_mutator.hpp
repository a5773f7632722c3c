// Byte mutations of HDF5 file images for fuzz_weights_h5 and fuzz_archive. Half are libFuzzer's
// own; the others write an interesting little-endian integer (0, all ones, the file size and its
// neighbours, powers of two) of 1, 2, 4 or 8 bytes at a random place, half of the time just after
// one of the structure signatures (superblock, object header, B-tree, local and global heaps,
// symbol table nodes), where the addresses, sizes and counts a reader follows live.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <random>
#include <string_view>
#include <vector>

extern "C" std::size_t LLVMFuzzerMutate(std::uint8_t* data, std::size_t size, std::size_t max_size);

namespace keras_fuzz {

inline std::size_t h5_pick(std::minstd_rand& rng, std::size_t n) {
  return n == 0 ? 0 : std::uniform_int_distribution<std::size_t>(0, n - 1)(rng);
}

inline std::size_t mutate_h5_bytes(std::uint8_t* data, std::size_t size, std::size_t max_size, std::minstd_rand& rng) {
  if (size < 16 || h5_pick(rng, 2) == 0) return LLVMFuzzerMutate(data, size, max_size);
  static constexpr std::string_view signatures[] = {
      "\x89HDF\r\n\x1a\n", "OHDR", "OCHK", "TREE", "HEAP", "SNOD", "GCOL", "FRHP", "FHDB", "BTHD", "BTLF", "FSHD"};
  std::size_t offset = h5_pick(rng, size);
  if (h5_pick(rng, 2) == 0) {
    const std::string_view haystack(reinterpret_cast<const char*>(data), size);
    std::vector<std::size_t> found;
    for (auto signature : signatures)
      for (auto at = haystack.find(signature); at != std::string_view::npos && found.size() < 256;
           at = haystack.find(signature, at + 1))
        found.push_back(at + signature.size());
    if (!found.empty()) offset = std::min(size - 1, found[h5_pick(rng, found.size())] + h5_pick(rng, 48));
  }
  const std::size_t widths[] = {1, 2, 4, 8};
  std::size_t width = widths[h5_pick(rng, 4)];
  if (offset + width > size) width = size - offset;
  std::uint64_t current = 0;
  std::memcpy(&current, data + offset, width);
  const std::uint64_t values[] = {0,
                                  ~std::uint64_t{0},
                                  size,
                                  size - 1,
                                  size + 1,
                                  size * 2,
                                  current + 1,
                                  current - 1,
                                  current ^ (std::uint64_t{1} << h5_pick(rng, width * 8)),
                                  std::uint64_t{1} << h5_pick(rng, 64),
                                  0x7fffffff,
                                  0x80000000,
                                  h5_pick(rng, 256)};
  const std::uint64_t value = values[h5_pick(rng, std::size(values))];
  std::memcpy(data + offset, &value, width);  // little-endian, as HDF5 stores its integers
  return size;
}

}  // namespace keras_fuzz
