// ZipReader / ZipWriter on top of libzip.
#include "saving/zip_archive.hpp"

#include <minizip/unzip.h>
#include <unistd.h>
#include <zip.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <set>
#include <system_error>
#include <utility>

#include "keras/error.hpp"
#include "keras/limits.hpp"
#include "saving/atomic_write.hpp"
#include "saving/crc32.hpp"
#include "saving/mapped_file.hpp"

namespace keras::saving {

namespace fs = std::filesystem;

namespace {

// Keras' guard thresholds (saving_lib.py, 3.16).
constexpr std::uint64_t kMemberBombFloor = std::uint64_t{1} << 32;   // 4 GiB
constexpr std::uint64_t kExtractBombFloor = std::uint64_t{1} << 28;  // 256 MiB
constexpr std::uint64_t kMaxExpansion = 100;
// DEFLATE cannot expand more than ~1032:1; above this ratio (other methods)
// the declared size is not trusted for a single up-front allocation.
constexpr std::uint64_t kTrustedExpansion = 1100;
constexpr std::size_t kReadChunk = std::size_t{64} << 20;

// declared > ratio * stored, without overflow.
bool exceeds_ratio(std::uint64_t declared, std::uint64_t stored, std::uint64_t ratio) {
  const std::uint64_t ceiling = declared / ratio + (declared % ratio != 0 ? 1 : 0);
  return stored < ceiling;
}

std::string libzip_error_text(zip_error_t* error) { return zip_error_strerror(error); }

std::string single_quoted(std::string_view name) { return "'" + std::string(name) + "'"; }

}  // namespace

std::string readable_memory_size(double bytes) {
  // Same loop as Keras, including its last-unit quirk (the value is divided
  // once more before being printed as PB).
  static const char* const kUnits[] = {"B", "KB", "MB", "GB", "TB", "PB"};
  constexpr double kScale = 1024.0;
  char text[64];
  for (const char* unit : kUnits) {
    if (bytes / kScale < 1) {
      std::snprintf(text, sizeof text, "%.2f %s", bytes, unit);
      return text;
    }
    bytes /= kScale;
  }
  std::snprintf(text, sizeof text, "%.2f %s", bytes, "PB");
  return text;
}

void check_zip_member_bomb(std::string_view name, std::uint64_t declared, std::uint64_t stored) {
  if (declared > kMemberBombFloor && exceeds_ratio(declared, stored, kMaxExpansion)) {
    throw UnsafeContentError("Not allowed: ZIP member " + single_quoted(name) + " declares " +
                             readable_memory_size(static_cast<double>(declared)) + " but only " +
                             readable_memory_size(static_cast<double>(stored)) +
                             " are stored on disk; refusing to load a potential decompression bomb.");
  }
}

void check_zip_extract_bomb(std::string_view name, std::uint64_t declared, std::uint64_t stored) {
  if (declared > kExtractBombFloor && exceeds_ratio(declared, stored, kMaxExpansion)) {
    throw UnsafeContentError("Not allowed: archive member " + single_quoted(name) + " declares " +
                             readable_memory_size(static_cast<double>(declared)) + " but only " +
                             readable_memory_size(static_cast<double>(stored)) +
                             " are stored on disk; refusing to extract a potential decompression bomb.");
  }
}

std::string unsafe_member_name_reason(std::string_view name) {
  if (name.empty()) return "empty name";
  if (name.find('\0') != std::string_view::npos) return "NUL character in the name";
  if (name.front() == '/') return "absolute path";
  if (name.find('\\') != std::string_view::npos) return "backslash in the name";
  std::size_t start = 0;
  while (start <= name.size()) {
    std::size_t end = name.find('/', start);
    if (end == std::string_view::npos) end = name.size();
    if (name.substr(start, end - start) == "..") return "'..' path component";
    start = end + 1;
  }
  return "";
}

// ---------------------------------------------------------------- ZipReader

ZipReader::ZipReader(ZipReader&& other) noexcept
    : archive_(std::exchange(other.archive_, nullptr)),
      display_name_(std::move(other.display_name_)),
      buffer_(std::move(other.buffer_)),
      mapping_(std::move(other.mapping_)),
      bytes_(other.bytes_),
      archive_size_(other.archive_size_) {}

ZipReader& ZipReader::operator=(ZipReader&& other) noexcept {
  if (this != &other) {
    if (archive_ != nullptr) zip_discard(archive_);
    archive_ = std::exchange(other.archive_, nullptr);
    display_name_ = std::move(other.display_name_);
    buffer_ = std::move(other.buffer_);
    mapping_ = std::move(other.mapping_);
    bytes_ = other.bytes_;
    archive_size_ = other.archive_size_;
  }
  return *this;
}

ZipReader::~ZipReader() {
  if (archive_ != nullptr) zip_discard(archive_);
}

ZipReader ZipReader::open(const fs::path& path) {
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (status.type() == fs::file_type::not_found) throw FileNotFoundError("File not found: " + path.string());
  if (ec) throw IOError("Cannot access " + path.string() + ": " + ec.message());
  if (status.type() == fs::file_type::directory) {
    throw FormatError("Not a zip archive: " + path.string() + " is a directory");
  }
  const std::shared_ptr<const MappedFile> mapping = MappedFile::open(path);
  if (mapping->bytes().empty()) throw FormatError("Not a zip archive: " + path.string() + " (the file is empty)");
  ZipReader reader = view_of(mapping->bytes(), path.string(), mapping);
  reader.mapping_ = mapping;
  return reader;
}

ZipReader ZipReader::view(std::span<const std::byte> bytes, std::string display_name) {
  if (bytes.empty()) throw FormatError("Not a zip archive: " + display_name + " (no bytes)");
  return view_of(bytes, std::move(display_name), nullptr);
}

ZipReader ZipReader::from_memory(std::span<const std::byte> bytes, std::string display_name) {
  return from_memory(std::vector<std::byte>(bytes.begin(), bytes.end()), std::move(display_name));
}

ZipReader ZipReader::from_memory(std::vector<std::byte>&& bytes, std::string display_name) {
  if (bytes.empty()) throw FormatError("Not a zip archive: " + display_name + " (no bytes)");
  auto buffer = std::make_shared<const std::vector<std::byte>>(std::move(bytes));
  const std::span<const std::byte> span(*buffer);
  return view_of(span, std::move(display_name), std::move(buffer));
}

ZipReader ZipReader::view_of(std::span<const std::byte> bytes, std::string display_name,
                             std::shared_ptr<const void> keep_alive) {
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* source = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
  if (source == nullptr) {
    std::string reason = libzip_error_text(&error);
    zip_error_fini(&error);
    throw IOError("Cannot read " + display_name + ": " + reason);
  }
  zip_error_fini(&error);
  ZipReader reader = open_source(source, std::move(display_name), std::move(keep_alive));
  reader.bytes_ = bytes;
  reader.archive_size_ = bytes.size();
  return reader;
}

ZipReader ZipReader::open_source(void* source_ptr, std::string display_name, std::shared_ptr<const void> keep_alive) {
  auto* source = static_cast<zip_source_t*>(source_ptr);
  zip_error_t error;
  zip_error_init(&error);
  // ZIP_CHECKCONS compares local headers with the central directory, which
  // catches truncated and spliced archives early.
  zip_t* archive = zip_open_from_source(source, ZIP_RDONLY | ZIP_CHECKCONS, &error);
  if (archive == nullptr) {
    std::string reason = libzip_error_text(&error);
    const int code = zip_error_code_zip(&error);
    zip_error_fini(&error);
    zip_source_free(source);
    if (code == ZIP_ER_OPEN || code == ZIP_ER_READ || code == ZIP_ER_MEMORY) {
      throw IOError("Cannot read " + display_name + ": " + reason);
    }
    throw FormatError("Not a valid zip archive: " + display_name + ": " + reason);
  }
  zip_error_fini(&error);

  ZipReader reader;
  reader.archive_ = archive;
  reader.display_name_ = std::move(display_name);
  reader.buffer_ = std::move(keep_alive);

  // Refuse the whole archive on one unsafe or ambiguous name: a later
  // extraction step must never see it.
  const zip_int64_t count = zip_get_num_entries(archive, 0);
  std::set<std::string, std::less<>> seen;
  for (zip_int64_t i = 0; i < count; ++i) {
    const char* raw = zip_get_name(archive, static_cast<zip_uint64_t>(i), 0);
    if (raw == nullptr) {
      throw FormatError("Not a valid zip archive: " + reader.display_name_ + ": cannot read the name of member " +
                        std::to_string(i) + ": " + zip_strerror(archive));
    }
    std::string name = raw;
    std::string reason = unsafe_member_name_reason(name);
    if (!reason.empty()) {
      throw UnsafeContentError("Not allowed: ZIP member " + single_quoted(name) + " in " + reader.display_name_ +
                               " has an unsafe name (" + reason + "); refusing to open the archive.");
    }
    if (!seen.insert(name).second) {
      throw FormatError("Not a valid zip archive: " + reader.display_name_ + ": member " + single_quoted(name) +
                        " appears more than once");
    }
  }
  return reader;
}

std::int64_t ZipReader::locate(std::string_view name) const {
  if (name.find('\0') != std::string_view::npos) return -1;
  const std::string key(name);
  return zip_name_locate(archive_, key.c_str(), 0);
}

std::vector<std::string> ZipReader::members() const {
  std::vector<std::string> names;
  const zip_int64_t count = zip_get_num_entries(archive_, 0);
  names.reserve(static_cast<std::size_t>(count));
  for (zip_int64_t i = 0; i < count; ++i) names.emplace_back(zip_get_name(archive_, static_cast<zip_uint64_t>(i), 0));
  return names;
}

bool ZipReader::has(std::string_view name) const { return locate(name) >= 0; }

ZipEntryInfo ZipReader::info(std::string_view name) const {
  const std::int64_t index = locate(name);
  if (index < 0) throw FormatError("Member " + single_quoted(name) + " not found in zip archive " + display_name_);
  zip_stat_t stat;
  zip_stat_init(&stat);
  if (zip_stat_index(archive_, static_cast<zip_uint64_t>(index), 0, &stat) != 0) {
    throw FormatError("Cannot read the entry of ZIP member " + single_quoted(name) + " in " + display_name_ + ": " +
                      zip_strerror(archive_));
  }
  ZipEntryInfo info;
  info.name = std::string(name);
  info.size = stat.size;
  info.compressed_size = stat.comp_size;
  info.method = stat.comp_method;
  info.crc = stat.crc;
  info.mtime = stat.mtime;
  info.encrypted = (stat.valid & ZIP_STAT_ENCRYPTION_METHOD) != 0 && stat.encryption_method != ZIP_EM_NONE;
  zip_uint8_t opsys = 0;
  zip_uint32_t attributes = 0;
  if (zip_file_get_external_attributes(archive_, static_cast<zip_uint64_t>(index), 0, &opsys, &attributes) == 0) {
    info.opsys = opsys;
    info.external_attributes = attributes;
  }
  return info;
}

ZipEntryInfo ZipReader::checked_entry(std::string_view name, std::uint64_t max_bytes) const {
  ZipEntryInfo entry = info(name);
  check_zip_member_bomb(name, entry.size, entry.compressed_size);
  const LoadLimits& limits = keras::detail::current_load_limits();
  if (entry.size > limits.inflate_ratio_floor && limits.max_inflate_ratio > 0 &&
      exceeds_ratio(entry.size, entry.compressed_size, limits.max_inflate_ratio)) {
    throw UnsafeContentError("Not allowed: ZIP member " + single_quoted(name) + " in " + display_name_ + " inflates " +
                             std::to_string(entry.compressed_size) + " stored bytes to " + std::to_string(entry.size) +
                             ", more than " + std::to_string(limits.max_inflate_ratio) +
                             " times (LoadLimits::max_inflate_ratio; raise it to load this file)");
  }
  if (entry.size > max_bytes) {
    throw UnsafeContentError("Not allowed: ZIP member " + single_quoted(name) + " in " + display_name_ + " declares " +
                             std::to_string(entry.size) + " bytes, more than the limit of " +
                             std::to_string(max_bytes) + " bytes.");
  }
  if (entry.compressed_size > archive_size_) {
    throw FormatError("Not a valid zip archive: " + display_name_ + ": member " + single_quoted(name) + " claims " +
                      std::to_string(entry.compressed_size) + " stored bytes but the archive has only " +
                      std::to_string(archive_size_));
  }
  if (entry.encrypted) {
    throw FormatError("Cannot read ZIP member " + single_quoted(name) + " in " + display_name_ +
                      ": encrypted members are not supported");
  }
  return entry;
}

std::vector<std::byte> ZipReader::read(std::string_view name, std::uint64_t max_bytes) const {
  const ZipEntryInfo entry = checked_entry(name, max_bytes);

  zip_file_t* file = zip_fopen_index(archive_, static_cast<zip_uint64_t>(locate(name)), 0);
  if (file == nullptr) {
    throw FormatError("Cannot read ZIP member " + single_quoted(name) + " in " + display_name_ + ": " +
                      zip_strerror(archive_));
  }
  struct Closer {
    zip_file_t* file;
    ~Closer() { zip_fclose(file); }
  } closer{file};
  auto fail = [&](const std::string& why) {
    return FormatError("Cannot read ZIP member " + single_quoted(name) + " in " + display_name_ + ": " + why);
  };

  // A plausible declared size is allocated at once; an implausible one (only
  // possible with exotic methods or a lying header) grows with the data.
  std::vector<std::byte> bytes;
  const bool trust_size =
      !exceeds_ratio(entry.size, std::max<std::uint64_t>(entry.compressed_size, 1), kTrustedExpansion);
  std::size_t filled = 0;
  if (trust_size) bytes.resize(static_cast<std::size_t>(entry.size));
  while (filled < entry.size) {
    if (!trust_size && bytes.size() == filled) {
      bytes.resize(static_cast<std::size_t>(std::min<std::uint64_t>(entry.size, filled + kReadChunk)));
    }
    const zip_int64_t got = zip_fread(file, bytes.data() + filled, bytes.size() - filled);
    if (got < 0) throw fail(zip_file_strerror(file));
    if (got == 0)
      throw fail("the data ends after " + std::to_string(filled) + " of " + std::to_string(entry.size) + " bytes");
    filled += static_cast<std::size_t>(got);
  }
  // Reading past the end lets libzip verify the CRC and catches extra data.
  std::byte probe{};
  const zip_int64_t extra = zip_fread(file, &probe, 1);
  if (extra < 0) throw fail(zip_file_strerror(file));
  if (extra > 0) throw fail("more data than the declared " + std::to_string(entry.size) + " bytes");
  return bytes;
}

namespace {

// minizip reading an archive held in memory (its I/O callbacks over one span).
struct MemoryStream {
  std::span<const std::byte> bytes;
  std::uint64_t position = 0;
};

voidpf ZCALLBACK memory_open(voidpf opaque, const void*, int) { return opaque; }
uLong ZCALLBACK memory_read(voidpf, voidpf stream, void* buffer, uLong size) {
  auto* memory = static_cast<MemoryStream*>(stream);
  const std::uint64_t left = memory->bytes.size() - std::min<std::uint64_t>(memory->position, memory->bytes.size());
  const auto count = static_cast<std::size_t>(std::min<std::uint64_t>(size, left));
  if (count > 0) std::memcpy(buffer, memory->bytes.data() + memory->position, count);
  memory->position += count;
  return static_cast<uLong>(count);
}
uLong ZCALLBACK memory_write(voidpf, voidpf, const void*, uLong) { return 0; }  // read-only
ZPOS64_T ZCALLBACK memory_tell(voidpf, voidpf stream) { return static_cast<MemoryStream*>(stream)->position; }
long ZCALLBACK memory_seek(voidpf, voidpf stream, ZPOS64_T offset, int origin) {
  auto* memory = static_cast<MemoryStream*>(stream);
  std::uint64_t base = 0;
  if (origin == ZLIB_FILEFUNC_SEEK_CUR) base = memory->position;
  if (origin == ZLIB_FILEFUNC_SEEK_END) base = memory->bytes.size();
  if (offset > memory->bytes.size() || base > memory->bytes.size() - offset) return -1;
  memory->position = base + offset;
  return 0;
}
int ZCALLBACK memory_close(voidpf, voidpf) { return 0; }
int ZCALLBACK memory_error(voidpf, voidpf) { return 0; }

}  // namespace

// libzip 1.7 does not say where a member's data starts; minizip does, after
// checking the member's local header against the central directory.
std::optional<std::uint64_t> ZipReader::data_offset(std::string_view name) const {
  MemoryStream stream{bytes_, 0};
  zlib_filefunc64_def functions{memory_open, memory_read,  memory_write, memory_tell,
                                memory_seek, memory_close, memory_error, &stream};
  unzFile archive = unzOpen2_64(display_name_.c_str(), &functions);
  if (archive == nullptr) return std::nullopt;
  struct Closer {
    unzFile archive;
    ~Closer() { unzClose(archive); }
  } closer{archive};
  const std::string member(name);
  if (unzLocateFile(archive, member.c_str(), 1) != UNZ_OK || unzOpenCurrentFile(archive) != UNZ_OK) return std::nullopt;
  const ZPOS64_T offset = unzGetCurrentFileZStreamPos64(archive);
  unzCloseCurrentFile(archive);
  return offset;
}

FormatError ZipReader::crc_error(std::string_view name) const {
  return FormatError("Cannot read ZIP member " + single_quoted(name) + " in " + display_name_ + ": CRC error");
}

std::optional<ZipReader::InPlace> ZipReader::read_in_place(std::string_view name, std::uint64_t max_bytes,
                                                           bool verify_crc, bool defer_crc) const {
  const ZipEntryInfo entry = checked_entry(name, max_bytes);
  if (bytes_.empty() || entry.method != ZIP_CM_STORE || entry.compressed_size != entry.size) return std::nullopt;
  const std::optional<std::uint64_t> offset = data_offset(name);
  // Whatever minizip and libzip disagree on is left to read(), whose errors name the fault.
  if (!offset || *offset > bytes_.size() || entry.size > bytes_.size() - *offset) return std::nullopt;
  const std::span<const std::byte> data =
      bytes_.subspan(static_cast<std::size_t>(*offset), static_cast<std::size_t>(entry.size));
  if (defer_crc && mapping_ != nullptr && mapping_->readable()) {
    InPlace in_place{data, buffer_, mapping_, *offset, std::nullopt};
    if (verify_crc) in_place.unchecked_crc = entry.crc;
    return in_place;
  }
  if (verify_crc && crc32(data) != entry.crc) throw crc_error(name);
  return InPlace{data, buffer_, nullptr, 0, std::nullopt};
}

void ZipReader::check_extraction_bombs() const {
  for (const std::string& name : members()) {
    const ZipEntryInfo entry = info(name);
    check_zip_extract_bomb(name, entry.size, entry.compressed_size);
  }
}

// ---------------------------------------------------------------- ZipWriter

namespace {

// libzip's output written to a file descriptor through a 1 MiB buffer (libzip writes headers
// and 8 KiB pieces of data), at positions the sink keeps itself. It presents an empty archive to
// read, so it is only for new ones. While a member written in place is being copied (`in_place`),
// libzip's writes of that member's bytes, which it read from where they already are, only move the
// position.
struct DescriptorSink {
  int fd = -1;
  std::uint64_t position = 0;      // where libzip's next byte goes
  std::uint64_t buffer_start = 0;  // where buffer's first byte goes
  std::vector<std::byte> buffer;
  struct Range {
    std::uint64_t begin = 0, end = 0;
  };
  std::optional<Range> in_place;
  zip_error_t error{};

