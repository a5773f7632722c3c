// HDF5 files, groups, datasets and attributes on top of the HDF5 C library.
#include "saving/h5_file.hpp"

#include <hdf5.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <limits>
#include <mutex>
#include <system_error>
#include <type_traits>
#include <utility>

#include "keras/error.hpp"
#include "keras/limits.hpp"
#include "saving/crc32.hpp"
#include "saving/h5_descriptor_driver.hpp"
#include "saving/h5_vlen_guard.hpp"
#include "saving/mapped_file.hpp"
#include "saving/zip_archive.hpp"  // readable_memory_size, ZipReader

namespace keras::saving {

namespace fs = std::filesystem;

static_assert(std::is_same_v<hid_t, std::int64_t>, "detail::H5Id stores hid_t as std::int64_t");

namespace detail {

// The one buffer the file image callbacks hand to the core driver, so that an
// image opened from memory is never copied by HDF5.
struct ImageView {
  void* data = nullptr;
  std::size_t size = 0;
};

// The datasets of a STORED zip member of an archive opened by path, read with pread() straight
// into their tensors instead of copied out of the mapping (MappedFile::read_into says why). The
// member's CRC-32, when it is to be checked, runs over the bytes as they pass: over each dataset
// as it is read and over the gaps between them (metadata) through the mapping, as long as the
// datasets come in file order, which is the order Keras and keras-cpp write and read them.
struct DirectReads {
  std::shared_ptr<const MappedFile> file;
  std::uint64_t image_offset = 0;  // where the member's bytes start in `file`
  std::span<const std::byte> image;
  std::optional<std::uint32_t> expected_crc;
  std::string crc_error;  // the message of a mismatch

  std::mutex mutex;
  std::uint64_t checked_up_to = 0;  // image bytes [0, checked_up_to) are in running_crc
  std::uint32_t running_crc = 0;
  bool in_order = true;

