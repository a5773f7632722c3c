// A read-only memory mapping of a whole file, so that a large archive is read in place (its
// STORED weights member handed to HDF5 as it lies in the page cache) instead of copied into
// anonymous memory first.
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <span>
#include <string>

namespace keras::saving {

class MappedFile {
 public:
  // IOError naming the path when the file cannot be opened or mapped. An empty file maps to
  // an empty span (mmap refuses a length of 0).
  static std::shared_ptr<const MappedFile> open(const std::filesystem::path& path);
  // The file open as `fd` (which may be closed afterwards); `shown_name` names it in errors.
  static std::shared_ptr<const MappedFile> map_descriptor(int fd, const std::string& shown_name);

  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  std::span<const std::byte> bytes() const { return {data_, size_}; }

 private:
  MappedFile(const std::byte* data, std::size_t size) : data_(data), size_(size) {}
  const std::byte* data_;
  std::size_t size_;
};

}  // namespace keras::saving