  bool write_at(const std::byte* bytes, std::size_t size, std::uint64_t at) {
    std::size_t done = 0;
    while (done < size) {
      const ssize_t wrote = ::pwrite(fd, bytes + done, size - done, static_cast<off_t>(at + done));
      if (wrote < 0 && errno == EINTR) continue;
      if (wrote <= 0) {
        zip_error_set(&error, ZIP_ER_WRITE, wrote < 0 ? errno : EIO);
        return false;
      }
      done += static_cast<std::size_t>(wrote);
    }
    return true;
  }
  bool flush() {
    if (!write_at(buffer.data(), buffer.size(), buffer_start)) return false;
    buffer.clear();
    buffer_start = position;
    return true;
  }
  bool write(const std::byte* bytes, std::size_t size) {
    if (in_place && position >= in_place->begin && position <= in_place->end && size <= in_place->end - position) {
      if (!buffer.empty() && !flush()) return false;
      position += size;  // already there
      buffer_start = position;
      return true;
    }
    if ((buffer_start + buffer.size() != position || buffer.size() + size > kBuffer) && !flush()) return false;
    if (size >= kBuffer) {  // large pieces go straight through
      if (!write_at(bytes, size, position)) return false;
      position += size;
      buffer_start = position;
      return true;
    }
    buffer.insert(buffer.end(), bytes, bytes + size);
    position += size;
    return true;
  }
  static constexpr std::size_t kBuffer = std::size_t{1} << 20;
};

zip_int64_t descriptor_sink(void* userdata, void* data, zip_uint64_t length, zip_source_cmd_t command) {
  auto* sink = static_cast<DescriptorSink*>(userdata);
  switch (command) {
    case ZIP_SOURCE_SUPPORTS:
      return ZIP_SOURCE_SUPPORTS_WRITABLE;
    case ZIP_SOURCE_STAT: {
      auto* stat = ZIP_SOURCE_GET_ARGS(zip_stat_t, data, length, &sink->error);
      if (stat == nullptr) return -1;
      zip_stat_init(stat);
      stat->size = 0;  // nothing to read: a new archive
      stat->valid |= ZIP_STAT_SIZE;
      return sizeof(zip_stat_t);
    }
    case ZIP_SOURCE_ERROR:
      return zip_error_to_data(&sink->error, data, length);
    case ZIP_SOURCE_WRITE:
      return sink->write(static_cast<const std::byte*>(data), static_cast<std::size_t>(length))
                 ? static_cast<zip_int64_t>(length)
                 : -1;
    case ZIP_SOURCE_SEEK_WRITE: {
      auto* args = ZIP_SOURCE_GET_ARGS(zip_source_args_seek_t, data, length, &sink->error);
      if (args == nullptr || !sink->flush()) return -1;
      // libzip seeks back to rewrite a local header, then forward to where it was.
      if (args->whence != SEEK_SET || args->offset < 0) {
        zip_error_set(&sink->error, ZIP_ER_SEEK, EINVAL);
        return -1;
      }
      sink->position = static_cast<std::uint64_t>(args->offset);
      sink->buffer_start = sink->position;
      return 0;
    }
    case ZIP_SOURCE_TELL_WRITE:
      return static_cast<zip_int64_t>(sink->position);
    case ZIP_SOURCE_COMMIT_WRITE:
      return sink->flush() ? 0 : -1;
    case ZIP_SOURCE_BEGIN_WRITE:
    case ZIP_SOURCE_ROLLBACK_WRITE:  // the caller discards the unnamed file
    case ZIP_SOURCE_REMOVE:
    case ZIP_SOURCE_OPEN:
    case ZIP_SOURCE_CLOSE:
    case ZIP_SOURCE_FREE:
    case ZIP_SOURCE_READ:
    case ZIP_SOURCE_SEEK:
    case ZIP_SOURCE_TELL:
      return 0;
    default:
      zip_error_set(&sink->error, ZIP_ER_OPNOTSUPP, 0);
      return -1;
  }
}

// A member whose bytes a producer writes straight into the output file, at the place libzip
// opens the member: libzip then reads them back from there, for its CRC-32, in 4 MiB preads.
struct InPlaceMember {
  DescriptorSink* sink = nullptr;
  ZipWriter::Producer produce;
  std::uint64_t size_estimate = 0;
  std::exception_ptr failure;  // what the producer threw, rethrown by finish()
  std::optional<std::uint64_t> size;
  std::uint64_t begin = 0;  // where the bytes start in the output
  std::uint64_t read_position = 0;
  std::vector<std::byte> chunk;
  std::uint64_t chunk_start = 0;
  zip_error_t error{};