  void read(std::uint64_t offset, std::span<std::byte> out);
  void finish_crc_check();
};

struct H5FileContext {
  std::string display_name;
  std::shared_ptr<DescriptorRegion> descriptor_region;  // where create_on_descriptor's file lives
  std::shared_ptr<const void> image;                    // keeps the bytes of a file opened from memory alive
  ImageView view;                                       // udata of the file image callbacks
  std::shared_ptr<DirectReads> direct;                  // a zip member read by pread()
};

void DirectReads::read(std::uint64_t offset, std::span<std::byte> out) {
  // Chunks that stay in a core's own L2 between the copy and the CRC (1 MiB on AMD's Zen 4,
  // 2 MiB on Intel's Sapphire Rapids): the 134M Dense stack loaded in 165 ms with 256 KiB, 175
  // with 1 MiB and 197 with 4 MiB, against 94 ms for the plain read on a Sapphire Rapids core.
  constexpr std::size_t kChunk = std::size_t{256} << 10;
  const std::lock_guard lock(mutex);
  const bool streamed = expected_crc && in_order && offset >= checked_up_to;
  if (expected_crc && !streamed) in_order = false;  // finish_crc_check() reads the member again
  if (streamed) running_crc = crc32(image.subspan(checked_up_to, offset - checked_up_to), running_crc);
  for (std::size_t done = 0; done < out.size(); done += kChunk) {
    const std::span<std::byte> chunk = out.subspan(done, std::min(kChunk, out.size() - done));
    file->read_into(image_offset + offset + done, chunk);
    if (streamed) running_crc = crc32(chunk, running_crc);
  }
  if (streamed) checked_up_to = offset + out.size();
}

void DirectReads::finish_crc_check() {
  const std::lock_guard lock(mutex);
  if (!expected_crc) return;
  std::uint32_t crc = 0;
  if (in_order) {
    crc = crc32(image.subspan(checked_up_to), running_crc);
  } else {
    std::vector<std::byte> chunk(std::min<std::size_t>(image.size(), std::size_t{8} << 20));
    for (std::uint64_t done = 0; done < image.size(); done += chunk.size()) {
      const std::span<std::byte> piece(chunk.data(), std::min<std::uint64_t>(chunk.size(), image.size() - done));
      file->read_into(image_offset + done, piece);
      crc = crc32(piece, crc);
    }
  }
  if (crc != *expected_crc) throw FormatError(crc_error);
  expected_crc.reset();  // checked once
}

H5Id& H5Id::operator=(H5Id&& other) noexcept {
  if (this != &other) {
    reset();
    id_ = other.release();
  }
  return *this;
}

void H5Id::reset() {
  if (id_ < 0) return;
  switch (H5Iget_type(id_)) {
    case H5I_FILE:
      H5Fclose(id_);
      break;
    case H5I_GROUP:
      H5Gclose(id_);
      break;
    case H5I_DATASET:
      H5Dclose(id_);
      break;
    case H5I_DATATYPE:
      H5Tclose(id_);
      break;
    case H5I_DATASPACE:
      H5Sclose(id_);
      break;
    case H5I_ATTR:
      H5Aclose(id_);
      break;
    case H5I_GENPROP_LST:
      H5Pclose(id_);
      break;
    default:
      H5Idec_ref(id_);
      break;
  }
  id_ = -1;
}

}  // namespace detail

namespace {

using detail::H5FileContext;
using detail::H5Id;

// Keras' shape-bomb guard (saving_lib.py, 3.16).
constexpr std::uint64_t kDatasetBombFloor = std::uint64_t{1} << 32;  // 4 GiB
constexpr std::uint64_t kDatasetMaxExpansion = 1000;
constexpr std::size_t kCoreIncrement = std::size_t{1} << 20;

// HDF5 keeps error settings per thread in its thread-safe build, so every
// thread that calls into it switches the automatic printing off once.
void silence_hdf5() {
  thread_local const bool silenced = [] {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    return true;
  }();
  (void)silenced;
}

// The innermost entry of the current error stack ("desc (minor message)"),
// which is where HDF5 detected the problem; the stack is cleared.
std::string take_hdf5_error() {
  struct Innermost {
    std::string desc;
    hid_t minor = -1;
    bool found = false;
  } innermost;
  const hid_t stack = H5Eget_current_stack();
  if (stack < 0) return "unknown HDF5 error";
  H5Ewalk2(
      stack, H5E_WALK_UPWARD,
      [](unsigned n, const H5E_error2_t* error, void* data) -> herr_t {
        if (n == 0) {
          auto* out = static_cast<Innermost*>(data);
          out->desc = error->desc != nullptr ? error->desc : "";
          out->minor = error->min_num;
          out->found = true;
        }
        return 0;
      },
      &innermost);
  H5Eclose_stack(stack);
  if (!innermost.found) return "unknown HDF5 error";
  std::string text = innermost.desc;
  char minor[256] = {};
  if (H5Eget_msg(innermost.minor, nullptr, minor, sizeof minor) > 0 && minor[0] != '\0') {
    text += text.empty() ? std::string(minor) : " (" + std::string(minor) + ")";
  }
  return text.empty() ? "unknown HDF5 error" : text;
}

std::string location(const std::string& file, const std::string& path) {
  return path.empty() ? file : file + " at " + path;
}

// Throws E with "what: file at path: <HDF5 reason>".
template <typename E>
[[noreturn]] void raise_hdf5(const std::string& what, const std::string& file, const std::string& path) {
  throw E(what + ": " + location(file, path) + ": " + take_hdf5_error());
}

std::string join_path(const std::string& parent, std::string_view child) {
  return parent == "/" ? "/" + std::string(child) : parent + "/" + std::string(child);
}

std::string unique_memory_name(const std::string& display_name) {
  // The core driver identifies open files by name; two images sharing a
  // display name must not be mistaken for one file.
  static std::atomic<std::uint64_t> counter{0};
  return "keras-cpp-memory-" + std::to_string(counter.fetch_add(1)) + "-" + display_name;
}

// ------------------------------------------------ file image without copies

void* image_malloc(std::size_t size, H5FD_file_image_op_t, void* udata) {
  auto* view = static_cast<detail::ImageView*>(udata);
  return size == view->size ? view->data : nullptr;
}
void* image_memcpy(void* dest, const void* src, std::size_t, H5FD_file_image_op_t, void*) {
  return dest == src ? dest : nullptr;  // every "copy" is the shared buffer itself
}
void* image_realloc(void*, std::size_t, H5FD_file_image_op_t, void*) { return nullptr; }  // read-only
herr_t image_free(void*, H5FD_file_image_op_t, void*) { return 0; }                       // owned by H5FileContext
void* image_udata_copy(void* udata) { return udata; }
herr_t image_udata_free(void*) { return 0; }

// ------------------------------------------------------------------- names

// Splits "a/b/c" into components, refusing empty, "." and ".." ones (Keras:
// "Invalid path in H5 file").
std::vector<std::string> split_h5_path(std::string_view name, const std::string& file, const std::string& base) {
  std::vector<std::string> parts;
  auto invalid = [&] {
    return FormatError("Invalid path in H5 file: " + std::string(name) + " (" + location(file, base) + ")");
  };
  if (name.find('\0') != std::string_view::npos) throw invalid();
  std::size_t start = 0;
  while (true) {
    std::size_t end = name.find('/', start);
    if (end == std::string_view::npos) end = name.size();
    std::string_view part = name.substr(start, end - start);
    if (part.empty() || part == "." || part == "..") throw invalid();
    parts.emplace_back(part);
    if (end == name.size()) break;
    start = end + 1;
  }
  return parts;
}

// Names given to create_* and set_*: one component.
void check_new_name(std::string_view name, const std::string& file, const std::string& path) {
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string_view::npos ||
      name.find('\0') != std::string_view::npos) {
    throw ValueError("Invalid HDF5 object name '" + std::string(name) + "' (" + location(file, path) + ")");
  }
}

// ------------------------------------------------------------- link checks

enum class LinkKind { missing, hard, soft, external, other };

LinkKind link_kind(hid_t loc, const std::string& name, const std::string& file, const std::string& path) {
  const htri_t exists = H5Lexists(loc, name.c_str(), H5P_DEFAULT);
  if (exists < 0) raise_hdf5<FormatError>("Cannot look up HDF5 link", file, path);
  if (exists == 0) return LinkKind::missing;
  H5L_info_t info;
  if (H5Lget_info(loc, name.c_str(), &info, H5P_DEFAULT) < 0) {
    raise_hdf5<FormatError>("Cannot read HDF5 link", file, path);
  }
  switch (info.type) {
    case H5L_TYPE_HARD:
      return LinkKind::hard;
    case H5L_TYPE_SOFT:
      return LinkKind::soft;
    case H5L_TYPE_EXTERNAL:
      return LinkKind::external;
    default:
      return LinkKind::other;
  }
}

// Keras guard #5: links are never followed, whatever they point to.
void reject_unsafe_link(LinkKind kind, const std::string& file, const std::string& path) {
  const char* what = kind == LinkKind::soft       ? "SoftLink"
                     : kind == LinkKind::external ? "ExternalLink"
                     : kind == LinkKind::other    ? "user-defined link"
                                                  : nullptr;
  if (what != nullptr) {
    throw UnsafeContentError(std::string("Not allowed: H5 file with ") + what + " (" + location(file, path) + ")");
  }
}

std::string object_kind_word(H5I_type_t type) {
  switch (type) {
    case H5I_GROUP:
      return "Group";
    case H5I_DATASET:
      return "Dataset";
    case H5I_DATATYPE:
      return "Datatype";
    default:
      return "unknown object";
  }
}

// Opens the hard-linked object `name` of `loc` after the link checks. Returns
// an invalid id when the link is missing.
H5Id open_linked_object(hid_t loc, const std::string& name, const std::string& file, const std::string& path) {
  const LinkKind kind = link_kind(loc, name, file, path);
  if (kind == LinkKind::missing) return H5Id();
  reject_unsafe_link(kind, file, path);
  H5Id object(H5Oopen(loc, name.c_str(), H5P_DEFAULT));
  if (!object.valid()) raise_hdf5<FormatError>("Cannot open HDF5 object", file, path);
  return object;
}

// A group reached by a relative path; loc is either `owned` or the start group.
struct Resolved {
  H5Id owned;
  hid_t loc = -1;
  std::string path;
  bool found = true;
};

// Walks `parts` as groups from `start`, checking every component. When
// missing_ok, a missing component gives found = false instead of throwing.
Resolved walk_groups(hid_t start, const std::string& start_path, const std::vector<std::string>& parts,
                     std::size_t count, const std::string& file, bool missing_ok) {
  Resolved resolved;
  resolved.loc = start;
  resolved.path = start_path;
  for (std::size_t i = 0; i < count; ++i) {
    const std::string next_path = join_path(resolved.path, parts[i]);
    H5Id object = open_linked_object(resolved.loc, parts[i], file, next_path);
    if (!object.valid()) {
      if (missing_ok) {
        resolved.found = false;
        return resolved;
      }
      throw FormatError("HDF5 group '" + next_path + "' not found in " + file);
    }
    const H5I_type_t type = H5Iget_type(object.get());
    if (type != H5I_GROUP) {
      throw FormatError("Invalid H5 file, expected Group but received " + object_kind_word(type) + " (" +
                        location(file, next_path) + ")");
    }
    resolved.owned = std::move(object);
    resolved.loc = resolved.owned.get();
    resolved.path = next_path;
  }
  return resolved;
}

// ------------------------------------------------------------------ dtypes

H5Id checked_type(hid_t id, const char* what) {
  if (id < 0) throw IOError(std::string("Cannot build the HDF5 type for ") + what + ": " + take_hdf5_error());
  return H5Id(id);
}

// A 2-byte IEEE-style float: float16 (exponent 5, mantissa 10, bias 15) or
// bfloat16 (exponent 8, mantissa 7, bias 127), little-endian.
H5Id half_float_type(std::size_t exponent_bits, std::size_t mantissa_bits, std::size_t bias) {
  H5Id type = checked_type(H5Tcopy(H5T_IEEE_F32LE), "a 16-bit float");
  if (H5Tset_fields(type.get(), 15, mantissa_bits, exponent_bits, 0, mantissa_bits) < 0 ||
      H5Tset_size(type.get(), 2) < 0 || H5Tset_ebias(type.get(), bias) < 0) {
    throw IOError("Cannot build the HDF5 type for a 16-bit float: " + take_hdf5_error());
  }
  return type;
}

// h5py's bool: an enum over int8 with FALSE = 0 and TRUE = 1.
H5Id bool_enum_type() {
  H5Id type = checked_type(H5Tenum_create(H5T_STD_I8LE), "bool");
  const std::int8_t false_value = 0;
  const std::int8_t true_value = 1;
  if (H5Tenum_insert(type.get(), "FALSE", &false_value) < 0 || H5Tenum_insert(type.get(), "TRUE", &true_value) < 0) {
    throw IOError("Cannot build the HDF5 type for bool: " + take_hdf5_error());
  }
  return type;
}

// h5py's numpy void V2: an opaque 2-byte type with an empty tag.
H5Id bfloat16_opaque_type() {
  H5Id type = checked_type(H5Tcreate(H5T_OPAQUE, 2), "bfloat16");
  if (H5Tset_tag(type.get(), "") < 0) throw IOError("Cannot build the HDF5 type for bfloat16: " + take_hdf5_error());
  return type;
}

// The type a dtype is stored as; on little-endian hosts it is also the memory
// type for reading and writing (HDF5 converts other file layouts).
H5Id storage_type(DType dtype) {
  hid_t predefined = -1;
  switch (dtype) {
    case DType::float32:
      predefined = H5T_IEEE_F32LE;
      break;
    case DType::float64:
      predefined = H5T_IEEE_F64LE;
      break;
    case DType::float16:
      return half_float_type(5, 10, 15);
    case DType::bfloat16:
      return bfloat16_opaque_type();
    case DType::int8:
      predefined = H5T_STD_I8LE;
      break;
    case DType::int16:
      predefined = H5T_STD_I16LE;
      break;
    case DType::int32:
      predefined = H5T_STD_I32LE;
      break;
    case DType::int64:
      predefined = H5T_STD_I64LE;
      break;
    case DType::uint8:
      predefined = H5T_STD_U8LE;
      break;
    case DType::uint16:
      predefined = H5T_STD_U16LE;
      break;
    case DType::uint32:
      predefined = H5T_STD_U32LE;
      break;
    case DType::uint64:
      predefined = H5T_STD_U64LE;
      break;
    case DType::bool_:
      return bool_enum_type();
  }
  return checked_type(H5Tcopy(predefined), "a tensor dtype");
}

bool is_bool_enum(hid_t type) {
  if (H5Tget_nmembers(type) != 2) return false;
  H5Id base(H5Tget_super(type));
  if (!base.valid() || H5Tget_class(base.get()) != H5T_INTEGER || H5Tget_size(base.get()) != 1) return false;
  std::int8_t false_value = -1;
  std::int8_t true_value = -1;
  if (H5Tenum_valueof(type, "FALSE", &false_value) < 0 || H5Tenum_valueof(type, "TRUE", &true_value) < 0) {
    H5Eclear2(H5E_DEFAULT);
    return false;
  }
  return false_value == 0 && true_value == 1;
}

// ------------------------------------------------------------- attributes

// Values of a string attribute (any rank, flattened). The attribute must be
// of class string.
std::vector<std::string> read_string_values(hid_t attr, const std::string& file, const std::string& where) {
  H5Id type(H5Aget_type(attr));
  H5Id space(H5Aget_space(attr));
  if (!type.valid() || !space.valid()) raise_hdf5<FormatError>("Cannot read HDF5 attribute", file, where);
  const hssize_t count = H5Sget_simple_extent_npoints(space.get());
  const hsize_t stored = H5Aget_storage_size(attr);
  const std::size_t item = H5Tget_size(type.get());
  const bool variable = H5Tis_variable_str(type.get()) > 0;
  // Every element occupies stored bytes, so a lying dataspace cannot make us allocate.
  if (count < 0 || static_cast<hsize_t>(count) > stored ||
      (!variable && (item == 0 || static_cast<hsize_t>(count) > stored / item))) {
    throw FormatError("Invalid HDF5 attribute (" + location(file, where) + "): " + std::to_string(count) +
                      " elements do not fit in its " + std::to_string(stored) + " stored bytes");
  }
  const auto n = static_cast<std::size_t>(count);
  std::vector<std::string> values;
  values.reserve(n);
  if (n == 0) return values;
  if (variable) {
    check_vlen_strings_on_heap(attr, n, file, where);
    H5Id memory(H5Tcopy(H5T_C_S1));
    if (!memory.valid() || H5Tset_size(memory.get(), H5T_VARIABLE) < 0 ||
        H5Tset_cset(memory.get(), H5Tget_cset(type.get())) < 0) {
      raise_hdf5<FormatError>("Cannot read HDF5 attribute", file, where);
    }
    std::vector<char*> pointers(n, nullptr);
    if (H5Aread(attr, memory.get(), pointers.data()) < 0) {
      raise_hdf5<FormatError>("Cannot read HDF5 attribute", file, where);
    }
    for (char* text : pointers) {
      values.emplace_back(text != nullptr ? text : "");
      if (text != nullptr) H5free_memory(text);
    }
    return values;
  }
  H5Id memory(H5Tcopy(type.get()));
  std::vector<char> buffer(n * item);
  if (!memory.valid() || H5Aread(attr, memory.get(), buffer.data()) < 0) {
    raise_hdf5<FormatError>("Cannot read HDF5 attribute", file, where);
  }
  const H5T_str_t pad = H5Tget_strpad(type.get());
  for (std::size_t i = 0; i < n; ++i) {
    std::string value(buffer.data() + i * item, item);
    if (pad == H5T_STR_SPACEPAD) {
      value.erase(value.find_last_not_of(' ') + 1);
    } else {
      const std::size_t nul = value.find('\0');
      if (nul != std::string::npos) value.resize(nul);
    }
    values.push_back(std::move(value));
  }
  return values;
}

H5Id open_attribute(hid_t object, std::string_view name, const std::string& file, const std::string& path,
                    bool* missing) {
  const std::string key(name);
  const htri_t exists = H5Aexists(object, key.c_str());
  if (exists < 0) raise_hdf5<FormatError>("Cannot look up HDF5 attribute '" + key + "'", file, path);
  if (exists == 0) {
    *missing = true;
    return H5Id();
  }
  *missing = false;
  H5Id attr(H5Aopen(object, key.c_str(), H5P_DEFAULT));
  if (!attr.valid()) raise_hdf5<FormatError>("Cannot open HDF5 attribute '" + key + "'", file, path);
  return attr;
}

H5T_class_t attribute_class(hid_t attr) {
  H5Id type(H5Aget_type(attr));
  return type.valid() ? H5Tget_class(type.get()) : H5T_NO_CLASS;
}

std::optional<std::string> read_string_attribute(hid_t object, std::string_view name, const std::string& file,
                                                 const std::string& path) {
  bool missing = false;
  H5Id attr = open_attribute(object, name, file, path, &missing);
  if (missing) return std::nullopt;
  if (attribute_class(attr.get()) != H5T_STRING) return std::nullopt;
  H5Id space(H5Aget_space(attr.get()));
  if (!space.valid() || H5Sget_simple_extent_npoints(space.get()) != 1) return std::nullopt;
  const std::string where = path + " (attribute '" + std::string(name) + "')";
  std::vector<std::string> values = read_string_values(attr.get(), file, where);
  return std::move(values.front());
}

H5Id vlen_string_type(H5StringKind kind) {
  H5Id type = checked_type(H5Tcopy(H5T_C_S1), "a string");
  if (H5Tset_size(type.get(), H5T_VARIABLE) < 0 ||
      H5Tset_cset(type.get(), kind == H5StringKind::vlen_utf8 ? H5T_CSET_UTF8 : H5T_CSET_ASCII) < 0) {
    throw IOError("Cannot build the HDF5 string type: " + take_hdf5_error());
  }
  return type;
}

void delete_attribute_if_present(hid_t object, const std::string& name, const std::string& file,
                                 const std::string& path) {
  const htri_t exists = H5Aexists(object, name.c_str());
  if (exists < 0 || (exists > 0 && H5Adelete(object, name.c_str()) < 0)) {
    raise_hdf5<IOError>("Cannot replace HDF5 attribute '" + name + "'", file, path);
  }
}

void write_string_attribute(hid_t object, std::string_view name, std::string_view value, H5StringKind kind,
                            const std::string& file, const std::string& path) {
  check_new_name(name, file, path);
  if (value.find('\0') != std::string_view::npos) {
    throw ValueError("HDF5 string attribute '" + std::string(name) + "' cannot hold a NUL character (" +
                     location(file, path) + ")");
  }
  const std::string key(name);
  const std::string text(value);
  delete_attribute_if_present(object, key, file, path);
  H5Id type = vlen_string_type(kind);
  H5Id space(H5Screate(H5S_SCALAR));
  H5Id attr(H5Acreate2(object, key.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT));
  const char* pointer = text.c_str();
  if (!attr.valid() || H5Awrite(attr.get(), type.get(), &pointer) < 0) {
    raise_hdf5<IOError>("Cannot write HDF5 attribute '" + key + "'", file, path);
  }
}

// ---------------------------------------------------------------- datasets

struct OpenedDataset {
  H5Id dataset;
  H5Id file_type;
  DatasetInfo info;
  std::string path;
  bool opaque_bfloat16 = false;
};

DType classify(hid_t type, hid_t dataset, const std::string& file, const std::string& path, bool* opaque_bfloat16) {
  const std::size_t size = H5Tget_size(type);
  switch (H5Tget_class(type)) {
    case H5T_FLOAT: {
      std::size_t sign = 0, exponent_pos = 0, exponent_bits = 0, mantissa_pos = 0, mantissa_bits = 0;
      H5Tget_fields(type, &sign, &exponent_pos, &exponent_bits, &mantissa_pos, &mantissa_bits);
      if (size == 4) return DType::float32;
      if (size == 8) return DType::float64;
      if (size == 2 && exponent_bits == 5 && mantissa_bits == 10) return DType::float16;
      if (size == 2 && exponent_bits == 8 && mantissa_bits == 7) return DType::bfloat16;
      break;
    }
    case H5T_INTEGER: {
      const bool is_signed = H5Tget_sign(type) == H5T_SGN_2;
      switch (size) {
        case 1:
          return is_signed ? DType::int8 : DType::uint8;
        case 2:
          return is_signed ? DType::int16 : DType::uint16;
        case 4:
          return is_signed ? DType::int32 : DType::uint32;
        case 8:
          return is_signed ? DType::int64 : DType::uint64;
        default:
          break;
      }
      break;
    }
    case H5T_ENUM:
      if (is_bool_enum(type)) return DType::bool_;
      break;
    case H5T_OPAQUE:
      if (size == 2) {
        std::optional<std::string> marker = read_string_attribute(dataset, "dtype", file, path);
        if (marker == "bfloat16") {
          *opaque_bfloat16 = true;
          return DType::bfloat16;
        }
        throw FormatError("HDF5 dataset holds opaque 2-byte values without the attribute dtype=\"bfloat16\" (" +
                          location(file, path) + ")");
      }
      break;
    default:
      break;
  }
  throw FormatError("Unsupported HDF5 datatype (class " + std::to_string(static_cast<int>(H5Tget_class(type))) + ", " +
                    std::to_string(size) + " bytes) for dataset (" + location(file, path) + ")");
}

// Opens dataset `leaf` of group `loc` and applies Keras guards #5-#8.
OpenedDataset open_dataset(hid_t loc, const std::string& parent_path, const std::string& leaf,
                           const std::string& file) {
  OpenedDataset out;
  out.path = join_path(parent_path, leaf);
  out.dataset = open_linked_object(loc, leaf, file, out.path);
  if (!out.dataset.valid()) throw FormatError("HDF5 dataset '" + out.path + "' not found in " + file);
  const H5I_type_t kind = H5Iget_type(out.dataset.get());
  if (kind != H5I_DATASET) {
    throw FormatError("Invalid H5 file, expected Dataset, received " + object_kind_word(kind) + " (" +
                      location(file, out.path) + ")");
  }
  const hid_t dataset = out.dataset.get();

  H5Id dcpl(H5Dget_create_plist(dataset));
  if (!dcpl.valid()) raise_hdf5<FormatError>("Cannot read HDF5 dataset properties", file, out.path);
  const int external = H5Pget_external_count(dcpl.get());
  if (external != 0) {
    throw UnsafeContentError("Not allowed: H5 file with external Dataset (" + location(file, out.path) + ")");
  }
  if (H5Pget_layout(dcpl.get()) == H5D_VIRTUAL) {
    throw UnsafeContentError("Not allowed: H5 file with virtual Dataset (" + location(file, out.path) + ")");
  }

  H5Id space(H5Dget_space(dataset));
  if (!space.valid()) raise_hdf5<FormatError>("Cannot read HDF5 dataspace", file, out.path);
  switch (H5Sget_simple_extent_type(space.get())) {
    case H5S_SCALAR:
      break;
    case H5S_SIMPLE: {
      const int rank = H5Sget_simple_extent_ndims(space.get());
      std::vector<hsize_t> dims(static_cast<std::size_t>(std::max(rank, 0)));
      if (rank < 0 || H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr) < 0) {
        raise_hdf5<FormatError>("Cannot read HDF5 dataspace", file, out.path);
      }
      for (hsize_t d : dims) {
        if (d > static_cast<hsize_t>(std::numeric_limits<std::int64_t>::max())) {
          throw FormatError("HDF5 dataset dimension too large (" + location(file, out.path) + ")");
        }
        out.info.shape.push_back(static_cast<std::int64_t>(d));
      }
      break;
    }
    default:
      throw FormatError("HDF5 dataset has no dataspace extent (" + location(file, out.path) + ")");
  }

