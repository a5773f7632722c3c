// Thin RAII layer over the HDF5 C library for weights files, with Keras
// 3.16's HDF5 guards (spec §5.4, #5-#8) applied on every access:
//  - soft, external and user-defined links are refused at every path component;
//  - a non-group where a group is expected (and the reverse) is a FormatError;
//  - datasets with external storage or a virtual layout are refused;
//  - shape bombs (declared bytes > 4 GiB and > 1000x the stored bytes) are refused.
// Files are written like h5py's defaults: superblock v0, no creation-order
// tracking, no timestamps, contiguous datasets without filters.
//
// Errors are keras exceptions naming the file, the object path and HDF5's
// innermost error message; HDF5's own error printing is switched off.
// Handles are move-only. HDF5 itself serialises calls (thread-safe build), so
// different files may be used from different threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "keras/tensor.hpp"

namespace keras::saving {

// What a dataset holds, known before any element is read.
struct DatasetInfo {
  Shape shape;                       // () for a scalar dataspace
  DType dtype = DType::float32;      // the dtype read_dataset returns
  std::uint64_t declared_bytes = 0;  // prod(shape) * item size
  std::uint64_t storage_bytes = 0;   // bytes allocated in the file
};

// How a string attribute is stored; both are variable-length. h5py 3 writes a
// Python str as UTF-8 (Keras 3 "name", "dtype", legacy root "model_config")
// and bytes as ASCII (legacy "keras_version", "backend", "layer_names").
enum class H5StringKind { vlen_utf8, vlen_ascii };

namespace detail {

// One HDF5 identifier (hid_t is a 64-bit integer), released on destruction.
class H5Id {
 public:
  H5Id() = default;
  explicit H5Id(std::int64_t id) : id_(id) {}
  H5Id(H5Id&& other) noexcept : id_(other.release()) {}
  H5Id& operator=(H5Id&& other) noexcept;
  H5Id(const H5Id&) = delete;
  H5Id& operator=(const H5Id&) = delete;
  ~H5Id() { reset(); }

  std::int64_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }
  std::int64_t release() {
    std::int64_t id = id_;
    id_ = -1;
    return id;
  }
  void reset();

 private:
  std::int64_t id_ = -1;
};

struct H5FileContext;

}  // namespace detail

// Keras guard #8: UnsafeContentError when a dataset declares > 4 GiB and
// > 1000x the bytes stored in the file (Keras' message; `leaf` is the dataset
// name, `where` says file and path). Saturate `declared` on overflow.
void check_h5_dataset_bomb(std::string_view leaf, std::uint64_t declared, std::uint64_t stored, std::string_view where);

class H5Group;
class ZipReader;

// When open_zip_member checks the member's CRC-32: before returning, or (for
// an archive opened by path) while its datasets are read, ending with
// H5File::finish_crc_check(), which the caller must then call.
enum class CrcCheck { up_front, deferred };

class H5File {
 public:
  // Read-only. FileNotFoundError when missing, FormatError when not HDF5.
  static H5File open_read(const std::filesystem::path& path);
  // Read-only view of an HDF5 file image held in memory (e.g. a zip member).
  // The span version copies the bytes once; the vector version takes them
  // without copying. `display_name` is used in messages.
  static H5File open_image(std::span<const std::byte> bytes, std::string display_name);
  static H5File open_image(std::vector<std::byte>&& bytes, std::string display_name);
  // The same without a copy: `bytes` (a STORED zip member read in place) stay
  // alive as long as `keep_alive` does, which the file holds.
  static H5File open_image_view(std::span<const std::byte> bytes, std::shared_ptr<const void> keep_alive,
                                std::string display_name);
  // Creates (truncates) a file on disk. IOError when it cannot be created.
  // `display_name` (default: the path) names the file in messages, for paths
  // such as /proc/self/fd/N that mean nothing to the user.
  static H5File create(const std::filesystem::path& path, std::string display_name = {});
  // Creates an empty file in memory; image() returns its bytes.
  static H5File create_in_memory(std::string display_name);
  // Creates a file whose bytes live in `fd`'s file from `offset` on (the
  // caller owns the descriptor, open for reading and writing; nothing may
  // follow the offset while the HDF5 file is open, as it is truncated there),
  // written with pwrite() through a driver of our own: no copy in memory, and
  // no path needed (an unnamed O_TMPFILE file works, and so does the place of
  // a member inside a zip archive being written). close_on_descriptor() must
  // end it.
  static H5File create_on_descriptor(int fd, std::string display_name, std::uint64_t offset = 0);
  // Flushes and closes a create_on_descriptor() file and returns its size:
  // its bytes are [offset, offset + size) of the descriptor's file.
  std::uint64_t close_on_descriptor();

  H5File(H5File&&) noexcept;
  H5File& operator=(H5File&&) noexcept;
  H5File(const H5File&) = delete;
  H5File& operator=(const H5File&) = delete;
  ~H5File();