  zip_int64_t open() {
    if (!sink->flush()) return -1;
    begin = sink->position;
    try {
      size = produce(sink->fd, begin);
    } catch (...) {
      failure = std::current_exception();
      zip_error_set(&error, ZIP_ER_WRITE, 0);
      return -1;
    }
    sink->in_place = DescriptorSink::Range{begin, begin + *size};
    read_position = 0;
    chunk.clear();
    return 0;
  }
  zip_int64_t read(std::byte* out, std::uint64_t length) {
    constexpr std::size_t kChunk = std::size_t{4} << 20;
    if (read_position >= *size) return 0;
    if (read_position < chunk_start || read_position >= chunk_start + chunk.size()) {
      chunk.resize(static_cast<std::size_t>(std::min<std::uint64_t>(kChunk, *size - read_position)));
      chunk_start = read_position;
      std::size_t done = 0;
      while (done < chunk.size()) {
        const ssize_t got =
            ::pread(sink->fd, chunk.data() + done, chunk.size() - done, static_cast<off_t>(begin + chunk_start + done));
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) {
          zip_error_set(&error, ZIP_ER_READ, got < 0 ? errno : EIO);
          return -1;
        }
        done += static_cast<std::size_t>(got);
      }
    }
    const std::uint64_t from = read_position - chunk_start;
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(length, chunk.size() - from));
    std::memcpy(out, chunk.data() + from, n);
    read_position += n;
    return static_cast<zip_int64_t>(n);
  }
};