  out.file_type = H5Id(H5Dget_type(dataset));
  if (!out.file_type.valid()) raise_hdf5<FormatError>("Cannot read HDF5 datatype", file, out.path);
  out.info.dtype = classify(out.file_type.get(), dataset, file, out.path, &out.opaque_bfloat16);

  std::uint64_t declared = dtype_size(out.info.dtype);
  bool overflow = false;
  for (std::int64_t d : out.info.shape) {
    overflow = overflow || __builtin_mul_overflow(declared, static_cast<std::uint64_t>(d), &declared);
  }
  out.info.declared_bytes = overflow ? std::numeric_limits<std::uint64_t>::max() : declared;
  out.info.storage_bytes = H5Dget_storage_size(dataset);
  const std::uint64_t stored = out.info.storage_bytes;
  check_h5_dataset_bomb(leaf, out.info.declared_bytes, stored, location(file, out.path));
  const LoadLimits& limits = keras::detail::current_load_limits();
  if (out.info.declared_bytes > limits.storage_ratio_floor && limits.max_storage_ratio > 0 &&
      stored < out.info.declared_bytes / limits.max_storage_ratio +
                   (out.info.declared_bytes % limits.max_storage_ratio != 0 ? 1 : 0)) {
    throw UnsafeContentError(
        "Not allowed: H5 dataset '" + std::string(leaf) + "' declares " + std::to_string(out.info.declared_bytes) +
        " bytes but stores " + std::to_string(stored) + ", less than 1/" + std::to_string(limits.max_storage_ratio) +
        " (LoadLimits::max_storage_ratio; raise it to load this file) (" + location(file, out.path) + ")");
  }
  // A contiguous dataset stores exactly its declared bytes; more than the file
  // holds means the layout lies (and would make us allocate for nothing).
  H5Id file_id(H5Iget_file_id(dataset));
  hsize_t file_size = 0;
  if (file_id.valid() && H5Fget_filesize(file_id.get(), &file_size) >= 0 && stored > file_size) {
    throw FormatError("Invalid H5 file: dataset claims " + std::to_string(stored) + " stored bytes but the file has " +
                      std::to_string(file_size) + " (" + location(file, out.path) + ")");
  }
  return out;
}

}  // namespace

