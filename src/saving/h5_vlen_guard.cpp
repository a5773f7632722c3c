// Variable-length strings checked against their global heap collection before
// libhdf5 1.10.8 follows them (the crashes this prevents: fuzz/README.md).
//
// On disk a variable-length string is a descriptor: its length (4 bytes), the
// address of a global heap collection, and the index (4 bytes) of the object
// holding its bytes. libhdf5 reads the collection ("GCOL", version, size, then
// objects of index (2), reference count (2), reserved (4), size, data padded to
// 8 bytes; index 0 is free space), trusting every size and index in it, and
// copies the object into a buffer of the descriptor's length.
#include "saving/h5_vlen_guard.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <vector>

#include "keras/error.hpp"

namespace keras::saving {

namespace {

// An owned HDF5 identifier of the kinds used here.
class Handle {
 public:
  explicit Handle(hid_t id) : id_(id) {}
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle() {
    if (id_ >= 0) H5Idec_ref(id_);
  }
  [[nodiscard]] hid_t get() const { return id_; }
  [[nodiscard]] bool valid() const { return id_ >= 0; }

 private:
  hid_t id_;
};

[[noreturn]] void refuse(const std::string& file, const std::string& where, const std::string& why,
                         const char* what = "attribute") {
  throw FormatError(std::string("Invalid HDF5 ") + what + " (" + file + " at " + where + "): " + why);
}

std::uint64_t little_endian(const std::uint8_t* bytes, std::size_t width) {
  std::uint64_t value = 0;
  for (std::size_t i = width; i-- > 0;) value = (value << 8) | bytes[i];
  return value;
}

// The attribute's raw bytes come out of H5Aread unconverted through this soft
// conversion from a variable-length string to an opaque type of the same size:
// the source is the attribute's on-disk form, so nothing needs to change.
herr_t keep_descriptors(hid_t source, hid_t destination, H5T_cdata_t* cdata, size_t /*count*/, size_t /*stride*/,
                        size_t /*background_stride*/, void* /*buffer*/, void* /*background*/, hid_t /*dxpl*/) {
  switch (cdata->command) {
    case H5T_CONV_INIT:
      cdata->need_bkg = H5T_BKG_NO;
      return H5Tis_variable_str(source) > 0 && H5Tget_class(destination) == H5T_OPAQUE ? 0 : -1;
    case H5T_CONV_CONV:
      return H5Tget_size(source) == H5Tget_size(destination) ? 0 : -1;
    default:
      return 0;
  }
}

void register_descriptor_conversion() {
  static std::once_flag once;
  static bool registered = false;
  std::call_once(once, [] {
    Handle string_type(H5Tcopy(H5T_C_S1));
    Handle opaque(H5Tcreate(H5T_OPAQUE, 16));
    registered = string_type.valid() && opaque.valid() && H5Tset_size(string_type.get(), H5T_VARIABLE) >= 0 &&
                 H5Tregister(H5T_PERS_SOFT, "keras-cpp vlen string descriptors", string_type.get(), opaque.get(),
                             keep_descriptors) >= 0;
  });
  if (!registered) throw IOError("Cannot register the HDF5 conversion that reads variable-length string descriptors");
}

// The bytes of an open file: the core driver's memory, or the descriptor the
// sec2 driver reads (the two drivers keras-cpp opens files with).
class FileBytes {
 public:
  FileBytes(hid_t file, const std::string& name, const std::string& where) {
    Handle access(H5Fget_access_plist(file));
    const hid_t driver = access.valid() ? H5Pget_driver(access.get()) : -1;
    void* handle = nullptr;
    if (driver < 0 || H5Fget_vfd_handle(file, access.get(), &handle) < 0 || handle == nullptr) {
      refuse(name, where, "cannot reach the file's bytes to check its strings");
    }
    if (driver == H5FD_CORE) {
      memory_ = *static_cast<const std::uint8_t* const*>(handle);
      hsize_t size = 0;
      if (memory_ == nullptr || H5Fget_filesize(file, &size) < 0) refuse(name, where, "cannot size the file image");
      size_ = size;
    } else if (driver == H5FD_SEC2) {
      descriptor_ = *static_cast<const int*>(handle);
      struct stat status {};
      if (::fstat(descriptor_, &status) != 0) refuse(name, where, std::strerror(errno));
      size_ = static_cast<std::uint64_t>(status.st_size);
    } else {
      refuse(name, where, "the file is open through an HDF5 driver keras-cpp cannot check");
    }
  }

  [[nodiscard]] std::uint64_t size() const { return size_; }