zip_int64_t in_place_member(void* userdata, void* data, zip_uint64_t length, zip_source_cmd_t command) {
  auto* member = static_cast<InPlaceMember*>(userdata);
  switch (command) {
    case ZIP_SOURCE_SUPPORTS:
      return zip_source_make_command_bitmap(ZIP_SOURCE_OPEN, ZIP_SOURCE_READ, ZIP_SOURCE_CLOSE, ZIP_SOURCE_STAT,
                                            ZIP_SOURCE_ERROR, ZIP_SOURCE_FREE, -1);
    case ZIP_SOURCE_STAT: {
      auto* stat = ZIP_SOURCE_GET_ARGS(zip_stat_t, data, length, &member->error);
      if (stat == nullptr) return -1;
      zip_stat_init(stat);
      // libzip asks before it opens the member, to choose zip64 in its local header: an upper
      // bound then, so that the header it rewrites with the real size keeps its length.
      stat->size = member->size.value_or(member->size_estimate);
      stat->valid |= ZIP_STAT_SIZE;
      return sizeof(zip_stat_t);
    }
    case ZIP_SOURCE_OPEN:
      return member->open();
    case ZIP_SOURCE_READ:
      return member->read(static_cast<std::byte*>(data), length);
    case ZIP_SOURCE_CLOSE:
      member->sink->in_place.reset();
      member->chunk = {};
      return 0;
    case ZIP_SOURCE_ERROR:
      return zip_error_to_data(&member->error, data, length);
    case ZIP_SOURCE_FREE:
      return 0;  // owned by ZipWriter::State
    default:
      zip_error_set(&member->error, ZIP_ER_OPNOTSUPP, 0);
      return -1;
  }
}

}  // namespace