void check_h5_dataset_bomb(std::string_view leaf, std::uint64_t declared, std::uint64_t stored,
                           std::string_view where) {
  const bool bomb = declared > kDatasetBombFloor &&
                    stored < declared / kDatasetMaxExpansion + (declared % kDatasetMaxExpansion != 0 ? 1 : 0);
  if (bomb) {
    throw UnsafeContentError("Not allowed: H5 dataset '" + std::string(leaf) + "' declares " +
                             readable_memory_size(static_cast<double>(declared)) + " but only " +
                             readable_memory_size(static_cast<double>(stored)) +
                             " are stored on disk; refusing to load a potential decompression/shape bomb. (" +
                             std::string(where) + ")");
  }
}

// ------------------------------------------------------------------ H5File

H5File::H5File(std::shared_ptr<const H5FileContext> context, H5Id id)
    : context_(std::move(context)), id_(std::move(id)) {}
H5File::H5File(H5File&&) noexcept = default;
H5File& H5File::operator=(H5File&&) noexcept = default;
H5File::~H5File() = default;

const std::string& H5File::display_name() const { return context_->display_name; }

H5File H5File::open_read(const fs::path& path) {
  silence_hdf5();
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (status.type() == fs::file_type::not_found) throw FileNotFoundError("File not found: " + path.string());
  if (status.type() == fs::file_type::directory) {
    throw FormatError("Not a valid HDF5 file: " + path.string() + " is a directory");
  }
  if (::access(path.c_str(), R_OK) != 0) {
    throw IOError("Cannot read " + path.string() + ": " + std::error_code(errno, std::generic_category()).message());
  }
  H5Id fapl(H5Pcreate(H5P_FILE_ACCESS));
  // Locking is best effort: file systems without locks must still be readable.
  if (!fapl.valid() || H5Pset_file_locking(fapl.get(), true, true) < 0) {
    raise_hdf5<IOError>("Cannot open HDF5 file", path.string(), "");
  }
  H5Id file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, fapl.get()));
  if (!file.valid()) raise_hdf5<FormatError>("Not a valid HDF5 file", path.string(), "");
  auto context = std::make_shared<H5FileContext>();
  context->display_name = path.string();
  return H5File(std::move(context), std::move(file));
}

