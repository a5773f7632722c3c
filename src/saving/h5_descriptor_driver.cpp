// The descriptor-range driver: the few callbacks of HDF5's virtual file layer
// a file written once needs, on pread()/pwrite() at the region's offset. It
// reports the same features as libhdf5's own core and sec2 drivers, so that
// libhdf5 lays the file out exactly as it does in memory.
#include "saving/h5_descriptor_driver.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <limits>

namespace keras::saving::detail {

namespace {

struct FaplInfo {
  DescriptorRegion* region = nullptr;
};

// HDF5 fills `public_part` after open() returns; it must come first.
struct DriverFile {
  H5FD_t public_part;
  DescriptorRegion* region = nullptr;
  haddr_t eoa = 0;  // end of the address space libhdf5 allocated
  haddr_t eof = 0;  // end of what is in the file
};

constexpr haddr_t kMaxAddress = static_cast<haddr_t>(std::numeric_limits<off_t>::max());

DriverFile* as_file(H5FD_t* file) { return reinterpret_cast<DriverFile*>(file); }
const DriverFile* as_file(const H5FD_t* file) { return reinterpret_cast<const DriverFile*>(file); }

// The file's own end: the region has only what was written or truncated into it.
haddr_t size_on_disk(const DescriptorRegion& region) {
  struct stat status {};
  if (::fstat(region.fd, &status) != 0) return 0;
  const auto size = static_cast<std::uint64_t>(status.st_size);
  return size > region.offset ? size - region.offset : 0;
}

void* fapl_copy(const void* info) { return new FaplInfo(*static_cast<const FaplInfo*>(info)); }
herr_t fapl_free(void* info) {
  delete static_cast<FaplInfo*>(info);
  return 0;
}
void* fapl_get(H5FD_t* file) { return new FaplInfo{as_file(file)->region}; }

H5FD_t* open_file(const char* /*name*/, unsigned flags, hid_t fapl, haddr_t maxaddr) {
  const auto* info = static_cast<const FaplInfo*>(H5Pget_driver_info(fapl));
  if (info == nullptr || info->region == nullptr || maxaddr == 0 || maxaddr > kMaxAddress) return nullptr;
  DescriptorRegion& region = *info->region;
  region.closed_size.reset();
  if ((flags & H5F_ACC_TRUNC) != 0 && ::ftruncate(region.fd, static_cast<off_t>(region.offset)) != 0) {
    region.error = errno;
    return nullptr;
  }
  auto* file = new DriverFile{};
  file->region = &region;
  file->eof = (flags & H5F_ACC_TRUNC) != 0 ? 0 : size_on_disk(region);
  return &file->public_part;
}

herr_t close_file(H5FD_t* handle) {
  DriverFile* file = as_file(handle);
  file->region->closed_size = file->eof;
  delete file;
  return 0;
}

int compare(const H5FD_t* first, const H5FD_t* second) {
  const DescriptorRegion* a = as_file(first)->region;
  const DescriptorRegion* b = as_file(second)->region;
  return a < b ? -1 : (a > b ? 1 : 0);
}

herr_t query(const H5FD_t* /*file*/, unsigned long* flags) {
  *flags = H5FD_FEAT_AGGREGATE_METADATA | H5FD_FEAT_ACCUMULATE_METADATA | H5FD_FEAT_DATA_SIEVE |
           H5FD_FEAT_AGGREGATE_SMALLDATA;
  return 0;
}

haddr_t get_eoa(const H5FD_t* file, H5FD_mem_t /*type*/) { return as_file(file)->eoa; }
herr_t set_eoa(H5FD_t* file, H5FD_mem_t /*type*/, haddr_t address) {
  if (address > kMaxAddress) return -1;
  as_file(file)->eoa = address;
  return 0;
}
haddr_t get_eof(const H5FD_t* file, H5FD_mem_t /*type*/) { return as_file(file)->eof; }

herr_t get_handle(H5FD_t* file, hid_t /*fapl*/, void** handle) {
  *handle = &as_file(file)->region->fd;
  return 0;
}

bool overflows(const DriverFile& file, haddr_t address, std::size_t size) {
  return address > kMaxAddress - file.region->offset || size > kMaxAddress - file.region->offset - address;
}

herr_t read_at(H5FD_t* handle, H5FD_mem_t /*type*/, hid_t /*dxpl*/, haddr_t address, std::size_t size, void* buffer) {
  DriverFile& file = *as_file(handle);
  if (overflows(file, address, size)) return -1;
  auto* out = static_cast<std::byte*>(buffer);
  std::size_t done = 0;
  while (done < size) {
    const ssize_t got =
        ::pread(file.region->fd, out + done, size - done, static_cast<off_t>(file.region->offset + address + done));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      file.region->error = errno;
      return -1;
    }
    if (got == 0) break;  // past the end: reads as zeros, as in every HDF5 driver
    done += static_cast<std::size_t>(got);
  }
  std::memset(out + done, 0, size - done);
  return 0;
}

herr_t write_at(H5FD_t* handle, H5FD_mem_t /*type*/, hid_t /*dxpl*/, haddr_t address, std::size_t size,
                const void* buffer) {
  DriverFile& file = *as_file(handle);
  if (overflows(file, address, size)) return -1;
  const auto* in = static_cast<const std::byte*>(buffer);
  std::size_t done = 0;
  while (done < size) {
    const ssize_t wrote =
        ::pwrite(file.region->fd, in + done, size - done, static_cast<off_t>(file.region->offset + address + done));
    if (wrote < 0 && errno == EINTR) continue;
    if (wrote <= 0) {
      file.region->error = wrote < 0 ? errno : EIO;
      return -1;
    }
    done += static_cast<std::size_t>(wrote);
  }
  if (address + size > file.eof) file.eof = address + size;
  return 0;
}

// Called at every flush and at close: the file ends where libhdf5's address space ends.
herr_t truncate_to_eoa(H5FD_t* handle, hid_t /*dxpl*/, hbool_t /*closing*/) {
  DriverFile& file = *as_file(handle);
  if (file.eoa == file.eof) return 0;
  if (::ftruncate(file.region->fd, static_cast<off_t>(file.region->offset + file.eoa)) != 0) {
    file.region->error = errno;
    return -1;
  }
  file.eof = file.eoa;
  return 0;
}

H5FD_class_t make_class() {
  H5FD_class_t cls{};
  cls.name = "keras-cpp-descriptor-range";
  cls.maxaddr = kMaxAddress;
  cls.fc_degree = H5F_CLOSE_WEAK;
  cls.fapl_size = sizeof(FaplInfo);
  cls.fapl_get = fapl_get;
  cls.fapl_copy = fapl_copy;
  cls.fapl_free = fapl_free;
  cls.open = open_file;
  cls.close = close_file;
  cls.cmp = compare;
  cls.query = query;
  cls.get_eoa = get_eoa;
  cls.set_eoa = set_eoa;
  cls.get_eof = get_eof;
  cls.get_handle = get_handle;
  cls.read = read_at;
  cls.write = write_at;
  cls.truncate = truncate_to_eoa;
  const H5FD_mem_t map[] = H5FD_FLMAP_DICHOTOMY;
  static_assert(sizeof(map) == sizeof(cls.fl_map));
  std::memcpy(cls.fl_map, map, sizeof(map));
  return cls;
}

}  // namespace

herr_t set_descriptor_driver(hid_t fapl, DescriptorRegion* region) {
  static const H5FD_class_t cls = make_class();
  static const hid_t driver = H5FDregister(&cls);  // once per process; libhdf5 keeps the class pointer
  if (driver < 0 || region == nullptr) return -1;
  const FaplInfo info{region};
  return H5Pset_driver(fapl, driver, &info);
}

}  // namespace keras::saving::detail
