// Checks of structures libhdf5 1.10.8 trusts, made before it reads them.
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

// The same libhdf5 reads an old-style group's member names from a local heap
// whose data segment address and size it takes on trust (a null memcpy, a
// realloc of a size that wrapped below zero), and decodes attribute messages
// whose inner sizes it takes on trust (reads past the message): fuzz/README.md.
// This walks the group's version 1 object header and throws FormatError, naming
// `file` and `where`, unless every attribute message holds what it declares and
// the local heap's data segment lies inside the file, apart from the heap's
// header, with its free list starting inside it.
void check_group_header(hid_t group, const std::string& file, const std::string& where);

}  // namespace keras::saving
