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
    auto mapped = map_descriptor(fd, path.string());
    ::close(fd);  // the mapping keeps the file's pages reachable
    return mapped;
  } catch (...) {
    ::close(fd);
    throw;
  }
}

std::shared_ptr<const MappedFile> MappedFile::map_descriptor(int fd, const std::string& shown_name) {
  struct stat status {};
  if (::fstat(fd, &status) != 0) throw IOError("Cannot read " + shown_name + ": " + std::strerror(errno));
  if (!S_ISREG(status.st_mode)) throw IOError("Cannot read " + shown_name + ": not a regular file");
  const auto size = static_cast<std::size_t>(status.st_size);
  if (size == 0) return std::shared_ptr<const MappedFile>(new MappedFile(nullptr, 0));
  // Every byte is read once, from start to end: the pages are mapped up front (MAP_POPULATE, one
  // pass through the page cache instead of a fault per few pages) with a large read-ahead.
  void* data = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
  if (data == MAP_FAILED) throw IOError("Cannot map " + shown_name + ": " + std::strerror(errno));
  ::madvise(data, size, MADV_SEQUENTIAL);
  return std::shared_ptr<const MappedFile>(new MappedFile(static_cast<const std::byte*>(data), size));
}

MappedFile::~MappedFile() {
  if (data_ != nullptr) ::munmap(const_cast<std::byte*>(data_), size_);
}

}  // namespace keras::saving
