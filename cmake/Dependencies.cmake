# Finds every system dependency and, when one is missing, stops with the Debian package that
# provides it (scripts/install-deps installs them all). CMake's own "Could NOT find X" names a
# CMake package, which a new user cannot map to an apt package.

# keras_require(<find_package arguments...> DEBIAN <package>)
macro(keras_require name)
  cmake_parse_arguments(_keras_req "" "DEBIAN" "" ${ARGN})
  find_package(${name} ${_keras_req_UNPARSED_ARGUMENTS} QUIET)
  if(NOT ${name}_FOUND)
    message(FATAL_ERROR "keras-cpp needs ${name}: install the Debian package '${_keras_req_DEBIAN}' "
                        "(sudo apt-get install ${_keras_req_DEBIAN}), or run scripts/install-deps for all of them.")
  endif()
endmacro()

keras_require(HDF5 COMPONENTS C DEBIAN libhdf5-dev)
# libzip's CMake package also checks that its command-line tools exist (zipcmp, zipmerge, ziptool).
keras_require(libzip DEBIAN "libzip-dev zipcmp zipmerge ziptool")
keras_require(nlohmann_json 3.10 DEBIAN nlohmann-json3-dev)

# keras_require_library(<VAR prefix> <header> <library> DEBIAN <package>): a library without a
# CMake package, found by header and library; linked by absolute path (as HDF5 is).
macro(keras_require_library prefix header library)
  cmake_parse_arguments(_keras_lib "" "DEBIAN" "" ${ARGN})
  find_path(${prefix}_INCLUDE_DIR ${header})
  find_library(${prefix}_LIBRARY ${library})
  if(NOT ${prefix}_INCLUDE_DIR OR NOT ${prefix}_LIBRARY)
    message(FATAL_ERROR "keras-cpp needs ${library}: install the Debian package '${_keras_lib_DEBIAN}' "
                        "(sudo apt-get install ${_keras_lib_DEBIAN}), or run scripts/install-deps for all of them.")
  endif()
endmacro()
# Loading reads a STORED model.weights.h5 in place: minizip says where a member's data starts
# (libzip 1.7 does not), libdeflate checks its CRC-32 with carry-less multiplication.
keras_require_library(KERAS_MINIZIP minizip/unzip.h minizip DEBIAN libminizip-dev)
keras_require_library(KERAS_LIBDEFLATE libdeflate.h deflate DEBIAN libdeflate-dev)

# Debian's dnnl-config.cmake calls find_package(OpenCL) (its GPU runtime is built in), but
# libdnnl-dev only recommends the OpenCL loader and headers: without them its own lookup fails
# with "Could NOT find OpenCL". Check first, so that the error names the package.
find_path(KERAS_OPENCL_HEADER CL/cl.h)
find_library(KERAS_OPENCL_LIBRARY OpenCL)
if(NOT KERAS_OPENCL_HEADER OR NOT KERAS_OPENCL_LIBRARY)
  message(FATAL_ERROR "oneDNN's CMake package (libdnnl-dev) needs the OpenCL headers and loader: install the "
                      "Debian package 'ocl-icd-opencl-dev' (sudo apt-get install ocl-icd-opencl-dev), or run "
                      "scripts/install-deps for all of them.")
endif()
keras_require(dnnl DEBIAN libdnnl-dev)
# OpenMP's API (thread counts) from the libgomp oneDNN itself runs on (libgomp1, a dependency of
# libdnnl-dev's runtime), called without OpenMP compiler flags so that clang builds use no second runtime.
find_library(KERAS_GOMP_LIBRARY NAMES gomp libgomp.so.1 REQUIRED)
keras_require(Eigen3 3.4 NO_MODULE DEBIAN libeigen3-dev)
find_package(Threads REQUIRED)

# The command line (tools/cli): CLI11 parses it, libpng and libjpeg decode image inputs.
keras_require(CLI11 DEBIAN libcli11-dev)
keras_require(PNG DEBIAN libpng-dev)
keras_require(JPEG DEBIAN libjpeg-dev)
# keras::utils::plot_model lays graphs out with Graphviz's dot program (found on PATH at run
# time, as pydot does for Keras); the tests draw with it.
find_program(KERAS_DOT_PROGRAM dot)
if(NOT KERAS_DOT_PROGRAM)
  message(FATAL_ERROR "keras-cpp needs Graphviz's dot program for plot_model: install the Debian package 'graphviz' "
                      "(sudo apt-get install graphviz), or run scripts/install-deps for all of them.")
endif()

# The R package (r/) is built by `make r-install`, not by CMake, but `make test` needs it: name
# the Debian packages now rather than failing later.
find_program(KERAS_RSCRIPT Rscript)
if(NOT KERAS_RSCRIPT)
  message(WARNING "R is missing: make test also builds and tests the R package (r/), which needs the Debian "
                  "packages 'r-base-core r-cran-rcpp r-cran-testthat r-cran-withr r-cran-zip' "
                  "(scripts/install-deps installs them).")
endif()
