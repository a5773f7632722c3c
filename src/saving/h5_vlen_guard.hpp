// A check of variable-length strings before libhdf5 reads them.
#pragma once

#include <hdf5.h>

#include <cstddef>
#include <string>

namespace keras::saving {

// Debian 12's libhdf5 1.10.8 reads a variable-length string from a global heap
// collection whose sizes and object indices it takes on trust: a corrupt
// collection makes H5Aread copy past its buffers, allocate gigabytes or loop
// forever (fuzz/README.md). This reads the `count` raw string descriptors of
// `attr` (length, collection address, object index) without following them,
// walks each collection they point to in the file's bytes as libhdf5 will, and
// throws FormatError, naming `file` and `where`, unless every string is an
// object of that collection whose size is the descriptor's length.
void check_vlen_strings_on_heap(hid_t attr, std::size_t count, const std::string& file, const std::string& where);

}  // namespace keras::saving
