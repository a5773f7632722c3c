// An HDF5 virtual file driver that keeps a file in a byte range of an open
// descriptor: HDF5 address A is byte `offset + A` of the descriptor's file.
// It lets libhdf5 write model.weights.h5 with pwrite() straight into its place
// inside a .keras archive being written (an unnamed O_TMPFILE file, which no
// path-based driver can open), so that the weights are never held in memory a
// second time and never copied from one file into another.
#pragma once

#include <hdf5.h>

#include <cstdint>
#include <optional>

namespace keras::saving::detail {

// The byte range a driver file lives in, shared with whoever set it up. The
// range runs to the end of the descriptor's file while the HDF5 file is open:
// truncating the HDF5 file truncates the descriptor's file.
struct DescriptorRegion {
  int fd = -1;
  std::uint64_t offset = 0;
  int error = 0;                             // errno of the last failed system call
  std::optional<std::uint64_t> closed_size;  // the file's size once libhdf5 closed it
};

// Selects the driver on a file access property list. `region` must outlive
// every file opened with it. Returns a negative value on failure, like H5P*.
herr_t set_descriptor_driver(hid_t fapl, DescriptorRegion* region);

}  // namespace keras::saving::detail