struct ZipWriter::State {
  zip_source_t* sink = nullptr;                // in-memory buffer the archive is written to (unless streamed)
  std::unique_ptr<DescriptorSink> descriptor;  // the streamed archive's output
  std::unique_ptr<InPlaceMember> in_place;     // add_in_place's member
  zip_t* archive = nullptr;
  // libzip reads member data only at zip_close, so it must stay alive until then.
  std::vector<std::vector<std::byte>> payloads;
  std::set<std::string, std::less<>> names;

  ~State() {
    if (archive != nullptr) zip_discard(archive);
    if (sink != nullptr) zip_source_free(sink);
  }
};

namespace {

struct DosDateTime {
  std::uint16_t time = 0;
  std::uint16_t date = (1 << 5) | 1;  // 1980-01-01
};

DosDateTime to_dos(std::optional<std::time_t> mtime) {
  DosDateTime dos;
  if (!mtime) return dos;
  std::tm local{};
  if (localtime_r(&*mtime, &local) == nullptr) return dos;
  const int year = local.tm_year + 1900;
  if (year < 1980) return dos;
  if (year > 2107) {
    dos.date = static_cast<std::uint16_t>((127 << 9) | (12 << 5) | 31);
    dos.time = static_cast<std::uint16_t>((23 << 11) | (59 << 5) | 29);
    return dos;
  }
  dos.date = static_cast<std::uint16_t>(((year - 1980) << 9) | ((local.tm_mon + 1) << 5) | local.tm_mday);
  dos.time = static_cast<std::uint16_t>((local.tm_hour << 11) | (local.tm_min << 5) | (local.tm_sec / 2));
  return dos;
}

// STORED, the given time, and the Unix permissions 0600 Python zipfile's writestr gives.
void set_member_properties(zip_t* archive, zip_uint64_t index, const std::string& name,
                           std::optional<std::time_t> mtime) {
  const DosDateTime dos = to_dos(mtime);
  if (zip_set_file_compression(archive, index, ZIP_CM_STORE, 0) != 0 ||
      zip_file_set_dostime(archive, index, dos.time, dos.date, 0) != 0 ||
      zip_file_set_external_attributes(archive, index, 0, ZIP_OPSYS_UNIX, std::uint32_t{0600} << 16) != 0) {
    throw IOError("Cannot set the properties of ZIP member " + single_quoted(name) + ": " + zip_strerror(archive));
  }
}

}  // namespace