H5File H5File::open_image(std::span<const std::byte> bytes, std::string display_name) {
  return open_image(std::vector<std::byte>(bytes.begin(), bytes.end()), std::move(display_name));
}

H5File H5File::open_image(std::vector<std::byte>&& bytes, std::string display_name) {
  auto image = std::make_shared<const std::vector<std::byte>>(std::move(bytes));
  const std::span<const std::byte> span(*image);
  return open_image_view(span, std::move(image), std::move(display_name));
}

H5File H5File::open_image_view(std::span<const std::byte> bytes, std::shared_ptr<const void> keep_alive,
                               std::string display_name) {
  silence_hdf5();
  if (bytes.empty()) throw FormatError("Not a valid HDF5 file: " + display_name + " (no bytes)");
  auto context = std::make_shared<H5FileContext>();
  context->display_name = std::move(display_name);
  // HDF5 never writes to a read-only image, so handing it a mutable pointer is safe.
  context->view = detail::ImageView{const_cast<std::byte*>(bytes.data()), bytes.size()};
  context->image = std::move(keep_alive);

  H5Id fapl(H5Pcreate(H5P_FILE_ACCESS));
  H5FD_file_image_callbacks_t callbacks = {image_malloc,     image_memcpy,     image_realloc, image_free,
                                           image_udata_copy, image_udata_free, &context->view};
  if (!fapl.valid() || H5Pset_fapl_core(fapl.get(), kCoreIncrement, false) < 0 ||
      H5Pset_file_image_callbacks(fapl.get(), &callbacks) < 0 ||
      H5Pset_file_image(fapl.get(), context->view.data, context->view.size) < 0) {
    raise_hdf5<IOError>("Cannot prepare the HDF5 file image", context->display_name, "");
  }
  H5Id file(H5Fopen(unique_memory_name(context->display_name).c_str(), H5F_ACC_RDONLY, fapl.get()));
  if (!file.valid()) raise_hdf5<FormatError>("Not a valid HDF5 file", context->display_name, "");
  return H5File(std::move(context), std::move(file));
}

