// A read-only memory mapping of a whole file, so that a large archive is read in place (its
// STORED weights member handed to HDF5 as it lies in the page cache) instead of copied into
// anonymous memory first. A file opened by path also keeps its descriptor, so that large
// contiguous pieces (weights) can be read with pread() straight into their destination.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <utility>

namespace keras::saving {

class MappedFile {
 public:
  // IOError naming the path when the file cannot be opened or mapped. An empty file maps to
  // an empty span (mmap refuses a length of 0). Pages are mapped as they are touched: the big
  // pieces are meant for read_into().
  static std::shared_ptr<const MappedFile> open(const std::filesystem::path& path);
  // The file open as `fd` (which may be closed afterwards), every page mapped up front, to be
  // read from start to end; `shown_name` names it in errors. read_into() is not available.
  static std::shared_ptr<const MappedFile> map_descriptor(int fd, const std::string& shown_name);

  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  std::span<const std::byte> bytes() const { return {data_, size_}; }
  // Whether read_into() works (a file opened by path).
  bool readable() const { return descriptor_ >= 0; }
  // Copies bytes()[offset, offset + out.size()) into `out` with pread(), which copies from the
  // page cache without mapping it: a freshly written file sits there in 4 KiB folios, whose
  // mapping costs several times the copy. IOError on a failed or short read.
  void read_into(std::uint64_t offset, std::span<std::byte> out) const;

 private:
  MappedFile(const std::byte* data, std::size_t size, int descriptor, std::string name)
      : data_(data), size_(size), descriptor_(descriptor), name_(std::move(name)) {}
  static std::shared_ptr<const MappedFile> map(int fd, const std::string& shown_name, bool populate, int keep);
  const std::byte* data_;
  std::size_t size_;
  int descriptor_ = -1;  // owned; -1 for map_descriptor()
  std::string name_;
};

}  // namespace keras::saving