ZipWriter::ZipWriter() : state_(std::make_unique<State>()) {
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* sink = zip_source_buffer_create(nullptr, 0, 0, &error);
  if (sink == nullptr) {
    std::string reason = libzip_error_text(&error);
    zip_error_fini(&error);
    throw IOError("Cannot create an in-memory zip archive: " + reason);
  }
  zip_t* archive = zip_open_from_source(sink, ZIP_CREATE | ZIP_TRUNCATE, &error);
  if (archive == nullptr) {
    std::string reason = libzip_error_text(&error);
    zip_error_fini(&error);
    zip_source_free(sink);
    throw IOError("Cannot create an in-memory zip archive: " + reason);
  }
  zip_error_fini(&error);
  // The archive owns one reference; keep our own to read the result after zip_close.
  zip_source_keep(sink);
  state_->sink = sink;
  state_->archive = archive;
}

ZipWriter::ZipWriter(int output_fd) : state_(std::make_unique<State>()) {
  state_->descriptor = std::make_unique<DescriptorSink>();
  state_->descriptor->fd = output_fd;
  zip_error_init(&state_->descriptor->error);
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* sink = zip_source_function_create(descriptor_sink, state_->descriptor.get(), &error);
  zip_t* archive = sink == nullptr ? nullptr : zip_open_from_source(sink, ZIP_CREATE | ZIP_TRUNCATE, &error);
  if (archive == nullptr) {
    std::string reason = libzip_error_text(&error);
    zip_error_fini(&error);
    if (sink != nullptr) zip_source_free(sink);
    throw IOError("Cannot create a zip archive: " + reason);
  }
  zip_error_fini(&error);
  state_->archive = archive;  // owns the sink
}