H5File open_zip_member(const ZipReader& zip, std::string_view member, std::string display_name, bool verify_crc,
                       CrcCheck crc_check) {
  auto in_place = zip.read_in_place(member, kNoSizeLimit, verify_crc, crc_check == CrcCheck::deferred);
  if (!in_place) return H5File::open_image(zip.read(member), std::move(display_name));
  std::optional<H5File> opened;
  try {
    opened.emplace(H5File::open_image_view(in_place->bytes, in_place->keep_alive, std::move(display_name)));
  } catch (const Error&) {
    // Whatever stops libhdf5 opening the file, a damaged member says so first.
    if (in_place->unchecked_crc && crc32(in_place->bytes) != *in_place->unchecked_crc) throw zip.crc_error(member);
    throw;
  }
  H5File file = std::move(*opened);
  if (in_place->file != nullptr) {
    auto direct = std::make_shared<detail::DirectReads>();
    direct->file = in_place->file;
    direct->image_offset = in_place->file_offset;
    direct->image = in_place->bytes;
    direct->expected_crc = in_place->unchecked_crc;
    direct->crc_error = zip.crc_error(member).what();
    std::const_pointer_cast<detail::H5FileContext>(file.context_)->direct = std::move(direct);
  }
  return file;
}

void H5File::finish_crc_check() const {
  if (context_->direct) context_->direct->finish_crc_check();
}

namespace {
// h5py's defaults: no timestamps on the root group (the rest is HDF5's default).
H5Id h5py_like_fcpl(const std::string& file) {
  H5Id fcpl(H5Pcreate(H5P_FILE_CREATE));
  if (!fcpl.valid() || H5Pset_obj_track_times(fcpl.get(), false) < 0) {
    raise_hdf5<IOError>("Cannot create HDF5 file", file, "");
  }
  return fcpl;
}
}  // namespace

H5File H5File::create(const fs::path& path, std::string display_name) {
  silence_hdf5();
  if (display_name.empty()) display_name = path.string();
  H5Id fcpl = h5py_like_fcpl(display_name);
  H5Id file(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, fcpl.get(), H5P_DEFAULT));
  if (!file.valid()) raise_hdf5<IOError>("Cannot create HDF5 file", display_name, "");
  auto context = std::make_shared<H5FileContext>();
  context->display_name = std::move(display_name);
  return H5File(std::move(context), std::move(file));
}

H5File H5File::create_on_descriptor(int fd, std::string display_name, std::uint64_t offset) {
  silence_hdf5();
  H5Id fcpl = h5py_like_fcpl(display_name);
  auto context = std::make_shared<H5FileContext>();
  context->display_name = std::move(display_name);
  context->descriptor_region = std::make_shared<detail::DescriptorRegion>();
  context->descriptor_region->fd = fd;
  context->descriptor_region->offset = offset;
  H5Id fapl(H5Pcreate(H5P_FILE_ACCESS));
  if (!fapl.valid() || detail::set_descriptor_driver(fapl.get(), context->descriptor_region.get()) < 0) {
    raise_hdf5<IOError>("Cannot create HDF5 file", context->display_name, "");
  }
  H5Id file(H5Fcreate(unique_memory_name(context->display_name).c_str(), H5F_ACC_TRUNC, fcpl.get(), fapl.get()));
  if (!file.valid()) {
    const int error = context->descriptor_region->error;
    raise_hdf5<IOError>(
        error != 0 ? std::string("Cannot create HDF5 file (") + std::strerror(error) + ")" : "Cannot create HDF5 file",
        context->display_name, "");
  }
  return H5File(std::move(context), std::move(file));
}

std::uint64_t H5File::close_on_descriptor() {
  const std::shared_ptr<detail::DescriptorRegion> region = context_->descriptor_region;
  if (!region) throw ValueError("HDF5 file " + context_->display_name + " was not created on a descriptor");
  const auto fail = [&](const std::string& why) {
    throw IOError("Cannot write HDF5 file " + display_name() + ": " + why +
                  (region->error != 0 ? std::string(" (") + std::strerror(region->error) + ")" : ""));
  };
  flush();
  close();
  // Every group and dataset handle is closed by now, so libhdf5 closed the file itself.
  if (!region->closed_size) fail("objects of it are still open");
  return *region->closed_size;
}

H5File H5File::create_in_memory(std::string display_name) {
  silence_hdf5();
  H5Id fcpl = h5py_like_fcpl(display_name);
  H5Id fapl(H5Pcreate(H5P_FILE_ACCESS));
  if (!fapl.valid() || H5Pset_fapl_core(fapl.get(), kCoreIncrement, false) < 0) {
    raise_hdf5<IOError>("Cannot create in-memory HDF5 file", display_name, "");
  }
  H5Id file(H5Fcreate(unique_memory_name(display_name).c_str(), H5F_ACC_TRUNC, fcpl.get(), fapl.get()));
  if (!file.valid()) raise_hdf5<IOError>("Cannot create in-memory HDF5 file", display_name, "");
  auto context = std::make_shared<H5FileContext>();
  context->display_name = std::move(display_name);
  return H5File(std::move(context), std::move(file));
}

H5Group H5File::root() const {
  silence_hdf5();
  if (!id_.valid()) throw ValueError("HDF5 file " + context_->display_name + " is closed");
  H5Id group(H5Gopen2(id_.get(), "/", H5P_DEFAULT));
  if (!group.valid()) raise_hdf5<FormatError>("Cannot open the root group", context_->display_name, "/");
  return H5Group(context_, std::move(group), "/");
}

void H5File::flush() const {
  silence_hdf5();
  if (!id_.valid()) throw ValueError("HDF5 file " + context_->display_name + " is closed");
  if (H5Fflush(id_.get(), H5F_SCOPE_GLOBAL) < 0) raise_hdf5<IOError>("Cannot flush HDF5 file", display_name(), "");
}

std::vector<std::byte> H5File::image() const {
  flush();
  const ssize_t size = H5Fget_file_image(id_.get(), nullptr, 0);
  if (size < 0) raise_hdf5<IOError>("Cannot get the HDF5 file image", display_name(), "");
  std::vector<std::byte> bytes(static_cast<std::size_t>(size));
  if (H5Fget_file_image(id_.get(), bytes.data(), bytes.size()) != size) {
    raise_hdf5<IOError>("Cannot get the HDF5 file image", display_name(), "");
  }
  return bytes;
}

void H5File::close() {
  silence_hdf5();
  if (!id_.valid()) return;
  if (H5Fclose(id_.release()) < 0) raise_hdf5<IOError>("Cannot close HDF5 file", display_name(), "");
}

// ----------------------------------------------------------------- H5Group