  const std::string& display_name() const;
  H5Group root() const;
  // Flushes and returns the complete file as bytes (any file, typically one
  // from create_in_memory).
  std::vector<std::byte> image() const;
  void flush() const;
  // Closes the file now and reports errors (the destructor cannot). Groups
  // still open keep the file open until they are destroyed.
  void close();
  // Ends a CrcCheck::deferred check (FormatError on a mismatch, with the
  // zip reader's message); nothing for other files.
  void finish_crc_check() const;

 private:
  friend H5File open_zip_member(const ZipReader&, std::string_view, std::string, bool, CrcCheck);
  H5File(std::shared_ptr<const detail::H5FileContext> context, detail::H5Id id);
  std::shared_ptr<const detail::H5FileContext> context_;
  detail::H5Id id_;
};

// The HDF5 file held in a zip member (model.weights.h5 of a .keras archive):
// read in place when STORED, as Keras writes it (CRC-32 checked unless
// `verify_crc` is false), else decompressed into memory. `display_name` names
// it in messages. In an archive opened by path, datasets are read with
// pread() into their tensors rather than copied out of the mapping.
H5File open_zip_member(const ZipReader& zip, std::string_view member, std::string display_name, bool verify_crc = true,
                       CrcCheck crc_check = CrcCheck::up_front);

// A group (the root group included). Child names are single path components
// unless stated otherwise.
class H5Group {
 public:
  H5Group(H5Group&&) noexcept;
  H5Group& operator=(H5Group&&) noexcept;
  H5Group(const H5Group&) = delete;
  H5Group& operator=(const H5Group&) = delete;
  ~H5Group();

  // Absolute object path ("/", "/layers/dense/vars") and file name, for messages.
  const std::string& path() const { return path_; }
  const std::string& file_name() const;

  // Whether a link `name` exists, whatever it points to (not followed).
  bool has(std::string_view name) const;
  // True when `name` exists and is a group / dataset. UnsafeContentError when
  // it is a soft or external link.
  bool has_group(std::string_view name) const;
  bool has_dataset(std::string_view name) const;
  // Opens a group; `name` may be a relative path ("layers/dense/vars"), each
  // component being checked. FormatError when missing, empty components or
  // not a group; UnsafeContentError for links.
  H5Group group(std::string_view name) const;
  // Creates a direct child group. ValueError for a name with '/', IOError on failure.
  H5Group create_group(std::string_view name) const;
  // Names of all links in this group, in name order (HDF5's index order).
  std::vector<std::string> children() const;

  // Writes a contiguous, unfiltered dataset with the tensor's shape (a scalar
  // dataspace for rank 0) and dtype mapping (see h5_file.cpp; bfloat16 is an
  // opaque 2-byte type plus the attribute dtype="bfloat16", bool an int8 enum).
  void write_dataset(std::string_view name, const Tensor& tensor) const;
  // Checks the guards and returns shape, dtype and sizes without reading data.
  // `name` may be a relative path. FormatError for an unsupported type.
  DatasetInfo dataset_info(std::string_view name) const;
  // Reads a dataset into a tensor of the dtype dataset_info reports.
  Tensor read_dataset(std::string_view name) const;

  // Attributes of this group.
  bool has_attr(std::string_view name) const;
  std::vector<std::string> attr_names() const;
  // Scalar string attribute (replaces an existing one).
  void set_string_attr(std::string_view name, std::string_view value,
                       H5StringKind kind = H5StringKind::vlen_utf8) const;
  // 1-D array of variable-length strings, as h5py 3 stores a list of bytes
  // (legacy "layer_names", "weight_names"); an empty list is stored as an
  // empty float64 array, as h5py stores [].
  void set_string_list_attr(std::string_view name, const std::vector<std::string>& values,
                            H5StringKind kind = H5StringKind::vlen_ascii) const;
  // The attribute's text when it holds exactly one string (scalar or one
  // element; variable or fixed length; ASCII or UTF-8), else nullopt (absent,
  // numeric, several strings). Use has_attr to tell absence apart.
  std::optional<std::string> string_attr(std::string_view name) const;
  // A string array attribute (any rank, flattened), a scalar string as one
  // element, or an empty numeric array as an empty list. FormatError when
  // absent or of another type.
  std::vector<std::string> string_list_attr(std::string_view name) const;
  // Numeric (integer or float) attribute values flattened; nullopt when absent
  // or not numeric.
  std::optional<std::vector<double>> numeric_attr(std::string_view name) const;

 private:
  friend class H5File;
  H5Group(std::shared_ptr<const detail::H5FileContext> context, detail::H5Id id, std::string path);

  std::shared_ptr<const detail::H5FileContext> context_;
  detail::H5Id id_;
  std::string path_;
};

}  // namespace keras::saving