  // [offset, offset + count), which the caller has checked lies within size().
  [[nodiscard]] std::vector<std::uint8_t> read(std::uint64_t offset, std::size_t count) const {
    std::vector<std::uint8_t> bytes(count);
    if (memory_ != nullptr) {
      std::memcpy(bytes.data(), memory_ + offset, count);
      return bytes;
    }
    std::size_t done = 0;
    while (done < count) {
      const ssize_t got = ::pread(descriptor_, bytes.data() + done, count - done, static_cast<off_t>(offset + done));
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) return {};
      done += static_cast<std::size_t>(got);
    }
    return bytes;
  }

 private:
  const std::uint8_t* memory_ = nullptr;
  int descriptor_ = -1;
  std::uint64_t size_ = 0;
};

// Object index -> object size of one collection, walked as libhdf5 1.10.8's
// H5HG__cache_heap_deserialize walks it, refusing what that walk trusts: an
// object running past the collection, and a free-space entry that does not
// advance (an endless loop there).
std::map<std::uint32_t, std::uint64_t> heap_objects(const FileBytes& bytes, std::uint64_t offset,
                                                    std::size_t length_size, const std::string& file,
                                                    const std::string& where) {
  const std::size_t header_size = 8 + length_size;         // "GCOL", version, 3 reserved, collection size
  const std::size_t object_header_size = 8 + length_size;  // index, reference count, reserved, size
  const auto at = [&] { return "the global heap collection at byte " + std::to_string(offset); };
  if (offset > bytes.size() || bytes.size() - offset < header_size) refuse(file, where, at() + " lies past the file");
  const std::vector<std::uint8_t> header = bytes.read(offset, header_size);
  if (header.empty() || std::memcmp(header.data(), "GCOL", 4) != 0 || header[4] != 1) {
    refuse(file, where, at() + " is not a version 1 collection");
  }
  const std::uint64_t size = little_endian(header.data() + 8, length_size);
  if (size < header_size || size > bytes.size() - offset) {
    refuse(file, where, at() + " declares " + std::to_string(size) + " bytes");
  }
  const std::vector<std::uint8_t> chunk = bytes.read(offset, static_cast<std::size_t>(size));
  if (chunk.empty()) refuse(file, where, at() + " cannot be read");

  std::map<std::uint32_t, std::uint64_t> objects;
  std::uint64_t position = header_size;
  while (position < size) {
    const std::uint64_t left = size - position;
    if (left < object_header_size) break;  // too small for an object: free space
    const std::uint8_t* object = chunk.data() + position;
    const auto index = static_cast<std::uint32_t>(little_endian(object, 2));
    const std::uint64_t object_size = little_endian(object + 8, length_size);
    std::uint64_t needed = object_size;  // free space counts its own header
    if (index > 0) {
      if (object_size > left - object_header_size) {
        refuse(file, where,
               at() + " holds object " + std::to_string(index) + " of " + std::to_string(object_size) +
                   " bytes, past its end");
      }
      needed = object_header_size + ((object_size + 7) & ~std::uint64_t{7});
      objects[index] = object_size;  // a repeated index replaces the earlier one, as in libhdf5
    }
    if (needed < object_header_size || needed > left) {
      refuse(file, where, at() + " has a free-space entry of " + std::to_string(object_size) + " bytes");
    }
    position += needed;
  }
  return objects;
}

// Files keras-cpp opens for writing are ones it creates: their structures are
// libhdf5's own, and may still be in its cache, not in the bytes.
bool opened_for_writing(hid_t file_id) {
  unsigned intent = 0;
  return H5Fget_intent(file_id, &intent) >= 0 && (intent & H5F_ACC_RDWR) != 0;
}

// The sizes of the file's addresses and lengths, and where its HDF5 bytes start.
struct Layout {
  std::size_t address_size = 0;
  std::size_t length_size = 0;
  hsize_t user_block = 0;
};
Layout layout_of(hid_t file_id, const std::string& file, const std::string& where, const char* what) {
  Handle creation(H5Fget_create_plist(file_id));
  Layout layout;
  if (!creation.valid() || H5Pget_sizes(creation.get(), &layout.address_size, &layout.length_size) < 0 ||
      H5Pget_userblock(creation.get(), &layout.user_block) < 0 || layout.address_size == 0 || layout.address_size > 8 ||
      layout.length_size == 0 || layout.length_size > 8) {
    refuse(file, where, "cannot read the file's address sizes", what);
  }
  return layout;
}

}  // namespace