H5Group::H5Group(std::shared_ptr<const H5FileContext> context, H5Id id, std::string path)
    : context_(std::move(context)), id_(std::move(id)), path_(std::move(path)) {
  // Every lookup of a member or attribute reads the group's local heap or header: check them
  // once, before libhdf5 does.
  check_group_header(id_.get(), context_->display_name, path_);
}
H5Group::H5Group(H5Group&&) noexcept = default;
H5Group& H5Group::operator=(H5Group&&) noexcept = default;
H5Group::~H5Group() = default;

const std::string& H5Group::file_name() const { return context_->display_name; }

bool H5Group::has(std::string_view name) const {
  silence_hdf5();
  const auto parts = split_h5_path(name, file_name(), path_);
  Resolved parent = walk_groups(id_.get(), path_, parts, parts.size() - 1, file_name(), true);
  if (!parent.found) return false;
  return link_kind(parent.loc, parts.back(), file_name(), join_path(parent.path, parts.back())) != LinkKind::missing;
}

bool H5Group::has_group(std::string_view name) const {
  silence_hdf5();
  const auto parts = split_h5_path(name, file_name(), path_);
  Resolved parent = walk_groups(id_.get(), path_, parts, parts.size() - 1, file_name(), true);
  if (!parent.found) return false;
  H5Id object = open_linked_object(parent.loc, parts.back(), file_name(), join_path(parent.path, parts.back()));
  return object.valid() && H5Iget_type(object.get()) == H5I_GROUP;
}

bool H5Group::has_dataset(std::string_view name) const {
  silence_hdf5();
  const auto parts = split_h5_path(name, file_name(), path_);
  Resolved parent = walk_groups(id_.get(), path_, parts, parts.size() - 1, file_name(), true);
  if (!parent.found) return false;
  H5Id object = open_linked_object(parent.loc, parts.back(), file_name(), join_path(parent.path, parts.back()));
  return object.valid() && H5Iget_type(object.get()) == H5I_DATASET;
}

H5Group H5Group::group(std::string_view name) const {
  silence_hdf5();
  const auto parts = split_h5_path(name, file_name(), path_);
  Resolved resolved = walk_groups(id_.get(), path_, parts, parts.size(), file_name(), false);
  return H5Group(context_, std::move(resolved.owned), std::move(resolved.path));
}

H5Group H5Group::create_group(std::string_view name) const {
  silence_hdf5();
  check_new_name(name, file_name(), path_);
  const std::string key(name);
  const std::string new_path = join_path(path_, key);
  if (link_kind(id_.get(), key, file_name(), new_path) != LinkKind::missing) {
    throw ValueError("HDF5 object already exists (" + location(file_name(), new_path) + ")");
  }
  H5Id gcpl(H5Pcreate(H5P_GROUP_CREATE));
  if (!gcpl.valid() || H5Pset_obj_track_times(gcpl.get(), false) < 0) {
    raise_hdf5<IOError>("Cannot create HDF5 group", file_name(), new_path);
  }
  H5Id group(H5Gcreate2(id_.get(), key.c_str(), H5P_DEFAULT, gcpl.get(), H5P_DEFAULT));
  if (!group.valid()) raise_hdf5<IOError>("Cannot create HDF5 group", file_name(), new_path);
  return H5Group(context_, std::move(group), new_path);
}

std::vector<std::string> H5Group::children() const {
  silence_hdf5();
  std::vector<std::string> names;
  const herr_t status = H5Literate(
      id_.get(), H5_INDEX_NAME, H5_ITER_INC, nullptr,
      [](hid_t, const char* name, const H5L_info_t*, void* data) -> herr_t {
        static_cast<std::vector<std::string>*>(data)->emplace_back(name);
        return 0;
      },
      &names);
  if (status < 0) raise_hdf5<FormatError>("Cannot list HDF5 group", file_name(), path_);
  return names;
}

void H5Group::write_dataset(std::string_view name, const Tensor& tensor) const {
  silence_hdf5();
  check_new_name(name, file_name(), path_);
  const std::string key(name);
  const std::string new_path = join_path(path_, key);
  if (!tensor.defined()) throw ValueError("Cannot write an undefined tensor (" + location(file_name(), new_path) + ")");
  if (link_kind(id_.get(), key, file_name(), new_path) != LinkKind::missing) {
    throw ValueError("HDF5 object already exists (" + location(file_name(), new_path) + ")");
  }
  std::vector<hsize_t> dims(tensor.shape().begin(), tensor.shape().end());
  H5Id space(dims.empty() ? H5Screate(H5S_SCALAR)
                          : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr));
  H5Id type = storage_type(tensor.dtype());
  // h5py's dataset defaults: contiguous, no filters, no timestamps.
  H5Id dcpl(H5Pcreate(H5P_DATASET_CREATE));
  if (!space.valid() || !dcpl.valid() || H5Pset_layout(dcpl.get(), H5D_CONTIGUOUS) < 0 ||
      H5Pset_obj_track_times(dcpl.get(), false) < 0) {
    raise_hdf5<IOError>("Cannot create HDF5 dataset", file_name(), new_path);
  }
  H5Id dataset(H5Dcreate2(id_.get(), key.c_str(), type.get(), space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT));
  if (!dataset.valid()) raise_hdf5<IOError>("Cannot create HDF5 dataset", file_name(), new_path);
  if (tensor.size() > 0 && H5Dwrite(dataset.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, tensor.raw_data()) < 0) {
    raise_hdf5<IOError>("Cannot write HDF5 dataset", file_name(), new_path);
  }
  if (tensor.dtype() == DType::bfloat16) {
    write_string_attribute(dataset.get(), "dtype", "bfloat16", H5StringKind::vlen_utf8, file_name(), new_path);
  }
}

DatasetInfo H5Group::dataset_info(std::string_view name) const {
  silence_hdf5();
  const auto parts = split_h5_path(name, file_name(), path_);
  Resolved parent = walk_groups(id_.get(), path_, parts, parts.size() - 1, file_name(), false);
  return open_dataset(parent.loc, parent.path, parts.back(), file_name()).info;
}

namespace {
// Where the dataset's bytes start in the file, when they lie there exactly as `memory` holds
// them: contiguous, unfiltered, in the file itself, allocated in full, no type conversion.
std::optional<std::uint64_t> contiguous_offset(const OpenedDataset& opened, hid_t memory, std::size_t nbytes) {
  H5Id creation(H5Dget_create_plist(opened.dataset.get()));
  const bool as_stored = creation.valid() && H5Pget_layout(creation.get()) == H5D_CONTIGUOUS &&
                         H5Pget_external_count(creation.get()) == 0 && H5Pget_nfilters(creation.get()) == 0 &&
                         H5Tequal(opened.file_type.get(), memory) > 0 &&
                         H5Dget_storage_size(opened.dataset.get()) == nbytes;
  const haddr_t offset = as_stored ? H5Dget_offset(opened.dataset.get()) : HADDR_UNDEF;
  H5Eclear2(H5E_DEFAULT);
  if (offset == HADDR_UNDEF) return std::nullopt;
  return static_cast<std::uint64_t>(offset);
}
}  // namespace

