// Crash-safe replacement of files and directories: the new content is built
// beside the target under a temporary name and renamed into place, so readers
// see either the old target or the complete new one, never a partial file.
#pragma once

#include <unistd.h>

#include <cstddef>
#include <filesystem>
#include <functional>
#include <span>

namespace keras::saving {

// Writes `bytes` to an unnamed O_TMPFILE file in the target's directory (a
// named ".<name>.tmp-<hex>" one where the file system lacks O_TMPFILE), fsyncs
// it, links it under such a name and renames it over `target`: a process
// killed before the rename leaves no file behind. On any failure the target is
// left untouched, no temporary file remains, and IOError is thrown.
void write_file_atomically(const std::filesystem::path& target, std::span<const std::byte> bytes);

// Same, but `produce` writes the content itself to `fd`: an empty file open for
// reading and writing at offset 0 (unnamed, or named as `shown_name` says), which it must
// not close; e.g. a zip archive streamed without being held in memory.
void stream_file_atomically(const std::filesystem::path& target,
                            const std::function<void(int fd, const std::filesystem::path& shown_name)>& produce);

// Closes a descriptor on scope exit; close_checked() reports a failing close,
// which on some file systems is where a write error surfaces.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }
  int close_checked() {
    int result = ::close(fd_);
    fd_ = -1;
    return result;
  }

 private:
  int fd_;
};

// Same, but `produce` writes the content itself to the temporary path it is
// given (an empty file that already exists; truncating it is fine), e.g. to
// let HDF5 create a large file directly on disk. A keras::Error thrown by
// `produce` propagates unchanged; any other exception becomes IOError.
void replace_file_atomically(const std::filesystem::path& target,
                             const std::function<void(const std::filesystem::path& temp_path)>& produce);

// A directory built under a temporary name beside `target` and moved into
// place by commit(). If not committed, the temporary directory is removed.
//
//   AtomicDirectory dir(target, /*overwrite=*/true);
//   write files under dir.path() ...
//   dir.commit();
class AtomicDirectory {
 public:
  // Throws FileExistsError when `target` exists and overwrite is false, and
  // IOError when the temporary directory cannot be created.
  AtomicDirectory(std::filesystem::path target, bool overwrite);
  ~AtomicDirectory();
  AtomicDirectory(const AtomicDirectory&) = delete;
  AtomicDirectory& operator=(const AtomicDirectory&) = delete;

  // Where to build the content.
  const std::filesystem::path& path() const { return staging_; }
  const std::filesystem::path& target() const { return target_; }

  // Fsyncs the staged files and renames the staging directory to the target.
  // An existing target (when overwrite was granted) is first renamed aside and
  // deleted only after the new directory is in place; if the swap fails the
  // old target is restored. Throws FileExistsError / IOError.
  void commit();

 private:
  std::filesystem::path target_;
  std::filesystem::path staging_;
  bool overwrite_;
  bool committed_ = false;
};

namespace detail {
// A name of the form ".<stem>.<tag>-<random hex>" in the directory of `target`
// that does not exist yet (not reserved; callers create it exclusively).
std::filesystem::path sibling_temp_path(const std::filesystem::path& target, const char* tag);
}  // namespace detail

}  // namespace keras::saving
