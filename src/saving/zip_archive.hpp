// Zip archives as .keras files use them, on top of libzip: a reader with
// Keras 3.16's safety guards and a writer that lays members out the way Python
// zipfile does for Keras (STORED, no directory entries, no data descriptors).
#pragma once

#include <cstddef>
#include <cstdint>
#include <ctime>
#include <filesystem>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "keras/error.hpp"
#include "saving/mapped_file.hpp"

struct zip;  // libzip's archive handle (zip_t)

namespace keras::saving {

// What the central directory says about one member.
struct ZipEntryInfo {
  std::string name;
  std::uint64_t size = 0;             // uncompressed
  std::uint64_t compressed_size = 0;  // bytes stored on disk
  std::uint16_t method = 0;           // 0 = STORED, 8 = DEFLATE, ...
  std::uint32_t crc = 0;
  std::time_t mtime = 0;  // DOS date/time read as local time (what Python zipfile shows)
  bool encrypted = false;
  std::uint8_t opsys = 0;  // "made by" system: 0 = MS-DOS, 3 = Unix
  std::uint32_t external_attributes = 0;
};

// Keras' summary_utils.readable_memory_size: "12.00 B", "1.50 KB", "4.00 GB".
// Used in the bomb guard messages.
std::string readable_memory_size(double bytes);

// Keras guard #1 (any member read into memory): UnsafeContentError when
// `declared` > 4 GiB and > 100x `stored`, with Keras' message.
void check_zip_member_bomb(std::string_view name, std::uint64_t declared, std::uint64_t stored);
// Keras guard #2 (before extracting): the same with a 256 MiB floor.
void check_zip_extract_bomb(std::string_view name, std::uint64_t declared, std::uint64_t stored);

inline constexpr std::uint64_t kNoSizeLimit = std::numeric_limits<std::uint64_t>::max();

// Read access to a zip archive held in a file or in memory. Opening validates
// the archive (libzip consistency checks) and every member name (no absolute
// names, no ".." components, no backslashes: UnsafeContentError). Not thread
// safe: use one reader per thread.
class ZipReader {
 public:
  // FileNotFoundError when `path` does not exist, FormatError (naming the
  // path and libzip's reason) when it is empty, truncated or not a zip. The
  // file is read through a read-only mapping (MappedFile), so that
  // read_in_place() can hand out its STORED members without a copy.
  static ZipReader open(const std::filesystem::path& path);
  // The archive bytes are copied; `display_name` is used in messages.
  static ZipReader from_memory(std::span<const std::byte> bytes, std::string display_name = "<memory>");
  static ZipReader from_memory(std::vector<std::byte>&& bytes, std::string display_name = "<memory>");
  // The archive bytes are not copied: they must outlive the reader and every
  // span read_in_place() returns.
  static ZipReader view(std::span<const std::byte> bytes, std::string display_name = "<memory>");

  ZipReader(ZipReader&& other) noexcept;
  ZipReader& operator=(ZipReader&& other) noexcept;
  ZipReader(const ZipReader&) = delete;
  ZipReader& operator=(const ZipReader&) = delete;
  ~ZipReader();

  const std::string& display_name() const { return display_name_; }
  // Member names in central directory order.
  std::vector<std::string> members() const;
  bool has(std::string_view name) const;
  // FormatError when there is no such member.
  ZipEntryInfo info(std::string_view name) const;

  // The member's bytes, CRC-checked. Refuses (UnsafeContentError) a member
  // whose declared size is > 4 GiB and > 100x its stored size (Keras guard #1,
  // Keras' message) or larger than `max_bytes`. FormatError when missing,
  // encrypted, or unreadable (bad CRC, unsupported compression).
  std::vector<std::byte> read(std::string_view name, std::uint64_t max_bytes = kNoSizeLimit) const;

  // A STORED member as it lies in the archive's bytes, without a copy: the
  // span, and what keeps it alive (the mapping or buffer; empty for view()).
  // Same guards as read(); the CRC-32 is checked unless `verify_crc` is false.
  // std::nullopt when the member is compressed: read() it then.
  //
  // With `defer_crc`, an archive opened by path hands the check to the caller
  // instead: `file` is its mapping (read_into() works), `file_offset` where the
  // member starts in it, and `unchecked_crc` the CRC-32 its bytes must have.
  struct InPlace {
    std::span<const std::byte> bytes;
    std::shared_ptr<const void> keep_alive;
    std::shared_ptr<const MappedFile> file;
    std::uint64_t file_offset = 0;
    std::optional<std::uint32_t> unchecked_crc;
  };
  std::optional<InPlace> read_in_place(std::string_view name, std::uint64_t max_bytes = kNoSizeLimit,
                                       bool verify_crc = true, bool defer_crc = false) const;
  // The error read_in_place() raises for a member whose bytes fail their CRC-32.
  FormatError crc_error(std::string_view name) const;