Tensor H5Group::read_dataset(std::string_view name) const {
  silence_hdf5();
  const auto parts = split_h5_path(name, file_name(), path_);
  Resolved parent = walk_groups(id_.get(), path_, parts, parts.size() - 1, file_name(), false);
  OpenedDataset opened = open_dataset(parent.loc, parent.path, parts.back(), file_name());
  // H5Dread writes every element: no zero fill first.
  Tensor tensor = Tensor::uninitialized(opened.info.shape, opened.info.dtype);
  if (tensor.size() == 0) return tensor;
  H5Id memory;
  if (opened.opaque_bfloat16) {
    memory = H5Id(H5Tcopy(opened.file_type.get()));  // raw bits; opaque types are never converted
  } else if (opened.info.dtype == DType::bfloat16) {
    memory = half_float_type(8, 7, 127);  // a native bfloat16 float type (HDF5 2.x files)
  } else {
    memory = storage_type(opened.info.dtype);
  }
  if (!memory.valid()) raise_hdf5<FormatError>("Cannot read HDF5 dataset", file_name(), opened.path);
  if (context_->direct) {
    const std::optional<std::uint64_t> offset = contiguous_offset(opened, memory.get(), tensor.nbytes());
    if (offset && *offset <= context_->direct->image.size() &&
        tensor.nbytes() <= context_->direct->image.size() - *offset) {
      context_->direct->read(*offset, {static_cast<std::byte*>(tensor.raw_data()), tensor.nbytes()});
      return tensor;
    }
  }
  if (H5Dread(opened.dataset.get(), memory.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, tensor.raw_data()) < 0) {
    raise_hdf5<FormatError>("Cannot read HDF5 dataset", file_name(), opened.path);
  }
  return tensor;
}

bool H5Group::has_attr(std::string_view name) const {
  silence_hdf5();
  const std::string key(name);
  const htri_t exists = H5Aexists(id_.get(), key.c_str());
  if (exists < 0) raise_hdf5<FormatError>("Cannot look up HDF5 attribute '" + key + "'", file_name(), path_);
  return exists > 0;
}

std::vector<std::string> H5Group::attr_names() const {
  silence_hdf5();
  std::vector<std::string> names;
  const herr_t status = H5Aiterate2(
      id_.get(), H5_INDEX_NAME, H5_ITER_INC, nullptr,
      [](hid_t, const char* name, const H5A_info_t*, void* data) -> herr_t {
        static_cast<std::vector<std::string>*>(data)->emplace_back(name);
        return 0;
      },
      &names);
  if (status < 0) raise_hdf5<FormatError>("Cannot list HDF5 attributes", file_name(), path_);
  return names;
}

void H5Group::set_string_attr(std::string_view name, std::string_view value, H5StringKind kind) const {
  silence_hdf5();
  write_string_attribute(id_.get(), name, value, kind, file_name(), path_);
}

void H5Group::set_string_list_attr(std::string_view name, const std::vector<std::string>& values,
                                   H5StringKind kind) const {
  silence_hdf5();
  check_new_name(name, file_name(), path_);
  const std::string key(name);
  for (const std::string& value : values) {
    if (value.find('\0') != std::string::npos) {
      throw ValueError("HDF5 string attribute '" + key + "' cannot hold a NUL character (" +
                       location(file_name(), path_) + ")");
    }
  }
  delete_attribute_if_present(id_.get(), key, file_name(), path_);
  const hsize_t count = values.size();
  H5Id space(H5Screate_simple(1, &count, nullptr));
  // h5py stores an empty list as an empty float64 array.
  H5Id type = values.empty() ? checked_type(H5Tcopy(H5T_IEEE_F64LE), "an empty list") : vlen_string_type(kind);
  H5Id attr(H5Acreate2(id_.get(), key.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT));
  if (!attr.valid()) raise_hdf5<IOError>("Cannot write HDF5 attribute '" + key + "'", file_name(), path_);
  if (values.empty()) return;
  std::vector<const char*> pointers;
  pointers.reserve(values.size());
  for (const std::string& value : values) pointers.push_back(value.c_str());
  if (H5Awrite(attr.get(), type.get(), pointers.data()) < 0) {
    raise_hdf5<IOError>("Cannot write HDF5 attribute '" + key + "'", file_name(), path_);
  }
}

std::optional<std::string> H5Group::string_attr(std::string_view name) const {
  silence_hdf5();
  return read_string_attribute(id_.get(), name, file_name(), path_);
}

std::vector<std::string> H5Group::string_list_attr(std::string_view name) const {
  silence_hdf5();
  bool missing = false;
  H5Id attr = open_attribute(id_.get(), name, file_name(), path_, &missing);
  const std::string where = path_ + " (attribute '" + std::string(name) + "')";
  if (missing) throw FormatError("HDF5 attribute not found (" + location(file_name(), where) + ")");
  const H5T_class_t type_class = attribute_class(attr.get());
  if (type_class == H5T_STRING) return read_string_values(attr.get(), file_name(), where);
  if (type_class == H5T_INTEGER || type_class == H5T_FLOAT) {
    H5Id space(H5Aget_space(attr.get()));
    if (space.valid() && H5Sget_simple_extent_npoints(space.get()) == 0) return {};
  }
  throw FormatError("HDF5 attribute is not a list of strings (" + location(file_name(), where) + ")");
}

std::optional<std::vector<double>> H5Group::numeric_attr(std::string_view name) const {
  silence_hdf5();
  bool missing = false;
  H5Id attr = open_attribute(id_.get(), name, file_name(), path_, &missing);
  if (missing) return std::nullopt;
  const std::string where = path_ + " (attribute '" + std::string(name) + "')";
  H5Id type(H5Aget_type(attr.get()));
  H5Id space(H5Aget_space(attr.get()));
  if (!type.valid() || !space.valid()) raise_hdf5<FormatError>("Cannot read HDF5 attribute", file_name(), where);
  const H5T_class_t type_class = H5Tget_class(type.get());
  if (type_class != H5T_INTEGER && type_class != H5T_FLOAT) return std::nullopt;
  const hssize_t count = H5Sget_simple_extent_npoints(space.get());
  const std::size_t item = H5Tget_size(type.get());
  const hsize_t stored = H5Aget_storage_size(attr.get());
  if (count < 0 || item == 0 || static_cast<hsize_t>(count) > stored / item) {
    throw FormatError("Invalid HDF5 attribute (" + location(file_name(), where) + "): " + std::to_string(count) +
                      " elements do not fit in its " + std::to_string(stored) + " stored bytes");
  }
  std::vector<double> values(static_cast<std::size_t>(count));
  if (!values.empty() && H5Aread(attr.get(), H5T_NATIVE_DOUBLE, values.data()) < 0) {
    raise_hdf5<FormatError>("Cannot read HDF5 attribute", file_name(), where);
  }
  return values;
}

}  // namespace keras::saving