void check_vlen_strings_on_heap(hid_t attr, std::size_t count, const std::string& file, const std::string& where) {
  if (count == 0) return;
  register_descriptor_conversion();
  Handle handle(H5Iget_file_id(attr));
  if (!handle.valid()) refuse(file, where, "cannot find its file");
  if (opened_for_writing(handle.get())) return;
  const auto [address_size, length_size, user_block] = layout_of(handle.get(), file, where, "attribute");
  const std::size_t descriptor_size = 8 + address_size;
  Handle raw_type(H5Tcreate(H5T_OPAQUE, descriptor_size));
  std::vector<std::uint8_t> descriptors(count * descriptor_size);
  if (!raw_type.valid() || H5Aread(attr, raw_type.get(), descriptors.data()) < 0) {
    H5Eclear2(H5E_DEFAULT);
    refuse(file, where, "cannot read its string descriptors");
  }

  const FileBytes bytes(handle.get(), file, where);
  std::map<std::uint64_t, std::map<std::uint32_t, std::uint64_t>> collections;
  for (std::size_t i = 0; i < count; ++i) {
    const std::uint8_t* descriptor = descriptors.data() + i * descriptor_size;
    const std::uint64_t length = little_endian(descriptor, 4);
    const std::uint64_t address = little_endian(descriptor + 4, address_size);
    const auto index = static_cast<std::uint32_t>(little_endian(descriptor + 4 + address_size, 4));
    if (address == 0) continue;  // a null string: libhdf5 reads nothing
    if (address > std::numeric_limits<std::uint64_t>::max() - user_block) {
      refuse(file, where, "string " + std::to_string(i) + " points past the file");
    }
    const std::uint64_t offset = address + user_block;
    auto found = collections.find(offset);
    if (found == collections.end()) {
      found = collections.emplace(offset, heap_objects(bytes, offset, length_size, file, where)).first;
    }
    const auto object = found->second.find(index);
    if (object == found->second.end()) {
      refuse(file, where,
             "string " + std::to_string(i) + " names object " + std::to_string(index) +
                 ", absent from the global heap collection at byte " + std::to_string(offset));
    }
    if (object->second != length) {
      refuse(file, where,
             "string " + std::to_string(i) + " of " + std::to_string(length) + " bytes is stored in an object of " +
                 std::to_string(object->second) + " bytes");
    }
  }
}

// An enumeration datatype (class 8): class and version, the member count in the bit field, the
// size, an integer base type (8 + 4 bytes), then the members' names, NUL-terminated (padded to 8
// bytes before version 3), then their values. libhdf5 copies each name with strdup, so each must
// end inside the datatype; other classes are left to libhdf5.
void check_enum_member_names(const std::uint8_t* type, std::uint64_t size, const std::string& file,
                             const std::string& where) {
  if (size < 8 || (type[0] & 0x0f) != 8) return;
  const unsigned version = type[0] >> 4;
  const std::uint64_t members = little_endian(type + 1, 2);
  constexpr std::uint64_t kIntegerBase = 12;
  const auto refuse_enum = [&](const std::string& why) {
    refuse(file, where, "an attribute's enumeration type " + why, "group");
  };
  if (size < 8 + kIntegerBase || (type[8] & 0x0f) != 0) refuse_enum("has no integer base type");
  std::uint64_t at = 8 + kIntegerBase;
  for (std::uint64_t i = 0; i < members; ++i) {
    const void* end = at < size ? std::memchr(type + at, 0, size - at) : nullptr;
    if (end == nullptr) refuse_enum("has a member name that is not terminated inside it");
    const auto length = static_cast<std::uint64_t>(static_cast<const std::uint8_t*>(end) - (type + at)) + 1;
    at += version < 3 ? (length + 7) / 8 * 8 : length;
  }
}

// An attribute message: version, reserved (version 3: the name's character set), then the
// sizes of its name, datatype and dataspace (2 bytes each), and those three, each padded to 8
// bytes in version 1; the value follows. libhdf5 1.10.8 decodes the three on trust, reading past
// the message when they claim more than it holds (under H5Aexists, H5Aopen, H5Aiterate).
void check_attribute_message(const std::uint8_t* data, std::uint64_t length, const std::string& file,
                             const std::string& where) {
  if (length < 8) refuse(file, where, "an attribute message is shorter than its header", "group");
  const unsigned version = data[0];
  const std::uint64_t name = little_endian(data + 2, 2);
  const std::uint64_t type = little_endian(data + 4, 2);
  const std::uint64_t space = little_endian(data + 6, 2);
  const auto padded = [&](std::uint64_t n) { return version == 1 ? (n + 7) / 8 * 8 : n; };
  const std::uint64_t header = version == 3 ? 9 : 8;
  if (header + padded(name) + padded(type) + padded(space) > length) {
    refuse(file, where,
           "an attribute message of " + std::to_string(length) + " bytes declares a name, datatype and dataspace of " +
               std::to_string(name) + ", " + std::to_string(type) + " and " + std::to_string(space) + " bytes",
           "group");
  }
  // libhdf5 copies the name with strdup: it must end inside its field.
  if (std::memchr(data + header, 0, name) == nullptr)
    refuse(file, where, "an attribute name is not terminated inside its message", "group");
  check_enum_member_names(data + header + padded(name), type, file, where);
}

