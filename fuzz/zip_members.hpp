// Archive-level mutations for fuzz_archive: the archive is unpacked with libzip, one member is
// mutated (JSON members by tree, fuzz/json_mutator.hpp; the HDF5 file and anything else by
// bytes, fuzz/h5_mutator.hpp), or members are dropped, renamed or recompressed, and it is packed
// again by libzip with correct headers, sizes and CRCs, so that the mutation reaches the member's
// reader instead of stopping at the zip checks. A few mutations flip bytes of the whole archive
// so that the zip reader itself keeps being fuzzed.
#pragma once

#include <zip.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "h5_mutator.hpp"
#include "json_mutator.hpp"

namespace keras_fuzz {

struct ZipMember {
  std::string name;
  std::vector<std::uint8_t> bytes;
  std::int32_t method = ZIP_CM_STORE;
};

// The members of an archive, or nullopt when libzip cannot read it (or one is over 16 MiB).
inline std::optional<std::vector<ZipMember>> unpack_zip(const std::uint8_t* data, std::size_t size) {
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* source = zip_source_buffer_create(data, size, 0, &error);
  if (source == nullptr) return std::nullopt;
  zip_t* archive = zip_open_from_source(source, ZIP_RDONLY, &error);
  zip_error_fini(&error);
  if (archive == nullptr) {
    zip_source_free(source);
    return std::nullopt;
  }
  std::vector<ZipMember> members;
  bool ok = true;
  const zip_int64_t count = zip_get_num_entries(archive, 0);
  for (zip_int64_t i = 0; ok && i < count; ++i) {
    zip_stat_t stat;
    if (zip_stat_index(archive, static_cast<zip_uint64_t>(i), 0, &stat) != 0 || stat.size > (16u << 20)) {
      ok = false;
      break;
    }
    ZipMember member{stat.name, std::vector<std::uint8_t>(stat.size), stat.comp_method};
    zip_file_t* file = zip_fopen_index(archive, static_cast<zip_uint64_t>(i), 0);
    ok = file != nullptr && zip_fread(file, member.bytes.data(), stat.size) == static_cast<zip_int64_t>(stat.size);
    if (file != nullptr) ok = zip_fclose(file) == 0 && ok;  // the CRC is checked at the end
    members.push_back(std::move(member));
  }
  zip_discard(archive);  // also frees the source
  if (!ok) return std::nullopt;
  return members;
}

// The archive libzip writes for `members` (duplicate names keep the first), or nullopt.
inline std::optional<std::vector<std::uint8_t>> pack_zip(const std::vector<ZipMember>& members) {
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* out = zip_source_buffer_create(nullptr, 0, 0, &error);
  if (out == nullptr) return std::nullopt;
  zip_source_keep(out);
  zip_t* archive = zip_open_from_source(out, ZIP_TRUNCATE, &error);
  zip_error_fini(&error);
  if (archive == nullptr) {
    zip_source_free(out);
    zip_source_free(out);
    return std::nullopt;
  }
  bool ok = true;
  for (const auto& member : members) {
    zip_source_t* source = zip_source_buffer(archive, member.bytes.data(), member.bytes.size(), 0);
    if (source == nullptr) {
      ok = false;
      break;
    }
    const zip_int64_t index = zip_file_add(archive, member.name.c_str(), source, ZIP_FL_ENC_UTF_8);
    if (index < 0) {
      zip_source_free(source);
      continue;  // a duplicate or a name libzip refuses
    }
    std::int32_t method = member.method;
    if (zip_compression_method_supported(method, 1) == 0) method = ZIP_CM_STORE;
    zip_set_file_compression(archive, static_cast<zip_uint64_t>(index), method, 0);
    zip_file_set_mtime(archive, static_cast<zip_uint64_t>(index), 315532800, 0);  // 1980-01-01, as Keras
  }
  if (!ok || zip_close(archive) != 0) {
    zip_discard(archive);  // drops the archive's reference to `out`, ours stays
    zip_source_free(out);
    return std::nullopt;
  }
  std::vector<std::uint8_t> bytes;
  zip_stat_t stat;
  if (zip_source_stat(out, &stat) == 0 && zip_source_open(out) == 0) {
    bytes.resize(stat.size);
    const zip_int64_t got = zip_source_read(out, bytes.data(), stat.size);
    zip_source_close(out);
    if (got != static_cast<zip_int64_t>(stat.size)) bytes.clear();
  }
  zip_source_free(out);
  if (bytes.empty() && !members.empty()) return std::nullopt;
  return bytes;
}

inline bool is_json_member(const std::string& name) {
  return name.size() >= 5 && name.compare(name.size() - 5, 5, ".json") == 0;
}

// Mutates one member in place; `room` is how many bytes it may grow.
inline void mutate_member(ZipMember& member, std::size_t room, Rng& rng) {
  if (is_json_member(member.name) && pick(rng, 8) != 0) {
    std::string text(member.bytes.begin(), member.bytes.end());
    if (mutate_json_text(text, rng)) {
      member.bytes.assign(text.begin(), text.end());
      return;
    }
  }
  const std::size_t size = member.bytes.size();
  member.bytes.resize(size + room);
  member.bytes.resize(mutate_h5_bytes(member.bytes.data(), size, size + room, rng));
}

inline std::size_t mutate_archive(std::uint8_t* data, std::size_t size, std::size_t max_size, unsigned seed) {
  Rng rng(seed);
  auto members = pick(rng, 16) != 0 ? unpack_zip(data, size) : std::nullopt;
  if (!members || members->empty()) return LLVMFuzzerMutate(data, size, max_size);
  const std::size_t room = max_size > size ? std::min<std::size_t>(max_size - size, 4096) : 0;
  ZipMember& member = (*members)[pick(rng, members->size())];
  static const char* const names[] = {"config.json",
                                      "metadata.json",
                                      "model.weights.h5",
                                      "model.weights.npz",
                                      "assets/x",
                                      "../config.json",
                                      "/config.json",
                                      "config.json/",
                                      "a\\b",
                                      "model.weights.h5.bak",
                                      ""};
  // 93: zstd, which libzip 1.7 (Debian 12) neither names nor writes (pack_zip stores it instead).
  static const std::int32_t methods[] = {ZIP_CM_STORE, ZIP_CM_DEFLATE, ZIP_CM_BZIP2, ZIP_CM_XZ, 93};
  switch (pick(rng, 20)) {
    case 0:
      members->erase(members->begin() + static_cast<std::ptrdiff_t>(&member - members->data()));
      break;
    case 1:
      member.name = names[pick(rng, std::size(names))];
      break;
    case 2:
      member.method = methods[pick(rng, std::size(methods))];
      break;
    case 3: {
      ZipMember copy = member;
      copy.name = names[pick(rng, std::size(names))];
      members->push_back(std::move(copy));
      break;
    }
    default:
      mutate_member(member, room, rng);
  }
  auto packed = pack_zip(*members);
  if (!packed || packed->size() > max_size) return LLVMFuzzerMutate(data, size, max_size);
  if (!packed->empty()) std::memcpy(data, packed->data(), packed->size());  // memcpy(_, nullptr, 0) is UB
  return packed->size();
}

// Crossover: one member of the second archive replaces its namesake in the first (or joins it),
// e.g. one model's config with another model's weights.
inline std::size_t cross_over_archives(const std::uint8_t* data1, std::size_t size1, const std::uint8_t* data2,
                                       std::size_t size2, std::uint8_t* out, std::size_t max_out, unsigned seed) {
  Rng rng(seed);
  auto a = unpack_zip(data1, size1);
  auto b = unpack_zip(data2, size2);
  if (!a || !b || b->empty()) return 0;
  const ZipMember& donor = (*b)[pick(rng, b->size())];
  bool replaced = false;
  for (auto& member : *a) {
    if (member.name == donor.name) {
      member = donor;
      replaced = true;
    }
  }
  if (!replaced) a->push_back(donor);
  auto packed = pack_zip(*a);
  if (!packed || packed->empty() || packed->size() > max_out) return 0;
  std::memcpy(out, packed->data(), packed->size());
  return packed->size();
}

}  // namespace keras_fuzz