ZipWriter::ZipWriter(ZipWriter&& other) noexcept = default;
ZipWriter& ZipWriter::operator=(ZipWriter&& other) noexcept = default;
ZipWriter::~ZipWriter() = default;

void ZipWriter::add(const std::string& name, std::span<const std::byte> bytes, std::optional<std::time_t> mtime) {
  add(name, std::vector<std::byte>(bytes.begin(), bytes.end()), mtime);
}

void ZipWriter::add(const std::string& name, std::vector<std::byte>&& bytes, std::optional<std::time_t> mtime) {
  if (!state_ || state_->archive == nullptr) throw ValueError("ZipWriter::add after the archive was finished");
  state_->payloads.push_back(std::move(bytes));
  add_view(name, state_->payloads.back(), mtime);
}

void ZipWriter::add_view(const std::string& name, std::span<const std::byte> payload,
                         std::optional<std::time_t> mtime) {
  if (!state_ || state_->archive == nullptr) throw ValueError("ZipWriter::add after the archive was finished");
  std::string reason = unsafe_member_name_reason(name);
  if (!reason.empty()) throw ValueError("Invalid ZIP member name " + single_quoted(name) + ": " + reason);
  if (!state_->names.insert(name).second) throw ValueError("Duplicate ZIP member name " + single_quoted(name));

  zip_t* archive = state_->archive;
  zip_source_t* source = zip_source_buffer(archive, payload.empty() ? nullptr : payload.data(), payload.size(), 0);
  if (source == nullptr) throw IOError("Cannot add ZIP member " + single_quoted(name) + ": " + zip_strerror(archive));
  const zip_int64_t index = zip_file_add(archive, name.c_str(), source, ZIP_FL_ENC_GUESS);
  if (index < 0) {
    zip_source_free(source);
    throw IOError("Cannot add ZIP member " + single_quoted(name) + ": " + zip_strerror(archive));
  }
  set_member_properties(archive, static_cast<zip_uint64_t>(index), name, mtime);
}

