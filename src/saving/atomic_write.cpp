// Temporary-file-and-rename replacement of files and directories (POSIX).
#include "saving/atomic_write.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <random>
#include <string>
#include <system_error>

#include "keras/error.hpp"

namespace keras::saving {

namespace fs = std::filesystem;

namespace {

std::string errno_message(int error) { return std::error_code(error, std::generic_category()).message(); }

// "dir/" names the directory itself; rename and sibling names need "dir".
fs::path without_trailing_separator(fs::path path) {
  if (!path.has_filename() && path.has_parent_path()) path = path.parent_path();
  return path;
}

fs::path directory_of(const fs::path& target) {
  fs::path parent = target.parent_path();
  return parent.empty() ? fs::path(".") : parent;
}

// Removes a temporary file or directory on scope exit unless released.
class TempGuard {
 public:
  explicit TempGuard(fs::path path) : path_(std::move(path)) {}
  ~TempGuard() {
    if (path_.empty()) return;
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  TempGuard(const TempGuard&) = delete;
  TempGuard& operator=(const TempGuard&) = delete;
  void release() { path_.clear(); }

 private:
  fs::path path_;
};

// Creates a new, empty, uniquely named file beside target and returns its
// descriptor. Mode 0666 lets the umask decide, as for any ordinary new file.
int create_exclusive_temp(const fs::path& target, fs::path* temp_path) {
  for (int attempt = 0; attempt < 100; ++attempt) {
    fs::path candidate = detail::sibling_temp_path(target, "tmp");
    int fd = ::open(candidate.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0) {
      *temp_path = candidate;
      return fd;
    }
    if (errno != EEXIST) {
      throw IOError("Cannot write " + target.string() + ": cannot create the temporary file " + candidate.string() +
                    ": " + errno_message(errno));
    }
  }
  throw IOError("Cannot write " + target.string() + ": no free temporary file name in " +
                directory_of(target).string());
}

void write_all(int fd, std::span<const std::byte> bytes, const fs::path& target, const fs::path& temp) {
  const std::byte* cursor = bytes.data();
  std::size_t left = bytes.size();
  while (left > 0) {
    ssize_t written = ::write(fd, cursor, left);
    if (written < 0) {
      if (errno == EINTR) continue;
      throw IOError("Cannot write " + target.string() + " (temporary file " + temp.string() +
                    "): " + errno_message(errno));
    }
    cursor += written;
    left -= static_cast<std::size_t>(written);
  }
}

void fsync_or_throw(int fd, const fs::path& target, const fs::path& temp) {
  if (::fsync(fd) != 0) {
    throw IOError("Cannot flush " + target.string() + " (temporary file " + temp.string() +
                  ") to disk: " + errno_message(errno));
  }
}

void fsync_file_path(const fs::path& path, const fs::path& target) {
  FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    throw IOError("Cannot reopen " + path.string() + " while writing " + target.string() + ": " + errno_message(errno));
  }
  fsync_or_throw(fd.get(), target, path);
}

// Makes a rename durable. Some file systems refuse fsync on directories, and
// the rename itself already happened, so failures are not reported.
void fsync_directory_best_effort(const fs::path& dir) {
  FileDescriptor fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() >= 0) ::fsync(fd.get());
}

void rename_or_throw(const fs::path& from, const fs::path& to, const std::string& what) {
  if (std::rename(from.c_str(), to.c_str()) != 0) {
    throw IOError("Cannot " + what + ": cannot rename " + from.string() + " to " + to.string() + ": " +
                  errno_message(errno));
  }
}

bool path_exists(const fs::path& path) {
  std::error_code ec;
  return fs::symlink_status(path, ec).type() != fs::file_type::not_found && !ec;
}

}  // namespace

namespace detail {

fs::path sibling_temp_path(const fs::path& target, const char* tag) {
  static thread_local std::mt19937_64 generator{std::random_device{}()};
  char suffix[17];
  std::snprintf(suffix, sizeof suffix, "%016llx", static_cast<unsigned long long>(generator()));
  fs::path clean = without_trailing_separator(target);
  return directory_of(clean) / ("." + clean.filename().string() + "." + tag + "-" + suffix);
}

}  // namespace detail

namespace {

// The content written to a named temporary file beside the target, then renamed
// over it: where unnamed temporary files are not available.
void write_through_named_temp(const fs::path& target, const std::function<void(int, const fs::path&)>& produce) {
  fs::path temp;
  FileDescriptor fd(create_exclusive_temp(target, &temp));
  TempGuard guard(temp);
  produce(fd.get(), temp);
  fsync_or_throw(fd.get(), target, temp);
  if (fd.close_checked() != 0) {
    throw IOError("Cannot write " + target.string() + " (temporary file " + temp.string() +
                  "): " + errno_message(errno));
  }
  rename_or_throw(temp, target, "replace " + target.string());
  guard.release();
}

// Gives the unnamed file of `fd` the name `temp` (unprivileged through /proc,
// else AT_EMPTY_PATH, which needs CAP_DAC_READ_SEARCH).
bool link_unnamed(int fd, const fs::path& temp) {
  const std::string proc_path = "/proc/self/fd/" + std::to_string(fd);
  if (::linkat(AT_FDCWD, proc_path.c_str(), AT_FDCWD, temp.c_str(), AT_SYMLINK_FOLLOW) == 0) return true;
  return ::linkat(fd, "", AT_FDCWD, temp.c_str(), AT_EMPTY_PATH) == 0;
}

}  // namespace