  // Keras guard #2, run before extracting assets: refuses the archive when any
  // member declares > 256 MiB and > 100x its stored size (UnsafeContentError).
  void check_extraction_bombs() const;

 private:
  ZipReader() = default;
  static ZipReader open_source(void* source, std::string display_name, std::shared_ptr<const void> keep_alive);
  static ZipReader view_of(std::span<const std::byte> bytes, std::string display_name,
                           std::shared_ptr<const void> keep_alive);
  std::int64_t locate(std::string_view name) const;  // -1 when absent
  // read()'s guards: bomb, inflate ratio, size limit, encryption.
  ZipEntryInfo checked_entry(std::string_view name, std::uint64_t max_bytes) const;
  // The offset of a member's data in bytes_, from its local header (minizip).
  std::optional<std::uint64_t> data_offset(std::string_view name) const;

  zip* archive_ = nullptr;
  std::string display_name_;
  std::shared_ptr<const void> buffer_;         // backing bytes of an in-memory or mapped archive
  std::shared_ptr<const MappedFile> mapping_;  // buffer_ when the archive was opened by path
  std::span<const std::byte> bytes_;           // all of the archive
  std::uint64_t archive_size_ = 0;
};

// Builds an archive in memory, one STORED member per add() in call order,
// with a correct CRC and sizes in the local headers (no data descriptors), no
// directory entries and no comment. Members get Unix permissions 0600 like
// Python zipfile's writestr.
class ZipWriter {
 public:
  ZipWriter();
  // Streams the archive to `output_fd` (an empty file open for writing, which
  // the caller owns and closes) instead of memory; finish() ends it.
  explicit ZipWriter(int output_fd);
  ZipWriter(ZipWriter&& other) noexcept;
  ZipWriter& operator=(ZipWriter&& other) noexcept;
  ZipWriter(const ZipWriter&) = delete;
  ZipWriter& operator=(const ZipWriter&) = delete;
  ~ZipWriter();

  // `mtime` is stored as a DOS local date/time (2-second resolution, clamped
  // to 1980..2107); nullopt stores 1980-01-01 00:00:00 as Keras does for
  // metadata.json and config.json. ValueError for an empty, absolute, "..",
  // backslash or duplicate name, or after finish.
  void add(const std::string& name, std::span<const std::byte> bytes, std::optional<std::time_t> mtime = std::nullopt);
  void add(const std::string& name, std::vector<std::byte>&& bytes, std::optional<std::time_t> mtime = std::nullopt);
  // The same without a copy: `bytes` must stay alive until the archive is finished.
  void add_view(const std::string& name, std::span<const std::byte> bytes,
                std::optional<std::time_t> mtime = std::nullopt);

  // A member whose bytes `produce(fd, offset)` writes itself into the output
  // descriptor, at `offset` on (nothing of the archive follows it yet), and
  // whose size it returns; called while finish() writes the archive, when the
  // member's turn comes. libzip then reads them back for their CRC-32 instead
  // of copying them. `size_estimate` must not be below the real size (it
  // decides zip64 in the local header, as the real size would). Only for an
  // archive streamed to a descriptor, and only one such member; finish()
  // rethrows what `produce` throws.
  using Producer = std::function<std::uint64_t(int fd, std::uint64_t offset)>;
  void add_in_place(const std::string& name, std::uint64_t size_estimate, std::optional<std::time_t> mtime,
                    Producer produce);

  // Finishes the archive; the writer cannot be used afterwards.
  std::vector<std::byte> finish_to_memory();
  // Finishes the archive and writes it to `path` through write_file_atomically.
  void finish_to_file(const std::filesystem::path& path);
  // Finishes an archive streamed to a descriptor (IOError naming `shown_name`).
  void finish(const std::string& shown_name);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Checks a member name against the rules both classes enforce; returns the
// reason it is unsafe or an empty string.
std::string unsafe_member_name_reason(std::string_view name);

}  // namespace keras::saving