void ZipWriter::add_in_place(const std::string& name, std::uint64_t size_estimate, std::optional<std::time_t> mtime,
                             Producer produce) {
  if (!state_ || state_->archive == nullptr) throw ValueError("ZipWriter::add after the archive was finished");
  if (!state_->descriptor) throw ValueError("ZipWriter::add_in_place is for archives streamed to a descriptor");
  if (state_->in_place) throw ValueError("ZipWriter::add_in_place: only one member can be written in place");
  std::string reason = unsafe_member_name_reason(name);
  if (!reason.empty()) throw ValueError("Invalid ZIP member name " + single_quoted(name) + ": " + reason);
  if (!state_->names.insert(name).second) throw ValueError("Duplicate ZIP member name " + single_quoted(name));

  auto member = std::make_unique<InPlaceMember>();
  member->sink = state_->descriptor.get();
  member->produce = std::move(produce);
  member->size_estimate = size_estimate;
  zip_error_init(&member->error);
  zip_t* archive = state_->archive;
  zip_source_t* source = zip_source_function(archive, in_place_member, member.get());
  if (source == nullptr) throw IOError("Cannot add ZIP member " + single_quoted(name) + ": " + zip_strerror(archive));
  const zip_int64_t index = zip_file_add(archive, name.c_str(), source, ZIP_FL_ENC_GUESS);
  if (index < 0) {
    zip_source_free(source);
    throw IOError("Cannot add ZIP member " + single_quoted(name) + ": " + zip_strerror(archive));
  }
  state_->in_place = std::move(member);
  set_member_properties(archive, static_cast<zip_uint64_t>(index), name, mtime);
}

std::vector<std::byte> ZipWriter::finish_to_memory() {
  if (!state_ || state_->archive == nullptr) throw ValueError("ZipWriter::finish called twice");
  if (state_->names.empty()) throw ValueError("Cannot write a zip archive without members");
  if (zip_close(state_->archive) != 0) {
    std::string reason = zip_strerror(state_->archive);
    throw IOError("Cannot write the zip archive: " + reason);
  }
  state_->archive = nullptr;
  state_->payloads.clear();

  zip_source_t* sink = state_->sink;
  zip_stat_t stat;
  zip_stat_init(&stat);
  if (zip_source_stat(sink, &stat) != 0 || (stat.valid & ZIP_STAT_SIZE) == 0 || zip_source_open(sink) != 0) {
    throw IOError(std::string("Cannot read back the zip archive: ") + zip_error_strerror(zip_source_error(sink)));
  }
  std::vector<std::byte> bytes(static_cast<std::size_t>(stat.size));
  std::size_t filled = 0;
  while (filled < bytes.size()) {
    const zip_int64_t got = zip_source_read(sink, bytes.data() + filled, bytes.size() - filled);
    if (got <= 0) break;
    filled += static_cast<std::size_t>(got);
  }
  zip_source_close(sink);
  if (filled != bytes.size()) throw IOError("Cannot read back the zip archive: short read");
  state_.reset();
  return bytes;
}

void ZipWriter::finish(const std::string& shown_name) {
  if (!state_ || state_->archive == nullptr) throw ValueError("ZipWriter::finish called twice");
  if (!state_->descriptor) throw ValueError("ZipWriter::finish is for archives streamed to a descriptor");
  if (state_->names.empty()) throw ValueError("Cannot write a zip archive without members");
  if (zip_close(state_->archive) != 0) {
    // An error of the in-place member's producer is the one to report, not libzip's echo of it.
    if (state_->in_place && state_->in_place->failure) std::rethrow_exception(state_->in_place->failure);
    std::string reason = zip_strerror(state_->archive);
    throw IOError("Cannot write " + shown_name + ": " + reason);
  }
  state_->archive = nullptr;
  state_.reset();
}

void ZipWriter::finish_to_file(const fs::path& path) {
  const std::vector<std::byte> bytes = finish_to_memory();
  write_file_atomically(path, bytes);
}

}  // namespace keras::saving