void write_file_atomically(const fs::path& target_path, std::span<const std::byte> bytes) {
  stream_file_atomically(target_path, [&](int fd, const fs::path& shown_name) {
    write_all(fd, bytes, without_trailing_separator(target_path), shown_name);
  });
}

// The content goes to an unnamed O_TMPFILE file in the target's directory, so
// a process killed while writing leaves nothing behind; once complete and
// synced it is linked under a temporary name and renamed over the target (a
// name exists only between those two calls).
void stream_file_atomically(const fs::path& target_path, const std::function<void(int, const fs::path&)>& produce) {
  const fs::path target = without_trailing_separator(target_path);
#ifdef O_TMPFILE
  // Read and write: a producer may read back what it wrote (libhdf5, a zip member written in place).
  FileDescriptor fd(::open(directory_of(target).c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0666));
  if (fd.get() >= 0) {
    const fs::path unnamed = directory_of(target) / "(unnamed temporary file)";
    produce(fd.get(), unnamed);
    fsync_or_throw(fd.get(), target, unnamed);
    for (int attempt = 0; attempt < 100; ++attempt) {
      const fs::path temp = detail::sibling_temp_path(target, "tmp");
      if (!link_unnamed(fd.get(), temp)) {
        if (errno == EEXIST) continue;
        break;  // no /proc and no privilege: write through a named file instead
      }
      TempGuard guard(temp);
      rename_or_throw(temp, target, "replace " + target.string());
      guard.release();
      fsync_directory_best_effort(directory_of(target));
      return;
    }
  }
  // Otherwise (no O_TMPFILE on this file system, or a directory that is not
  // there or not writable) the named path does the work and says what failed.
#endif
  write_through_named_temp(target, produce);
  fsync_directory_best_effort(directory_of(target));
}

void replace_file_atomically(const fs::path& target_path, const std::function<void(const fs::path&)>& produce) {
  const fs::path target = without_trailing_separator(target_path);
  fs::path temp;
  { FileDescriptor fd(create_exclusive_temp(target, &temp)); }
  TempGuard guard(temp);
  try {
    produce(temp);
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    throw IOError("Cannot write " + target.string() + ": " + e.what());
  }
  fsync_file_path(temp, target);
  rename_or_throw(temp, target, "replace " + target.string());
  guard.release();
  fsync_directory_best_effort(directory_of(target));
}

AtomicDirectory::AtomicDirectory(fs::path target, bool overwrite)
    : target_(without_trailing_separator(std::move(target))), overwrite_(overwrite) {
  if (!overwrite_ && path_exists(target_)) {
    throw FileExistsError("Cannot save to " + target_.string() + ": it already exists and overwrite is false");
  }
  for (int attempt = 0; attempt < 100 && staging_.empty(); ++attempt) {
    fs::path candidate = detail::sibling_temp_path(target_, "tmp");
    if (::mkdir(candidate.c_str(), 0777) == 0) {
      staging_ = candidate;
    } else if (errno != EEXIST) {
      throw IOError("Cannot save to " + target_.string() + ": cannot create the temporary directory " +
                    candidate.string() + ": " + errno_message(errno));
    }
  }
  if (staging_.empty()) {
    throw IOError("Cannot save to " + target_.string() + ": no free temporary directory name in " +
                  directory_of(target_).string());
  }
}

AtomicDirectory::~AtomicDirectory() {
  if (committed_) return;
  std::error_code ignored;
  fs::remove_all(staging_, ignored);
}

void AtomicDirectory::commit() {
  if (committed_) return;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(staging_, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (it->is_regular_file()) fsync_file_path(it->path(), target_);
  }
  if (ec)
    throw IOError("Cannot save to " + target_.string() + ": cannot list " + staging_.string() + ": " + ec.message());

  const bool replacing = path_exists(target_);
  if (replacing && !overwrite_) {
    throw FileExistsError("Cannot save to " + target_.string() + ": it already exists and overwrite is false");
  }
  if (!replacing) {
    rename_or_throw(staging_, target_, "save to " + target_.string());
  } else {
    // Move the old target aside first so that a failure can put it back.
    const fs::path aside = detail::sibling_temp_path(target_, "old");
    rename_or_throw(target_, aside, "replace " + target_.string());
    if (std::rename(staging_.c_str(), target_.c_str()) != 0) {
      const int error = errno;
      std::rename(aside.c_str(), target_.c_str());
      throw IOError("Cannot replace " + target_.string() + ": cannot rename " + staging_.string() +
                    " into place: " + errno_message(error));
    }
    fs::remove_all(aside, ec);  // the new content is in place; leftovers are harmless
  }
  committed_ = true;
  fsync_directory_best_effort(directory_of(target_));
}

}  // namespace keras::saving
