#include "saving/mapped_file.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "keras/error.hpp"

namespace keras::saving {

std::shared_ptr<const MappedFile> MappedFile::open(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw IOError("Cannot open " + path.string() + ": " + std::strerror(errno));
  try {
    return map(fd, path.string(), false, fd);  // the mapping owns fd from here
  } catch (...) {
    ::close(fd);
    throw;
  }
}

std::shared_ptr<const MappedFile> MappedFile::map_descriptor(int fd, const std::string& shown_name) {
  return map(fd, shown_name, true, -1);
}

std::shared_ptr<const MappedFile> MappedFile::map(int fd, const std::string& shown_name, bool populate, int keep) {
  struct stat status {};
  if (::fstat(fd, &status) != 0) throw IOError("Cannot read " + shown_name + ": " + std::strerror(errno));
  if (!S_ISREG(status.st_mode)) throw IOError("Cannot read " + shown_name + ": not a regular file");
  const auto size = static_cast<std::size_t>(status.st_size);
  if (size == 0) return std::shared_ptr<const MappedFile>(new MappedFile(nullptr, 0, keep, shown_name));
  // map_descriptor()'s callers read every byte from start to end: its pages are mapped up front
  // (one pass through the page cache instead of a fault per few pages) with a large read-ahead.
  // open()'s callers touch only the metadata through the mapping and pread() the rest.
  void* data = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE | (populate ? MAP_POPULATE : 0), fd, 0);
  if (data == MAP_FAILED) throw IOError("Cannot map " + shown_name + ": " + std::strerror(errno));
  if (populate) ::madvise(data, size, MADV_SEQUENTIAL);
  return std::shared_ptr<const MappedFile>(new MappedFile(static_cast<const std::byte*>(data), size, keep, shown_name));
}

void MappedFile::read_into(std::uint64_t offset, std::span<std::byte> out) const {
  if (descriptor_ < 0) throw IOError("Cannot read " + name_ + ": no descriptor to read from");
  if (offset > size_ || out.size() > size_ - offset) throw IOError("Cannot read " + name_ + ": past its end");
  std::size_t done = 0;
  while (done < out.size()) {
    const ssize_t got = ::pread(descriptor_, out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) throw IOError("Cannot read " + name_ + ": " + std::strerror(errno));
    if (got == 0) throw IOError("Cannot read " + name_ + ": it was truncated while being read");
    done += static_cast<std::size_t>(got);
  }
}

MappedFile::~MappedFile() {
  if (data_ != nullptr) ::munmap(const_cast<std::byte*>(data_), size_);
  if (descriptor_ >= 0) ::close(descriptor_);
}

}  // namespace keras::saving