// An old-style group (the kind h5py and keras-cpp write) names its members in a local heap:
// its object header's symbol table message (type 0x11) holds the heap's address, and the heap
// starts with "HEAP", version 0, 3 reserved bytes, the data segment's size, the offset of the
// first free block (1: none) and the data segment's address. libhdf5 1.10.8 reads the data
// segment at that address and of that size on trust.
void check_group_header(hid_t group, const std::string& file, const std::string& where) {
  Handle handle(H5Iget_file_id(group));
  if (!handle.valid()) refuse(file, where, "cannot find its file", "group");
  if (opened_for_writing(handle.get())) return;
  const Layout layout = layout_of(handle.get(), file, where, "group");
  H5O_info_t info{};
  if (H5Oget_info2(group, &info, H5O_INFO_BASIC) < 0) {
    H5Eclear2(H5E_DEFAULT);
    refuse(file, where, "cannot read its object header", "group");
  }
  const FileBytes bytes(handle.get(), file, where);
  const std::uint64_t end = bytes.size();
  // [offset, offset + count) of the file when it lies inside it, else empty.
  const auto read = [&](std::uint64_t address, std::size_t count) -> std::vector<std::uint8_t> {
    if (address > end || layout.user_block > end - address || count > end - address - layout.user_block) return {};
    return bytes.read(address + layout.user_block, count);
  };
  const std::size_t a = layout.address_size;
  const std::size_t l = layout.length_size;

  // Version 1 object header: version 1, reserved, message count (2), reference count (4),
  // header size (4), padding to 16; then messages of type (2), size (2), flags, 3 reserved and
  // data. Continuation messages (0x10) point to further blocks of messages. Version 2 headers
  // ("OHDR") belong to new-style groups, which have no local heap.
  const std::vector<std::uint8_t> prefix = read(info.addr, 16);
  if (prefix.size() != 16 || prefix[0] != 1) return;  // not version 1: libhdf5 checks it itself
  std::vector<std::pair<std::uint64_t, std::uint64_t>> blocks{{info.addr + 16, little_endian(prefix.data() + 8, 4)}};
  std::optional<std::uint64_t> heap;
  constexpr std::size_t kMaxBlocks = 64;
  for (std::size_t b = 0; b < blocks.size() && b < kMaxBlocks; ++b) {
    const auto [start, size] = blocks[b];
    const std::vector<std::uint8_t> block = read(start, static_cast<std::size_t>(std::min<std::uint64_t>(size, end)));
    for (std::size_t at = 0; at + 8 <= block.size();) {
      const std::uint64_t type = little_endian(block.data() + at, 2);
      const std::uint64_t length = little_endian(block.data() + at + 2, 2);
      const std::uint8_t* data = block.data() + at + 8;
      if (length > block.size() - at - 8) break;  // libhdf5 refuses the header itself
      if (type == 0x11 && length >= 2 * a && !heap) heap = little_endian(data + a, a);
      if (type == 0x10 && length >= a + l) blocks.emplace_back(little_endian(data, a), little_endian(data + a, l));
      if (type == 0x0c) check_attribute_message(data, length, file, where);
      at += 8 + length;
    }
  }
  if (!heap) return;
  const std::size_t prefix_size = 8 + 2 * l + a;
  const std::vector<std::uint8_t> heap_prefix = read(*heap, prefix_size);
  const auto bad = [&](const std::string& why) {
    refuse(file, where, "its local heap at byte " + std::to_string(*heap) + " " + why, "group");
  };
  if (heap_prefix.size() != prefix_size) bad("lies past the end of the file");
  if (std::memcmp(heap_prefix.data(), "HEAP", 4) != 0 || heap_prefix[4] != 0) bad("has no local heap signature");
  const std::uint64_t data_size = little_endian(heap_prefix.data() + 8, l);
  const std::uint64_t free_block = little_endian(heap_prefix.data() + 8 + l, l);
  const std::uint64_t data_address = little_endian(heap_prefix.data() + 8 + 2 * l, a);
  if (data_size == 0) bad("has an empty data segment");
  if (data_address > end || data_size > end - data_address || layout.user_block > end - data_address - data_size) {
    bad("has a data segment of " + std::to_string(data_size) + " bytes at byte " + std::to_string(data_address) +
        ", past the end of the file");
  }
  if (data_address < *heap + prefix_size && *heap < data_address + data_size) bad("overlaps its own data segment");
  if (free_block != 1 && free_block >= data_size) bad("has its free list past its data segment");
}

}  // namespace keras::saving
